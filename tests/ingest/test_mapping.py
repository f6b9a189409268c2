"""YAML column mappings: validation of the YAML, round trip, and user files through ingest_file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graph_schema.model import NodeLabel, RelType
from ingest.errors import MappingError, MissingColumnError
from ingest.mapping import dump_mapping, load_mapping, parse_mapping
from ingest.run import ingest_file
from ingest.sample import sample_path

MAPPINGS = Path(__file__).resolve().parents[2] / "ingest" / "mappings"

FIRMS = """统一社会信用代码,企业名称,英文名称,是否国企,省份,曾用名
91310000631696382C,宝山钢铁股份有限公司,Baoshan Iron & Steel,是,上海,宝钢股份;宝钢
91130000MA07W9XL1T,河钢集团有限公司,HBIS Group,是,河北,
91320500,沙钢集团,Shagang,否,江苏,
91320500,沙钢集团(重复),Shagang,否,江苏,
"""

EDGES = """supplier_id,supplier_name,customer_id,products,volume_t,lead_time_days,since
S1,Rio Tinto,C1,iron ore;pellets,"1,200,000",30,2021/3/5
S2,BHP,C1,iron ore,-5,25,44197
S3,Vale,C9,iron ore,500,40,2020-01-01
C1,Baosteel,C0,rebar,"3,000",7,5-Mar-21
C0,Builder,C1,,,,
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_shipped_mappings_load() -> None:
    names = sorted(p.name for p in MAPPINGS.glob("*.yaml"))
    assert names == ["firms_zh.yaml", "gem_plants.yaml", "supply_edges.yaml"]
    for p in MAPPINGS.glob("*.yaml"):
        assert load_mapping(p).source


def test_round_trip(tmp_path: Path) -> None:
    for p in MAPPINGS.glob("*.yaml"):
        m = load_mapping(p)
        out = tmp_path / p.name
        dump_mapping(m, out)
        assert load_mapping(out) == m


@pytest.mark.parametrize(
    ("doc", "pattern"),
    [
        (
            {"source": "x", "nodes": [{"label": "Factory", "id": "{a}"}]},
            r"nodes\.0\.label.*Factory",
        ),
        (
            {"source": "x", "nodes": [{"label": "Firm", "id": "{a}", "properties": {"size": "a"}}]},
            r"unknown property 'size' of label Firm",
        ),
        (
            {
                "source": "x",
                "relationships": [
                    {
                        "type": "SUPPLIES",
                        "from": {"label": "Product", "id": "{a}"},
                        "to": {"label": "Firm", "id": "{b}"},
                    }
                ],
            },
            r"SUPPLIES cannot start at Product",
        ),
        (
            {
                "source": "x",
                "nodes": [
                    {
                        "label": "Firm",
                        "id": "{a}",
                        "properties": {"ownership": {"column": "o", "map": {"Yes": "state"}}},
                    }
                ],
            },
            r"yields \['state'\]",
        ),
        ({"source": "x", "nodes": [{"label": "Firm", "id": "{a}", "colour": 1}]}, r"colour"),
        (
            {
                "source": "x",
                "nodes": [
                    {
                        "label": "Firm",
                        "id": "{a}",
                        "properties": {"name": {"column": "n", "value": "v"}},
                    }
                ],
            },
            r"exactly one of column, template or value",
        ),
        ({"source": "x"}, r"at least one entry"),
    ],
)
def test_invalid_mappings_are_refused_with_the_entry_named(doc: dict, pattern: str) -> None:
    with pytest.raises(MappingError, match=pattern):
        parse_mapping(doc, origin="bad.yaml")


def test_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    p = write(tmp_path, "broken.yaml", "source: [unclosed\n")
    with pytest.raises(MappingError, match=r"broken\.yaml is not valid YAML"):
        load_mapping(p)


def test_missing_column_in_the_file_names_the_column(tmp_path: Path) -> None:
    p = write(tmp_path, "firms.csv", FIRMS.replace("英文名称", "English"))
    with pytest.raises(MissingColumnError, match=r"'英文名称'.*properties\.name_en"):
        ingest_file(p, MAPPINGS / "firms_zh.yaml")


def test_gb18030_firm_table_through_the_mapping(tmp_path: Path) -> None:
    p = write(tmp_path, "firms.csv", FIRMS, encoding="gb18030")
    result = ingest_file(p, MAPPINGS / "firms_zh.yaml")
    firms = result.graph.node_table(NodeLabel.FIRM).set_index("id")
    bao = firms.loc["uscc:91310000631696382C"]
    assert bao["name"] == "宝山钢铁股份有限公司"
    assert bao["ownership"] == "SOE"
    assert bao["aliases"] == ["宝钢股份", "宝钢"]
    assert bao["region"] == "region:CHN:上海"
    assert bao["source"] == "企业名录 (firm register example)" and bao["confidence"] == 0.9
    # duplicate id with conflicting names: both rows rejected, with their lines
    dup = result.rejects[result.rejects["reason"] == "duplicate_conflict"]
    assert sorted(dup["line"].astype(int)) == [4, 5]
    assert "uscc:91320500" not in firms.index
    assert result.report.entities["Firm"].rejected == 2
    assert result.report.entities["Firm"].loaded == 2


def test_supply_edges_quirks(tmp_path: Path) -> None:
    p = write(tmp_path, "edges.csv", EDGES)
    result = ingest_file(p, MAPPINGS / "supply_edges.yaml")
    sup = result.graph.rel_frames(RelType.SUPPLIES)[0].data.set_index(["src", "dst", "key"])
    rio = sup.loc[("firm:S1", "firm:C1", "product:iron ore")]
    assert rio["volume"] == 1_200_000.0  # thousands separators
    assert rio["valid_from"] == "2021-03-05"
    assert ("firm:S1", "firm:C1", "product:pellets") in sup.index  # exploded cell
    assert sup.loc[("firm:C1", "firm:C0", "product:rebar"), "valid_from"] == "2021-03-05"
    rej = result.rejects.set_index("reason")
    # negative volume rejected with its line number
    neg = rej.loc["below_minimum"]
    assert neg["line"] == 3 and neg["column"] == "volume" and neg["value"] == "-5.0"
    # a relationship to a firm that is not in the file is rejected
    unknown = rej.loc["unknown_Firm"]
    assert unknown["id"] == "firm:S3->firm:C9" and unknown["column"] == "dst"
    # the row without products gives an edge without a product key (kept)
    assert ("firm:C0", "firm:C1", "") in sup.index
    assert len(sup) == 4


def test_endpoint_check_can_be_left_to_the_store(tmp_path: Path) -> None:
    p = write(tmp_path, "edges.csv", EDGES)
    result = ingest_file(p, MAPPINGS / "supply_edges.yaml", check_endpoints=False)
    sup = result.graph.rel_frames(RelType.SUPPLIES)[0].data
    assert ((sup["src"] == "firm:S3") & (sup["dst"] == "firm:C9")).sum() == 1


def test_big_csv_is_streamed_in_chunks_with_the_same_result(tmp_path: Path) -> None:
    p = write(tmp_path, "edges.csv", EDGES)
    whole = ingest_file(p, MAPPINGS / "supply_edges.yaml")
    streamed = ingest_file(p, MAPPINGS / "supply_edges.yaml", max_bytes=10, chunksize=2)
    assert streamed.report.table().equals(whole.report.table())
    pd.testing.assert_frame_equal(
        streamed.rejects.drop(columns=["source"]), whole.rejects.drop(columns=["source"])
    )


def test_gem_plants_mapping_on_the_real_file() -> None:
    result = ingest_file(sample_path("gem-steel"), MAPPINGS / "gem_plants.yaml")
    counts = result.report.entities
    assert counts["Plant"].read == 868 and counts["Plant"].loaded == 868
    assert counts["Firm"].loaded == 731  # distinct owner GEM ids, as GEM's own count
    assert counts["Product"].loaded == 1 and counts["Product"].merged == 867
    # GEM writes ">0" for a positive capacity of unknown size: rejected as not a number
    rej = result.rejects
    assert rej[["column", "value", "reason"]].values.tolist() == [
        ["capacity", ">0", "not_a_number"]
    ]
