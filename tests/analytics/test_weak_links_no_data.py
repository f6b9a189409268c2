"""A segment nothing is known about is reported as a data gap, not as a weak link."""

from __future__ import annotations

from chain_brain.analytics.weak_links import find_weak_links
from chain_brain.graph.chaingraph import ChainGraph
from sample_graphs import _nodes, _rels, small_chain


def test_empty_segment_is_no_data_not_a_weak_link() -> None:
    data = small_chain()
    data.nodes.append(
        _nodes("ChainSegment", id=["steel-end"], chain=["steel"], name_en=["End use"], position=["downstream"], order=[2])
    )
    data.rels.append(_rels("PART_OF", "ChainSegment", "Chain", src=["steel-end"], dst=["steel"]))
    table = find_weak_links(ChainGraph.from_data(data)).set_index("segment_id")
    assert bool(table.loc["steel-end", "no_data"])
    assert not bool(table.loc["steel-end", "is_weak_link"])
    assert "cannot be judged" in table.loc["steel-end", "reason"]
    assert not bool(table.loc["steel-up", "no_data"])  # iron ore has a supplier
