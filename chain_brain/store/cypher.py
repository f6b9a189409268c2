"""Every Cypher statement of :class:`chain_brain.store.neo4j.Neo4jStore`, in one place.

Labels and relationship types enter a statement only from the enums of
:mod:`graph_schema.model` (or the two bookkeeping labels below); property keys only from the
schema's declared names; every value travels as a parameter (``$rows``, ``$id``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graph_schema.model import PROVENANCE, REL_SCHEMAS, NodeLabel, PropType, RelType

__all__ = [
    "META_LABEL",
    "RUN_LABEL",
    "SCHEMA_META_ID",
    "merge_nodes",
    "create_nodes",
    "write_guard",
    "take_bulk_lease",
    "release_bulk_lease",
    "delete_rels_from",
    "missing_ids",
    "merge_rels",
    "create_rels",
    "create_rels_by_node_id",
    "node_ids",
    "count_rels_from",
    "read_bulk_lease",
    "read_schema_version",
    "write_schema_version",
    "read_revision",
    "bump_revision",
    "count_nodes",
    "count_rels",
    "read_nodes",
    "read_rels",
    "NULL_PARAMS",
    "read_node_columns",
    "read_rel_columns",
    "get_node",
    "search_nodes",
    "delete_rels_of_nodes",
    "delete_rels_where",
    "delete_nodes_where",
    "delete_all_nodes",
    "save_run",
    "load_run",
    "list_runs",
    "delete_run",
]

META_LABEL = "ChainBrainMeta"
RUN_LABEL = "ChainBrainRun"
SCHEMA_META_ID = "schema"
_PROVENANCE_KEYS = frozenset(p.name for p in PROVENANCE)


def _key(name: str) -> str:
    """A property key in backticks (keys come from graph_schema, never from user input)."""
    return "`" + name.replace("`", "``") + "`"


def _provenance_key(column: str) -> str:
    if column not in _PROVENANCE_KEYS:
        raise ValueError(f"{column!r} is not a provenance property; expected source or snapshot.")
    return _key(column)


# ----------------------------------------------------------------------------- writes


def _unwind(first: str) -> str:
    """Rows of the column map ``$cols`` (one list per column) as ``i`` = 0, 1, ..."""
    return f"UNWIND range(0, size($cols.{_key(first)}) - 1) AS i "


def _set(var: str, columns: Sequence[str], fixed: Sequence[str] = ()) -> str:
    """`` SET var.c = $cols.c[i], ..., var.f = $fixed.f, ...`` (a null removes the
    property), or nothing; ``fixed`` columns hold one value for every row."""
    sets = [f"{var}.{_key(c)} = $cols.{_key(c)}[i]" for c in columns]
    sets += [f"{var}.{_key(c)} = $fixed.{_key(c)}" for c in fixed]
    return " SET " + ", ".join(sets) if sets else ""


def merge_nodes(label: NodeLabel, columns: Sequence[str]) -> str:
    """Upsert the nodes of ``$cols`` (``id`` and the property ``columns``; a null removes
    a property, a column not given keeps it)."""
    props = [c for c in columns if c != "id"]
    return (
        f"{_unwind('id')}MERGE (n:{NodeLabel(label).value} {{id: $cols.id[i]}}){_set('n', props)}"
    )


def create_nodes(label: NodeLabel, columns: Sequence[str]) -> str:
    """Create the nodes of ``$cols`` as new nodes: only when no node of ``label`` exists
    yet (bulk load); nulls are left unset."""
    props = [c for c in columns if c != "id"]
    return (
        f"{_unwind('id')}CREATE (n:{NodeLabel(label).value} {{id: $cols.id[i]}}){_set('n', props)}"
    )


def missing_ids(label: NodeLabel) -> str:
    """The ids of ``$ids`` with no node of ``label`` (returns ``missing``, a list)."""
    return (
        f"UNWIND $ids AS id WITH id WHERE NOT EXISTS {{ MATCH (:{NodeLabel(label).value} {{id: id}}) }} "
        "RETURN collect(id) AS missing"
    )


def _rels(
    verb: str, rel_type: RelType, src: NodeLabel, dst: NodeLabel, columns: Sequence[str]
) -> str:
    return (
        f"{_unwind('src')}"
        f"MATCH (a:{NodeLabel(src).value} {{id: $cols.src[i]}}) "
        f"MATCH (b:{NodeLabel(dst).value} {{id: $cols.dst[i]}}) "
        f"{verb} (a)-[r:{RelType(rel_type).value} {{key: $cols.key[i]}}]->(b)"
        f"{_set('r', columns)} RETURN count(*) AS n"
    )


def merge_rels(rel_type: RelType, src: NodeLabel, dst: NodeLabel, columns: Sequence[str]) -> str:
    """Upsert the relationships of ``$cols`` (``src``, ``dst``, ``key`` and the property
    ``columns``) keyed by (type, ends, key).  Returns ``n``, the rows whose two ends exist
    (fewer than the rows: unknown ends)."""
    return _rels("MERGE", rel_type, src, dst, columns)


def create_rels(rel_type: RelType, src: NodeLabel, dst: NodeLabel, columns: Sequence[str]) -> str:
    """Create the relationships of ``$cols`` as :func:`merge_rels` does, but only when none
    of ``rel_type`` leaves a ``src`` node yet (see :func:`count_rels_from`), so no (type,
    ends, key) can exist already."""
    return _rels("CREATE", rel_type, src, dst, columns)


def create_rels_by_node_id(
    rel_type: RelType,
    src: NodeLabel,
    dst: NodeLabel,
    columns: Sequence[str],
    fixed: Sequence[str] = (),
) -> str:
    """:func:`create_rels` with ``$cols.src`` and ``$cols.dst`` holding the server's ids
    of the ends (see :func:`node_ids`): a seek by id instead of a locking seek of the id
    constraint's index per end and row (a bulk load, where only its own transactions
    write).  The ``fixed`` properties take one value for every row from the map
    ``$fixed`` (a load's provenance: sent once, not once per row).  Returns ``n``, the
    rows whose two ends exist."""
    return (
        f"{_unwind('src')}"
        f"MATCH (a:{NodeLabel(src).value}) WHERE id(a) = $cols.src[i] "
        f"MATCH (b:{NodeLabel(dst).value}) WHERE id(b) = $cols.dst[i] "
        f"CREATE (a)-[r:{RelType(rel_type).value} {{key: $cols.key[i]}}]->(b)"
        f"{_set('r', columns, fixed)} RETURN count(*) AS n"
    )


def node_ids(label: NodeLabel) -> str:
    """The server's ids of the ``label`` nodes with business ids ``$ids``: ``ids`` and
    ``nids``, two lists in the same order (unknown ids are left out)."""
    return (
        f"UNWIND $ids AS id MATCH (n:{NodeLabel(label).value} {{id: id}}) "
        "RETURN collect(id) AS ids, collect(id(n)) AS nids"
    )


def count_rels_from(rel_type: RelType, src: NodeLabel) -> str:
    """Number of ``rel_type`` relationships leaving ``src`` nodes (a count-store lookup)."""
    return f"MATCH (:{NodeLabel(src).value})-[r:{RelType(rel_type).value}]->() RETURN count(r) AS n"


def write_guard() -> str:
    """Lock the meta node for the rest of the transaction (serialising writers) and return
    the token of a bulk load in progress (``token``, null when none) and its ``started``."""
    return (
        f"MERGE (m:{META_LABEL} {{id: $id}}) SET m.bulk_token = m.bulk_token "
        "RETURN m.bulk_token AS token, m.bulk_started AS started"
    )


def take_bulk_lease() -> str:
    """Record bulk load ``$token`` and what it creates (``$labels``, ``$rels`` as
    ``TYPE:SrcLabel``) on the meta node; run after :func:`write_guard` found no lease."""
    return (
        f"MATCH (m:{META_LABEL} {{id: $id}}) SET m.bulk_token = $token, m.bulk_started = $at, "
        "m.bulk_labels = $labels, m.bulk_rels = $rels"
    )


def release_bulk_lease() -> str:
    """Drop the lease of ``$token`` and count the change (returns ``n``, 0 if not held)."""
    return (
        f"MATCH (m:{META_LABEL} {{id: $id}}) WHERE m.bulk_token = $token "
        "REMOVE m.bulk_token, m.bulk_started, m.bulk_labels, m.bulk_rels "
        "SET m.revision = coalesce(m.revision, 0) + 1 RETURN count(m) AS n"
    )


def read_bulk_lease() -> str:
    return (
        f"MATCH (m:{META_LABEL} {{id: $id}}) RETURN m.bulk_token AS token, "
        "m.bulk_started AS started, m.bulk_labels AS labels, m.bulk_rels AS rels"
    )


def read_schema_version() -> str:
    return f"MATCH (m:{META_LABEL} {{id: $id}}) RETURN m.version AS version"


def write_schema_version() -> str:
    return f"MERGE (m:{META_LABEL} {{id: $id}}) SET m.version = $version, m.applied_at = $at"


def read_revision() -> str:
    return f"MATCH (m:{META_LABEL} {{id: $id}}) RETURN m.revision AS revision"


def bump_revision() -> str:
    return f"MERGE (m:{META_LABEL} {{id: $id}}) SET m.revision = coalesce(m.revision, 0) + 1"


# ----------------------------------------------------------------------------- reads


def count_nodes(label: NodeLabel) -> str:
    return f"MATCH (n:{NodeLabel(label).value}) RETURN count(n) AS n"


def count_rels(rel_type: RelType) -> str:
    return f"MATCH ()-[r:{RelType(rel_type).value}]->() RETURN count(r) AS n"


def read_nodes(label: NodeLabel, columns: Sequence[str]) -> str:
    """All nodes of ``label`` as one list of rows (lists keep nulls, ``collect`` would not)."""
    cells = ", ".join(f"n.{_key(c)}" for c in columns)
    return f"MATCH (n:{NodeLabel(label).value}) RETURN collect([{cells}]) AS rows"


def read_rels(rel_type: RelType, columns: Sequence[str]) -> str:
    """All ``rel_type`` relationships as one list of rows:
    ``[src label, src id, dst label, dst id, key, *columns]`` (a canonical node has one label)."""
    cells = ", ".join(
        ["head(labels(a))", "a.id", "head(labels(b))", "b.id", "r.key"]
        + [f"r.{_key(c)}" for c in columns]
    )
    return f"MATCH (a)-[r:{RelType(rel_type).value}]->(b) RETURN collect([{cells}]) AS rows"


NULL_STR = "\x00<null>"
NULL_INT = -(2**63)
NULL_PARAMS: dict[str, Any] = {
    "null_str": NULL_STR,
    "null_int": NULL_INT,
    "null_float": float("nan"),
}
"""Parameters of the columnar reads: what stands for a missing value in a collected column
(``collect`` drops nulls, which would shift the columns against each other)."""


def _cell(expr: str, prop_type: PropType) -> str:
    kind = {PropType.FLOAT: "float", PropType.INT: "int"}.get(prop_type, "str")
    return f"coalesce({expr}, $null_{kind})"


def _columns(var: str, columns: Sequence[tuple[str, PropType]]) -> str:
    return ", ".join(
        f"collect({_cell(f'{var}.{_key(name)}', t)}) AS c{i}" for i, (name, t) in enumerate(columns)
    )


def read_node_columns(label: NodeLabel, columns: Sequence[tuple[str, PropType]]) -> str:
    """One chunk of ``label`` nodes (``$skip``, ``$limit`` in label-scan order) as one
    record of columns: ``nid`` (the server's node ids, which the relationship reads
    return as ends), ``id``, then ``c0``, ``c1``, ... for ``columns`` (name, type), a
    missing value as its :data:`NULL_PARAMS` stand-in.  Each node's properties are read
    once (``properties(n)``) rather than once per key."""
    return (
        f"MATCH (n:{NodeLabel(label).value}) WITH n SKIP $skip LIMIT $limit "
        "WITH id(n) AS nid, properties(n) AS p "
        f"RETURN collect(nid) AS nid, collect(p.id) AS id, {_columns('p', columns)}"
    )


def read_rel_columns(
    rel_type: RelType, src: NodeLabel, columns: Sequence[tuple[str, PropType]]
) -> str:
    """The ``rel_type`` relationships leaving one chunk of ``src`` nodes (``$skip``,
    ``$limit``) as one record of columns: ``src`` and ``dst``, the server's ids of the two
    ends (the node reads map them to business ids and labels, so no end node is read
    here), ``key``, then ``c0``, ``c1``, ... as in :func:`read_node_columns`."""
    return (
        f"MATCH (a:{NodeLabel(src).value}) WITH a SKIP $skip LIMIT $limit "
        f"MATCH (a)-[r:{RelType(rel_type).value}]->(b) "
        "WITH id(a) AS src, id(b) AS dst, properties(r) AS p "
        "RETURN collect(src) AS src, collect(dst) AS dst, "
        f"collect({_cell('p.key', PropType.STR)}) AS key, {_columns('p', columns)}"
    )


def get_node(label: NodeLabel) -> str:
    return f"MATCH (n:{NodeLabel(label).value} {{id: $id}}) RETURN properties(n) AS props"


def existing_ids(label: NodeLabel) -> str:
    """Which of ``$ids`` are ids of ``label`` nodes (uses the id constraint's index)."""
    return (
        f"UNWIND $ids AS id MATCH (n:{NodeLabel(label).value} {{id: id}}) "
        "RETURN collect(id) AS found"
    )


def search_nodes(label: NodeLabel, fields: Sequence[str]) -> str:
    """Nodes whose id or one of ``fields`` contains ``$text`` (lower-cased by the caller)."""
    where = " OR ".join(f"toLower(toString(n.{_key(f)})) CONTAINS $text" for f in ("id", *fields))
    return (
        f"MATCH (n:{NodeLabel(label).value}) WHERE {where} "
        "RETURN properties(n) AS props ORDER BY n.id LIMIT $limit"
    )


# ----------------------------------------------------------------------------- deletes


def delete_rels_of_nodes(label: NodeLabel, column: str) -> str:
    """Delete up to ``$batch`` relationships touching ``label`` nodes whose ``column`` = $value."""
    return (
        f"MATCH (n:{NodeLabel(label).value})-[r]-() WHERE n.{_provenance_key(column)} = $value "
        "WITH DISTINCT r LIMIT $batch DELETE r RETURN count(r) AS n"
    )


def delete_rels_where(rel_type: RelType, column: str) -> str:
    return (
        f"MATCH ()-[r:{RelType(rel_type).value}]->() WHERE r.{_provenance_key(column)} = $value "
        "WITH r LIMIT $batch DELETE r RETURN count(r) AS n"
    )


def delete_nodes_where(label: NodeLabel, column: str) -> str:
    return (
        f"MATCH (n:{NodeLabel(label).value}) WHERE n.{_provenance_key(column)} = $value "
        "WITH n LIMIT $batch DETACH DELETE n RETURN count(n) AS n"
    )


def delete_rels_from(rel_type: RelType, src: NodeLabel) -> str:
    """Delete up to ``$batch`` ``rel_type`` relationships leaving ``src`` nodes."""
    return (
        f"MATCH (:{NodeLabel(src).value})-[r:{RelType(rel_type).value}]->() "
        "WITH r LIMIT $batch DELETE r RETURN count(r) AS n"
    )


def delete_all_nodes(label: str) -> str:
    """Delete up to ``$batch`` nodes of a canonical label or of the run label."""
    if label != RUN_LABEL:
        label = NodeLabel(label).value
    return f"MATCH (n:{label}) WITH n LIMIT $batch DETACH DELETE n RETURN count(n) AS n"


# ----------------------------------------------------------------------------- runs


def save_run() -> str:
    """Replace every property of the run node by ``$props`` (old tables disappear)."""
    return f"MERGE (n:{RUN_LABEL} {{id: $id}}) SET n = $props"


def load_run() -> str:
    return f"MATCH (n:{RUN_LABEL} {{id: $id}}) RETURN properties(n) AS props"


def list_runs() -> str:
    return (
        f"MATCH (n:{RUN_LABEL}) WHERE $kind IS NULL OR n.kind = $kind "
        "RETURN n.kind AS kind, n.run_id AS run_id, n.created_at AS created_at, "
        "n.tenant AS tenant, n.params AS params, n.summary AS summary "
        "ORDER BY n.created_at DESC, n.run_id"
    )


def delete_run() -> str:
    return f"MATCH (n:{RUN_LABEL} {{id: $id}}) DELETE n RETURN count(*) AS n"


# ----------------------------------------------------------------------------- scoped reads


def _valid_on(rel_type: RelType) -> str:
    """`` AND`` condition keeping relationships valid on ``$as_of`` (when given)."""
    names = REL_SCHEMAS[RelType(rel_type)].prop_names
    parts = []
    if "valid_from" in names:
        parts.append("(r.valid_from IS NULL OR r.valid_from <= $as_of)")
    if "valid_to" in names:
        parts.append("(r.valid_to IS NULL OR $as_of <= r.valid_to)")
    if not parts:
        return ""
    return " AND ($as_of IS NULL OR (" + " AND ".join(parts) + "))"


def has_node(label: NodeLabel) -> str:
    return f"MATCH (n:{NodeLabel(label).value} {{id: $id}}) RETURN count(n) AS n"


def ids_where(label: NodeLabel, column: str) -> str:
    """Ids of ``label`` nodes whose property ``column`` (a schema name) is in ``$values``."""
    return (
        f"MATCH (n:{NodeLabel(label).value}) WHERE n.{_key(column)} IN $values "
        "RETURN collect(n.id) AS ids"
    )


def scoped_edges(rel_type: RelType, src: NodeLabel, dst: NodeLabel, column: str) -> str:
    """Ends ``[src id, dst id]`` of the relationships whose ``column`` (``src``, ``dst`` or
    a relationship property) is in ``$values`` and valid on ``$as_of``."""
    t, s, d = RelType(rel_type).value, NodeLabel(src).value, NodeLabel(dst).value
    valid = _valid_on(rel_type)
    if column == "src":
        # anchor first, then expand: a USING INDEX hint made the planner scan the index
        match = f"UNWIND $values AS v MATCH (a:{s} {{id: v}}) MATCH (a)-[r:{t}]->(b:{d}) WHERE true"
    elif column == "dst":
        match = f"UNWIND $values AS v MATCH (b:{d} {{id: v}}) MATCH (a:{s})-[r:{t}]->(b) WHERE true"
    else:
        match = f"MATCH (a:{s})-[r:{t}]->(b:{d}) WHERE r.{_key(column)} IN $values"
    return f"{match}{valid} RETURN collect([a.id, b.id]) AS rows"


def read_nodes_by_id(label: NodeLabel, columns: Sequence[str]) -> str:
    """The nodes ``$ids`` of ``label`` as one list of rows (see :func:`read_nodes`)."""
    cells = ", ".join(f"n.{_key(c)}" for c in columns)
    return (
        f"UNWIND $ids AS id MATCH (n:{NodeLabel(label).value} {{id: id}}) "
        f"RETURN collect([{cells}]) AS rows"
    )


def read_rels_between(
    rel_type: RelType, src: NodeLabel, dst: NodeLabel, columns: Sequence[str], by_src: bool
) -> str:
    """``src -rel_type-> dst`` relationships valid on ``$as_of`` between the nodes ``$ids``
    (sources when ``by_src``, else targets) and ``$others`` (the other end), as rows like
    :func:`read_rels`."""
    s, d, t = NodeLabel(src).value, NodeLabel(dst).value, RelType(rel_type).value
    cells = ", ".join(
        [f"'{s}'", "a.id", f"'{d}'", "b.id", "r.key"] + [f"r.{_key(c)}" for c in columns]
    )
    if by_src:
        match = f"MATCH (a:{s} {{id: id}}) MATCH (a)-[r:{t}]->(b:{d}) WHERE b.id IN $others"
    else:
        match = f"MATCH (b:{d} {{id: id}}) MATCH (a:{s})-[r:{t}]->(b) WHERE a.id IN $others"
    return f"UNWIND $ids AS id {match}{_valid_on(rel_type)} RETURN collect([{cells}]) AS rows"
