"""The embedded write path's fast steps keep the values of the cell-by-cell ones."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chain_brain.store.embedded import EmbeddedStore
from graph_schema.errors import ValidationError
from graph_schema.frames import GraphData, NodeFrame, RelFrame, validate_nodes, with_provenance

_NAMES = ["  Alpha\u3000", "\tBeta\x1c", "   ", None, "Gamma"]


@pytest.mark.parametrize("dtype", ["str", object], ids=["arrow", "object"])
def test_text_properties_are_stripped_like_str_strip(dtype: object) -> None:
    frame = pd.DataFrame(
        {"id": ["a", "b", "c", "d", "e"], "name_en": pd.Series(_NAMES, dtype=dtype)}
    )
    out = validate_nodes(NodeFrame("Chain", with_provenance(frame, source="t"))).frame.data
    rejected = {"c", "d"}  # name_en is required: blank and missing rows are rejects
    assert out["name_en"].dtype == "str"  # kept in Arrow memory, as pandas reads text
    assert out["name_en"].tolist() == [
        v.strip() for i, v in zip("abcde", _NAMES, strict=True) if i not in rejected and v
    ]


def test_mixed_object_column_is_stripped_cell_by_cell() -> None:
    frame = pd.DataFrame({"id": ["a", "b"], "name_en": pd.Series([" x ", 7], dtype=object)})
    out = validate_nodes(NodeFrame("Chain", with_provenance(frame, source="t"))).frame.data
    assert out["name_en"].tolist() == ["x", "7"]


def _firms(ids: list[str]) -> NodeFrame:
    frame = pd.DataFrame({"id": ids, "name": [f"name {i}" for i in ids]})
    return NodeFrame("Firm", with_provenance(frame, source="t"))


def _owns(src: list[str], dst: list[str]) -> RelFrame:
    frame = pd.DataFrame({"src": src, "dst": dst})
    return RelFrame("OWNS", "Firm", "Firm", with_provenance(frame, source="t"))


def test_endpoints_found_in_the_write_or_the_store(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.db") as store:
        store.write(GraphData([_firms(["A", "B"])], [_owns(["A"], ["B"])]))
        # C is in this write, A in the store
        store.write(GraphData([_firms(["C"])], [_owns(["C"], ["A"])]))
        with pytest.raises(ValidationError, match=r"2 unknown Firm id\(s\) at dst: '[XY]', '[XY]'"):
            store.write(GraphData([_firms(["D"])], [_owns(["D", "D", "A"], ["X", "A", "Y"])]))
        assert store.counts()["OWNS"] == 2
        assert store.existing_ids("Firm", ["A", "B", "C", "D"]) == {"A", "B", "C"}


def test_first_write_names_unknown_endpoints(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.db") as store:
        with pytest.raises(ValidationError, match=r"1 unknown Firm id\(s\) at src: 'Z'"):
            store.write(GraphData([_firms(["A"])], [_owns(["Z"], ["A"])]))
        assert store.counts()["Firm"] == 0
