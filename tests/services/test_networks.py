"""The bridge from a snapshot to the disruption model, on graphs small enough to solve by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chain_brain.graph.chaingraph import ChainGraph
from chain_brain.services.networks import NetworkAssumptions, chain_network
from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData
from optimizers import DisruptionSolver
from sample_graphs import _nodes, _rels


def two_suppliers(requires_x: float | None = None) -> GraphData:
    """A ships x (52/yr = 1/wk) and B ships y (104/yr = 2/wk) to C, which makes z."""
    rels = [
        _rels("SUPPLIES", "Firm", "Firm", src=["A", "B"], dst=["C", "C"], product=["x", "y"], volume=[52.0, 104.0]),
        _rels("PRODUCES", "Firm", "Product", src=["C"], dst=["z"]),
    ]
    if requires_x is not None:
        rels.append(_rels("REQUIRES", "Product", "Product", src=["z"], dst=["x"], quantity=[requires_x]))
    return GraphData(
        [
            _nodes("Firm", id=["A", "B", "C"], name=["A", "B", "C"]),
            _nodes("Product", id=["x", "y", "z"], name_en=["X", "Y", "Z"]),
        ],
        rels,
    )


def test_baseline_follows_the_scarcest_input() -> None:
    cn = chain_network(ChainGraph.from_data(two_suppliers()))
    nodes = cn.nodes.set_index("id")
    # C makes min(1/1, 2/1) = 1 per week; it is the only finished node
    assert nodes.loc["C", "baseline_output"] == pytest.approx(1.0)
    assert nodes["finished"].tolist() == [False, False, True]
    assert nodes.loc["C", "inventory"] == pytest.approx(2.0)  # 2 weeks of cover
    assert nodes.loc["A", "capacity"] == pytest.approx(1.0 / 0.85)
    assert set(nodes["capacity_source"]) == {"derived"}


def test_bill_of_materials_ratio_binds() -> None:
    cn = chain_network(ChainGraph.from_data(two_suppliers(requires_x=2.0)))
    # two units of x per z: C makes min(1/2, 2/1) = 0.5 per week
    assert cn.nodes.set_index("id").loc["C", "baseline_output"] == pytest.approx(0.5)
    row = [i for i, name in enumerate(cn.network.bom_input) if name == "product:x"]
    assert cn.network.bom_ratio[row].tolist() == [2.0]


def test_disruption_numbers_by_hand() -> None:
    cn = chain_network(ChainGraph.from_data(two_suppliers()))
    solver = DisruptionSolver(cn.network)
    a = cn.index_of("A")
    # A holds 2 weeks of x (2 units) and C 2 weeks of z (2 units): with A down, C can
    # still make 2 z from A's stock and sell 2 from its own -> 4 weeks survive;
    # down 6 weeks: 6 demanded - 4 available = 2 lost
    assert solver.time_to_survive([a]) == pytest.approx(4.0)
    assert solver.loss([a], 4.0) == pytest.approx(0.0)
    assert solver.loss([a], 6.0) == pytest.approx(2.0)


def test_twin_capacity_replaces_the_survey_and_says_so() -> None:
    data = GraphData(
        [
            _nodes("Plant", id=["p"], name=["P"]),
            _nodes("Product", id=["steel"], name_en=["Steel"]),
        ],
        [_rels("PRODUCES", "Plant", "Product", src=["p", "p"], dst=["steel", "steel"], process=["BOF", "EAF"], capacity=[520.0, 520.0])],
    )
    g = ChainGraph.from_data(data)
    surveyed = chain_network(g).nodes.set_index("id")
    assert surveyed.loc["p", "capacity"] == pytest.approx(20.0)  # (520 + 520) / 52
    twin = pd.DataFrame({"plant_id": ["p"], "capacity_p50": [12.0], "ttr_p50": [6.0]})
    backed = chain_network(g, twin_capacity=twin).nodes.set_index("id")
    assert backed.loc["p", "capacity"] == pytest.approx(12.0)
    assert (backed.loc["p", "capacity_source"], backed.loc["p", "ttr_source"]) == ("twin", "twin")
    assert backed.loc["p", "ttr"] == pytest.approx(6.0)


def test_bad_assumptions_are_refused() -> None:
    with pytest.raises(ValidationError, match="utilisation"):
        NetworkAssumptions(utilisation=1.5)
    with pytest.raises(ValidationError, match="no supply nodes"):
        chain_network(ChainGraph.from_data(GraphData([_nodes("Product", id=["x"], name_en=["X"])])))
    assert np.isfinite(NetworkAssumptions().default_ttr)


def test_unknown_volumes_are_pulled_by_the_customer_so_the_baseline_loses_nothing() -> None:
    """Plant P (capacity 520/yr = 10/wk, 85% used -> 8.5/wk) needs 1.6 ore per unit from
    two mines M1, M2 whose volumes are unknown: each ships 8.5 x 1.6 / 2 = 6.8 per week."""
    data = GraphData(
        [
            _nodes("Firm", id=["M1", "M2"], name=["M1", "M2"]),
            _nodes("Plant", id=["P"], name=["P"]),
            _nodes("Product", id=["ore", "steel"], name_en=["Ore", "Steel"]),
        ],
        [
            _rels("SUPPLIES", "Firm", "Plant", src=["M1", "M2"], dst=["P", "P"], product=["ore", "ore"]),
            _rels("PRODUCES", "Plant", "Product", src=["P"], dst=["steel"], capacity=[520.0]),
            _rels("REQUIRES", "Product", "Product", src=["steel"], dst=["ore"], quantity=[1.6]),
        ],
    )
    cn = chain_network(ChainGraph.from_data(data))
    nodes = cn.nodes.set_index("id")
    assert nodes.loc["P", "baseline_output"] == pytest.approx(8.5)
    assert nodes.loc["M1", "baseline_output"] == pytest.approx(6.8)
    assert nodes.loc["M2", "capacity"] == pytest.approx(6.8 / 0.85)
    solver = DisruptionSolver(cn.network)
    assert solver.loss([], 10.0) == pytest.approx(0.0, abs=1e-6)
    # M1 down 10 weeks: ore = M2 at capacity 8/wk x 10 = 80, plus both mines' stock
    # 2 x 13.6 = 27.2 -> 107.2 ore -> 67 steel; with P's stock of 17 that is 84 of the 85
    # demanded: 1 unit lost
    assert solver.loss([cn.index_of("M1")], 10.0) == pytest.approx(1.0)
