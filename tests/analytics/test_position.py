"""Upstreamness / downstreamness by hand, and BEA total requirements against BEA's table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from chain_brain.analytics.position import (
    bea_industry_positions,
    bea_total_requirements,
    compare_total_requirements,
    downstreamness,
    place_by_terciles,
    product_positions,
    read_bea_published_ixc_tr,
    read_bea_summary,
    upstreamness,
)
from chain_brain.graph.chaingraph import ChainGraph
from chain_brain.graph.samples import toy_chain


def test_upstreamness_by_hand_and_fixed_point() -> None:
    # a (Y=50) sells 0.5 per unit of b (Y=100): half of a goes to b, ... a chain of 3
    a = np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 0.2], [0.0, 0.0, 0.0]])
    y = np.array([50.0, 100.0, 200.0])
    u = upstreamness(a, y)
    # U_c = 1; U_b = 1 + 0.2*200/100 * 1 = 1.4; U_a = 1 + 0.5*100/50 * 1.4 = 2.4
    assert u == pytest.approx([2.4, 1.4, 1.0])
    delta = a * y[None, :] / y[:, None]
    assert np.allclose(u, 1 + delta @ u)
    assert upstreamness(sp.csr_matrix(a), y) == pytest.approx(u)


def test_downstreamness_is_leontief_column_sums() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 0.1, (6, 6))
    expected = np.linalg.inv(np.eye(6) - a).sum(axis=0)
    assert downstreamness(a) == pytest.approx(expected)
    assert downstreamness(sp.csr_matrix(a)) == pytest.approx(expected)


def test_terciles() -> None:
    u = np.array([1.0, 1.1, 1.5, 2.0, 2.5, 3.0])
    assert place_by_terciles(u).tolist() == [
        "downstream",
        "downstream",
        "midstream",
        "midstream",
        "upstream",
        "upstream",
    ]


def test_product_positions_toy() -> None:
    t = product_positions(ChainGraph.from_data(toy_chain())).set_index("product_id")
    # car: final (U=1); steel: 1 + 1.0*100/120; ore: 1 + 1.5*120/150 * U_steel
    assert t.loc["car", "upstreamness"] == pytest.approx(1.0)
    assert t.loc["steel", "upstreamness"] == pytest.approx(1 + 100 / 120)
    assert t.loc["ore", "upstreamness"] == pytest.approx(1 + 1.2 * (1 + 100 / 120))
    assert t.loc["ore", "position"] == "upstream" and t.loc["car", "position"] == "downstream"
    # a car draws 1 steel + 4 chips + 1.5 ore directly and indirectly, plus itself
    assert t.loc["car", "downstreamness"] == pytest.approx(1 + 1 + 4 + 1.5)


def test_bea_total_requirements_against_published_table() -> None:
    tables = read_bea_summary()
    assert tables.make.shape == (71, 73) and tables.use.shape == (73, 71)
    check = compare_total_requirements(bea_total_requirements(tables), read_bea_published_ixc_tr())
    assert check.abs_diff.shape == (71, 73)
    # documented residual: different vintages of 2015 (see compare_total_requirements)
    assert check.median_abs_diff < 1.5e-3
    assert 0.3 < check.max_abs_diff < 0.4
    assert check.worst == ("315AL", "315AL")
    assert (check.abs_diff.to_numpy() < 0.01).mean() > 0.9


def test_bundled_table_equals_bea_workbook(shared_data: Path) -> None:
    xlsx = shared_data / "bea_io" / "IxC_TR_1997-2015_Summary.xlsx"
    assert xlsx.is_file(), f"{xlsx} is missing from the shared data folder"
    from_xlsx = read_bea_published_ixc_tr(xlsx, year=2015)
    bundled = read_bea_published_ixc_tr()
    assert from_xlsx.shape == bundled.shape
    assert np.allclose(from_xlsx.loc[bundled.index, bundled.columns].to_numpy(), bundled.to_numpy())


def test_bea_industry_positions() -> None:
    t = bea_industry_positions(read_bea_summary()).set_index("industry")
    assert len(t) == 71
    assert (t["upstreamness"] >= 1).all()
    for code in ("211", "212", "331"):  # oil and gas, mining, primary metals
        assert t.loc[code, "position"] == "upstream"
    for code in ("HS", "622", "GFGD"):  # housing, hospitals, federal defence
        assert t.loc[code, "position"] == "downstream"
    counts = t["position"].value_counts()
    assert set(counts.index) == {"upstream", "midstream", "downstream"}
    assert counts.min() >= 23 and counts.max() <= 24
