"""Chain list and chain map on both stores, with counts worked out from the small chain."""

from __future__ import annotations

import math

import pytest

from chain_brain.services.chains import chain_map, list_chains
from chain_brain.store import GraphStore
from graph_schema.errors import NotFoundError
from sample_graphs import small_chain


def test_list_chains(store: GraphStore) -> None:
    store.write(small_chain())
    [chain] = list_chains(store)
    assert chain.id == "steel" and chain.segments == 2


def test_chain_map_counts_segment_members(store: GraphStore) -> None:
    store.write(small_chain())
    cmap = chain_map(store, "steel")
    seg = cmap.segments.set_index("id")
    assert list(cmap.segments["id"]) == ["steel-up", "steel-mid"]  # upstream first
    # iron-ore is shipped by 'ore' (SUPPLIES) -> upstream has 1 product, 1 firm, no plant
    assert seg.loc["steel-up", ["products", "firms", "plants"]].tolist() == [1, 1, 0]
    # steel is made by plant mill-p1 operated by 'mill'; 'mill' and 'maker' ship steel
    assert seg.loc["steel-mid", ["products", "plants"]].tolist() == [1, 1]
    assert seg.loc["steel-mid", "firms"] == 2
    assert seg.loc["steel-mid", "capacity"] == pytest.approx(80.0)
    assert math.isnan(seg.loc["steel-up", "capacity"])
    flows = cmap.flows.set_index(["from_segment", "to_segment"])
    # ore -> mill carries iron-ore (upstream) to a steel-mid member: one edge of volume 100
    assert flows.loc[("steel-up", "steel-mid"), "edges"] == 1
    assert flows.loc[("steel-up", "steel-mid"), "volume"] == pytest.approx(100.0)


def test_unknown_chain_is_not_found(store: GraphStore) -> None:
    store.write(small_chain())
    with pytest.raises(NotFoundError, match="no-such-chain"):
        chain_map(store, "no-such-chain")
