"""Disruption cascades: the toy chain worked by hand, period by period."""

from __future__ import annotations

import numpy as np
import pytest

from chain_brain.analytics.cascades import (
    Disruption,
    DisruptionKind,
    disrupted_nodes,
    rank_disruptions,
    simulate_cascade,
)
from chain_brain.graph.chaingraph import ChainGraph
from chain_brain.graph.samples import toy_chain
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.model import NodeLabel


@pytest.fixture(scope="module")
def toy() -> ChainGraph:
    return ChainGraph.from_data(toy_chain())


def test_mine_outage_by_hand(toy: ChainGraph) -> None:
    """M2 (ships 40 ore to S1P, 50 to S2) stops; one period of cover everywhere.

    t0: S1P draws 40 from its 100 ore stock, S2 draws its whole 50: nobody else is hit.
    t1: S2 has no ore (0 of 30 steel); A1 draws 30 steel from its 100 stock.
    t2: S1P has 20 ore left for a 40 shortfall: runs at 0.8 (ships 56 steel);
        A1 draws 44 steel (26 left).
    t3: S1P at 0.6 (42 steel); A1 gets 42 + 26 from stock: runs at 0.68.
    t4: S1P still at 0.6, A1 at 0.42.
    """
    r = simulate_cascade(toy, Disruption(DisruptionKind.FIRM, "M2"), horizon=5, cover=1)
    assert r.timeline["output_lost"].tolist() == pytest.approx([90, 120, 134, 180, 206])
    assert r.timeline["final_output_lost_share"].tolist() == pytest.approx([0, 0, 0, 0.32, 0.58])
    assert r.first_final_loss_period == 3
    assert r.final_output_lost_share == pytest.approx(0.9 / 5)
    by_node = r.by_node.set_index("key")
    assert by_node.loc["Firm:S2", "first_period_hit"] == 1
    assert by_node.loc["Plant:S1P", "output_at_risk"] == pytest.approx(14 + 28 + 28)
    assert by_node.loc["Firm:A1", "final"]
    by_firm = r.by_firm.set_index("firm_key")
    assert by_firm.loc["Firm:S1", "output_at_risk"] == pytest.approx(70)  # through its plant
    by_product = r.by_product.set_index("product_id")
    assert by_product.loc["car", "output_at_risk"] == pytest.approx(32 + 58)
    assert r.by_chain.set_index("chain_id").loc["auto", "output_at_risk"] == pytest.approx(
        r.by_node["output_at_risk"].sum()
    )


def test_sole_chip_supplier_stops_assembly(toy: ChainGraph) -> None:
    r = simulate_cascade(toy, Disruption(DisruptionKind.FIRM, "C1"), horizon=4, cover=1)
    assert r.timeline["final_output_lost_share"].tolist() == pytest.approx([0, 1, 1, 1])
    assert "75.0% of final output" in r.summary()


def test_no_cover_hits_at_once_and_recovery_restores(toy: ChainGraph) -> None:
    r = simulate_cascade(toy, Disruption(DisruptionKind.FIRM, "C1"), horizon=4, cover=0)
    assert r.timeline["final_output_lost_share"].tolist() == pytest.approx([1, 1, 1, 1])
    r = simulate_cascade(toy, Disruption(DisruptionKind.FIRM, "C1"), horizon=4, cover=0, duration=2)
    assert r.timeline["final_output_lost_share"].tolist() == pytest.approx([1, 1, 0, 0])


def test_disrupted_sets(toy: ChainGraph) -> None:
    keys = lambda d: sorted(toy.keys_of(disrupted_nodes(toy, d)))  # noqa: E731
    assert keys(Disruption(DisruptionKind.FIRM, "S1")) == ["Firm:S1", "Plant:S1P"]
    assert keys(Disruption(DisruptionKind.REGION, "HB")) == ["Firm:M1", "Firm:S1", "Plant:S1P"]
    assert keys(Disruption(DisruptionKind.COUNTRY, "AUS")) == ["Firm:M2"]
    assert keys(Disruption(DisruptionKind.NODE, "S1P", NodeLabel.PLANT)) == ["Plant:S1P"]
    with pytest.raises(NotFoundError, match="'XX'"):
        disrupted_nodes(toy, Disruption(DisruptionKind.REGION, "XX"))
    with pytest.raises(ValidationError, match="horizon"):
        simulate_cascade(toy, Disruption(DisruptionKind.FIRM, "M1"), horizon=0)


def test_rank_disruptions_orders_by_final_loss(toy: ChainGraph) -> None:
    scenarios = [
        Disruption(DisruptionKind.COUNTRY, "AUS"),
        Disruption(DisruptionKind.FIRM, "C1"),
        Disruption(DisruptionKind.FIRM, "M1"),
    ]
    table, results = rank_disruptions(toy, scenarios, horizon=6, cover=1)
    assert table["target"].tolist()[0] == "C1"
    assert np.all(np.diff(table["final_output_lost_share"].to_numpy()) <= 0)
    assert [r.disruption.id for r in results] == table["target"].tolist()
    assert table["finding_id"].iloc[0] == "cascade:firm:C1"
