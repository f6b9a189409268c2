"""Product chokepoints: hand-computed values on the toy chain, oracles for HHI, Leontief
requirements and BOM reach."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from chain_brain.analytics.chokepoints import (
    ChokepointParams,
    final_output_reach,
    find_chokepoints,
    hhi,
    leontief_requirements,
)
from chain_brain.graph.chaingraph import ChainGraph
from chain_brain.graph.samples import graph_data, toy_chain
from graph_schema.errors import ValidationError
from graph_schema.model import NodeLabel, RelType


@pytest.fixture(scope="module")
def table():
    return find_chokepoints(ChainGraph.from_data(toy_chain())).set_index("product_id")


def test_counts_and_concentration_by_hand(table) -> None:
    ore, steel, chip = table.loc["ore"], table.loc["steel"], table.loc["chip"]
    assert (ore["n_firms"], steel["n_firms"], chip["n_firms"]) == (2, 2, 1)
    assert steel["n_plants"] == 1
    # ore: M1 60, M2 90 -> 0.4^2 + 0.6^2
    assert ore["hhi_firm"] == pytest.approx(0.52)
    # steel: S1P 80, S2 40 -> (2/3)^2 + (1/3)^2; both in China, two regions
    assert steel["hhi_firm"] == pytest.approx(5 / 9)
    assert steel["hhi_country"] == pytest.approx(1.0)
    assert steel["hhi_region"] == pytest.approx(5 / 9)
    assert ore["import_share"] == pytest.approx(0.6)
    assert ore["import_hhi"] == pytest.approx(1.0)
    assert steel["import_share"] == 0.0
    assert chip["import_share"] == 1.0
    assert ore["top_firm_share"] == pytest.approx(0.6)


def test_bom_requirements_and_reach_by_hand(table) -> None:
    # one car: 1 steel (1.5 ore each) and 4 chips; final output 100 cars
    assert table.loc["car", "required"] == pytest.approx(100)
    assert table.loc["steel", "required"] == pytest.approx(100)
    assert table.loc["ore", "required"] == pytest.approx(150)
    assert table.loc["chip", "required"] == pytest.approx(400)
    assert (table["reach"] == 1.0).all()
    assert table.loc["ore", "output_at_risk_top_firm"] == pytest.approx(0.6)


def test_score_is_the_weighted_mean_of_its_columns(table) -> None:
    names = ["concentration", "imports", "substitution_gap", "reach", "few_suppliers"]
    num = sum(table[f"w_{k}"] * table[f"c_{k}"] for k in names)
    den = sum(table[f"w_{k}"] for k in names)
    assert np.allclose(table["score"], num / den)
    chip = table.loc["chip"]
    assert chip["flag_eu_strategic"] and chip["is_chokepoint"]
    assert table.loc["ore", "flag_eu_strategic"]  # 60% imported, one source country
    assert not table.loc["steel", "flag_import_dependent"]
    assert "EU strategic-dependency" in chip["reason"] and "HHI 1.00" in chip["reason"]


def test_substitutes_lower_the_score() -> None:
    data = toy_chain()
    data.rels.append(
        graph_data(
            {},
            [
                (
                    RelType.PRODUCES,
                    NodeLabel.FIRM,
                    NodeLabel.PRODUCT,
                    [{"src": "S2", "dst": "alu", "capacity": 300}],
                )
            ],
        ).rels[0]
    )
    t = find_chokepoints(ChainGraph.from_data(data)).set_index("product_id")
    # alu supply 300, similarity 0.8: 240 / 120 = 2.0 -> steel no longer low-substitution
    assert t.loc["steel", "substitute_supply"] == pytest.approx(240)
    assert t.loc["steel", "substitution_ratio"] == pytest.approx(2.0)
    assert not t.loc["steel", "flag_low_substitution"]
    assert t.loc["steel", "c_substitution_gap"] == 0.0


def test_thresholds_are_parameters() -> None:
    g = ChainGraph.from_data(toy_chain())
    strict = find_chokepoints(g, ChokepointParams(hhi_high=0.6, score_high=0.9)).set_index(
        "product_id"
    )
    assert not strict.loc["ore", "flag_concentrated"]  # 0.52 < 0.6
    assert (strict["thr_hhi_high"] == 0.6).all()
    with pytest.raises(ValidationError, match="hhi_high"):
        ChokepointParams(hhi_high=2.0)


def test_hhi_against_direct_formula() -> None:
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 5, 200)
    keys = rng.integers(0, 7, 200)
    w = rng.random(200)
    got = hhi(groups, keys, w, 6)
    for g in range(5):
        m = groups == g
        shares = np.array([w[m & (keys == k)].sum() for k in range(7)]) / w[m].sum()
        assert got[g] == pytest.approx((shares**2).sum())
    assert np.isnan(got[5])


def _random_bom(n: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for j in range(1, n):
        for i in rng.choice(j, size=min(j, rng.integers(1, 4)), replace=False):
            rows.append(i)
            cols.append(j)
    q = rng.uniform(0.1, 0.5, len(rows))
    return sp.csr_matrix((q, (rows, cols)), shape=(n, n))


def test_leontief_requirements_match_dense_inverse() -> None:
    a = _random_bom(40, 1)
    y = np.zeros(40)
    y[-5:] = [10, 20, 5, 1, 7]
    expected = np.linalg.inv(np.eye(40) - a.toarray()) @ y
    assert np.allclose(leontief_requirements(a, y), expected)


def test_reach_against_networkx_ancestors() -> None:
    a = _random_bom(60, 2)
    y = np.zeros(60)
    y[40:] = np.arange(1, 21)
    g = nx.DiGraph()
    g.add_nodes_from(range(60))
    coo = a.tocoo()
    g.add_edges_from(zip(coo.col.tolist(), coo.row.tolist(), strict=True))  # output -> input
    expected = (
        np.array(
            [
                sum(y[j] for j in range(60) if y[j] > 0 and (j == i or i in nx.descendants(g, j)))
                for i in range(60)
            ]
        )
        / y.sum()
    )
    assert np.allclose(final_output_reach(a, y), expected)
    # tiny chunks give the same answer
    assert np.allclose(final_output_reach(a, y, max_bytes=64), expected)


def test_unproductive_bom_is_rejected() -> None:
    a = sp.csr_matrix(np.array([[0.0, 2.0], [1.0, 0.0]]))  # 1 unit of each needs 2 of itself
    with pytest.raises(ValidationError, match="not productive"):
        leontief_requirements(a, np.array([1.0, 0.0]))
