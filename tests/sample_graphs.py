"""Small hand-made graphs with known answers, shared by the store, service and API tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graph_schema.frames import GraphData, NodeFrame, RelFrame, with_provenance

T0 = "2026-01-01T00:00:00Z"


def _nodes(label: str, source: str = "test", snapshot: str = "s1", **cols: list) -> NodeFrame:
    return NodeFrame(
        label, with_provenance(pd.DataFrame(cols), source=source, snapshot=snapshot, loaded_at=T0)
    )


def _rels(kind: str, a: str, b: str, source: str = "test", snapshot: str = "s1", **cols: list) -> RelFrame:
    return RelFrame(
        kind, a, b, with_provenance(pd.DataFrame(cols), source=source, snapshot=snapshot, loaded_at=T0)
    )


def small_chain() -> GraphData:
    """ore -> mill -> maker -> lead, plus a plant of the mill and products."""
    return GraphData(
        [
            _nodes(
                "Firm",
                id=["ore", "mill", "maker", "lead"],
                name=["矿业有限公司", "Mill Co.", "Maker", "Lead Group"],
                country=["AUS", "CHN", "CHN", "CHN"],
                region=[None, "CN-HE", "CN-JS", "CN-SH"],
                aliases=[["Ore Ltd"], None, None, ["链长"]],
            ),
            _nodes("Plant", id=["mill-p1"], name=["Mill plant 1"], lat=[38.0], lon=[114.5], country=["CHN"]),
            _nodes("Product", id=["iron-ore", "steel"], name_en=["Iron ore", "Steel"], hs_code=["2601", "7206"]),
            _nodes("Region", id=["CN-HE", "CN-JS", "CN-SH"], name=["河北", "江苏", "上海"], country=["CHN"] * 3),
            _nodes("Country", id=["CHN", "AUS"], name_en=["China", "Australia"]),
            _nodes("Chain", id=["steel"], name_en=["Steel"]),
            _nodes(
                "ChainSegment",
                id=["steel-up", "steel-mid"],
                chain=["steel", "steel"],
                name_en=["Raw materials", "Steel making"],
                position=["upstream", "midstream"],
                order=[0, 1],
            ),
        ],
        [
            _rels("SUPPLIES", "Firm", "Firm", src=["ore", "mill", "maker"], dst=["mill", "maker", "lead"],
                  product=["iron-ore", "steel", "steel"], volume=[100.0, 60.0, 50.0],
                  valid_from=["2015-01-01", "2015-01-01", "2020-01-01"], valid_to=[None, "2019-01-01", None]),
            _rels("OPERATES", "Firm", "Plant", src=["mill"], dst=["mill-p1"], share=[1.0]),
            _rels("PRODUCES", "Plant", "Product", src=["mill-p1"], dst=["steel"], process=["BOF"], capacity=[80.0]),
            _rels("REQUIRES", "Product", "Product", src=["steel"], dst=["iron-ore"], quantity=[1.6]),
            _rels("LOCATED_IN", "Firm", "Region", src=["mill", "maker", "lead"], dst=["CN-HE", "CN-JS", "CN-SH"]),
            _rels("LOCATED_IN", "Firm", "Country", src=["ore"], dst=["AUS"]),
            _rels("PART_OF", "Region", "Country", src=["CN-HE", "CN-JS", "CN-SH"], dst=["CHN"] * 3),
            _rels("PART_OF", "ChainSegment", "Chain", src=["steel-up", "steel-mid"], dst=["steel", "steel"]),
            _rels("IN_SEGMENT", "Product", "ChainSegment", src=["iron-ore", "steel"], dst=["steel-up", "steel-mid"]),
        ],
    )


#: A supplier survey mapped onto Firm and SUPPLIES (ids "f:<id>"), for load tests.
SURVEY_MAPPING = """
source: supplier survey
nodes:
  - label: Firm
    id: "f:{supplier_id}"
    properties: {name: supplier}
  - label: Firm
    id: "f:{customer_id}"
    properties: {name: customer}
relationships:
  - type: SUPPLIES
    from: {label: Firm, id: "f:{supplier_id}"}
    to: {label: Firm, id: "f:{customer_id}"}
    properties:
      product: product
      valid_from: since
"""
SURVEY_HEADER = "supplier_id,supplier,customer_id,customer,product,since\n"


def survey(tmp_path: Path, name: str, rows: list[str]) -> tuple[Path, Path]:
    """Write survey ``rows`` (CSV lines under :data:`SURVEY_HEADER`) and the mapping."""
    path = tmp_path / name
    path.write_text(SURVEY_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    mapping = tmp_path / "survey.yaml"
    mapping.write_text(SURVEY_MAPPING, encoding="utf-8")
    return path, mapping
