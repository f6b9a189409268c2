"""Global Energy Monitor, Global Iron and Steel Tracker (plant level) -> the steel chain graph.

Source: Global Energy Monitor, *Global Iron and Steel Tracker*, CC BY 4.0 (attribution to
Global Energy Monitor required).  One row per operating plant with owner and parent firms
(GEM entity ids, ownership shares such as ``"Industries Qatar QPSC [49.0%]; unknown [5.0%]"``),
location, status, products and nominal capacities in thousand tonnes per year (ttpa = kt/yr).

What becomes what
-----------------
* ``Plant`` (``gem:<Plant ID>``) with coordinates, country (ISO alpha-3), subnational region,
  status and start year; ``LOCATED_IN`` its ``Region`` and ``Country``; ``Region -PART_OF->
  Country``.
* ``Firm`` for every owner and parent (``gem:<GEM entity id>``); the same entity seen on many
  rows is one node (first non-empty value per property, other names kept as aliases).
  Ownership from ``SOE Status``: Full -> SOE, Partial -> mixed.
* ``OWNS`` parent -> owner with the share of the parent list; ``OPERATES`` owner -> plant.
* ``PRODUCES`` plant -> product with capacity (kt/year) per process: BOF, EAF, OHF and other
  steel capacity -> crude steel; BF -> pig iron; DRI -> DRI; other iron -> pig iron.  A total
  is used (process ``unspecified``) only when no split is given.  GEM writes ``>0`` for
  "positive, amount unknown"; that becomes an edge without capacity.  Products named in
  ``Steel products`` give edges without capacity (process empty).
* ``SUPPLIES`` from named iron-ore and met-coal sources (mines, mining companies) to the plant,
  confidence 0.5 (free text, not entity ids); "unknown", "imported" and lists of country
  names are skipped.
* The steel chain catalogue of :mod:`ingest.steel` (products, BOM, chain, segments).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from graph_schema.frames import LINE, GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, Ownership, RelType
from ingest.countries import country_code, country_codes, country_table
from ingest.ids import region_id, slug
from ingest.readers import parse_number, read_csv, require_columns
from ingest.result import IngestResult, Progress, build_result
from ingest.steel import GEM_PRODUCT_WORDS, steel_chain_frames

__all__ = ["SOURCE", "GEM_COLUMNS", "read_gem_steel", "gem_steel_graph", "load_gem_steel"]

SOURCE = "GEM Global Iron and Steel Tracker"
_C = {
    "plant": "Plant ID",
    "name_en": "Plant name (English)_x",
    "name": "Plant name (other language)_x",
    "owner": "Owner",
    "owner_other": "Owner (other language)",
    "owner_id": "Owner GEM ID",
    "soe": "SOE Status",
    "parent": "Parent",
    "parent_id": "Parent GEM ID",
    "subnational": "Subnational unit (province/state)",
    "country": "Country/Area_x",
    "coords": "Coordinates",
    "start": "Start date_y",
    "status": "Status",
    "products": "Steel products",
    "ore": "Iron ore source",
    "coal": "Met coal source",
}
#: capacity column -> (product id, process); totals come last and are used only without splits.
_CAPACITY: tuple[tuple[str, str, str], ...] = (
    ("Nominal BOF steel capacity (ttpa)", "steel:crude-steel", "BOF"),
    ("Nominal EAF steel capacity (ttpa)", "steel:crude-steel", "EAF"),
    ("Nominal OHF steel capacity (ttpa)", "steel:crude-steel", "OHF"),
    ("Other/unspecified steel capacity (ttpa)", "steel:crude-steel", "other"),
    ("Nominal BF capacity (ttpa)", "steel:pig-iron", "BF"),
    ("Nominal DRI capacity (ttpa)", "steel:dri", "DRI"),
    ("Other/unspecified iron capacity (ttpa)", "steel:pig-iron", "other"),
)
_TOTALS: tuple[tuple[str, str], ...] = (
    ("Nominal crude steel capacity (ttpa)", "steel:crude-steel"),
    ("Nominal iron capacity (ttpa)", "steel:pig-iron"),
)
GEM_COLUMNS: tuple[str, ...] = (
    *_C.values(),
    *(c for c, _, _ in _CAPACITY),
    *(c for c, _ in _TOTALS),
)
_SOE = {"Full": Ownership.SOE.value, "Partial": Ownership.MIXED.value}
_SHARE = re.compile(r"^(?P<name>.*?)\s*\[(?P<pct>[\d.]+)%\]$")
_LIST_SPLIT = re.compile(r",\s*|\s+and\s+|\s+or\s+")


def read_gem_steel(path: str | Path) -> pd.DataFrame:
    """Read the GEM plant CSV and check it has the columns the adapter uses."""
    data = read_csv(path)
    require_columns(data, GEM_COLUMNS, Path(path).name)
    return data


def _split_shares(names: object, ids: object) -> list[tuple[str | None, str, float | None]] | None:
    """Pair ``"A [49.0%]; B"`` with ``"E1 [49.0%]; E2"``: [(gem id, name, share)], None if unpaired."""
    if not isinstance(names, str) or not names.strip():
        return []
    name_parts = [p.strip() for p in names.split(";")]
    id_parts = [p.strip() for p in ids.split(";")] if isinstance(ids, str) else []
    if len(name_parts) != len(id_parts):
        return None
    out: list[tuple[str | None, str, float | None]] = []
    for n, i in zip(name_parts, id_parts, strict=True):
        m = _SHARE.match(n)
        name, share = (m["name"], float(m["pct"]) / 100.0) if m else (n, None)
        mi = _SHARE.match(i)
        gem_id = mi["name"] if mi else i
        out.append((f"gem:{gem_id}" if gem_id and gem_id != "unknown" else None, name, share))
    return out


def _is_named_source(text: object) -> bool:
    if not isinstance(text, str):
        return False
    t = text.strip()
    if not t or t.lower() in ("unknown", "imported") or t.lower().startswith("imported"):
        return False
    tokens = [x for x in _LIST_SPLIT.split(t) if x]
    return not all(country_code(x) is not None for x in tokens)


def _consolidate_firms(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per firm id: first non-empty value per column, other names as aliases."""
    if rows.empty:
        return rows
    first = rows.groupby("id", sort=False).first().reset_index()
    names = rows.dropna(subset=["name_en"]).groupby("id")["name_en"].agg(lambda s: sorted(set(s)))
    first["aliases"] = [
        [n for n in names.get(i, []) if n not in (nm, ne)] or None
        for i, nm, ne in zip(first["id"], first["name"], first["name_en"], strict=True)
    ]
    return first


def gem_steel_graph(data: pd.DataFrame, progress: Progress | None = None) -> GraphData:
    """Build the raw (unvalidated) graph frames from a GEM table read by :func:`read_gem_steel`."""
    c = _C
    line = data[LINE]
    iso = country_codes(data[c["country"]])
    plant_id = "gem:" + data[c["plant"]].astype(str)
    region = [region_id(k, n) for k, n in zip(iso, data[c["subnational"]], strict=True)]
    coords = data[c["coords"]].fillna("").str.split(",", n=1, expand=True).reindex(columns=[0, 1])
    start = data[c["start"]].fillna("").str.extract(r"^(\d{4})", expand=False)
    plants = pd.DataFrame(
        {
            "id": plant_id,
            "name": data[c["name"]].fillna(data[c["name_en"]]),
            "name_en": data[c["name_en"]],
            "lat": parse_number(coords[0]),
            "lon": parse_number(coords[1]),
            "region": region,
            "country": iso,
            "status": data[c["status"]],
            "start_year": pd.to_numeric(start, errors="coerce"),
            LINE: line,
        }
    )
    if progress is not None:
        progress.update(len(data) // 4)

    # firms, OWNS, OPERATES
    firm_rows: list[dict[str, object]] = []
    owns: list[dict[str, object]] = []
    operates: list[dict[str, object]] = []
    for pid, ln, owner, owner_other, owner_id, soe, parent, parent_id in zip(
        plant_id,
        line,
        data[c["owner"]],
        data[c["owner_other"]],
        data[c["owner_id"]],
        data[c["soe"]],
        data[c["parent"]],
        data[c["parent_id"]],
        strict=True,
    ):
        owners = _split_shares(owner, owner_id)
        if owners is None:
            operates.append({"src": None, "dst": pid, LINE: ln})
            owners = []
        single = len(owners) == 1
        for fid, name, _ in owners:
            if fid is None:
                continue
            firm_rows.append(
                {
                    "id": fid,
                    "name": owner_other if single and isinstance(owner_other, str) else name,
                    "name_en": name,
                    "ownership": _SOE.get(soe, Ownership.UNKNOWN.value) if single else None,
                    LINE: ln,
                }
            )
            operates.append({"src": fid, "dst": pid, LINE: ln})
        parents = _split_shares(parent, parent_id)
        owner_ids = [o[0] for o in owners if o[0] is not None]
        if parents is None:
            for oid in owner_ids:
                owns.append({"src": None, "dst": oid, LINE: ln})
            continue
        for fid, name, share in parents:
            if fid is None:
                continue
            firm_rows.append({"id": fid, "name": name, "name_en": name, LINE: ln})
            for oid in owner_ids:
                if oid != fid:
                    owns.append({"src": fid, "dst": oid, "share": share, LINE: ln})
    firms = _consolidate_firms(
        pd.DataFrame(firm_rows, columns=["id", "name", "name_en", "ownership", LINE])
    )
    if progress is not None:
        progress.update(len(data) // 4)

    # PRODUCES with capacities
    produces: list[pd.DataFrame] = []
    # a plant with any steel (iron) split gets no steel (iron) total edge
    group = {"steel:crude-steel": "steel", "steel:pig-iron": "iron", "steel:dri": "iron"}
    has_split = {"steel": np.zeros(len(data), dtype=bool), "iron": np.zeros(len(data), dtype=bool)}

    def capacity(col: str) -> tuple[pd.Series, np.ndarray]:
        raw = data[col]
        positive_unknown = raw.fillna("").str.strip().eq(">0").to_numpy(dtype=bool)
        values = parse_number(raw.where(~positive_unknown, None))
        present = values.notna().to_numpy(dtype=bool) | positive_unknown
        return values, present

    for col, prod, process in _CAPACITY:
        values, present = capacity(col)
        has_split[group[prod]] |= present
        produces.append(
            pd.DataFrame(
                {"src": plant_id, "dst": prod, "process": process, "capacity": values, LINE: line}
            )[present]
        )
    for col, prod in _TOTALS:
        values, present = capacity(col)
        use = present & ~has_split[group[prod]]
        produces.append(
            pd.DataFrame(
                {
                    "src": plant_id,
                    "dst": prod,
                    "process": "unspecified",
                    "capacity": values,
                    LINE: line,
                }
            )[use]
        )
    words = data[c["products"]].fillna("").str.lower().str.split(",")
    listed = pd.DataFrame({"src": plant_id, "word": words, LINE: line}).explode("word")
    listed["dst"] = listed["word"].str.strip().map(GEM_PRODUCT_WORDS)
    listed = listed.dropna(subset=["dst"]).drop_duplicates(["src", "dst"])
    produces.append(listed[["src", "dst", LINE]].assign(process=""))
    prod_df = pd.concat(produces, ignore_index=True)
    prod_df["unit"] = "kt"
    prod_df["period"] = "year"

    # supplier mines
    supplies: list[pd.DataFrame] = []
    source_firms: list[pd.DataFrame] = []
    for col, prod in ((c["ore"], "steel:iron-ore"), (c["coal"], "steel:met-coal")):
        named = data[col].map(_is_named_source).to_numpy(dtype=bool)
        text = data.loc[named, col]
        sid = "gem-source:" + text.map(slug)
        source_firms.append(
            pd.DataFrame({"id": sid, "name": text, "name_en": text, LINE: line[named]})
        )
        supplies.append(
            pd.DataFrame(
                {
                    "src": sid,
                    "dst": plant_id[named],
                    "product": prod,
                    "confidence": 0.5,
                    LINE: line[named],
                }
            )
        )
    src_firms = pd.concat(source_firms, ignore_index=True).drop_duplicates("id")
    src_firms["confidence"] = 0.5

    # places
    regions = pd.DataFrame(
        {
            "id": region,
            "name": data[c["subnational"]],
            "country": iso,
            "level": "subnational",
            LINE: line,
        }
    ).dropna(subset=["id"])
    regions = regions.drop_duplicates("id")
    countries = country_table(iso)
    located_region = pd.DataFrame({"src": plant_id, "dst": region, LINE: line}).dropna()
    located_country = pd.DataFrame({"src": plant_id, "dst": iso, LINE: line}).dropna()
    region_part_of = regions[["id", "country"]].rename(columns={"id": "src", "country": "dst"})

    cat = steel_chain_frames()
    L, R = NodeLabel, RelType
    graph = GraphData(
        nodes=[
            NodeFrame(L.PLANT, plants),
            NodeFrame(L.FIRM, firms),
            NodeFrame(L.FIRM, src_firms),
            NodeFrame(L.REGION, regions),
            NodeFrame(L.COUNTRY, countries),
            NodeFrame(L.PRODUCT, cat.products),
            NodeFrame(L.CHAIN, cat.chain),
            NodeFrame(L.CHAIN_SEGMENT, cat.segments),
            NodeFrame(L.INDUSTRY, cat.industries),
        ],
        rels=[
            RelFrame(
                R.OWNS, L.FIRM, L.FIRM, pd.DataFrame(owns, columns=["src", "dst", "share", LINE])
            ),
            RelFrame(
                R.OPERATES, L.FIRM, L.PLANT, pd.DataFrame(operates, columns=["src", "dst", LINE])
            ),
            RelFrame(R.PRODUCES, L.PLANT, L.PRODUCT, prod_df),
            RelFrame(R.SUPPLIES, L.FIRM, L.PLANT, pd.concat(supplies, ignore_index=True)),
            RelFrame(R.LOCATED_IN, L.PLANT, L.REGION, located_region),
            RelFrame(R.LOCATED_IN, L.PLANT, L.COUNTRY, located_country),
            RelFrame(R.PART_OF, L.REGION, L.COUNTRY, region_part_of),
            RelFrame(R.REQUIRES, L.PRODUCT, L.PRODUCT, cat.requires),
            RelFrame(R.PART_OF, L.CHAIN_SEGMENT, L.CHAIN, cat.segment_part_of),
            RelFrame(R.IN_SEGMENT, L.PRODUCT, L.CHAIN_SEGMENT, cat.product_in_segment),
            RelFrame(R.IN_SEGMENT, L.INDUSTRY, L.CHAIN_SEGMENT, cat.industry_in_segment),
        ],
    )
    if progress is not None:
        progress.update(len(data) - 2 * (len(data) // 4))
    return graph


def load_gem_steel(
    path: str | Path, *, progress: Progress | None = None, snapshot: str | None = None
) -> IngestResult:
    """Read, map and validate the GEM steel plant CSV.

    Parameters
    ----------
    path
        ``steel_plants.csv`` of the GEM Global Iron and Steel Tracker.
    progress
        Anything with ``update(n)`` (a tqdm bar); advanced by the number of plants.
    snapshot
        Provenance snapshot name (default ``source@time``).
    """
    data = read_gem_steel(path)
    graph = gem_steel_graph(data, progress)
    return build_result(graph, source=SOURCE, rows_read=len(data), snapshot=snapshot)
