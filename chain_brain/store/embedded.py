"""The embedded default store: one local SQLite file, no server, transactional.

Tables are derived from :mod:`graph_schema.model`: one table per node label
(``n_Firm``: ``id`` + typed property columns + provenance) and one per relationship type
(``r_SUPPLIES``: endpoints with their labels, ``key``, properties, provenance).  Every
``write`` runs in one ``BEGIN IMMEDIATE`` transaction; any error rolls the whole write back,
so a failed write leaves the file as it was.  The journal is SQLite's write-ahead log with
``synchronous=FULL``: a committed write survives a crash of the process or the machine.

Whole-graph snapshots are served from a columnar copy kept in the same file
(:mod:`chain_brain.store.columnar`), valid for one store revision: a first write into an
empty store stores it in its own transaction; a small upsert patches the frames it touches
in its own transaction (the touched rows re-read from the tables, so the copy gets exactly
their upsert semantics); a large upsert, ``delete_source``, ``delete_snapshot`` and
``clear`` drop it, and the first whole read after them reads the tables and stores it.
"""

from __future__ import annotations

import bisect
import gc
import io
import json
import sqlite3
import threading
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from chain_brain.store.base import RunRecord, Scope, WriteResult
from chain_brain.store.columnar import (
    CachedPart,
    CopyFrame,
    EncodedCopy,
    cached_parts,
    create_cache_table,
    drop_cached,
    encode_copy,
    load_cached,
    load_part,
    patch_cached,
    save_cached,
    store_copy,
)
from chain_brain.store.scope import (
    EdgeRow,
    apply_scope,
    check_node_column,
    check_rel_column,
    read_scoped,
)
from graph_schema.errors import NotFoundError, StoreError, StoreUnavailableError, ValidationError
from graph_schema.frames import (
    PROVENANCE_COLUMNS,
    GraphData,
    NodeFrame,
    RelFrame,
    uniform_columns,
    validate_nodes,
    validate_rels,
)
from graph_schema.migrations import SCHEMA_VERSION, check_version
from graph_schema.model import (
    NODE_SCHEMAS,
    PROVENANCE,
    REL_SCHEMAS,
    NodeLabel,
    Prop,
    PropType,
    RelType,
    node_schema,
)

__all__ = ["EmbeddedStore", "describe_rejects"]

_SQL_TYPE = {
    PropType.STR: "TEXT",
    PropType.DATE: "TEXT",
    PropType.LIST: "TEXT",
    PropType.FLOAT: "REAL",
    PropType.INT: "INTEGER",
}
_REL_ENDS = ["src_label", "src", "dst_label", "dst", "key"]
_MAX_LITERAL = 256  # characters: a longer constant is bound per row
_PAGE_SIZE = 16384  # bytes per page of a new file
# property lookups of scoped snapshots (see chain_brain.store.scope.read_scoped)
_SCOPE_NODE_INDEXES = (
    (NodeLabel.CHAIN_SEGMENT, "chain"),
    (NodeLabel.FIRM, "region"),
    (NodeLabel.FIRM, "country"),
    (NodeLabel.PLANT, "region"),
    (NodeLabel.PLANT, "country"),
)


def _node_table(label: NodeLabel) -> str:
    return f"n_{label.value}"


def _rel_table(rel_type: RelType) -> str:
    return f"r_{rel_type.value}"


def _props_sql(props: Sequence[Prop]) -> str:
    return ", ".join(f'"{p.name}" {_SQL_TYPE[p.type]}' for p in props)


def describe_rejects(rejects: pd.DataFrame, what: str, limit: int = 5) -> str:
    """One readable message for the first few rejects of a batch."""
    rows = []
    for r in rejects.head(limit).itertuples(index=False):
        line = "" if pd.isna(r.line) else f" row {int(r.line)}"
        rows.append(f"{r.entity}{line} id={r.id!s}: {r.column}={r.value!s} ({r.reason})")
    more = f" (+{len(rejects) - limit} more)" if len(rejects) > limit else ""
    return f"{what} rejected {len(rejects)} row(s): " + "; ".join(rows) + more


def _json_lists(col: pd.Series) -> list[object]:
    """A list column as stored: JSON text, None for missing cells."""
    return [
        None
        if v is None or (isinstance(v, float) and v != v)
        else json.dumps(list(v), ensure_ascii=False)
        for v in col.tolist()
    ]


def _to_sql_values(
    frame: pd.DataFrame,
    columns: list[str],
    list_cols: set[str],
    order: np.ndarray | None = None,
) -> list[tuple]:
    """Rows of ``columns`` (taken in ``order`` if given) as tuples of plain Python values
    (NaN/NA -> None, lists -> JSON).

    The rows are reordered column by column before any Python object exists: tuples made
    in the order SQLite reads them sit together in memory, and ``executemany`` over them
    runs twice as fast as over the same tuples permuted afterwards."""
    cells: list[list[object]] = []
    for c in columns:
        col = frame[c]
        if c in list_cols:
            cells.append(_json_lists(col if order is None else col.iloc[order]))
            continue
        try:  # column-wise through Arrow: Python ints, floats, str; NaN / NA -> None
            arr = pa.array(col, from_pandas=True)
            cells.append((arr if order is None else arr.take(order)).to_pylist())
            continue
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass  # mixed Python objects: cell by cell
        if order is not None:
            col = col.iloc[order]
        if col.dtype.kind in "iub":  # numpy / nullable integers -> Python ints, NA -> None
            cells.append([None if pd.isna(v) else int(v) for v in col.tolist()])
            continue
        cells.append(col.to_numpy(dtype=object, na_value=None).tolist())
    return list(zip(*cells, strict=True))


def _literal(cur: sqlite3.Cursor, value: object) -> str | None:
    """``value`` as an SQL literal rendered by SQLite's own ``quote()``, or None when it
    does not read back as the same value of the same storage class (then it is bound)."""
    if value is not None and not isinstance(value, (str, int, float)):
        return None
    if isinstance(value, str) and len(value) > _MAX_LITERAL:
        return None
    (text,) = cur.execute("SELECT quote(?)", (value,)).fetchone()
    back = cur.execute(f"SELECT {text}, typeof({text}), typeof(?)", (value,)).fetchone()
    if back[1] != back[2] or (value is not None and back[0] != value):
        return None
    return str(text)


def _fixed_columns(
    cur: sqlite3.Cursor, frame: pd.DataFrame, columns: Sequence[str], skip: Collection[str]
) -> dict[str, str]:
    """The columns of ``frame`` that hold one value in every row (see
    :func:`graph_schema.frames.uniform_columns`), each as the SQL literal of that value.

    Binding a parameter costs about as much per row as inserting it, so a statement
    writes such a column as a literal and binds only the columns that vary (a synthetic
    SUPPLIES frame binds 6 columns instead of 16).  Literals come from
    :func:`_literal`: SQLite quotes them, never Python string formatting of values."""
    out: dict[str, str] = {}
    for c, value in uniform_columns(frame, [c for c in columns if c not in skip]).items():
        text = _literal(cur, value)
        if text is not None:
            out[c] = text
    return out


def _same_as(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, str]:
    """Text columns of ``frame`` equal, row by row, to an earlier one of ``columns``
    (e.g. a relationship key that is its product), each mapped to that earlier column:
    a statement binds the value once and uses it for both."""
    seen: list[tuple[str, pa.Array]] = []
    out: dict[str, str] = {}
    for c in columns:
        if not isinstance(frame[c].dtype, pd.StringDtype):
            continue
        arr = pa.array(frame[c], from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        twin = next((name for name, other in seen if arr.equals(other)), None)
        if twin is None:
            seen.append((c, arr))
        else:
            out[c] = twin
    return out


def _insert_sql(
    table: str,
    columns: Sequence[str],
    fixed: dict[str, str],
    conflict: str,
    same: dict[str, str] | None = None,
) -> tuple[str, list[str]]:
    """``INSERT ... VALUES (?1, literal, ?1, ...) ON CONFLICT ...`` of ``columns`` and the
    columns to bind, in parameter order: a column in ``fixed`` is its literal, one in
    ``same`` reuses the parameter of its twin, any other is bound."""
    same = same or {}
    bound = [c for c in columns if c not in fixed and c not in same]
    number = {c: i for i, c in enumerate(bound, start=1)}
    values = ", ".join(fixed[c] if c in fixed else f"?{number[same.get(c, c)]}" for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({values}) {conflict}', bound


def _secondary_indexes(cur: sqlite3.Cursor, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the explicit indexes of ``table``."""
    rows = cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL",
        (table,),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """Rows of a SELECT as a frame, built column-wise through Arrow (about twice as fast as
    ``DataFrame.from_records``; same dtypes: text columns become pandas ``str``)."""
    if not rows:
        return pd.DataFrame.from_records(rows, columns=columns)
    try:
        table = pa.table(
            {
                name: pa.array(values)
                for name, values in zip(columns, zip(*rows, strict=True), strict=True)
            }
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types in one column
        return pd.DataFrame.from_records(rows, columns=columns)
    return table.to_pandas()


def _typed_nodes(df: pd.DataFrame, label: NodeLabel) -> pd.DataFrame:
    """Typed node columns from the raw columns of a SELECT (lists, floats, nullable ints)."""
    for p in node_schema(label).props:
        if p.type is PropType.LIST:
            df[p.name] = df[p.name].map(lambda v: json.loads(v) if isinstance(v, str) else None)
        elif p.type is PropType.FLOAT:
            df[p.name] = pd.to_numeric(df[p.name]).astype(float)
        elif p.type is PropType.INT:
            df[p.name] = pd.array(df[p.name], dtype="Int64")
    df["confidence"] = pd.to_numeric(df["confidence"]).astype(float)
    return df


def _typed_rels(df: pd.DataFrame, rel_type: RelType) -> pd.DataFrame:
    """Typed relationship columns from the raw columns of a SELECT (floats)."""
    for p in REL_SCHEMAS[rel_type].props:
        if p.type is PropType.FLOAT:
            df[p.name] = pd.to_numeric(df[p.name]).astype(float)
    df["confidence"] = pd.to_numeric(df["confidence"]).astype(float)
    return df


def _split_rels(df: pd.DataFrame, rel_type: RelType) -> list[RelFrame]:
    """One frame per (source label, target label) of a relationship table, in label order."""
    out = []
    for (sl, dl), part in df.groupby(["src_label", "dst_label"], sort=True):
        data = part.drop(columns=["src_label", "dst_label"]).reset_index(drop=True)
        out.append(RelFrame(rel_type, NodeLabel(sl), NodeLabel(dl), data))
    return out


def _text_columns(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` with its object columns of plain strings held by Arrow (same values; one
    contiguous buffer, so the sorts, SQL values and the columnar copy below read them fast)."""
    text = {
        c: data[c].astype("str")
        for c in data.columns
        if data[c].dtype == object and pd.api.types.infer_dtype(data[c], skipna=True) == "string"
    }
    return data.assign(**text) if text else data


def _pk_order(data: pd.DataFrame) -> np.ndarray | None:
    """Row positions of ``data`` in primary-key order (how SQLite stores and returns a
    relationship table), or None when the rows are in that order already.

    The key is unique after validation; Arrow sorts strings bytewise, as SQLite's BINARY
    collation does."""
    keys = ["src", "dst", "key"]
    table = pa.table({k: pa.array(data[k], from_pandas=True) for k in keys})
    order = np.asarray(
        pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys]), dtype=np.int64
    )
    if not len(order) or bool((order == np.arange(len(order))).all()):
        return None
    return order


def _pk_sorted(rf: RelFrame) -> RelFrame:
    """``rf`` in primary-key order (see :func:`_pk_order`)."""
    d = _text_columns(rf.data)
    order = _pk_order(d)
    if order is not None:
        d = d.take(order).reset_index(drop=True)
    return RelFrame(rf.type, rf.src_label, rf.dst_label, d)


def _stored_arrays(
    data: pd.DataFrame, columns: list[str], props: Sequence[Prop]
) -> dict[str, pa.Array] | None:
    """``columns`` of ``data`` as Arrow arrays of the types :func:`_frame` reads back after
    a round trip of the validated values through SQLite (a column without a value is
    Arrow's null type, as read); None when a column would not come back as written (a
    type SQLite would convert)."""
    kinds = {p.name: p.type for p in (*props, *PROVENANCE)}
    n = len(data)
    out: dict[str, pa.Array] = {}
    for c in columns:
        kind = kinds.get(c, PropType.STR)
        if c not in data.columns:
            out[c] = pa.nulls(n)
            continue
        col = data[c]
        if kind is PropType.LIST:
            col = pd.Series(_json_lists(col), dtype=object)
            kind = PropType.STR
        try:
            arr = pa.array(col, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if arr.null_count == n:  # SQL NULL in every row: Arrow's null type, as read
            out[c] = pa.nulls(n)
            continue
        if kind in (PropType.FLOAT, PropType.INT):
            if not (pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type)):
                return None
            if kind is PropType.FLOAT:
                arr = arr.cast(pa.float64())
        elif not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            return None
        out[c] = arr
    return out


def _stored_frame(
    data: pd.DataFrame, columns: list[str], props: Sequence[Prop]
) -> pd.DataFrame | None:
    """What :func:`_frame` makes of ``columns`` after a round trip of ``data``'s validated
    columns through SQLite (see :func:`_stored_arrays`)."""
    arrays = _stored_arrays(data, columns, props)
    return None if arrays is None else pa.table(arrays).to_pandas()


def _rel_tables(
    rel_type: RelType, pairs: list[tuple[str, str, pd.DataFrame, np.ndarray | None]]
) -> list[CopyFrame] | None:
    """The copy frames of one relationship type written into an empty store, one per
    (source label, target label) with rows, as Arrow tables whose ``to_pandas()`` equals
    the frames :meth:`EmbeddedStore.snapshot` reads from the table (one ``SELECT`` of the
    type, typed by :func:`_typed_rels`, split by :func:`_split_rels`); None when a value
    would change type in SQLite."""
    schema = REL_SCHEMAS[rel_type]
    kinds = {p.name: p.type for p in (*schema.props, *PROVENANCE)}
    if any(k not in (PropType.FLOAT, PropType.STR, PropType.DATE) for k in kinds.values()):
        return None  # other kinds go through pandas (see _stored_frame)
    cols = ["src", "dst", "key", *schema.prop_names, *PROVENANCE_COLUMNS]
    built = []
    for sl, dl, d, order in pairs:
        arrays = _stored_arrays(d, cols, schema.props)
        if arrays is None:
            return None
        if len(d):
            built.append((sl, dl, arrays, order, len(d)))
    # the table read types a column over all pairs: text that no row of the type holds
    # is Arrow's null type (object None in pandas), text missing only in some pairs is
    # missing text, and a number column is float64 in every case
    unheld = {c for c in cols if all(pa.types.is_null(a[c].type) for _, _, a, _, _ in built)}
    out = []
    for sl, dl, arrays, order, n in built:
        for c in cols:
            if kinds.get(c) is PropType.FLOAT:
                arrays[c] = arrays[c].cast(pa.float64())
            elif c not in unheld and pa.types.is_null(arrays[c].type):
                arrays[c] = pa.nulls(n, pa.string())
        out.append(CopyFrame("rel", rel_type.value, sl, dl, pa.table(arrays), order))
    return out


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during bulk row work.

    Millions of row tuples and cell values are no cyclic garbage, but their allocation
    keeps triggering collections that traverse all of them: with the collector on, a
    1.2-million-row ``fetchall`` and its transposition into columns took about 2.5 x as
    long on the build machine."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_BULK_ROWS = 20_000  # an empty table receiving more rows gets its indexes built after the load
# a write touching more rows of a frame than both of these drops the columnar copy instead of
# patching it (patching decodes and re-encodes the frame; past this share a later whole
# read of the tables is the cheaper way to rebuild it)
_PATCH_SHARE = 0.2
_PATCH_MIN_ROWS = 1_000


def _too_many(touched: int, rows: int) -> bool:
    return touched > _PATCH_MIN_ROWS and touched > _PATCH_SHARE * rows


def _text_names(columns: Collection[str], props: Sequence[Prop]) -> list[str]:
    """The columns SQLite returns as text (or NULL): strings, dates, ids, provenance."""
    kinds = {p.name: p.type for p in (*props, *PROVENANCE)}
    return [c for c in columns if kinds.get(c, PropType.STR) in (PropType.STR, PropType.DATE)]


def _read_dtypes(
    df: pd.DataFrame, props: Sequence[Prop], set_in_table: dict[str, bool] | None = None
) -> pd.DataFrame:
    """``df`` with the text columns typed as a whole-table read types them: pandas ``str``
    when any cell of the column is set in the table (by default: in ``df``; a relationship
    table is read whole, then split by labels), else ``object`` cells of None."""
    fixed: dict[str, pd.Series] = {}
    for c in _text_names(df.columns, props):
        col = df[c]
        if col.notna().any() if set_in_table is None else set_in_table[c]:
            if col.dtype != "str":
                fixed[c] = col.astype("str")
        elif col.dtype != object or any(v is not None for v in col):
            fixed[c] = pd.Series([None] * len(col), dtype=object, index=df.index)
    return df.assign(**fixed) if fixed else df


def _rel_dtypes(
    rel_type: RelType,
    frames: dict[CachedPart, tuple[pd.DataFrame, pd.DataFrame]],
    *,
    every_pair: bool,
) -> dict[CachedPart, pd.DataFrame] | None:
    """The patched (old, new) frames of one relationship type with their text columns
    typed as a read of the whole table types them (``str`` when any row of any pair has a
    value); None when that may change for a pair the write did not touch (a first value
    of a column, or perhaps the last one set to NULL): the caller then drops the copy."""
    props = REL_SCHEMAS[rel_type].props
    first_old = next(iter(frames.values()))[0]
    set_in_table: dict[str, bool] = {}
    for c in _text_names(first_old.columns, props):
        was = first_old[c].dtype != object  # the copy is a whole-table read: str iff any value
        now = any(new[c].notna().any() for _, new in frames.values())
        if not every_pair:
            if was and not now:
                if any(old[c].notna().any() for old, _ in frames.values()):
                    return None  # the values the write removed may have been the last
                now = True  # the values are in the pairs the write did not touch
            if now != was:
                return None
        set_in_table[c] = now
    return {part: _read_dtypes(new, props, set_in_table) for part, (_, new) in frames.items()}


_SPLICE_ROWS = 256  # up to this many touched rows, a patch joins slices instead of one take


def _spliced(
    old: pd.DataFrame, new: pd.DataFrame, events: list[tuple[int, bool, int]]
) -> pd.DataFrame:
    """``old`` with row ``j`` of ``new`` put at each event ``(position in old, replaces the
    row there, j)`` (rows inserted at one position in order of ``j``, before a row replaced
    there); text columns of ``new`` take ``old``'s ``str`` dtype, so the untouched rows
    keep their Arrow buffers."""
    new = new[old.columns]
    text = {
        c: new[c].astype("str")
        for c in old.columns
        if old[c].dtype == "str" and new[c].dtype != "str"
    }
    if text:
        new = new.assign(**text)
    n = len(old)
    bounds: list[tuple[int, int, int]] = []  # (start, stop) of old, then one row of new
    start = 0
    for pos, replaces, j in sorted(events):
        bounds.append((start, pos, j))
        start = pos + 1 if replaces else pos
    if len(events) <= _SPLICE_ROWS:
        pieces = []
        for a, b, j in bounds:
            pieces += [old.iloc[a:b], new.iloc[j : j + 1]]
        pieces.append(old.iloc[start:])
        return pd.concat(pieces, ignore_index=True)
    order = np.concatenate(
        [np.concatenate([np.arange(a, b), [n + j]]) for a, b, j in bounds] + [np.arange(start, n)]
    )
    both = pd.concat([old, new], ignore_index=True)
    return both.take(order).reset_index(drop=True)


class _PkKeys:
    """The (src, dst, key) of a relationship frame in primary-key order, as a sequence
    :mod:`bisect` can search (Python compares strings by code point, i.e. in the bytewise
    UTF-8 order of SQLite's BINARY collation)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.cols = [pa.array(frame[c], from_pandas=True) for c in ("src", "dst", "key")]

    def __len__(self) -> int:
        return len(self.cols[0])

    def __getitem__(self, i: int) -> tuple[object, ...]:
        return tuple(c[i].as_py() for c in self.cols)


class EmbeddedStore:
    """GraphStore on one SQLite file.

    Parameters
    ----------
    path : the database file; created (with its folder) on first write or ``init()``.
    migrate : accept a file of an older schema version, for :meth:`init` (or the first
        write) to migrate; ``chain-brain init`` opens stores this way.
    """

    def __init__(self, path: str | Path, *, migrate: bool = False) -> None:
        self.path = Path(path)
        self.uri = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            # 16 KB pages for a new file (an existing one keeps its size): a national first
            # load commits in about 1.0 s instead of 1.8 s with SQLite's default 4 KB
            self._conn.execute(f"PRAGMA page_size={_PAGE_SIZE}")
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=OFF")
            self._conn.execute("PRAGMA temp_store=MEMORY")
            self._conn.execute("PRAGMA cache_size=-200000")
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailableError(f"Cannot open embedded store {self.uri!r}: {exc}") from exc
        self._lock = threading.RLock()
        self._checkpoint: threading.Thread | None = None
        check_version(self.schema_version(), self.uri, migrating=migrate)
        if self.schema_version() == SCHEMA_VERSION:
            self._add_scope_indexes()

    def _add_scope_indexes(self) -> None:
        """Indexes of scoped reads missing from files written by older code (best effort:
        a read-only file stays as it is and scoped reads merely scan)."""
        try:
            with self._tx() as cur:
                for label, column in _SCOPE_NODE_INDEXES:
                    t = _node_table(label)
                    cur.execute(f'CREATE INDEX IF NOT EXISTS "{t}_{column}" ON "{t}"("{column}")')
                t = _rel_table(RelType.SUPPLIES)
                cur.execute(f'CREATE INDEX IF NOT EXISTS "{t}_product" ON "{t}"(product)')
                create_cache_table(cur)
        except sqlite3.Error:
            pass

    # ------------------------------------------------------------------ schema

    def schema_version(self) -> int | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"
            ).fetchone()
            if row is None:
                return None
            got = self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            return int(got[0]) if got else None

    def init(self) -> int:
        """Create the tables and indexes of the canonical model (idempotent); a store of an
        older schema version (opened with ``migrate=True``) is brought to this one."""
        check_version(self.schema_version(), self.uri, migrating=True)
        with self._lock, self._tx() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            for label, schema in NODE_SCHEMAS.items():
                t = _node_table(label)
                cols = _props_sql((*schema.props, *PROVENANCE))
                cur.execute(f'CREATE TABLE IF NOT EXISTS "{t}" (id TEXT PRIMARY KEY, {cols})')
                cur.execute(f'CREATE INDEX IF NOT EXISTS "{t}_source" ON "{t}"(source)')
                cur.execute(f'CREATE INDEX IF NOT EXISTS "{t}_snapshot" ON "{t}"(snapshot)')
            for label, column in _SCOPE_NODE_INDEXES:
                t = _node_table(label)
                cur.execute(f'CREATE INDEX IF NOT EXISTS "{t}_{column}" ON "{t}"("{column}")')
            for rel_type, rs in REL_SCHEMAS.items():
                t = _rel_table(rel_type)
                cols = _props_sql((*rs.props, *PROVENANCE))
                cur.execute(
                    f'CREATE TABLE IF NOT EXISTS "{t}" (src_label TEXT NOT NULL, src TEXT NOT NULL, '
                    f"dst_label TEXT NOT NULL, dst TEXT NOT NULL, key TEXT NOT NULL DEFAULT '', {cols}, "
                    "PRIMARY KEY (src_label, src, dst_label, dst, key)) WITHOUT ROWID"
                )
                cur.execute(f'CREATE INDEX IF NOT EXISTS "{t}_dst" ON "{t}"(dst_label, dst)')
                # deletes by source / snapshot scan relationship tables once: cheaper than
                # maintaining two more indexes on every write
                cur.execute(f'DROP INDEX IF EXISTS "{t}_source"')
                cur.execute(f'DROP INDEX IF EXISTS "{t}_snapshot"')
            t = _rel_table(RelType.SUPPLIES)
            cur.execute(f'CREATE INDEX IF NOT EXISTS "{t}_product" ON "{t}"(product)')
            cur.execute(
                "CREATE TABLE IF NOT EXISTS runs (kind TEXT NOT NULL, id TEXT NOT NULL, "
                "created_at TEXT NOT NULL, tenant TEXT, params TEXT, summary TEXT, "
                "PRIMARY KEY (kind, id))"
            )
            cur.execute(
                "CREATE TABLE IF NOT EXISTS run_tables (kind TEXT NOT NULL, run_id TEXT NOT NULL, "
                "name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (kind, run_id, name))"
            )
            create_cache_table(cur)
            cur.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (str(SCHEMA_VERSION),),
            )
        return SCHEMA_VERSION

    def _ensure_init(self) -> None:
        if self.schema_version() != SCHEMA_VERSION:
            self.init()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Cursor]:
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    # ------------------------------------------------------------------ writes

    def write(self, data: GraphData, *, batch_size: int = 10_000) -> WriteResult:
        """Validate and upsert ``data`` in one transaction (all or nothing)."""
        with _gc_paused():
            return self._write(data)

    def _write(self, data: GraphData) -> WriteResult:
        nodes: list[NodeFrame] = []
        for nf in data.nodes:
            vn = validate_nodes(nf)
            if len(vn.rejects):
                raise ValidationError(describe_rejects(vn.rejects, "Write"))
            nodes.append(NodeFrame(vn.frame.label, _text_columns(vn.frame.data)))
        rels: list[RelFrame] = []
        for rf in data.rels:
            vr = validate_rels(rf)
            if len(vr.rejects):
                raise ValidationError(describe_rejects(vr.rejects, "Write"))
            frame = vr.frame
            rels.append(
                RelFrame(frame.type, frame.src_label, frame.dst_label, _text_columns(frame.data))
            )
        orders = [_pk_order(rf.data) for rf in rels]
        result = WriteResult()
        bulk = sum(map(len, nodes)) + sum(map(len, rels)) >= _BULK_ROWS
        with self._lock, self._checkpoint_deferred(bulk):
            self._ensure_init()
            try:
                with self._tx() as cur, ThreadPoolExecutor(max_workers=1) as pool:
                    first = self._graph_is_empty(cur)
                    before = _revision(cur)
                    rebuild = self._drop_indexes_for_bulk(cur, nodes, rels)
                    for nf in nodes:
                        self._upsert_nodes(cur, nf)
                        result.nodes += len(nf)
                        result.by_kind[nf.label.value] = result.by_kind.get(
                            nf.label.value, 0
                        ) + len(nf)
                    for rf, order in zip(rels, orders, strict=True):
                        self._check_endpoints(cur, rf, nodes, first)
                        self._upsert_rels(cur, rf, order)
                        result.rels += len(rf)
                        result.by_kind[rf.type.value] = result.by_kind.get(rf.type.value, 0) + len(
                            rf
                        )
                    copy = None
                    if first:  # the frames at hand are the whole graph: keep its copy,
                        # encoded while SQLite builds the indexes (it releases the GIL)
                        written = {nf.label for nf in nodes}
                        empty = {
                            label: self._read_nodes(label)
                            for label in NODE_SCHEMAS
                            if label not in written
                        }
                        copy = pool.submit(self._encoded_copy, nodes, rels, orders, empty)
                    for statement in rebuild:  # same transaction: all or nothing still
                        cur.execute(statement)
                    patch = None if first else self._patched_copy(cur, before, nodes, rels)
                    revision = _bump_revision(cur, keep_copy=patch is not None)
                    if copy is not None:
                        store_copy(cur, copy.result(), revision)
                    elif patch is not None:
                        patch_cached(cur, patch, revision)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"Write to {self.uri!r} failed and was rolled back: {exc}"
                ) from exc
        return result

    @contextmanager
    def _checkpoint_deferred(self, defer: bool) -> Iterator[None]:
        """With ``defer``, commit without SQLite's automatic checkpoint and copy the
        committed pages from the write-ahead log into the database file in a background
        thread with its own connection, as the SQLite documentation suggests for large
        commits (https://sqlite.org/wal.html#application_initiated_checkpoints).

        The write is durable at its commit (the log is synced, ``synchronous=FULL``);
        readers see it from the log until the checkpoint has copied it.  A national
        first load returns 0.6 s sooner.  :meth:`close` waits for the checkpoint."""
        if not defer:
            yield
            return
        self._conn.execute("PRAGMA wal_autocheckpoint=0")
        try:
            yield
        finally:
            self._conn.execute("PRAGMA wal_autocheckpoint=1000")  # SQLite's default
        if self._checkpoint is None or not self._checkpoint.is_alive():
            self._checkpoint = threading.Thread(
                target=_checkpoint, args=(self.path,), name="wal-checkpoint", daemon=True
            )
            self._checkpoint.start()

    def _encoded_copy(
        self,
        nodes: list[NodeFrame],
        rels: list[RelFrame],
        orders: list[np.ndarray | None],
        empty: dict[NodeLabel, pd.DataFrame],
    ) -> EncodedCopy | None:
        frames = self._as_read(nodes, rels, orders, empty)
        return None if frames is None else encode_copy(frames)

    def _patched_copy(
        self, cur: sqlite3.Cursor, revision: int, nodes: list[NodeFrame], rels: list[RelFrame]
    ) -> dict[CachedPart, pd.DataFrame] | None:
        """The frames of the columnar copy taken at ``revision`` that the upsert of
        ``nodes`` and ``rels`` (already executed in ``cur``'s transaction) changed, each
        patched with its touched rows re-read from the tables; None when there is no such
        copy, a touched frame is missing from it (a new pair of labels), a write is large
        against a frame or anything else is unusual: the caller then drops the copy."""
        parts = cached_parts(cur, revision)
        if parts is None:
            return None
        node_ids: dict[NodeLabel, list[object]] = {}
        for nf in nodes:
            if len(nf):
                node_ids.setdefault(nf.label, []).extend(nf.data["id"].tolist())
        rel_keys: dict[tuple[RelType, NodeLabel, NodeLabel], list[tuple[object, ...]]] = {}
        for rf in rels:
            if len(rf):
                key = rf.data["key"] if "key" in rf.data.columns else pd.Series([""] * len(rf))
                rel_keys.setdefault((rf.type, rf.src_label, rf.dst_label), []).extend(
                    zip(rf.data["src"].tolist(), rf.data["dst"].tolist(), key.tolist(), strict=True)
                )
        out: dict[CachedPart, pd.DataFrame] = {}
        try:
            for label, ids in node_ids.items():
                part = next((p for p in parts if p.kind == "node" and p.name == label.value), None)
                frame = None if part is None else self._patched_nodes(cur, part, label, ids)
                if part is None or frame is None:
                    return None
                out[part] = frame
            by_type: dict[RelType, dict[CachedPart, tuple[pd.DataFrame, pd.DataFrame]]] = {}
            for (rel_type, sl, dl), keys in rel_keys.items():
                part = next(
                    (
                        p
                        for p in parts
                        if p.kind == "rel"
                        and (p.name, p.src_label, p.dst_label)
                        == (rel_type.value, sl.value, dl.value)
                    ),
                    None,
                )
                pair = None if part is None else self._patched_rels(cur, part, rel_type, keys)
                if part is None or pair is None:
                    return None
                by_type.setdefault(rel_type, {})[part] = pair
            for rel_type, frames in by_type.items():
                n_parts = sum(1 for p in parts if p.kind == "rel" and p.name == rel_type.value)
                typed = _rel_dtypes(rel_type, frames, every_pair=len(frames) == n_parts)
                if typed is None:
                    return None
                out.update(typed)
        except (ValueError, TypeError, KeyError, IndexError, pa.ArrowException):
            return None
        return out

    def _patched_nodes(
        self, cur: sqlite3.Cursor, part: CachedPart, label: NodeLabel, ids: list[object]
    ) -> pd.DataFrame | None:
        """Node frame ``part`` of the copy with the rows of ``ids`` as the table now holds
        them: updated rows in place, new rows appended in rowid order (a table scan's)."""
        unique = list(dict.fromkeys(ids))
        if any(not isinstance(i, str) for i in unique):
            return None
        old = load_part(cur, part)
        if _too_many(len(unique), len(old)):
            return None
        schema = node_schema(label)
        cols = ["id", *schema.prop_names, *PROVENANCE_COLUMNS]
        names = ", ".join(f'"{c}"' for c in cols)
        rows = cur.execute(  # one JSON parameter: no limit on the number of ids
            f'SELECT rowid, {names} FROM "{_node_table(label)}" '
            "WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(unique, ensure_ascii=False),),
        ).fetchall()
        if len(rows) != len(unique):
            return None
        rows.sort(key=lambda r: r[0])
        new = _typed_nodes(_frame([r[1:] for r in rows], cols), label)
        at = pd.Index(old["id"])
        if not at.is_unique:
            return None
        pos = at.get_indexer(pd.Index(new["id"]))
        events = [(int(p), True, j) if p >= 0 else (len(old), False, j) for j, p in enumerate(pos)]
        return _read_dtypes(_spliced(old, new, events), schema.props)

    def _patched_rels(
        self, cur: sqlite3.Cursor, part: CachedPart, rel_type: RelType, keys: list[tuple]
    ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """Relationship frame ``part`` of the copy, and the frame with the rows of ``keys``
        (src, dst, key) as the table now holds them, in primary-key order (a table scan's);
        text columns not typed yet (see :func:`_rel_dtypes`)."""
        unique = list(dict.fromkeys(keys))
        if any(not all(isinstance(v, str) for v in k) for k in unique):
            return None
        old = load_part(cur, part)
        if _too_many(len(unique), len(old)):
            return None
        schema = REL_SCHEMAS[rel_type]
        cols = [*_REL_ENDS, *schema.prop_names, *PROVENANCE_COLUMNS]
        names = ", ".join(f't."{c}"' for c in cols)
        rows = cur.execute(  # primary-key look-ups driven by one JSON parameter
            f'SELECT {names} FROM json_each(?) AS j CROSS JOIN "{_rel_table(rel_type)}" AS t '
            "ON t.src_label = ? AND t.src = json_extract(j.value, '$[0]') "
            "AND t.dst_label = ? AND t.dst = json_extract(j.value, '$[1]') "
            "AND t.key = json_extract(j.value, '$[2]')",
            (json.dumps(unique, ensure_ascii=False), part.src_label, part.dst_label),
        ).fetchall()
        if len(rows) != len(unique):
            return None
        raw = _typed_rels(_frame(rows, cols), rel_type).drop(columns=["src_label", "dst_label"])
        ends = NodeLabel(part.src_label or ""), NodeLabel(part.dst_label or "")
        new = _pk_sorted(RelFrame(rel_type, *ends, raw)).data
        seq, new_keys = _PkKeys(old), _PkKeys(new)
        events = []
        for j in range(len(new)):
            k = new_keys[j]
            p = bisect.bisect_left(seq, k)  # type: ignore[call-overload]
            events.append((p, p < len(seq) and seq[p] == k, j))
        return old, _spliced(old, new, events)

    def _graph_is_empty(self, cur: sqlite3.Cursor) -> bool:
        tables = [_node_table(label) for label in NODE_SCHEMAS]
        tables += [_rel_table(rt) for rt in REL_SCHEMAS]
        return not any(cur.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() for t in tables)

    def _as_read(
        self,
        nodes: list[NodeFrame],
        rels: list[RelFrame],
        orders: list[np.ndarray | None],
        empty: dict[NodeLabel, pd.DataFrame],
    ) -> list[CopyFrame] | None:
        """The copy of what :meth:`snapshot` will read back after writing ``nodes`` and
        ``rels`` (each relationship frame with its primary-key order from
        :func:`_pk_order`) into an empty store, built from the frames (same columns,
        dtypes, values and row order); ``empty`` holds the read of each label absent from
        ``nodes``.  None when a key repeats across frames or a value would change type in
        SQLite.  Reads no table, so it can run in another thread while SQLite builds
        indexes."""
        by_label: dict[NodeLabel, list[pd.DataFrame]] = {}
        for nf in nodes:
            by_label.setdefault(nf.label, []).append(nf.data)
        out: list[CopyFrame] = []
        for label in NODE_SCHEMAS:
            if label not in by_label:
                out.append(CopyFrame("node", label.value, None, None, empty[label]))
                continue
            parts = by_label[label]
            d = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
            if len(parts) > 1 and d["id"].duplicated().any():
                return None
            schema = node_schema(label)
            raw = _stored_frame(d, ["id", *schema.prop_names, *PROVENANCE_COLUMNS], schema.props)
            if raw is None:
                return None
            out.append(CopyFrame("node", label.value, None, None, _typed_nodes(raw, label)))
        by_type: dict[RelType, dict[tuple[str, str], list[tuple[pd.DataFrame, Any]]]] = {}
        for rf, order in zip(rels, orders, strict=True):
            pair = (rf.src_label.value, rf.dst_label.value)
            by_type.setdefault(rf.type, {}).setdefault(pair, []).append((rf.data, order))
        for rel_type in REL_SCHEMAS:
            pairs = []
            for (sl, dl), parts in sorted(by_type.get(rel_type, {}).items()):
                d, order = parts[0]
                if len(parts) > 1:
                    d = pd.concat([p[0] for p in parts], ignore_index=True)
                    if d.duplicated(["src", "dst", "key"]).any():
                        return None
                    d = d.sort_values(["src", "dst", "key"], kind="stable")
                    order = None
                pairs.append((sl, dl, d, order))
            if pairs:
                frames = _rel_tables(rel_type, pairs)
                if frames is None:
                    return None
                out.extend(frames)
        return out

    def _drop_indexes_for_bulk(
        self,
        cur: sqlite3.Cursor,
        nodes: list[NodeFrame],
        rels: list[RelFrame],
    ) -> list[str]:
        """Drop the secondary indexes of empty tables about to receive many rows (building
        an index once after the load is several times faster than updating it per row);
        return the statements that rebuild them before the commit."""
        rows: dict[str, int] = {}
        for nf in nodes:
            assert isinstance(nf, NodeFrame)
            t = _node_table(nf.label)
            rows[t] = rows.get(t, 0) + len(nf)
        for rf in rels:
            assert isinstance(rf, RelFrame)
            t = _rel_table(rf.type)
            rows[t] = rows.get(t, 0) + len(rf)
        rebuild: list[str] = []
        for t, n in rows.items():
            if n < _BULK_ROWS or cur.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone():
                continue
            for name, sql in _secondary_indexes(cur, t):
                cur.execute(f'DROP INDEX "{name}"')
                rebuild.append(sql)
        return rebuild

    def _upsert_nodes(self, cur: sqlite3.Cursor, nf: NodeFrame) -> None:
        if not len(nf):
            return
        schema = node_schema(nf.label)
        known = ["id", *schema.prop_names, *PROVENANCE_COLUMNS]
        cols = [c for c in known if c in nf.data.columns]
        list_cols = {p.name for p in schema.props if p.type is PropType.LIST}
        fixed = _fixed_columns(cur, nf.data, cols, skip={"id", *list_cols})
        updates = ", ".join(f'"{c}"=excluded."{c}"' for c in cols if c != "id")
        conflict = (
            f"ON CONFLICT(id) DO UPDATE SET {updates}" if updates else "ON CONFLICT(id) DO NOTHING"
        )
        sql, bound = _insert_sql(_node_table(nf.label), cols, fixed, conflict)
        cur.executemany(sql, _to_sql_values(nf.data, bound, list_cols))

    def _check_endpoints(
        self, cur: sqlite3.Cursor, rf: RelFrame, nodes: list[NodeFrame], empty: bool
    ) -> None:
        """Every endpoint must be a node of this write (checked in memory) or of the store
        (checked in SQL, unless the store held nothing before this write)."""
        for end, label in (("src", rf.src_label), ("dst", rf.dst_label)):
            arr = pa.array(rf.data[end], from_pandas=True)
            ids = pc.unique(arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr)
            for nf in nodes:
                if nf.label is label and len(ids):
                    known = pa.array(nf.data["id"], from_pandas=True).cast(ids.type)
                    ids = ids.filter(pc.invert(pc.is_in(ids, value_set=known)))
            if not len(ids):
                continue
            if empty:
                missing = [(i,) for i in ids.to_pylist()]
            else:
                cur.execute("CREATE TEMP TABLE IF NOT EXISTS _endpoint (id TEXT PRIMARY KEY)")
                cur.execute("DELETE FROM _endpoint")
                cur.executemany(
                    "INSERT INTO _endpoint(id) VALUES (?)", ((i,) for i in ids.to_pylist())
                )
                missing = cur.execute(
                    f'SELECT e.id FROM _endpoint e LEFT JOIN "{_node_table(label)}" n '
                    "ON n.id = e.id WHERE n.id IS NULL"
                ).fetchall()
            if missing:
                shown = ", ".join(repr(m[0]) for m in missing[:5])
                more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                raise ValidationError(
                    f"{rf.type.value} relationships refer to {len(missing)} unknown "
                    f"{label.value} id(s) at {end}: {shown}{more}. Write the nodes first "
                    "(in the same or an earlier write)."
                )

    def _upsert_rels(self, cur: sqlite3.Cursor, rf: RelFrame, order: np.ndarray | None) -> None:
        """Upsert ``rf``'s rows, sent in primary-key ``order`` (inserting in key order
        appends to the table's B-tree instead of splitting pages all over it)."""
        if not len(rf):
            return
        schema = REL_SCHEMAS[rf.type]
        known = [*_REL_ENDS, *schema.prop_names, *PROVENANCE_COLUMNS]
        cols = [c for c in known if c in rf.data.columns or c in ("src_label", "dst_label")]
        ends = {"src_label": rf.src_label.value, "dst_label": rf.dst_label.value}
        fixed = {c: text for c, v in ends.items() if (text := _literal(cur, v)) is not None}
        fixed.update(_fixed_columns(cur, rf.data, cols, skip=_REL_ENDS))
        updates = ", ".join(f'"{c}"=excluded."{c}"' for c in cols if c not in _REL_ENDS)
        conflict = "ON CONFLICT(src_label, src, dst_label, dst, key) "
        conflict += f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        varying = [c for c in cols if c not in fixed and c not in ends]
        same = _same_as(rf.data, varying)
        sql, bound = _insert_sql(_rel_table(rf.type), cols, fixed, conflict, same)
        d = rf.data.assign(**{c: v for c, v in ends.items() if c in bound})
        cur.executemany(sql, _to_sql_values(d, bound, set(), order))

    def _delete_where(self, column: str, value: str) -> int:
        removed = 0
        with self._lock:
            if self.schema_version() is None:
                return 0
            with self._tx() as cur:
                for label in NODE_SCHEMAS:
                    t = _node_table(label)
                    cur.execute("CREATE TEMP TABLE IF NOT EXISTS _gone (id TEXT PRIMARY KEY)")
                    cur.execute("DELETE FROM _gone")
                    cur.execute(
                        f'INSERT INTO _gone SELECT id FROM "{t}" WHERE "{column}" = ?', (value,)
                    )
                    for rel_type in REL_SCHEMAS:
                        rt = _rel_table(rel_type)
                        for end in ("src", "dst"):
                            cur.execute(
                                f'DELETE FROM "{rt}" WHERE {end}_label = ? AND {end} IN (SELECT id FROM _gone)',
                                (label.value,),
                            )
                            removed += cur.rowcount
                    cur.execute(f'DELETE FROM "{t}" WHERE "{column}" = ?', (value,))
                    removed += cur.rowcount
                for rel_type in REL_SCHEMAS:
                    cur.execute(
                        f'DELETE FROM "{_rel_table(rel_type)}" WHERE "{column}" = ?', (value,)
                    )
                    removed += cur.rowcount
                if removed:
                    _bump_revision(cur)
        return removed

    def delete_source(self, source: str) -> int:
        """Delete the nodes (with their relationships) and relationships of ``source``;
        drops the columnar copy (the next whole read reads the tables and stores it)."""
        return self._delete_where("source", source)

    def delete_snapshot(self, snapshot: str) -> int:
        """Delete the nodes (with their relationships) and relationships of ``snapshot``;
        drops the columnar copy (the next whole read reads the tables and stores it)."""
        return self._delete_where("snapshot", snapshot)

    # ------------------------------------------------------------------ reads

    def revision(self) -> int:
        with self._lock:
            if self.schema_version() is None:
                return 0
            return _revision(self._conn.cursor())

    def _read_nodes(self, label: NodeLabel, ids: Sequence[str] | None = None) -> pd.DataFrame:
        schema = node_schema(label)
        cols = ["id", *schema.prop_names, *PROVENANCE_COLUMNS]
        names = ", ".join(f'"{c}"' for c in cols)
        sql = f'SELECT {names} FROM "{_node_table(label)}"'
        args: tuple[str, ...] = ()
        if ids is not None:
            sql += " WHERE id IN (SELECT value FROM json_each(?))"
            args = (json.dumps(list(ids), ensure_ascii=False),)
        with _gc_paused():
            rows = self._conn.execute(sql, args).fetchall()
            return _typed_nodes(_frame(rows, cols), label)

    def _read_rels(
        self, rel_type: RelType, where: str = "", args: tuple[str, ...] = ()
    ) -> list[RelFrame]:
        schema = REL_SCHEMAS[rel_type]
        cols = [*_REL_ENDS, *schema.prop_names, *PROVENANCE_COLUMNS]
        names = ", ".join(f'"{c}"' for c in cols)
        sql = f'SELECT {names} FROM "{_rel_table(rel_type)}"' + (f" WHERE {where}" if where else "")
        with _gc_paused():
            rows = self._conn.execute(sql, args).fetchall()
            if not rows:
                return []
            return _split_rels(_typed_rels(_frame(rows, cols), rel_type), rel_type)

    def snapshot(self, scope: Scope | None = None) -> GraphData:
        """Read the whole graph, or only the rows ``scope`` selects (indexed look-ups)."""
        with self._lock:
            if self.schema_version() is None:
                data = GraphData()
            elif scope is not None and not scope.is_whole:
                return read_scoped(_SqliteScope(self, scope.as_of), scope)
            else:
                data = self._read_whole()
        return apply_scope(data, scope)

    def _read_whole(self) -> GraphData:
        """The whole graph: the columnar copy of the current revision, else the tables
        (then stored as the copy).  Lock held by the caller."""
        cur = self._conn.cursor()
        cur.execute("BEGIN")  # one read transaction: revision, copy and tables agree
        try:
            revision = _revision(cur)
            data = load_cached(cur, revision)
            fresh = data is None
            if data is None:
                data = GraphData(
                    [NodeFrame(label, self._read_nodes(label)) for label in NODE_SCHEMAS],
                    [rf for rt in REL_SCHEMAS for rf in self._read_rels(rt)],
                )
        finally:
            cur.execute("COMMIT")
            cur.close()
        if fresh:
            try:
                with self._tx() as cur:
                    if _revision(cur) == revision:  # nobody wrote in between
                        save_cached(cur, data, revision)
            except sqlite3.Error:
                pass  # a read-only or busy file serves whole reads from its tables
        return data

    def counts(self) -> dict[str, int]:
        out = {label.value: 0 for label in NODE_SCHEMAS}
        out.update({rt.value: 0 for rt in REL_SCHEMAS})
        with self._lock:
            if self.schema_version() is None:
                return out
            for label in NODE_SCHEMAS:
                out[label.value] = self._conn.execute(
                    f'SELECT count(*) FROM "{_node_table(label)}"'
                ).fetchone()[0]
            for rt in REL_SCHEMAS:
                out[rt.value] = self._conn.execute(
                    f'SELECT count(*) FROM "{_rel_table(rt)}"'
                ).fetchone()[0]
        return out

    def get_node(self, label: NodeLabel | str, node_id: str) -> dict[str, object]:
        schema = node_schema(label)
        with self._lock:
            if self.schema_version() is not None:
                cur = self._conn.execute(
                    f'SELECT * FROM "{_node_table(schema.label)}" WHERE id = ?', (node_id,)
                )
                row = cur.fetchone()
                if row is not None:
                    rec = dict(zip([c[0] for c in cur.description], row, strict=True))
                    for p in schema.props:
                        if p.type is PropType.LIST and isinstance(rec.get(p.name), str):
                            rec[p.name] = json.loads(rec[p.name])
                    return {k: v for k, v in rec.items() if v is not None}
        raise NotFoundError(f"No {schema.label.value} with id {node_id!r}.")

    def existing_ids(self, label: NodeLabel | str, ids: list[str]) -> set[str]:
        schema = node_schema(label)
        with self._lock:
            if self.schema_version() is None or not ids:
                return set()
            with self._tx() as cur:
                cur.execute("CREATE TEMP TABLE IF NOT EXISTS _probe (id TEXT PRIMARY KEY)")
                cur.execute("DELETE FROM _probe")
                cur.executemany(
                    "INSERT OR IGNORE INTO _probe(id) VALUES (?)", ((str(i),) for i in ids)
                )
                rows = cur.execute(
                    f'SELECT p.id FROM _probe p JOIN "{_node_table(schema.label)}" n ON n.id = p.id'
                ).fetchall()
            return {r[0] for r in rows}

    def search_nodes(self, label: NodeLabel | str, text: str, *, limit: int = 20) -> pd.DataFrame:
        schema = node_schema(label)
        if limit < 1:
            raise ValidationError(f"limit must be >= 1, got {limit}.")
        cols = ["id", *schema.search]
        where = " OR ".join(f'instr(lower("{c}"), lower(?)) > 0' for c in cols)
        with self._lock:
            if self.schema_version() is None:
                return pd.DataFrame(columns=["id", *schema.prop_names])
            rows = self._conn.execute(
                f'SELECT * FROM "{_node_table(schema.label)}" WHERE {where} ORDER BY id LIMIT ?',
                (*([text] * len(cols)), limit),
            )
            names = [c[0] for c in rows.description]
            return pd.DataFrame.from_records(rows.fetchall(), columns=names)

    # ------------------------------------------------------------------ runs

    def save_run(self, run: RunRecord) -> None:
        blobs = []
        for name, table in run.tables.items():
            buf = io.BytesIO()
            table.to_parquet(buf, index=False)
            blobs.append((run.kind, run.id, name, buf.getvalue()))
        with self._lock:
            self._ensure_init()
            with self._tx() as cur:
                cur.execute(
                    "INSERT INTO runs(kind, id, created_at, tenant, params, summary) VALUES (?,?,?,?,?,?) "
                    "ON CONFLICT(kind, id) DO UPDATE SET created_at=excluded.created_at, "
                    "tenant=excluded.tenant, params=excluded.params, summary=excluded.summary",
                    (
                        run.kind,
                        run.id,
                        run.created_at,
                        run.tenant,
                        json.dumps(run.params, default=str),
                        json.dumps(run.summary, default=_json_default),
                    ),
                )
                cur.execute(
                    "DELETE FROM run_tables WHERE kind = ? AND run_id = ?", (run.kind, run.id)
                )
                cur.executemany("INSERT INTO run_tables VALUES (?,?,?,?)", blobs)

    def load_run(self, kind: str, run_id: str) -> RunRecord:
        with self._lock:
            row = None
            if self.schema_version() is not None:
                row = self._conn.execute(
                    "SELECT created_at, tenant, params, summary FROM runs WHERE kind = ? AND id = ?",
                    (kind, run_id),
                ).fetchone()
            if row is None:
                raise NotFoundError(f"No {kind} run with id {run_id!r}.")
            tables = {
                name: pd.read_parquet(io.BytesIO(blob))
                for name, blob in self._conn.execute(
                    "SELECT name, data FROM run_tables WHERE kind = ? AND run_id = ? ORDER BY name",
                    (kind, run_id),
                )
            }
        return RunRecord(
            kind=kind,
            id=run_id,
            created_at=row[0],
            tenant=row[1],
            params=json.loads(row[2] or "{}"),
            summary=json.loads(row[3] or "{}"),
            tables=tables,
        )

    def list_runs(self, kind: str | None = None) -> list[RunRecord]:
        with self._lock:
            if self.schema_version() is None:
                return []
            sql = "SELECT kind, id, created_at, tenant, params, summary FROM runs"
            args: tuple[str, ...] = ()
            if kind is not None:
                sql += " WHERE kind = ?"
                args = (kind,)
            rows = self._conn.execute(sql + " ORDER BY created_at DESC, id", args).fetchall()
        return [
            RunRecord(k, i, json.loads(p or "{}"), json.loads(s or "{}"), {}, c, t)
            for k, i, c, t, p, s in rows
        ]

    def delete_run(self, kind: str, run_id: str) -> None:
        with self._lock, self._tx() as cur:
            cur.execute("DELETE FROM runs WHERE kind = ? AND id = ?", (kind, run_id))
            if cur.rowcount == 0:
                raise NotFoundError(f"No {kind} run with id {run_id!r}.")
            cur.execute("DELETE FROM run_tables WHERE kind = ? AND run_id = ?", (kind, run_id))

    def clear(self) -> None:
        """Delete the whole graph and all runs (and the columnar copy)."""
        with self._lock:
            self._ensure_init()
            with self._tx() as cur:
                for label in NODE_SCHEMAS:
                    cur.execute(f'DELETE FROM "{_node_table(label)}"')
                for rt in REL_SCHEMAS:
                    cur.execute(f'DELETE FROM "{_rel_table(rt)}"')
                cur.execute("DELETE FROM runs")
                cur.execute("DELETE FROM run_tables")
                _bump_revision(cur)

    def close(self) -> None:
        if self._checkpoint is not None:
            self._checkpoint.join()
        with self._lock:
            self._conn.close()

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _SqliteScope:
    """The indexed look-ups :func:`read_scoped` needs, on one store (lock held by caller)."""

    def __init__(self, store: EmbeddedStore, as_of: str | None) -> None:
        self.store = store
        self.conn = store._conn
        self.as_of = as_of

    def _valid(self, rel_type: RelType) -> tuple[str, tuple[str, ...]]:
        rs = REL_SCHEMAS[rel_type]
        if self.as_of is None:
            return "", ()
        parts: list[str] = []
        args: tuple[str, ...] = ()
        if "valid_from" in rs.prop_names:
            parts.append("(valid_from IS NULL OR valid_from <= ?)")
            args += (self.as_of,)
        if "valid_to" in rs.prop_names:
            parts.append("(valid_to IS NULL OR ? <= valid_to)")
            args += (self.as_of,)
        return "".join(f" AND {p}" for p in parts), args

    def has_node(self, label: NodeLabel, node_id: str) -> bool:
        row = self.conn.execute(
            f'SELECT 1 FROM "{_node_table(label)}" WHERE id = ?', (node_id,)
        ).fetchone()
        return row is not None

    def ids_where(self, label: NodeLabel, column: str, values: Collection[str]) -> set[str]:
        check_node_column(label, column)
        rows = self.conn.execute(
            f'SELECT id FROM "{_node_table(label)}" WHERE "{column}" IN '
            "(SELECT value FROM json_each(?))",
            (json.dumps(list(values), ensure_ascii=False),),
        ).fetchall()
        return {r[0] for r in rows}

    def edges(
        self,
        rel_type: RelType,
        src_label: NodeLabel,
        dst_label: NodeLabel,
        column: str,
        values: Collection[str],
    ) -> list[EdgeRow]:
        check_rel_column(rel_type, column)
        valid, valid_args = self._valid(rel_type)
        rows = self.conn.execute(
            f'SELECT src_label, src, dst_label, dst FROM "{_rel_table(rel_type)}" '
            f'WHERE src_label = ? AND dst_label = ? AND "{column}" IN '
            f"(SELECT value FROM json_each(?)){valid}",
            (
                src_label.value,
                dst_label.value,
                json.dumps(list(values), ensure_ascii=False),
                *valid_args,
            ),
        ).fetchall()
        return rows

    def nodes(self, label: NodeLabel, ids: Collection[str]) -> pd.DataFrame:
        return self.store._read_nodes(label, list(ids))

    def rels_between(
        self,
        rel_type: RelType,
        src_label: NodeLabel,
        src_ids: Collection[str],
        dst_label: NodeLabel,
        dst_ids: Collection[str],
    ) -> RelFrame | None:
        valid, valid_args = self._valid(rel_type)
        # look up by the smaller end (primary key for sources, the dst index for targets)
        by_src = len(src_ids) <= len(dst_ids)
        lead, other = ("src", "dst") if by_src else ("dst", "src")
        lead_ids, other_ids = (src_ids, dst_ids) if by_src else (dst_ids, src_ids)
        where = (
            f"src_label = ? AND dst_label = ? AND {lead} IN (SELECT value FROM json_each(?)) "
            f"AND +{other} IN (SELECT value FROM json_each(?)){valid}"
        )
        args = (
            src_label.value,
            dst_label.value,
            json.dumps(list(lead_ids), ensure_ascii=False),
            json.dumps(list(other_ids), ensure_ascii=False),
            *valid_args,
        )
        frames = self.store._read_rels(rel_type, where, args)
        return frames[0] if frames else None


def _checkpoint(path: Path) -> None:
    """Copy the committed pages of ``path``'s write-ahead log into the file (PASSIVE: never
    waits for readers or writers).  A failure leaves the log as it was, still valid, for
    the next checkpoint (SQLite's automatic one at a later commit, or on close)."""
    try:
        conn = sqlite3.connect(path, timeout=30.0)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()
    except sqlite3.Error:
        pass


def _revision(cur: sqlite3.Cursor) -> int:
    got = cur.execute("SELECT value FROM meta WHERE key='revision'").fetchone()
    return 0 if got is None else int(got[0])


def _bump_revision(cur: sqlite3.Cursor, *, keep_copy: bool = False) -> int:
    """Count one committed change to the graph, inside the transaction that makes it, and
    drop the columnar copy of the previous revision (unless ``keep_copy``: the caller
    patches it to the new revision in the same transaction); return the new revision."""
    cur.execute(
        "INSERT INTO meta(key, value) VALUES ('revision', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )
    if not keep_copy:
        drop_cached(cur)
    return _revision(cur)


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
