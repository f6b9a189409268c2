"""Adapters of the real datasets in ../shared/data with known counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graph_schema.model import NodeLabel, RelType
from ingest.bea import (
    industry_flows,
    read_bea_make,
    read_bea_total_requirements,
    read_bea_use,
)
from ingest.errors import UnknownDatasetError
from ingest.readers import read_csv
from ingest.run import DATASET_PATHS, ingest_dataset
from ingest.scms import edge_statistics


def test_scms_counts_and_edge_statistics(data_dir: Path) -> None:
    raw = read_csv(data_dir / DATASET_PATHS["scms"][0])  # CR line endings + BOM
    assert len(raw) == 10324
    assert raw.columns[0] == "ID"  # BOM stripped
    assert raw["_line"].iloc[-1] == 10325
    result = ingest_dataset("scms", data_dir)
    assert result.report.rows_read == 10324
    assert len(result.rejects) == 0
    assert len(result.graph.node_table(NodeLabel.PLANT)) == 88
    assert len(result.graph.node_table(NodeLabel.PRODUCT)) == 86
    assert len(result.graph.node_table(NodeLabel.COUNTRY)) == 43
    firms = result.graph.node_table(NodeLabel.FIRM)
    assert firms["id"].str.startswith("scms:vendor:").sum() == 73
    stats = result.tables["scms_edge_stats"]
    # every shipment line is counted once on the site->vendor edges and once vendor->consignee
    assert stats.loc[stats["src_label"] == "Plant", "n_shipments"].sum() == 10324
    assert stats.loc[stats["src_label"] == "Firm", "n_shipments"].sum() == 10324
    assert stats["on_time_share"].between(0, 1).all()


def test_edge_statistics_by_hand() -> None:
    lines = pd.DataFrame(
        {
            "a": ["x", "x", "x", "y"],
            "lead_time": [10.0, 20.0, np.nan, 5.0],
            "delay": [-2.0, 0.0, 10.0, np.nan],
            "delivered": ["2010-01-01", "2010-02-01", "2010-03-01", "2011-01-01"],
            "quantity": [1, 2, 3, 4],
            "value": [10.0, 20.0, 30.0, 40.0],
            "_line": [5, 2, 9, 3],
        }
    )
    s = edge_statistics(lines, ["a"]).set_index("a")
    assert s.loc["x", "n_shipments"] == 3
    assert s.loc["x", "lead_time_mean_days"] == 15.0
    assert s.loc["x", "on_time_share"] == pytest.approx(2 / 3)
    assert s.loc["x", "delay_p90_days"] == pytest.approx(8.0)  # linear between 0 and 10
    assert s.loc["x", "_line"] == 2 and s.loc["x", "last_delivery"] == "2010-03-01"
    assert np.isnan(s.loc["y", "on_time_share"])


def test_bea_use_make_and_flows(data_dir: Path) -> None:
    use_p, make_p, _ = (data_dir / p for p in DATASET_PATHS["bea-io"])
    use = read_bea_use(use_p)
    make = read_bea_make(make_p)
    assert use.intermediate.values.shape == (73, 71)
    assert make.make.values.shape == (71, 73)
    assert use.intermediate.cols == make.make.rows
    # farms: published totals
    assert use.industry_output[0] == 402907.0 and use.commodity_output[0] == 395700.0
    # accounting identity of the Use table, within the published rounding
    balance = use.intermediate.values.sum(axis=1) + use.final_demand.values.sum(axis=1)
    assert np.abs(balance - use.commodity_output).max() <= 10.0
    flows = industry_flows(use, make)
    # market shares sum to one per commodity, so the flows redistribute all intermediate use
    assert flows["value"].sum() == pytest.approx(use.intermediate.values.sum(), rel=1e-9)


def test_bea_total_requirements(data_dir: Path) -> None:
    tr = read_bea_total_requirements(data_dir / "bea_io" / "IxC_TR_1997-2015_Summary.xlsx", 2015)
    assert tr.values.shape == (71, 73)
    assert tr.rows[0] == "111CA" and tr.cols[-1] == "Other"
    assert tr.values[0, 0] == pytest.approx(1.26893)
    # a dollar of any commodity delivered needs more than a dollar of industry output in all
    assert (tr.values.sum(axis=0) > 1.0).all()


def test_bea_dataset_industries(data_dir: Path) -> None:
    result = ingest_dataset("bea-io", data_dir)
    ind = result.graph.node_table(NodeLabel.INDUSTRY).set_index("id")
    assert len(ind) == 71
    assert ind.loc["BEA:331", "name_en"] == "Primary metals"
    assert set(result.tables) == {"bea_industry_flows", "bea_use"}


def test_hs2022_hierarchy_and_concordance(data_dir: Path) -> None:
    result = ingest_dataset("hs2022", data_dir)
    products = result.graph.node_table(NodeLabel.PRODUCT)
    assert len(products) == 5613
    ind = result.graph.node_table(NodeLabel.INDUSTRY)
    hs = ind[ind["system"] == "HS2022"]
    assert (hs["level"] == "chapter").sum() == 97
    assert (hs["level"] == "heading").sum() == 1229
    assert (hs["level"] == "section").sum() == 21
    part_of = pd.concat([f.data for f in result.graph.rel_frames(RelType.PART_OF)])
    edge = part_of[part_of["src"] == "HS2022:7208"]
    assert edge["dst"].tolist() == ["HS2022:72"]
    cls = pd.concat([f.data for f in result.graph.rel_frames(RelType.CLASSIFIED_AS)])
    iron_ore = set(cls.loc[cls["src"] == "hs:260111", "dst"])
    assert "HS2022:2601" in iron_ore and "ISIC4:0710" in iron_ore
    # the concordance names HS codes of older vintages: rejected, never dropped silently
    rej = result.rejects
    assert set(rej["reason"]) == {"unknown_Product", "missing_endpoint"}
    assert result.report.entities["CLASSIFIED_AS(Product->Industry)"].rejected == len(rej)


def test_gbt4754_hierarchy(data_dir: Path) -> None:
    result = ingest_dataset("gbt4754", data_dir)
    ind = result.graph.node_table(NodeLabel.INDUSTRY).set_index("id")
    assert (ind["level"] == "section").sum() == 20
    assert (ind["level"] == "division").sum() == 97
    assert (ind["level"] == "class").sum() == 1380
    assert ind.loc["GBT4754:3110", "name_zh"] == "炼铁"
    part_of = pd.concat([f.data for f in result.graph.rel_frames(RelType.PART_OF)])
    up = dict(zip(part_of["src"], part_of["dst"], strict=True))
    assert up["GBT4754:3110"] == "GBT4754:311" and up["GBT4754:311"] == "GBT4754:31"
    assert up["GBT4754:31"] == "GBT4754:C"
    # the source lists group 374 twice with different names (line 769 is class 3741): rejected
    dup = result.rejects[result.rejects["reason"] == "duplicate_conflict"]
    assert sorted(dup["line"].astype(int)) == [768, 769]


def test_unknown_dataset_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnknownDatasetError, match=r"'steel-plants'.*gem-steel"):
        ingest_dataset("steel-plants", tmp_path)
