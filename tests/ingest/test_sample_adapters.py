"""GEM steel plants and Apple suppliers through their adapters (bundled copies), and the sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graph_schema.model import NodeLabel, RelType
from ingest.apple import APPLE_ID, load_apple_suppliers, read_apple_suppliers, supplier_periods
from ingest.gem import _split_shares, load_gem_steel
from ingest.result import IngestResult, write_rejects
from ingest.sample import load_sample, sample_path
from ingest.steel import crude_steel_bom


@pytest.fixture(scope="module")
def gem() -> IngestResult:
    return load_gem_steel(sample_path("gem-steel"))


@pytest.fixture(scope="module")
def apple() -> IngestResult:
    return load_apple_suppliers(sample_path("apple-suppliers"))


def test_parent_share_lists_pair_names_with_gem_ids() -> None:
    got = _split_shares(
        "Industries Qatar QPSC [49.0%]; unknown [5.0%]; Groupe Industriel Sider SpA",
        "E100000000840 [49.0%]; E100000132388 [5.0%]; E100001000960",
    )
    assert got == [
        ("gem:E100000000840", "Industries Qatar QPSC", 0.49),
        ("gem:E100000132388", "unknown", 0.05),
        ("gem:E100001000960", "Groupe Industriel Sider SpA", None),
    ]
    assert _split_shares("A [50%]; B [50%]", "E1 [50%]") is None


def test_gem_counts(gem: IngestResult) -> None:
    report = gem.report
    assert report.rows_read == 868
    assert report.entities["Plant"].read == 868
    # the three oldest ironworks (1739, 1757, 1771) load too: the minimum is 1600
    assert (gem.rejects["entity"] == "Plant").sum() == 0
    plants = gem.graph.node_table(NodeLabel.PLANT)
    assert len(plants) == 868
    assert sorted(plants["start_year"].dropna().astype(int))[:3] == [1739, 1757, 1771]
    assert len(gem.graph.node_table(NodeLabel.COUNTRY)) == 80


def test_gem_first_plant_is_mapped(gem: IngestResult) -> None:
    plants = gem.graph.node_table(NodeLabel.PLANT).set_index("id")
    p = plants.loc["gem:P100000120439"]
    assert p["name_en"] == "Algerian Qatari Steel Jijel plant"
    assert p["country"] == "DZA"
    assert p["lat"] == pytest.approx(36.753961) and p["lon"] == pytest.approx(6.24442)
    assert p["start_year"] == 2017
    produces = pd.concat([f.data for f in gem.graph.rel_frames(RelType.PRODUCES)])
    mine = produces[produces["src"] == "gem:P100000120439"].set_index(["dst", "process"])
    assert mine.loc[("steel:crude-steel", "EAF"), "capacity"] == 2200.0
    assert mine.loc[("steel:dri", "DRI"), "capacity"] == 2500.0
    # the crude-steel total is not repeated when the split exists
    assert ("steel:crude-steel", "unspecified") not in mine.index
    owns = pd.concat([f.data for f in gem.graph.rel_frames(RelType.OWNS)])
    qatar = owns[(owns["src"] == "gem:E100000000840") & (owns["dst"] == "gem:E100001000957")]
    assert qatar["share"].tolist() == [0.49]


def test_gem_total_capacity_matches_the_source(gem: IngestResult) -> None:
    raw = pd.read_csv(sample_path("gem-steel"), dtype=str)
    col = pd.to_numeric(raw["Nominal BOF steel capacity (ttpa)"], errors="coerce")
    kept = ~raw["Plant ID"].isin(["P100000120798", "P100000120831", "P100000120815"])
    produces = pd.concat([f.data for f in gem.graph.rel_frames(RelType.PRODUCES)])
    bof = produces[produces["process"] == "BOF"]["capacity"].sum()
    assert bof == pytest.approx(col[kept].sum())


def test_steel_bom_is_route_weighted() -> None:
    bom = crude_steel_bom()
    assert bom["steel:pig-iron"] == pytest.approx(0.71 * 0.9)
    assert bom["steel:scrap"] == pytest.approx(0.71 * 0.2 + 0.29 * 0.85)
    assert bom["steel:dri"] == pytest.approx(0.29 * 0.25)


def test_apple_counts(apple: IngestResult) -> None:
    raw = read_apple_suppliers(sample_path("apple-suppliers"))
    assert len(raw) == 7558
    assert raw["supplier_name"].nunique() == 954
    assert sorted(raw["year"].unique().astype(int)) == [*range(2012, 2019), 2020, 2021, 2022]
    firms = apple.graph.node_table(NodeLabel.FIRM)
    assert len(firms) == 694  # 693 distinct name slugs + Apple
    assert len(apple.rejects) == 0
    assert len(apple.graph.node_table(NodeLabel.COUNTRY)) == 39


def test_supplier_periods_treat_2018_and_2020_as_consecutive() -> None:
    years = [2012, 2013, 2014, 2015, 2016, 2017, 2018, 2020, 2021, 2022]
    rows = pd.DataFrame(
        {"id": ["a", "a", "a", "b", "b", "c"], "year": [2012, 2013, 2016, 2018, 2020, 2022]}
    )
    runs = supplier_periods(rows, years).set_index(["id", "first"])
    assert runs.loc[("a", 2012), "last"] == 2013 and runs.loc[("a", 2012), "retired"]
    assert runs.loc[("a", 2016), "last"] == 2016
    assert runs.loc[("b", 2018), "last"] == 2020 and runs.loc[("b", 2018), "retired"]
    assert not runs.loc[("c", 2022), "retired"]


def test_apple_supplies_valid_periods(apple: IngestResult) -> None:
    sup = apple.graph.rel_frames(RelType.SUPPLIES)[0].data
    assert set(sup["dst"]) == {APPLE_ID}
    m3 = sup[sup["src"] == "apple:3m"].set_index("valid_from")
    assert m3.loc["2013-01-01", "valid_to"] == "2013-12-31"
    assert pd.isna(m3.loc["2021-01-01", "valid_to"])  # still on the 2022 list
    three_m = sup[sup["src"] == "apple:3m-company"].sort_values("valid_from")
    assert three_m["valid_from"].tolist() == ["2012-01-01", "2016-01-01"]
    assert three_m["valid_to"].tolist() == ["2012-12-31", "2020-12-31"]


def test_load_sample_counts_and_rejects_file(tmp_path: Path) -> None:
    result = load_sample()
    counts = result.graph.counts()
    assert counts["Plant"] == 868
    assert counts["Firm"] == 1412 + 694
    assert result.report.rows_read == 868 + 7558
    assert len(result.rejects) == 0  # the real sample loads whole
    out = write_rejects(result.rejects, tmp_path / "rejects.csv")
    back = pd.read_csv(out)
    assert list(back.columns) == ["source", "line", "entity", "id", "column", "value", "reason"]
    assert not result.report.exceeds(0.0)


class _Counter:
    def __init__(self) -> None:
        self.n = 0.0

    def update(self, n: float | None = 1) -> None:
        self.n += n or 0


def test_progress_advances_by_the_rows_read() -> None:
    counter = _Counter()
    load_apple_suppliers(sample_path("apple-suppliers"), progress=counter)
    assert counter.n == 7558
