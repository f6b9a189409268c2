"""A columnar copy of the embedded store's whole-graph snapshot, kept in the same file.

SQLite hands rows to Python one at a time (about 185,000 rows/s through ``sqlite3`` on a
2-core machine), so reading a 2.6-million-relationship graph row by row takes tens of
seconds.  This module keeps, beside the tables, every frame of the last whole-graph
snapshot as Arrow IPC streams (Apache Arrow columnar format; string columns with few
distinct values dictionary-encoded, LZ4-compressed buffers) in the table
``snapshot_cache`` of the same SQLite file, tagged with the store :meth:`revision` it was
taken at.  Reading it back decodes whole columns at once.

The SQL tables stay the system of record: the copy is written in the transaction that
makes it valid, patched (only the frames a small upsert touches, see :func:`cached_parts`,
:func:`load_part` and :func:`patch_cached`) or deleted in every transaction that changes the
graph (see ``chain_brain.store.embedded._bump_revision``) and never served unless its
revision is the store's current one, so a rolled-back write leaves the copy exactly as it
was.

References
----------
Apache Arrow columnar format and IPC streaming format,
https://arrow.apache.org/docs/format/Columnar.html
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph_schema.frames import GraphData, NodeFrame, RelFrame
from graph_schema.model import NodeLabel, PropType, RelType, node_schema, rel_schema

__all__ = [
    "CACHE_TABLE",
    "CachedPart",
    "CopyFrame",
    "EncodedCopy",
    "cached_parts",
    "copy_frames",
    "create_cache_table",
    "drop_cached",
    "encode_copy",
    "load_cached",
    "load_part",
    "patch_cached",
    "save_cached",
    "store_copy",
]

CACHE_TABLE = "snapshot_cache"
_CHUNK_ROWS = 1 << 20  # rows per stored blob: keeps each far below SQLite's 1 GB limit
_DICT_RATIO = 0.5  # dictionary-encode a string column with fewer distinct values than this
_CODEC = "lz4" if pa.Codec.is_available("lz4") else None


def create_cache_table(cur: sqlite3.Cursor) -> None:
    """Create the table of the copy (idempotent)."""
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {CACHE_TABLE} (part INTEGER NOT NULL, "
        "chunk INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, "
        "src_label TEXT, dst_label TEXT, revision INTEGER NOT NULL, data BLOB NOT NULL, "
        "PRIMARY KEY (part, chunk))"
    )


def drop_cached(cur: sqlite3.Cursor) -> None:
    """Delete the copy (inside the transaction that changes the graph)."""
    cur.execute(f"DELETE FROM {CACHE_TABLE}")


def _encode(frame: pd.DataFrame | pa.Table, order: np.ndarray | None = None) -> list[bytes] | None:
    """``frame`` (rows taken in ``order`` if given) as IPC streams of at most
    ``_CHUNK_ROWS`` rows; None if Arrow cannot hold a column exactly (mixed types), in
    which case nothing is cached.  A DataFrame goes through ``Table.from_pandas`` (its
    dtypes kept in the schema's pandas metadata); a table is stored as it is."""
    if isinstance(frame, pa.Table):
        table = frame
    else:
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return None
    columns = []
    for column in table.columns:
        if (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)) and len(
            column
        ):
            encoded = pc.dictionary_encode(column.combine_chunks())
            if len(encoded.dictionary) < _DICT_RATIO * len(column):
                column = encoded
        columns.append(column)
    table = pa.Table.from_arrays(columns, names=table.column_names).replace_schema_metadata(
        table.schema.metadata
    )
    if order is not None:  # after dictionary encoding: repeated text moves as indices
        table = table.take(order)
    options = pa.ipc.IpcWriteOptions(compression=_CODEC)
    blobs = []
    for start in range(0, max(len(table), 1), _CHUNK_ROWS):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
            writer.write_table(table.slice(start, _CHUNK_ROWS).combine_chunks())
        blobs.append(sink.getvalue().to_pybytes())
    return blobs


def _decode(blobs: Iterable[bytes], list_columns: Iterable[str]) -> pd.DataFrame:
    """The frame :func:`_encode` stored, with the same columns, dtypes and values."""
    table = pa.concat_tables(pa.ipc.open_stream(pa.py_buffer(b)).read_all() for b in blobs)
    columns = [
        pc.cast(c, c.type.value_type) if pa.types.is_dictionary(c.type) else c
        for c in table.columns
    ]
    lists = {
        name: pd.Series(table.column(name).to_pylist(), dtype=object)
        for name in list_columns
        if name in table.column_names and not pa.types.is_null(table.column(name).type)
    }
    frame = (
        pa.Table.from_arrays(columns, names=table.column_names)
        .replace_schema_metadata(table.schema.metadata)
        .to_pandas(split_blocks=True)
    )
    for name, values in lists.items():  # Arrow gives list cells as arrays; stores give lists
        frame[name] = values
    return frame


@dataclass(frozen=True)
class EncodedCopy:
    """A whole-graph copy encoded by :func:`encode_copy`, ready for :func:`store_copy`."""

    rows: list[tuple[int, int, str, str, str | None, str | None, bytes]]


@dataclass(frozen=True)
class CopyFrame:
    """One frame of a copy to encode: a node label (``kind`` ``node``) or a relationship
    type with its end labels (``rel``), and its data: the DataFrame the copy must give
    back, or an Arrow table whose ``to_pandas()`` is that DataFrame, with its rows taken
    in ``order`` when one is given."""

    kind: str
    name: str
    src_label: str | None
    dst_label: str | None
    data: pd.DataFrame | pa.Table
    order: np.ndarray | None = None


def copy_frames(data: GraphData) -> list[CopyFrame]:
    """The frames of ``data`` in copy order."""
    out = []
    for frame in data:
        if isinstance(frame, NodeFrame):
            out.append(CopyFrame("node", frame.label.value, None, None, frame.data))
        else:
            ends = frame.src_label.value, frame.dst_label.value
            out.append(CopyFrame("rel", frame.type.value, *ends, frame.data))
    return out


def encode_copy(frames: Sequence[CopyFrame]) -> EncodedCopy | None:
    """Every frame as IPC streams, without touching the database (so it can run beside
    SQLite work in another thread: Arrow releases the GIL while it encodes); None when
    a frame cannot be stored column-wise."""
    rows: list[tuple[int, int, str, str, str | None, str | None, bytes]] = []
    for part, frame in enumerate(frames):
        blobs = _encode(frame.data, frame.order)
        if blobs is None:
            return None
        meta = (frame.kind, frame.name, frame.src_label, frame.dst_label)
        rows.extend((part, chunk, *meta, blob) for chunk, blob in enumerate(blobs))
    return EncodedCopy(rows)


def store_copy(cur: sqlite3.Cursor, copy: EncodedCopy | None, revision: int) -> bool:
    """Replace the copy with ``copy``, the whole graph at ``revision``; with None (a graph
    :func:`encode_copy` could not hold) leave no copy and return False."""
    drop_cached(cur)
    if copy is None:
        return False
    cur.executemany(
        f"INSERT INTO {CACHE_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row[:6], revision, row[6]) for row in copy.rows],
    )
    return True


def save_cached(cur: sqlite3.Cursor, data: GraphData, revision: int) -> bool:
    """Replace the copy with ``data``, the whole graph at ``revision``.

    Returns False, leaving no copy, when a frame cannot be stored column-wise."""
    return store_copy(cur, encode_copy(copy_frames(data)), revision)


def load_cached(conn: sqlite3.Connection | sqlite3.Cursor, revision: int) -> GraphData | None:
    """The copy taken at ``revision``, or None when there is none (or it is stale)."""
    try:
        rows = conn.execute(
            f"SELECT part, kind, name, src_label, dst_label, revision, data FROM {CACHE_TABLE} "
            "ORDER BY part, chunk"
        ).fetchall()
    except sqlite3.OperationalError:  # a file written before the copy existed
        return None
    if not rows or any(r[5] != revision for r in rows):
        return None
    parts: dict[int, list[tuple]] = {}
    for row in rows:
        parts.setdefault(row[0], []).append(row)
    try:
        return _graph(parts)
    except (pa.ArrowException, ValueError):  # unreadable copy: the caller reads the tables
        return None


@dataclass(frozen=True)
class CachedPart:
    """One frame of the copy: its position, kind (``node`` or ``rel``) and labels."""

    part: int
    kind: str
    name: str
    src_label: str | None
    dst_label: str | None


def cached_parts(cur: sqlite3.Cursor, revision: int) -> list[CachedPart] | None:
    """The frames of the copy taken at ``revision`` (without their data), in stored order;
    None when there is no copy of that revision."""
    try:
        rows = cur.execute(
            f"SELECT part, kind, name, src_label, dst_label, min(revision), max(revision) "
            f"FROM {CACHE_TABLE} GROUP BY part ORDER BY part"
        ).fetchall()
    except sqlite3.OperationalError:
        return None
    if not rows or any(r[5] != revision or r[6] != revision for r in rows):
        return None
    return [CachedPart(*r[:5]) for r in rows]


def load_part(cur: sqlite3.Cursor, part: CachedPart) -> pd.DataFrame:
    """The data of one frame of the copy, as :func:`load_cached` gives it.

    Raises ``pyarrow.ArrowException`` or ``ValueError`` when it cannot be read."""
    blobs = [
        r[0]
        for r in cur.execute(
            f"SELECT data FROM {CACHE_TABLE} WHERE part = ? ORDER BY chunk", (part.part,)
        )
    ]
    if part.kind == "node":
        props = node_schema(NodeLabel(part.name)).props
    else:
        props = rel_schema(RelType(part.name)).props
    return _decode(blobs, [p.name for p in props if p.type is PropType.LIST])


def patch_cached(
    cur: sqlite3.Cursor, frames: Mapping[CachedPart, pd.DataFrame], revision: int
) -> bool:
    """Replace the data of the given frames of the copy and tag the whole copy with
    ``revision`` (inside the transaction that changed the graph).

    Returns False, leaving no copy, when a frame cannot be stored column-wise."""
    rows: list[tuple[int, int, str, str, str | None, str | None, int, bytes]] = []
    for part, frame in frames.items():
        blobs = _encode(frame)
        if blobs is None:
            drop_cached(cur)
            return False
        meta = (part.kind, part.name, part.src_label, part.dst_label)
        rows.extend((part.part, chunk, *meta, revision, blob) for chunk, blob in enumerate(blobs))
    cur.executemany(f"DELETE FROM {CACHE_TABLE} WHERE part = ?", [(p.part,) for p in frames])
    cur.executemany(f"INSERT INTO {CACHE_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    cur.execute(f"UPDATE {CACHE_TABLE} SET revision = ?", (revision,))
    return True


def _graph(parts: dict[int, list[tuple]]) -> GraphData:
    out = GraphData()
    for chunks in parts.values():
        _, kind, name, src_label, dst_label, _, _ = chunks[0]
        blobs = [c[6] for c in chunks]
        if kind == "node":
            label = NodeLabel(name)
            lists = [p.name for p in node_schema(label).props if p.type is PropType.LIST]
            out.nodes.append(NodeFrame(label, _decode(blobs, lists)))
        else:
            rel_type = RelType(name)
            lists = [p.name for p in rel_schema(rel_type).props if p.type is PropType.LIST]
            out.rels.append(
                RelFrame(
                    rel_type, NodeLabel(src_label), NodeLabel(dst_label), _decode(blobs, lists)
                )
            )
    return out
