"""Tests of the synthetic industry-chain graph: sizes, validity, determinism and shape."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData, validate_graph
from graph_schema.model import NodeLabel, RelType
from ingest.synthetic import FULL_SIZES, generate, scale

SIZES = dict(
    n_firms=2_000,
    n_edges=16_000,
    n_industries=50,
    n_chains=20,
    n_products=400,
    n_plants=3_100,
    n_regions=60,
)


@pytest.fixture(scope="module")
def graph() -> GraphData:
    return generate(**SIZES, seed=7)


def _rels(g: GraphData, rel_type: RelType) -> pd.DataFrame:
    frames = [f.data for f in g.rel_frames(rel_type)]
    return pd.concat(frames, ignore_index=True)


def _product_depth(g: GraphData) -> dict[str, int]:
    """Longest REQUIRES path below each product (networkx oracle)."""
    bom = nx.DiGraph()
    bom.add_nodes_from(g.node_table(NodeLabel.PRODUCT)["id"])
    req = _rels(g, RelType.REQUIRES)
    bom.add_edges_from(zip(req["src"], req["dst"], strict=True))
    depth: dict[str, int] = {}
    for p in reversed(list(nx.topological_sort(bom))):  # inputs before outputs
        depth[p] = 1 + max((depth[q] for q in bom.successors(p)), default=-1)
    return depth


def _firm_products(g: GraphData) -> pd.DataFrame:
    """(firm, product) pairs: a firm makes what its plants produce."""
    op = _rels(g, RelType.OPERATES)[["src", "dst"]].rename(columns={"src": "firm", "dst": "plant"})
    pr = _rels(g, RelType.PRODUCES)[["src", "dst"]].rename(
        columns={"src": "plant", "dst": "product"}
    )
    return op.merge(pr, on="plant")[["firm", "product"]].drop_duplicates()


def test_counts_match_the_arguments(graph: GraphData) -> None:
    c = graph.counts()
    assert c["Firm"] == 2_000
    assert c["SUPPLIES"] == 16_000
    assert c["Industry"] == 50
    assert c["Chain"] == 20
    assert c["Product"] == 400
    assert c["Plant"] == 3_100
    assert c["Region"] == 60
    assert c["Country"] == 10
    segs = graph.node_table(NodeLabel.CHAIN_SEGMENT)
    per_chain = segs.groupby("chain").size()
    assert len(per_chain) == 20
    assert per_chain.between(3, 7).all()
    plants_per_firm = _rels(graph, RelType.OPERATES).groupby("src").size()
    assert len(plants_per_firm) == 2_000
    assert plants_per_firm.between(1, 3).all()


def test_scale_multiplies_the_full_sizes() -> None:
    c = scale(0.01).counts()
    assert c["Firm"] == FULL_SIZES.n_firms // 100 == 1_500
    assert c["SUPPLIES"] == FULL_SIZES.n_edges // 100 == 12_000
    with pytest.raises(ValidationError, match="factor"):
        scale(0.0)


def test_frames_pass_validation_with_zero_rejects(graph: GraphData) -> None:
    result = validate_graph(graph)
    assert len(result.rejects) == 0, result.rejects.head(10).to_string()
    assert result.merged == 0
    assert result.data.counts() == graph.counts()


def test_same_seed_same_graph_other_seed_other_graph(graph: GraphData) -> None:
    again = generate(**SIZES, seed=7)
    assert len(again.nodes) == len(graph.nodes) and len(again.rels) == len(graph.rels)
    for a, b in zip(graph, again, strict=True):
        pd.testing.assert_frame_equal(a.data, b.data)
    other = generate(**SIZES, seed=8)
    assert not _rels(other, RelType.SUPPLIES)[["src", "dst"]].equals(
        _rels(graph, RelType.SUPPLIES)[["src", "dst"]]
    )


def test_bill_of_materials_is_a_dag_with_four_tiers(graph: GraphData) -> None:
    req = _rels(graph, RelType.REQUIRES)
    bom = nx.DiGraph(list(zip(req["src"], req["dst"], strict=True)))
    assert nx.is_directed_acyclic_graph(bom)
    assert (req["quantity"] > 0).all()
    depth = _product_depth(graph)
    assert sorted(set(depth.values())) == [0, 1, 2, 3]
    # every raw material, component and subassembly is an input of something
    inputs = set(req["dst"])
    assert all(p in inputs for p, d in depth.items() if d < 3)


def test_supplies_go_up_the_tiers_and_follow_the_bom(graph: GraphData) -> None:
    depth = _product_depth(graph)
    made = _firm_products(graph)
    made["tier"] = made["product"].map(depth)
    tiers = made.groupby("firm")["tier"].agg(["min", "max"])
    assert (tiers["min"] == tiers["max"]).all()  # a firm works in one tier
    firm_tier = tiers["min"]
    sup = _rels(graph, RelType.SUPPLIES)
    src_t = sup["src"].map(firm_tier).to_numpy()
    dst_t = sup["dst"].map(firm_tier).to_numpy()
    assert (sup["product"].map(depth).to_numpy() == src_t).all()
    assert (src_t < dst_t).all()
    # the customer makes something that requires the shipped product
    req = _rels(graph, RelType.REQUIRES)[["src", "dst"]]
    needs = made.merge(req, left_on="product", right_on="src")[["firm", "dst"]]
    pairs = set(zip(needs["firm"], needs["dst"], strict=True))
    assert all(pair in pairs for pair in zip(sup["dst"], sup["product"], strict=True))
    # the supplier makes the product it ships
    makes = set(zip(made["firm"], made["product"], strict=True))
    assert all(pair in makes for pair in zip(sup["src"], sup["product"], strict=True))


def test_out_degree_is_heavy_tailed(graph: GraphData) -> None:
    out = _rels(graph, RelType.SUPPLIES).groupby("src").size().to_numpy()
    assert out.max() >= 20 * np.median(out)
    top = np.sort(out)[::-1][: max(1, len(out) // 100)]
    assert top.sum() >= 0.10 * out.sum()  # the top 1% of suppliers ship 10% of edges
    # discrete power-law MLE (Clauset, Shalizi & Newman 2009, eq. 3.7)
    xmin = 5
    tail = out[out >= xmin]
    alpha = 1 + len(tail) / np.log(tail / (xmin - 0.5)).sum()
    assert 1.9 <= alpha <= 2.7, alpha


def test_shares_sole_sources_and_chokepoints(graph: GraphData) -> None:
    sup = _rels(graph, RelType.SUPPLIES)
    totals = sup.groupby(["dst", "product"])["share"].sum()
    assert np.allclose(totals, 1.0, atol=1e-3)
    n_sources = sup.groupby(["dst", "product"])["src"].transform("size")
    assert (sup.loc[n_sources == 1, "share"] == 1.0).all()
    assert (n_sources == 1).mean() > 0.05
    makers = _rels(graph, RelType.PRODUCES).groupby("dst")["src"].nunique()
    assert len(makers) == 400  # every product has a maker
    assert 0.02 <= (makers <= 2).mean() <= 0.6
    assert makers.max() >= 10
    assert (sup["lead_time_days"] >= 0).all() and (sup["volume"] > 0).all()


def test_firms_plants_and_regions_are_consistent(graph: GraphData) -> None:
    firms = graph.node_table(NodeLabel.FIRM)
    share_cn = (firms["country"] == "CHN").mean()
    assert 0.75 <= share_cn <= 0.95
    assert firms.loc[firms["country"] != "CHN", "country"].nunique() >= 5
    cn = firms[firms["country"] == "CHN"]
    assert cn["name"].str.endswith("公司").all()
    regions = graph.node_table(NodeLabel.REGION).set_index("id")
    assert (regions.loc[firms["region"], "country"].to_numpy() == firms["country"]).all()
    plants = graph.node_table(NodeLabel.PLANT)
    assert plants["operator"].isin(firms["id"]).all()
    # a plant lies within a few degrees of its region's province or state
    part = _rels(graph, RelType.PART_OF)
    assert plants["lat"].between(-90, 90).all() and plants["lon"].between(-180, 180).all()
    assert len(part[part["dst"].isin(regions.index)]) == 60 - 52  # cities of provinces
    in_seg = _rels(graph, RelType.IN_SEGMENT)
    segments = set(graph.node_table(NodeLabel.CHAIN_SEGMENT)["id"])
    assert in_seg["dst"].isin(segments).all()
    positions = set(graph.node_table(NodeLabel.CHAIN_SEGMENT)["position"])
    assert positions == {"upstream", "midstream", "downstream"}


def test_taxonomy_tables_name_industries_and_products(tmp_path: Path) -> None:
    gbt = tmp_path / "gbt.csv"
    gbt.write_text(
        "level,section,division,group,class,name_zh\n"
        "1,C,,,,制造业\n"
        "4,A,01,011,0111,稻谷种植\n"
        "4,C,31,311,3110,炼铁\n"
        "4,C,31,312,3120,炼钢\n"
        "4,C,36,361,3611,汽柴油车整车制造\n",
        encoding="utf-8",
    )
    hs = tmp_path / "hs.csv"
    hs.write_text(
        "section,hscode,description,parent,level\n"
        "XV,72,Iron and steel,TOTAL,2\n"
        'XV,720110,"Pig iron; non-alloy, containing by weight 0.5% or less of phosphorus",7201,6\n'
        'VII,390110,"Polyethylene with a specific gravity of less than 0.94",3901,6\n'
        'XVI,840734,"Engines; spark-ignition reciprocating piston engines",8407,6\n'
        'XVII,870380,"Vehicles; with only electric motor for propulsion",8703,6\n',
        encoding="utf-8",
    )
    g = generate(
        n_firms=300, n_edges=1_500, n_industries=6, n_chains=4, seed=3, gbt_path=gbt, hs_path=hs
    )
    ind = g.node_table(NodeLabel.INDUSTRY)
    # manufacturing classes first, then the rest, then synthetic codes to reach the count
    assert ind["id"].tolist()[:4] == [
        "GBT4754:3110",
        "GBT4754:3120",
        "GBT4754:3611",
        "GBT4754:0111",
    ]
    assert ind["system"].tolist() == ["GB/T 4754-2017"] * 4 + ["synthetic"] * 2
    assert ind["name_zh"].iloc[0] == "炼铁"
    prod = g.node_table(NodeLabel.PRODUCT)
    assert set(prod["hs_code"]) == {"720110", "390110", "840734", "870380"}
    finished = _product_depth(g)
    tier3 = prod[prod["id"].map(finished) == 3]
    assert (tier3["hs_code"] == "870380").all()
    assert len(validate_graph(g).rejects) == 0
    with pytest.raises(ValidationError, match="nope.csv"):
        generate(n_firms=300, n_edges=1_500, gbt_path=tmp_path / "nope.csv")


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValidationError, match="n_plants"):
        generate(n_firms=100, n_edges=200, n_plants=50)
    with pytest.raises(ValidationError, match="n_regions"):
        generate(n_firms=100, n_edges=200, n_regions=3)
    with pytest.raises(ValidationError, match="distinct supply edges"):
        generate(n_firms=20, n_edges=100_000, n_products=10, n_chains=2, n_industries=3)
