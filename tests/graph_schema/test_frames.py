"""Validation of canonical frames: every failure becomes a reject row naming line, column, value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graph_schema.errors import ValidationError
from graph_schema.frames import (
    GraphData,
    NodeFrame,
    RelFrame,
    uniform_columns,
    validate_graph,
    validate_nodes,
    validate_rels,
    with_provenance,
)


def prov(df: pd.DataFrame) -> pd.DataFrame:
    return with_provenance(df, source="unit", snapshot="s", loaded_at="2026-01-01T00:00:00Z")


def test_good_rows_pass_and_are_typed() -> None:
    nf = NodeFrame(
        "Plant",
        prov(pd.DataFrame({"id": ["p1"], "name": ["P"], "lat": ["38.5"], "start_year": ["1999"]})),
    )
    v = validate_nodes(nf)
    assert len(v.rejects) == 0
    assert v.frame.data.loc[0, "lat"] == pytest.approx(38.5)
    assert int(v.frame.data.loc[0, "start_year"]) == 1999


def test_every_failure_is_a_reject_with_its_line() -> None:
    df = pd.DataFrame(
        {
            "id": ["a", "", "c", "d", "e"],
            "name": ["A", "B", None, "D", "E"],
            "lat": [1.0, 2.0, 3.0, 95.0, "north"],
            "status": ["operating"] * 5,
        }
    )
    v = validate_nodes(NodeFrame("Plant", prov(df)))
    got = {(int(r.line), r.column, r.reason) for r in v.rejects.itertuples()}
    assert got == {
        (2, "id", "missing_id"),
        (3, "name", "missing_required"),
        (4, "lat", "above_maximum"),
        (5, "lat", "not_a_number"),
    }
    assert list(v.frame.data["id"]) == ["a"]


def test_identical_duplicates_merge_conflicting_ones_are_rejected() -> None:
    df = pd.DataFrame({"id": ["x", "x", "y", "y"], "name": ["X", "X", "Y1", "Y2"]})
    v = validate_nodes(NodeFrame("Firm", prov(df)))
    assert v.merged == 1
    assert list(v.frame.data["id"]) == ["x"]
    assert set(v.rejects["reason"]) == {"duplicate_conflict"}
    assert sorted(v.rejects["line"].astype(int)) == [3, 4]


def test_choice_properties_refuse_unknown_values() -> None:
    df = pd.DataFrame({"id": ["f"], "name": ["F"], "ownership": ["state-ish"]})
    v = validate_nodes(NodeFrame("Firm", prov(df)))
    assert v.rejects.loc[0, "reason"] == "not_an_allowed_value"
    assert v.rejects.loc[0, "value"] == "state-ish"


def test_relationship_rules() -> None:
    df = pd.DataFrame(
        {
            "src": ["a", "a", None, "b"],
            "dst": ["b", "c", "c", "c"],
            "product": ["p", "p", "p", "p"],
            "share": [0.5, 1.5, 0.1, 0.2],
            "valid_from": ["2020-01-01", None, None, "2021-01-01"],
            "valid_to": [None, None, None, "2020-01-01"],
        }
    )
    v = validate_rels(RelFrame("SUPPLIES", "Firm", "Firm", prov(df)))
    reasons = {(int(r.line), r.reason) for r in v.rejects.itertuples()}
    assert reasons == {
        (2, "above_maximum"),
        (3, "missing_endpoint"),
        (4, "valid_to_before_valid_from"),
    }
    assert list(v.frame.data["key"]) == ["p"]  # the key comes from the product


def test_relationship_endpoint_labels_are_checked() -> None:
    with pytest.raises(ValidationError, match="OPERATES cannot start at Plant"):
        RelFrame("OPERATES", "Plant", "Firm", pd.DataFrame({"src": ["x"], "dst": ["y"]}))
    with pytest.raises(ValidationError, match="Unknown relationship type 'BUYS'"):
        RelFrame("BUYS", "Firm", "Firm", pd.DataFrame({"src": ["x"], "dst": ["y"]}))
    with pytest.raises(ValidationError, match="Unknown node label 'Company'"):
        NodeFrame("Company", pd.DataFrame({"id": ["x"]}))


def test_graph_validation_rejects_relationships_to_unknown_nodes() -> None:
    firms = NodeFrame("Firm", prov(pd.DataFrame({"id": ["a", "b"], "name": ["A", "B"]})))
    sup = RelFrame(
        "SUPPLIES", "Firm", "Firm", prov(pd.DataFrame({"src": ["a", "a"], "dst": ["b", "ghost"]}))
    )
    gv = validate_graph(GraphData([firms], [sup]))
    assert gv.data.n_rels == 1
    [row] = gv.rejects.itertuples()
    assert (row.column, row.value, row.reason) == ("dst", "ghost", "unknown_Firm")


def test_provenance_needs_a_source() -> None:
    with pytest.raises(ValidationError, match="source"):
        with_provenance(pd.DataFrame({"id": ["x"]}), source="")


def test_uniform_columns_are_the_ones_with_one_value_in_every_row() -> None:
    data = pd.DataFrame(
        {
            "source": ["s", "s", "s"],
            "unit": [None, None, None],
            "volume": [1.0, 2.0, 1.0],
            "share": [0.5, np.nan, 0.5],  # missing once: not one value
            "aliases": [["a"], ["a"], ["a"]],  # lists are left out
            "confidence": [0.9, 0.9, 0.9],
        }
    )
    got = uniform_columns(data, ["source", "unit", "volume", "share", "aliases", "confidence", "x"])
    assert got == {"source": "s", "unit": None, "confidence": 0.9}
    assert type(got["confidence"]) is float
    assert uniform_columns(data.head(1), ["source"]) == {}  # one row: nothing to share
