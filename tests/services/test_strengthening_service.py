"""Chain strengthening end to end on a graph solved by hand."""

from __future__ import annotations

import pytest

from chain_brain.services.strengthening import StrengtheningCosts, strengthen_chain
from chain_brain.store import GraphStore, Scope
from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData
from sample_graphs import _nodes, _rels


def two_mills() -> GraphData:
    """Mine M1 -> plant P and mine M2 -> plant Q, each the sole ore supplier, 1.6 ore/steel.

    Weekly (annual / 52): P and Q make steel at capacity 10, baseline 8.5 (utilisation 0.85),
    demand 8.5, stock 2 weeks = 17.  M1 and M2: ore capacity 20, baseline 17, stock 34.
    TTS when P (or Q) is down: 17 / 8.5 = 2 weeks.  When M1 is down: P turns M1's 34 of ore
    into 34 / 1.6 = 21.25 steel, plus its 17 in stock, over 8.5 a week: 4.5 weeks.
    """
    return GraphData(
        [
            _nodes(
                "Firm",
                id=["M1", "M2", "Mill"],
                name=["M1", "M2", "Mill"],
                country=["AUS", "BRA", "CHN"],
            ),
            _nodes("Plant", id=["P", "Q"], name=["P", "Q"], country=["CHN", "CHN"]),
            _nodes("Product", id=["ore", "steel"], name_en=["Ore", "Steel"]),
        ],
        [
            _rels(
                "SUPPLIES",
                "Firm",
                "Plant",
                src=["M1", "M2"],
                dst=["P", "Q"],
                product=["ore", "ore"],
            ),
            _rels("OPERATES", "Firm", "Plant", src=["Mill", "Mill"], dst=["P", "Q"]),
            _rels(
                "PRODUCES",
                "Plant",
                "Product",
                src=["P", "Q"],
                dst=["steel", "steel"],
                capacity=[520.0, 520.0],
            ),
            _rels(
                "PRODUCES",
                "Firm",
                "Product",
                src=["M1", "M2"],
                dst=["ore", "ore"],
                capacity=[1040.0, 1040.0],
            ),
            _rels("REQUIRES", "Product", "Product", src=["steel"], dst=["ore"], quantity=[1.6]),
        ],
    )


def test_budget_for_both_stocks_lifts_the_weakest_link(store: GraphStore) -> None:
    store.write(two_mills())
    run = strengthen_chain(store, Scope(), budget=17.0, use_twins=False)
    opts = run.tables["options"].set_index("option")
    # stock +1 week at P and Q (8.5 units at 1 each), +20 % capacity at the sole suppliers
    # M1 and M2 (4 units/week at 5 each), second sources M2 -> P and M1 -> Q (13.6 units/week at 2)
    assert sorted(opts["kind"]) == ["capacity"] * 2 + ["inventory"] * 2 + ["second_source"] * 2
    assert opts.loc["stock +1 wk at P", "cost"] == pytest.approx(8.5)
    assert opts.loc["capacity +20% at M1", "cost"] == pytest.approx(20.0)
    assert opts.loc["second source M2 -> P (product:ore)", "cost"] == pytest.approx(27.2)
    assert sorted(run.tables["chosen"]["option"]) == ["stock +1 wk at P", "stock +1 wk at Q"]
    assert run.summary["cost"] == pytest.approx(17.0)
    assert run.summary["min_tts_before"] == pytest.approx(2.0)
    assert run.summary["min_tts_after"] == pytest.approx(3.0)  # 25.5 / 8.5
    nodes = run.tables["nodes"].set_index("node")
    assert nodes.loc["P", "tts_before"] == pytest.approx(2.0)
    assert nodes.loc["P", "tts_after"] == pytest.approx(3.0)
    assert nodes.loc["M1", "tts_before"] == pytest.approx(4.5)
    assert nodes.loc["M1", "tts_after"] == pytest.approx(5.5)  # (21.25 + 25.5) / 8.5
    assert sorted(run.summary["weakest_before"]) == ["P", "Q"]
    assert [r.id for r in store.list_runs("strengthening")] == [run.id]


def test_a_budget_short_of_both_stocks_funds_nothing(store: GraphStore) -> None:
    store.write(two_mills())
    run = strengthen_chain(store, Scope(), budget=16.0, use_twins=False, save=False)
    # one stock alone leaves the other finished plant at 2 weeks: the cheapest set is empty
    assert run.summary["chosen"] == []
    assert run.summary["cost"] == 0.0
    assert run.summary["min_tts_after"] == pytest.approx(2.0)
    nodes = run.tables["nodes"].set_index("node")
    assert (nodes["tts_before"] == nodes["tts_after"]).all()


def test_a_large_budget_still_buys_only_the_cheapest_best_set(store: GraphStore) -> None:
    store.write(two_mills())
    # P's own disruption is only helped by stock at P: the best reachable minimum is 3 weeks,
    # and of the option sets reaching it the two stocks (17) are the cheapest
    run = strengthen_chain(store, Scope(), budget=1000.0)  # twins on: the store has none
    assert run.summary["min_tts_after"] == pytest.approx(3.0)
    assert run.summary["cost"] == pytest.approx(17.0)
    assert sorted(run.summary["chosen"]) == ["stock +1 wk at P", "stock +1 wk at Q"]
    assert run.params["costs"]["inventory_per_unit"] == 1.0


def test_limits_name_the_value(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.write(two_mills())
    with pytest.raises(ValidationError, match="budget"):
        strengthen_chain(store, Scope(), budget=-1.0, use_twins=False)
    with pytest.raises(ValidationError, match="capacity_per_unit"):
        StrengtheningCosts(capacity_per_unit=-1.0)
    import chain_brain.services.strengthening as mod

    monkeypatch.setattr(mod, "MAX_NETWORK_NODES", 3)
    with pytest.raises(ValidationError, match="4 nodes.*Narrow the scope"):
        strengthen_chain(store, Scope(), budget=1.0, use_twins=False)


def test_min_worst_loss_buys_both_stocks(store: GraphStore) -> None:
    store.write(two_mills())
    # Every node recovers in default_ttr = 4 weeks.  P (or Q) down: 4 x 8.5 = 34 demanded,
    # 17 in stock -> 17 lost, the worst.  M1 down: P turns M1's 34 ore into 21.25 steel,
    # + 17 in stock >= 34 -> nothing lost.  A stock of +8.5 at P halves P's loss to 8.5;
    # capacity or second sources cannot help while P itself is down.  Budget 17 buys both
    # stocks: worst loss 17 -> 8.5.
    run = strengthen_chain(
        store, Scope(), budget=17.0, use_twins=False, objective="min_worst_loss", save=False
    )
    assert run.summary["objective"] == "min_worst_loss"
    assert sorted(run.summary["chosen"]) == ["stock +1 wk at P", "stock +1 wk at Q"]
    assert run.summary["worst_loss_before"] == pytest.approx(17.0)
    assert run.summary["worst_loss_after"] == pytest.approx(8.5)
    assert sorted(run.summary["weakest_before"]) == ["P", "Q"]
    nodes = run.tables["nodes"].set_index("node")
    assert nodes.loc["P", "ttr"] == pytest.approx(4.0)
    assert nodes.loc["P", "loss_before"] == pytest.approx(17.0)
    assert nodes.loc["P", "loss_after"] == pytest.approx(8.5)
    assert nodes.loc["M1", "loss_before"] == pytest.approx(0.0)
    assert nodes.loc["P", "tts_after"] == pytest.approx(3.0)
    # One stock alone leaves Q's loss at 17: nothing is worth buying with 16.
    run = strengthen_chain(
        store, Scope(), budget=16.0, use_twins=False, objective="min_worst_loss", save=False
    )
    assert run.summary["chosen"] == []
    assert run.summary["worst_loss_after"] == pytest.approx(17.0)


def test_unknown_objective_is_named(store: GraphStore) -> None:
    store.write(two_mills())
    with pytest.raises(ValidationError, match="objective must be one of .*'max_tts'"):
        strengthen_chain(store, Scope(), budget=1.0, use_twins=False, objective="max_tts")  # type: ignore[arg-type]
