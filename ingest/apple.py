"""Apple supplier list 2012-2022 -> suppliers of a chain-lead firm over time.

Source: Apple's annual supplier lists as compiled by CommonWealth Magazine (天下雜誌),
github.com/cwgrouptw/data, MIT licence.  Columns ``year, supplier_name, country_area,
country, supplier_address``; one row per supplier site and year.  There is no 2019 list.

What becomes what
-----------------
* ``Firm`` per supplier name (``apple:<slug>``), before any entity resolution: names that
  differ only in case, width or punctuation share a slug and so a node.
* ``Firm`` ``apple:apple-inc`` for Apple, the chain-lead firm (country USA).
* ``SUPPLIES`` supplier -> Apple, one edge per uninterrupted run of list years (2018 and
  2020 count as consecutive lists): ``valid_from`` is 1 January of the first year; when the
  supplier is absent from a later list it is retired and ``valid_to`` is 31 December of its
  last listed year; suppliers on the latest list have no ``valid_to``.  The edge key is the
  first year of the run, so re-listed suppliers keep both periods.
* ``Country`` per site country and ``LOCATED_IN`` supplier -> country.  From 2020 the list
  gives province/state only, which becomes ``Region`` (``LOCATED_IN`` supplier -> region,
  ``Region -PART_OF-> Country``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graph_schema.frames import LINE, GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, RelType
from ingest.countries import country_codes, country_table
from ingest.ids import region_id, slugs
from ingest.readers import read_csv, require_columns
from ingest.result import IngestResult, Progress, build_result

__all__ = [
    "SOURCE",
    "APPLE_ID",
    "APPLE_COLUMNS",
    "read_apple_suppliers",
    "supplier_periods",
    "apple_suppliers_graph",
    "load_apple_suppliers",
]

SOURCE = "Apple supplier list (CommonWealth Magazine)"
APPLE_ID = "apple:apple-inc"
APPLE_COLUMNS: tuple[str, ...] = ("year", "supplier_name", "country", "supplier_address")
_REGION_LEVEL_FROM = 2020  # addresses are province/state names from this list on


def read_apple_suppliers(path: str | Path) -> pd.DataFrame:
    """Read the supplier list CSV and check its columns."""
    data = read_csv(path)
    require_columns(data, APPLE_COLUMNS, Path(path).name)
    return data


def supplier_periods(years_by_supplier: pd.DataFrame, list_years: list[int]) -> pd.DataFrame:
    """Runs of consecutive list years per supplier.

    Parameters
    ----------
    years_by_supplier
        Columns ``id`` and ``year`` (int), one row per supplier and listed year.
    list_years
        All years for which a list exists, ascending; consecutive means adjacent here.

    Returns
    -------
    DataFrame
        ``id, first, last, retired`` with ``retired`` true when a later list omits the id.
    """
    pos = {y: i for i, y in enumerate(sorted(list_years))}
    df = years_by_supplier.drop_duplicates(["id", "year"]).copy()
    df["pos"] = df["year"].map(pos)
    df = df.sort_values(["id", "pos"])
    new_run = df.groupby("id")["pos"].diff().ne(1)
    df["run"] = new_run.cumsum()
    runs = df.groupby(["id", "run"]).agg(first=("year", "min"), last=("year", "max"))
    runs = runs.reset_index().drop(columns=["run"])
    runs["retired"] = runs["last"] < max(list_years)
    return runs


def apple_suppliers_graph(data: pd.DataFrame, progress: Progress | None = None) -> GraphData:
    """Raw graph frames from a table read by :func:`read_apple_suppliers`."""
    data = data.copy()
    data["year_num"] = pd.to_numeric(data["year"], errors="coerce")
    data["fid"] = "apple:" + slugs(data["supplier_name"])
    data["iso"] = country_codes(data["country"])
    name = data["supplier_name"]
    firms = pd.DataFrame({"id": data["fid"], "name": name, "name_en": name, LINE: data[LINE]})
    # the latest spelling of a name wins; the other spellings become aliases
    firms = firms.iloc[::-1]
    alias = firms.groupby("id")["name"].agg(lambda s: sorted(set(s)))
    firms = firms.drop_duplicates("id").iloc[::-1]
    firms["aliases"] = [
        [a for a in alias[i] if a != n] or None
        for i, n in zip(firms["id"], firms["name"], strict=True)
    ]
    apple = pd.DataFrame(
        {"id": [APPLE_ID], "name": ["Apple Inc."], "name_en": ["Apple Inc."], "country": ["USA"]}
    )
    valid = data.dropna(subset=["year_num", "fid"])
    years = sorted(valid["year_num"].astype(int).unique().tolist())
    first_line = valid.groupby("fid")[LINE].min()
    runs = supplier_periods(
        pd.DataFrame({"id": valid["fid"], "year": valid["year_num"].astype(int)}), years
    )
    supplies = pd.DataFrame(
        {
            "src": runs["id"],
            "dst": APPLE_ID,
            "key": runs["first"].astype(str),
            "valid_from": runs["first"].astype(str) + "-01-01",
            "valid_to": (runs["last"].astype(str) + "-12-31").where(runs["retired"], None),
            LINE: runs["id"].map(first_line),
        }
    )
    # rows whose year is not a number still produce an edge row so that they are rejected
    bad_year = data[data["year_num"].isna()]
    if len(bad_year):
        supplies = pd.concat(
            [
                supplies,
                pd.DataFrame(
                    {
                        "src": bad_year["fid"],
                        "dst": APPLE_ID,
                        "key": "",
                        "valid_from": bad_year["year"],
                        LINE: bad_year[LINE],
                    }
                ),
            ],
            ignore_index=True,
        )
    if progress is not None:
        progress.update(len(data) // 2)
    located_country = pd.DataFrame({"src": data["fid"], "dst": data["iso"], LINE: data[LINE]})
    located_country = located_country.dropna().drop_duplicates(["src", "dst"])
    recent = data[data["year_num"] >= _REGION_LEVEL_FROM]
    rid = [region_id(k, a) for k, a in zip(recent["iso"], recent["supplier_address"], strict=True)]
    regions = (
        pd.DataFrame(
            {
                "id": rid,
                "name": recent["supplier_address"],
                "country": recent["iso"],
                "level": "province/state",
                LINE: recent[LINE],
            }
        )
        .dropna(subset=["id"])
        .drop_duplicates("id")
    )
    located_region = pd.DataFrame({"src": recent["fid"], "dst": rid, LINE: recent[LINE]})
    located_region = located_region.dropna().drop_duplicates(["src", "dst"])
    region_part_of = pd.DataFrame({"src": regions["id"], "dst": regions["country"]})
    if progress is not None:
        progress.update(len(data) - len(data) // 2)
    L, R = NodeLabel, RelType
    return GraphData(
        nodes=[
            NodeFrame(L.FIRM, firms),
            NodeFrame(L.FIRM, apple),
            NodeFrame(L.COUNTRY, country_table(pd.concat([data["iso"], apple["country"]]))),
            NodeFrame(L.REGION, regions),
        ],
        rels=[
            RelFrame(R.SUPPLIES, L.FIRM, L.FIRM, supplies),
            RelFrame(R.LOCATED_IN, L.FIRM, L.COUNTRY, located_country),
            RelFrame(R.LOCATED_IN, L.FIRM, L.REGION, located_region),
            RelFrame(R.PART_OF, L.REGION, L.COUNTRY, region_part_of),
        ],
    )


def load_apple_suppliers(
    path: str | Path, *, progress: Progress | None = None, snapshot: str | None = None
) -> IngestResult:
    """Read, map and validate the Apple supplier list (see the module docstring)."""
    data = read_apple_suppliers(path)
    graph = apple_suppliers_graph(data, progress)
    return build_result(graph, source=SOURCE, rows_read=len(data), snapshot=snapshot)
