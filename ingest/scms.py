"""USAID SCMS delivery history (2006-2015) -> vendors, manufacturing sites, products, destinations.

Source: USAID Supply Chain Management System, *Supply Chain Shipment Pricing Data*
(catalog.data.gov), US Government open data.  10,324 shipment lines; the file has CR-only
line endings and a UTF-8 byte-order mark (handled by :func:`ingest.readers.read_csv`).

What becomes what
-----------------
* ``Firm`` per vendor (``scms:vendor:<slug>``), ``Plant`` per manufacturing site
  (``scms:site:<slug>``), ``Product`` per molecule / test type (``scms:product:<slug>``).
* ``Firm`` per destination programme (``scms:consignee:<ISO3>``) ``LOCATED_IN`` its
  ``Country``: the schema lets ``SUPPLIES`` end only at firms and plants, so the country's
  receiving programme stands for it.
* ``PRODUCES`` site -> product; ``SUPPLIES`` site -> vendor and vendor -> consignee, one edge
  per product, with ``valid_from``/``valid_to`` the first and last delivery and
  ``lead_time_days`` the median of (delivered to client - PO sent to vendor) where both dates
  are recorded.
* Side table ``scms_edge_stats`` (``IngestResult.tables``): per ``SUPPLIES`` edge the number
  of shipment lines, mean/median lead time, mean delay and 90th-percentile delay (delivered -
  scheduled, days), on-time share (delivered on or before the scheduled date), quantity and
  value.  The schema has no properties for these yet.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from graph_schema.frames import LINE, GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, RelType
from ingest.countries import country_codes, country_table
from ingest.ids import slugs
from ingest.readers import parse_dates, parse_number, read_csv, require_columns
from ingest.result import IngestResult, Progress, build_result

__all__ = ["SOURCE", "SCMS_COLUMNS", "read_scms", "edge_statistics", "scms_graph", "load_scms"]

SOURCE = "USAID SCMS Delivery History"
SCMS_COLUMNS: tuple[str, ...] = (
    "Country",
    "Vendor",
    "Manufacturing Site",
    "Molecule/Test Type",
    "Product Group",
    "PO Sent to Vendor Date",
    "Scheduled Delivery Date",
    "Delivered to Client Date",
    "Line Item Quantity",
    "Line Item Value",
)
STATS_COLUMNS: tuple[str, ...] = (
    "src",
    "dst",
    "src_label",
    "dst_label",
    "product",
    "n_shipments",
    "lead_time_mean_days",
    "lead_time_median_days",
    "delay_mean_days",
    "delay_p90_days",
    "on_time_share",
    "quantity",
    "value_usd",
    "first_delivery",
    "last_delivery",
)


def read_scms(path: str | Path) -> pd.DataFrame:
    """Read the SCMS delivery history CSV and check its columns."""
    data = read_csv(path)
    require_columns(data, SCMS_COLUMNS, Path(path).name)
    return data


def edge_statistics(lines: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Lead-time and delay statistics of shipment lines grouped by ``keys``.

    Parameters
    ----------
    lines
        Columns ``keys`` plus ``lead_time`` and ``delay`` (days, float, NaN where unknown),
        ``delivered`` (ISO date), ``quantity``, ``value`` and ``_line``.
    keys
        Grouping columns (one group = one edge).
    """
    g = lines.groupby(keys, sort=True, dropna=False)
    on_time = (lines["delay"] <= 0).where(lines["delay"].notna())
    out = pd.DataFrame(
        {
            "n_shipments": g.size(),
            "lead_time_mean_days": g["lead_time"].mean(),
            "lead_time_median_days": g["lead_time"].median(),
            "delay_mean_days": g["delay"].mean(),
            "delay_p90_days": g["delay"].quantile(0.9),
            "on_time_share": on_time.groupby([lines[k] for k in keys], dropna=False).mean(),
            "quantity": g["quantity"].sum(min_count=1),
            "value_usd": g["value"].sum(min_count=1),
            "first_delivery": g["delivered"].min(),
            "last_delivery": g["delivered"].max(),
            LINE: g[LINE].min(),
        }
    )
    return out.reset_index()


def scms_graph(
    data: pd.DataFrame, progress: Progress | None = None
) -> tuple[GraphData, pd.DataFrame]:
    """Raw graph frames and the edge statistics table from a table read by :func:`read_scms`."""
    iso = country_codes(data["Country"])
    vendor = "scms:vendor:" + slugs(data["Vendor"])
    site = "scms:site:" + slugs(data["Manufacturing Site"])
    product = "scms:product:" + slugs(data["Molecule/Test Type"])
    consignee = ("scms:consignee:" + iso).where(iso.notna(), None)
    po = pd.to_datetime(
        parse_dates(data["PO Sent to Vendor Date"]), format="%Y-%m-%d", errors="coerce"
    )
    sched_iso = parse_dates(data["Scheduled Delivery Date"])
    deliv_iso = parse_dates(data["Delivered to Client Date"])
    sched = pd.to_datetime(sched_iso, format="%Y-%m-%d", errors="coerce")
    deliv = pd.to_datetime(deliv_iso, format="%Y-%m-%d", errors="coerce")
    lines = pd.DataFrame(
        {
            "vendor": vendor,
            "site": site,
            "product": product,
            "consignee": consignee,
            "lead_time": (deliv - po).dt.days.astype(float),
            "delay": (deliv - sched).dt.days.astype(float),
            "delivered": deliv.dt.strftime("%Y-%m-%d"),
            "quantity": pd.to_numeric(parse_number(data["Line Item Quantity"]), errors="coerce"),
            "value": pd.to_numeric(parse_number(data["Line Item Value"]), errors="coerce"),
            LINE: data[LINE],
        }
    )
    # negative lead times (delivered before the PO was sent) are recording errors
    lines.loc[lines["lead_time"] < 0, "lead_time"] = np.nan
    if progress is not None:
        progress.update(len(data) // 2)

    site_vendor = edge_statistics(lines, ["site", "vendor", "product"]).rename(
        columns={"site": "src", "vendor": "dst"}
    )
    site_vendor["src_label"], site_vendor["dst_label"] = "Plant", "Firm"
    vendor_dest = edge_statistics(
        lines.dropna(subset=["consignee"]), ["vendor", "consignee", "product"]
    ).rename(columns={"vendor": "src", "consignee": "dst"})
    vendor_dest["src_label"], vendor_dest["dst_label"] = "Firm", "Firm"
    stats = pd.concat([site_vendor, vendor_dest], ignore_index=True)

    def supplies(s: pd.DataFrame, with_lead_time: bool) -> pd.DataFrame:
        out = pd.DataFrame(
            {
                "src": s["src"],
                "dst": s["dst"],
                "product": s["product"],
                "valid_from": s["first_delivery"],
                "valid_to": s["last_delivery"],
                "unit": "pack",
                LINE: s[LINE],
            }
        )
        if with_lead_time:
            out["lead_time_days"] = s["lead_time_median_days"]
        return out

    def first(df: pd.DataFrame, key: str) -> pd.DataFrame:
        return df.drop_duplicates(key)

    vendors = first(
        pd.DataFrame(
            {"id": vendor, "name": data["Vendor"], "name_en": data["Vendor"], LINE: data[LINE]}
        ),
        "id",
    )
    sites = first(
        pd.DataFrame(
            {
                "id": site,
                "name": data["Manufacturing Site"],
                "name_en": data["Manufacturing Site"],
                LINE: data[LINE],
            }
        ),
        "id",
    )
    products = first(
        pd.DataFrame(
            {"id": product, "name_en": data["Molecule/Test Type"], "unit": "pack", LINE: data[LINE]}
        ),
        "id",
    )
    countries = country_table(iso)
    consignees = pd.DataFrame(
        {
            "id": "scms:consignee:" + countries["id"],
            "name": "SCMS consignee, " + countries["name_en"],
            "name_en": "SCMS consignee, " + countries["name_en"],
            "country": countries["id"],
        }
    )
    located = pd.DataFrame({"src": consignees["id"], "dst": consignees["country"]})
    produces = first(
        pd.DataFrame({"src": site, "dst": product, "process": "", LINE: data[LINE]}),
        ["src", "dst"],  # type: ignore[arg-type]
    )
    if progress is not None:
        progress.update(len(data) - len(data) // 2)
    L, R = NodeLabel, RelType
    graph = GraphData(
        nodes=[
            NodeFrame(L.FIRM, vendors),
            NodeFrame(L.FIRM, consignees),
            NodeFrame(L.PLANT, sites),
            NodeFrame(L.PRODUCT, products),
            NodeFrame(L.COUNTRY, countries),
        ],
        rels=[
            RelFrame(R.SUPPLIES, L.PLANT, L.FIRM, supplies(site_vendor, False)),
            RelFrame(R.SUPPLIES, L.FIRM, L.FIRM, supplies(vendor_dest, True)),
            RelFrame(R.PRODUCES, L.PLANT, L.PRODUCT, produces),
            RelFrame(R.LOCATED_IN, L.FIRM, L.COUNTRY, located),
        ],
    )
    return graph, stats.reindex(columns=list(STATS_COLUMNS))


def load_scms(
    path: str | Path, *, progress: Progress | None = None, snapshot: str | None = None
) -> IngestResult:
    """Read, map and validate the SCMS delivery history; statistics in ``tables['scms_edge_stats']``."""
    data = read_scms(path)
    graph, stats = scms_graph(data, progress)
    return build_result(
        graph,
        source=SOURCE,
        rows_read=len(data),
        snapshot=snapshot,
        tables={"scms_edge_stats": stats},
    )
