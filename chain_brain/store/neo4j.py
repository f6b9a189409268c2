"""The Neo4j backend of the GraphStore protocol, over Bolt with the official driver.

A node of label ``L`` is ``(:L {id, ...properties, ...provenance})``; a relationship is
``(a)-[:TYPE {key, ...}]->(b)``, identified by its type, its two endpoints and ``key``.
The schema version lives on ``(:ChainBrainMeta {id: 'schema'})``; stored runs are
``(:ChainBrainRun)`` nodes whose tables are Parquet bytes, one property per table.

Every write is one managed transaction (``execute_write``) of ``UNWIND $rows`` batches; the
driver may retry it, so every statement is an idempotent ``MERGE``.  Every Cypher string
comes from :mod:`chain_brain.store.cypher`.
"""

from __future__ import annotations

import functools
import io
import json
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, LiteralString, TypeVar, cast

import neo4j
import numpy as np
import pandas as pd
from neo4j.exceptions import AuthError, ClientError, DriverError, Neo4jError, ServiceUnavailable
from tqdm import tqdm

from chain_brain.store import cypher
from chain_brain.store.base import RunRecord, Scope, WriteResult
from chain_brain.store.embedded import describe_rejects
from chain_brain.store.scope import (
    EdgeRow,
    apply_scope,
    check_node_column,
    check_rel_column,
    read_scoped,
)
from graph_schema.errors import (
    ChainBrainError,
    NotFoundError,
    StoreError,
    StoreUnavailableError,
    ValidationError,
)
from graph_schema.frames import (
    PROVENANCE_COLUMNS,
    GraphData,
    NodeFrame,
    RelFrame,
    uniform_columns,
    validate_nodes,
    validate_rels,
)
from graph_schema.migrations import SCHEMA_VERSION, check_version, migrations
from graph_schema.model import (
    NODE_SCHEMAS,
    PROVENANCE,
    REL_SCHEMAS,
    NodeLabel,
    PropType,
    RelType,
    node_schema,
)

__all__ = ["Neo4jStore", "BULK_COMMIT_ROWS", "SESSIONS"]

T = TypeVar("T")
_TABLE_PREFIX = "table__"
_DELETE_BATCH = 10_000
_READ_CHUNK = 50_000
_ID_CHUNK = 50_000  # business ids per look-up of server node ids
_READ_ATTEMPTS = 3
SESSIONS = 2
"""Sessions a bulk load and a whole-graph snapshot use at once, by default (the server
runs each query on one thread; two keep both cores of a small server busy)."""
BULK_COMMIT_ROWS = 50_000
"""Rows per transaction of a bulk load (see :meth:`Neo4jStore.write`): about 0.25 GB of
transaction state on the server per transaction, two at a time (:data:`SESSIONS`),
well inside the default 2 GB heap's 1.4 GB limit."""


def _q(text: str) -> LiteralString:
    """A statement of :mod:`cypher` (built from enums and schema names only) for the driver."""
    return cast(LiteralString, text)


def _plain(value: object) -> object:
    """A value the Bolt driver can pack: numpy scalars to Python, NaN/NA to None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.generic):
        item = value.item()
        return None if isinstance(item, float) and item != item else item
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value


_Columns = dict[str, list[Any]]
"""Driver-ready columns of a frame: one list of plain values per column, all one length."""


def _columns(
    frame: pd.DataFrame, columns: Sequence[str], list_cols: Collection[str] = ()
) -> _Columns:
    """Columns ``columns`` of ``frame`` as lists of plain values (NaN/NA -> None)."""
    out: _Columns = {}
    for c in columns:
        series = frame[c]
        if c in list_cols:
            out[c] = [
                [_plain(x) for x in v] if isinstance(v, (list, tuple, np.ndarray)) else None
                for v in series.tolist()
            ]
            continue
        values = series.astype(object)
        plain = values.where(pd.notna(values), None).tolist()
        if series.dtype.kind in "iub":  # numpy scalars may survive astype(object)
            plain = [_plain(v) for v in plain]
        out[c] = plain
    return out


def _n(cols: _Columns) -> int:
    """Rows in ``cols``."""
    return len(next(iter(cols.values()))) if cols else 0


def _batches(cols: _Columns, size: int) -> Iterator[_Columns]:
    for start in range(0, _n(cols), size):
        yield {c: v[start : start + size] for c, v in cols.items()}


class Neo4jStore:
    """GraphStore on a Neo4j 5 server reached over Bolt.

    Parameters
    ----------
    uri : ``bolt://host:port`` or ``neo4j://host:port`` (ignored when ``driver`` is given,
        except as the name used in messages).
    user, password : credentials; none when the server runs without authentication.
    database : database name; None for the server's default.
    driver : an existing :class:`neo4j.Driver` to use (the store then does not close it).
    sessions : sessions a bulk load commits over, and a whole-graph snapshot reads over, at
        once (1 runs them one after the other).
    migrate : accept a database of an older schema version, for :meth:`init` to migrate;
        ``chain-brain init`` opens stores this way.

    Raises
    ------
    StoreUnavailableError
        The server cannot be reached or refuses the credentials; the message names the URI.
    SchemaVersionError
        The database holds another schema version than this code speaks.
    """

    def __init__(
        self,
        uri: str = "bolt://127.0.0.1:7687",
        *,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        driver: neo4j.Driver | None = None,
        sessions: int = SESSIONS,
        migrate: bool = False,
    ) -> None:
        if sessions < 1:
            raise ValidationError(f"sessions must be >= 1, got {sessions}.")
        self.uri = uri
        self.database = database
        self.sessions = sessions
        self._owns_driver = driver is None
        try:
            if driver is None:
                auth = (user or "neo4j", password) if password is not None else None
                driver = neo4j.GraphDatabase.driver(uri, auth=auth)
            driver.verify_connectivity()
        except (ServiceUnavailable, AuthError, DriverError, Neo4jError, OSError, ValueError) as exc:
            if driver is not None and self._owns_driver:
                driver.close()
            raise StoreUnavailableError(f"Cannot reach Neo4j at {uri!r}: {exc}") from exc
        self._driver = driver
        check_version(self.schema_version(), uri, migrating=migrate)

    # ------------------------------------------------------------------ plumbing

    def _session(self) -> neo4j.Session:
        # the store reads labels that may not exist yet: keep the server's hints out of logs
        return self._driver.session(
            database=self.database, notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF
        )

    def _read(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        try:
            with self._session() as session:
                return session.execute_read(work)
        except ServiceUnavailable as exc:
            raise StoreUnavailableError(f"Neo4j at {self.uri!r} became unreachable: {exc}") from exc
        except Neo4jError as exc:
            raise StoreError(f"Read from Neo4j at {self.uri!r} failed: {exc}") from exc

    def _write(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        try:
            with self._session() as session:
                return session.execute_write(work)
        except ServiceUnavailable as exc:
            raise StoreUnavailableError(f"Neo4j at {self.uri!r} became unreachable: {exc}") from exc
        except Neo4jError as exc:
            raise StoreError(
                f"Write to Neo4j at {self.uri!r} failed and was rolled back: {exc}"
            ) from exc

    # ------------------------------------------------------------------ schema

    def schema_version(self) -> int | None:
        def work(tx: neo4j.ManagedTransaction) -> int | None:
            rec = tx.run(_q(cypher.read_schema_version()), id=cypher.SCHEMA_META_ID).single()
            return None if rec is None or rec["version"] is None else int(rec["version"])

        return self._read(work)

    def init(self) -> int:
        """Apply the migrations newer than the recorded schema version (all of them in a new
        database; each is idempotent, so an interrupted init can run again); record the
        version."""
        found = self.schema_version()
        check_version(found, self.uri, migrating=True)
        try:
            with self._session() as session:
                for migration in migrations():
                    if found is not None and migration.version <= found:
                        continue
                    for statement in migration.statements:
                        try:
                            session.run(_q(statement)).consume()
                        except ClientError as exc:
                            # another client created the same rule between IF NOT EXISTS
                            # and the commit: the rule exists, which is what was asked
                            if not (exc.code or "").endswith("EquivalentSchemaRuleAlreadyExists"):
                                raise
        except ServiceUnavailable as exc:
            raise StoreUnavailableError(f"Neo4j at {self.uri!r} became unreachable: {exc}") from exc
        except Neo4jError as exc:
            raise StoreError(f"Migrating Neo4j at {self.uri!r} failed: {exc}") from exc
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(
                _q(cypher.write_schema_version()),
                id=cypher.SCHEMA_META_ID,
                version=SCHEMA_VERSION,
                at=now,
            ).consume()

        self._write(work)
        return SCHEMA_VERSION

    # ------------------------------------------------------------------ writes

    def write(
        self,
        data: GraphData,
        *,
        batch_size: int = 10_000,
        commit_rows: int | None = BULK_COMMIT_ROWS,
    ) -> WriteResult:
        """Validate, then write every frame of ``data``, all or nothing.

        A write is one transaction of ``UNWIND $rows`` batches (nodes and relationships
        upserted with ``MERGE``), except a *bulk load*: more than ``commit_rows`` rows
        whose node labels hold no node yet and whose relationship types leave no node of
        their source label yet.  A bulk load creates its rows in transactions of about
        ``commit_rows`` rows each, so the server's transaction memory stays bounded; it
        holds a lease on the meta node meanwhile (other writes are refused), and if any
        transaction fails it deletes what the earlier ones created (exact, since those
        labels and types were empty) before raising.  Readers may see a partial load while
        it runs; :meth:`revision` changes with every committed transaction.
        ``commit_rows=None`` always writes in one transaction.

        Relationships whose endpoints are neither stored nor written in the same call raise
        :class:`ValidationError` naming the missing ids, and nothing is written.
        """
        if batch_size < 1:
            raise ValidationError(f"batch_size must be >= 1, got {batch_size}.")
        if commit_rows is not None and commit_rows < 1:
            raise ValidationError(f"commit_rows must be >= 1 or None, got {commit_rows}.")
        node_jobs: list[tuple[NodeLabel, _Columns]] = []
        rel_jobs: list[_RelJob] = []
        result = WriteResult()
        for nf in data.nodes:
            v = validate_nodes(nf)
            if len(v.rejects):
                raise ValidationError(describe_rejects(v.rejects, "Write"))
            frame = v.frame
            schema = node_schema(frame.label)
            known = ["id", *schema.prop_names, *PROVENANCE_COLUMNS]
            cols = [c for c in known if c in frame.data.columns]
            lists = {p.name for p in schema.props if p.type is PropType.LIST}
            node_jobs.append((frame.label, _columns(frame.data, cols, lists)))
            result.nodes += len(frame)
            result.by_kind[frame.label.value] = result.by_kind.get(frame.label.value, 0) + len(
                frame
            )
        for rf in data.rels:
            vr = validate_rels(rf)
            if len(vr.rejects):
                raise ValidationError(describe_rejects(vr.rejects, "Write"))
            rframe = vr.frame
            rs = REL_SCHEMAS[rframe.type]
            known = [*rs.prop_names, *PROVENANCE_COLUMNS]
            cols = [c for c in known if c in rframe.data.columns]
            rel_jobs.append(_RelJob(rframe, _columns(rframe.data, ["src", "dst", "key", *cols])))
            result.rels += len(rframe)
            result.by_kind[rframe.type.value] = result.by_kind.get(rframe.type.value, 0) + len(
                rframe
            )
        if not (node_jobs or rel_jobs):
            return result
        n_rows = sum(_n(c) for _, c in node_jobs) + sum(_n(j.cols) for j in rel_jobs)
        if commit_rows is not None and n_rows > commit_rows:
            token = self._begin_bulk(node_jobs, rel_jobs)
            if token is not None:
                self._bulk_write(token, node_jobs, rel_jobs, batch_size, commit_rows)
                return result

        def work(tx: neo4j.ManagedTransaction) -> None:
            _guard(tx, None)
            for label, cols in node_jobs:
                statement = _q(cypher.merge_nodes(label, list(cols)))
                for batch in _batches(cols, batch_size):
                    tx.run(statement, cols=batch).consume()
            for job in rel_jobs:
                frame = job.frame
                # MERGE must look at the relationships already between both ends, which is
                # slow on high-degree nodes; when no relationship of this type leaves any
                # node of the source label yet (first load), nothing can match and CREATE is
                # exact: validation already merged duplicate (src, dst, key) rows.
                rec = tx.run(_q(cypher.count_rels_from(frame.type, frame.src_label))).single()
                fresh = rec is not None and int(rec["n"]) == 0
                build = cypher.create_rels if fresh else cypher.merge_rels
                statement = _q(build(frame.type, frame.src_label, frame.dst_label, job.props))
                for batch in _batches(job.cols, batch_size):
                    _run_rels(tx, statement, batch, job, batch_size)
            tx.run(_q(cypher.bump_revision()), id=cypher.SCHEMA_META_ID).consume()

        self._write(work)
        return result

    # ------------------------------------------------------------------ bulk loads

    def _begin_bulk(
        self, node_jobs: list[tuple[NodeLabel, _Columns]], rel_jobs: list[_RelJob]
    ) -> str | None:
        """Take the bulk lease if every label and (type, source label) written is empty
        and no two frames share a label or (type, ends); the lease's token, or None (then
        the write takes the one-transaction path)."""
        ends = [(j.frame.type, j.frame.src_label, j.frame.dst_label) for j in rel_jobs]
        if len({label for label, _ in node_jobs}) < len(node_jobs) or len(set(ends)) < len(ends):
            return None  # two frames may repeat a row: only MERGE writes it once
        token = uuid.uuid4().hex
        labels = sorted({label.value for label, _ in node_jobs})
        rels = sorted({f"{j.frame.type.value}:{j.frame.src_label.value}" for j in rel_jobs})
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        def work(tx: neo4j.ManagedTransaction) -> bool:
            _guard(tx, None)
            for label in labels:
                if _single_count(tx, cypher.count_nodes(NodeLabel(label))):
                    return False
            for pair in rels:
                rel_type, src = pair.split(":")
                if _single_count(tx, cypher.count_rels_from(RelType(rel_type), NodeLabel(src))):
                    return False
            tx.run(
                _q(cypher.take_bulk_lease()),
                id=cypher.SCHEMA_META_ID,
                token=token,
                at=at,
                labels=labels,
                rels=rels,
            ).consume()
            return True

        return token if self._write(work) else None

    def _bulk_write(
        self,
        token: str,
        node_jobs: list[tuple[NodeLabel, _Columns]],
        rel_jobs: list[_RelJob],
        batch_size: int,
        commit_rows: int,
    ) -> None:
        """Create every row in transactions of about ``commit_rows`` rows under the lease
        ``token``; on any failure undo the load, release the lease and re-raise."""
        # one _Step per batch: nodes first, then relationships
        node_steps: list[_Step] = []
        for label, cols in node_jobs:
            statement = cypher.create_nodes(label, list(cols))
            node_steps += [(statement, b, None, {}) for b in _batches(cols, batch_size)]
        total = sum(_n(c) for _, c in node_jobs) + sum(_n(j.cols) for j in rel_jobs)

        def rel_phase() -> list[list[_Step]]:
            # after the nodes: relationships find their ends by the server's node ids
            found = self._node_ids(rel_jobs)
            rel_steps: list[_Step] = []
            for job in rel_jobs:
                f = job.frame
                cols = dict(job.cols)
                for end, label in (("src", f.src_label), ("dst", f.dst_label)):
                    ids = found[label]
                    missing = [i for i in dict.fromkeys(cols[end]) if i not in ids]
                    if missing:
                        raise _unknown_ends(f, end, label, missing)
                    cols[end] = [ids[i] for i in cols[end]]
                fixed = uniform_columns(f.data, job.props)
                varying = [c for c in job.props if c not in fixed]
                for c in fixed:
                    del cols[c]
                build = cypher.create_rels_by_node_id
                statement = build(f.type, f.src_label, f.dst_label, varying, list(fixed))
                rel_steps += [(statement, b, job, fixed) for b in _batches(cols, batch_size)]
            return _commits(rel_steps, commit_rows)

        phases = [lambda: _commits(node_steps, commit_rows), rel_phase]

        def commit(part: list[_Step]) -> int:
            def work(tx: neo4j.ManagedTransaction) -> None:
                for statement, batch, job, fixed in part:
                    if job is None:
                        tx.run(_q(statement), cols=batch).consume()
                    else:
                        _run_rels(tx, _q(statement), batch, job, batch_size, fixed)
                # the lease check locks the meta node until the commit: taken last, it
                # lets the other session's transaction build its rows meanwhile
                _guard(tx, token)
                tx.run(_q(cypher.bump_revision()), id=cypher.SCHEMA_META_ID).consume()

            self._write(work)
            return sum(_n(step[1]) for step in part)

        try:
            with tqdm(
                total=total, unit="row", desc="Neo4j bulk load", disable=total < 500_000
            ) as bar:
                for phase in phases:
                    # every node commits before the first relationship looks its ends up
                    parts = phase()
                    with ThreadPoolExecutor(max_workers=self.sessions) as pool:
                        futures = [pool.submit(commit, part) for part in parts]
                        try:
                            for future in futures:
                                bar.update(future.result())
                        except BaseException:
                            for future in futures:
                                future.cancel()  # leaving the block waits for the rest
                            raise
        except BaseException as exc:
            try:
                self.abandon_bulk_load(token)
            except ChainBrainError as undo_exc:
                raise StoreError(
                    f"Bulk load {token} into Neo4j at {self.uri!r} failed ({exc}) and undoing "
                    f"it failed too ({undo_exc}); retry with `chain-brain neo4j abandon-load {token}`."
                ) from exc
            raise
        self._release_bulk(token)

    def _node_ids(self, rel_jobs: list[_RelJob]) -> dict[NodeLabel, dict[str, int]]:
        """The server's node ids of every end of ``rel_jobs``, by label and business id
        (unknown ids are left out)."""
        wanted: dict[NodeLabel, set[str]] = {}
        for job in rel_jobs:
            wanted.setdefault(job.frame.src_label, set()).update(job.cols["src"])
            wanted.setdefault(job.frame.dst_label, set()).update(job.cols["dst"])
        found: dict[NodeLabel, dict[str, int]] = {}
        for label, ids in wanted.items():
            statement = _q(cypher.node_ids(label))
            unique = sorted(ids)
            found[label] = {}
            for start in range(0, len(unique), _ID_CHUNK):
                chunk = unique[start : start + _ID_CHUNK]
                work = functools.partial(_node_id_chunk, statement=statement, ids=chunk)
                found[label].update(self._read(work))
        return found

    def _release_bulk(self, token: str) -> None:
        def work(tx: neo4j.ManagedTransaction) -> int:
            rec = tx.run(_q(cypher.release_bulk_lease()), id=cypher.SCHEMA_META_ID, token=token)
            return _record_int(rec.single())

        if self._write(work) == 0:
            raise StoreError(f"Bulk load {token} lost its lease on Neo4j at {self.uri!r}.")

    def bulk_load_in_progress(self) -> dict[str, object] | None:
        """The lease of a bulk load in progress (``token``, ``started``, ``labels``,
        ``rels``), or None."""

        def work(tx: neo4j.ManagedTransaction) -> dict[str, object] | None:
            rec = tx.run(_q(cypher.read_bulk_lease()), id=cypher.SCHEMA_META_ID).single()
            return None if rec is None or rec["token"] is None else dict(rec)

        return self._read(work)

    def abandon_bulk_load(self, token: str) -> int:
        """Undo the bulk load holding lease ``token`` (one whose process died, say): delete
        every node of its labels and every relationship of its (type, source label) pairs,
        which were all empty when it began, then release the lease.  Returns the number of
        objects removed; :class:`NotFoundError` if no load holds ``token``."""
        lease = self.bulk_load_in_progress()
        if lease is None or lease["token"] != token:
            raise NotFoundError(f"No bulk load with token {token!r} is in progress.")
        removed = 0
        for pair in cast(list[str], lease["rels"] or []):
            rel_type, src = pair.split(":")
            removed += self._delete_loop(cypher.delete_rels_from(RelType(rel_type), NodeLabel(src)))
        for label in cast(list[str], lease["labels"] or []):
            removed += self._delete_loop(cypher.delete_all_nodes(label))
        self._release_bulk(token)
        return removed

    def _delete_loop(self, statement: str, **params: Any) -> int:
        """Run a batched delete until it removes fewer than a batch; the total removed."""
        total = 0
        while True:
            n = self._write(functools.partial(_single_int, statement=statement, **params))
            total += n
            if n < _DELETE_BATCH:
                return total

    def _delete_where(self, column: str, value: str) -> int:
        removed = 0

        def loop(statement: str) -> int:
            return self._delete_loop(statement, value=value)

        for label in NODE_SCHEMAS:
            removed += loop(cypher.delete_rels_of_nodes(label, column))
        for rel_type in REL_SCHEMAS:
            removed += loop(cypher.delete_rels_where(rel_type, column))
        for label in NODE_SCHEMAS:
            removed += loop(cypher.delete_nodes_where(label, column))
        return removed

    def _bump_revision(self) -> None:
        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(_q(cypher.bump_revision()), id=cypher.SCHEMA_META_ID).consume()

        self._write(work)

    def delete_source(self, source: str) -> int:
        """Delete every node and relationship of ``source`` (and the relationships of the
        deleted nodes), in batches of 10,000; returns the number of objects removed."""
        return self._delete_where("source", source)

    def delete_snapshot(self, snapshot: str) -> int:
        """Delete every node and relationship written by the load ``snapshot``."""
        return self._delete_where("snapshot", snapshot)

    def clear(self) -> None:
        """Delete every canonical node, relationship and run (the schema version stays)."""
        for label in [*NODE_SCHEMAS, cypher.RUN_LABEL]:
            statement = cypher.delete_all_nodes(label)
            work = functools.partial(_single_int, statement=statement)
            while self._write(work) >= _DELETE_BATCH:
                pass
        self._bump_revision()
        lease = self.bulk_load_in_progress()
        if lease is not None:  # nothing of that load is left: drop its lease too
            self._release_bulk(cast(str, lease["token"]))

    # ------------------------------------------------------------------ reads

    def revision(self) -> int:
        return self._read(_revision)

    def snapshot(self, scope: Scope | None = None) -> GraphData:
        """Read the whole graph (see :meth:`_read_whole`), or only what ``scope`` selects
        (indexed look-ups in one read transaction)."""
        if scope is not None and not scope.is_whole:
            as_of = scope.as_of

            def scoped(tx: neo4j.ManagedTransaction) -> GraphData:
                return read_scoped(_BoltScope(tx, as_of), scope)

            return self._read(scoped)

        return apply_scope(self._read_whole(), scope)

    def _read_chunk(self, job: _ReadJob) -> list[Any]:
        return self._read(functools.partial(_read_chunk, job=job))

    def _read_whole(self) -> GraphData:
        """Every canonical node and relationship, read in chunks by ``sessions`` sessions
        at once.  The chunks are separate transactions: the store revision is
        read before the first and after the last, and the read starts over when it moved
        (every write bumps it in the transaction that writes), so the result is the graph
        as one committed write left it."""
        for _attempt in range(_READ_ATTEMPTS):
            before, jobs = self._read(_plan_reads)
            order = sorted(range(len(jobs)), key=lambda i: -jobs[i].rows)
            parts: list[list[Any]] = [[] for _ in jobs]
            with ThreadPoolExecutor(max_workers=self.sessions) as pool:
                done = pool.map(self._read_chunk, [jobs[i] for i in order])
                for i, part in zip(order, done, strict=True):
                    parts[i] = part
            if self.revision() == before:
                data = _assemble(jobs, parts)
                if data is not None:
                    return data
        raise StoreError(
            f"Neo4j at {self.uri!r} kept changing while it was read "
            f"({_READ_ATTEMPTS} attempts); retry when the writes settle."
        )

    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type, zeros included."""

        def work(tx: neo4j.ManagedTransaction) -> dict[str, int]:
            out: dict[str, int] = {}
            for label in NODE_SCHEMAS:
                rec = tx.run(_q(cypher.count_nodes(label))).single()
                out[label.value] = int(rec["n"]) if rec else 0
            for rel_type in REL_SCHEMAS:
                rec = tx.run(_q(cypher.count_rels(rel_type))).single()
                out[rel_type.value] = int(rec["n"]) if rec else 0
            return out

        return self._read(work)

    def get_node(self, label: NodeLabel | str, node_id: str) -> dict[str, object]:
        """One node's properties; :class:`NotFoundError` naming the id if absent."""
        schema = node_schema(label)

        def work(tx: neo4j.ManagedTransaction) -> dict[str, object] | None:
            rec = tx.run(_q(cypher.get_node(schema.label)), id=node_id).single()
            return None if rec is None else dict(rec["props"])

        props = self._read(work)
        if props is None:
            raise NotFoundError(f"No {schema.label.value} with id {node_id!r}.")
        return props

    def existing_ids(self, label: NodeLabel | str, ids: list[str]) -> set[str]:
        """Which of ``ids`` exist as nodes of ``label`` (one query per 50,000 ids)."""
        schema = node_schema(label)
        statement = _q(cypher.existing_ids(schema.label))
        found: set[str] = set()
        unique = list(dict.fromkeys(str(i) for i in ids))
        for start in range(0, len(unique), 50_000):
            chunk = unique[start : start + 50_000]

            def work(tx: neo4j.ManagedTransaction, chunk: list[str] = chunk) -> list[str]:
                rec = tx.run(statement, ids=chunk).single()
                return list(rec["found"]) if rec is not None else []

            found.update(self._read(work))
        return found

    def search_nodes(self, label: NodeLabel | str, text: str, *, limit: int = 20) -> pd.DataFrame:
        """Nodes whose id or search properties contain ``text`` (case-insensitive), by id."""
        schema = node_schema(label)
        if limit < 1:
            raise ValidationError(f"limit must be >= 1, got {limit}.")
        statement = _q(cypher.search_nodes(schema.label, schema.search))

        def work(tx: neo4j.ManagedTransaction) -> list[dict[str, object]]:
            return [dict(r["props"]) for r in tx.run(statement, text=text.lower(), limit=limit)]

        rows = self._read(work)
        cols = ["id", *schema.prop_names, *PROVENANCE_COLUMNS]
        return pd.DataFrame([[r.get(c) for c in cols] for r in rows], columns=cols)

    # ------------------------------------------------------------------ runs

    def save_run(self, run: RunRecord) -> None:
        """Store (or replace) ``run``; each table becomes one Parquet bytes property."""
        props: dict[str, object] = {
            "id": f"{run.kind}:{run.id}",
            "kind": run.kind,
            "run_id": run.id,
            "created_at": run.created_at,
            "tenant": run.tenant,
            "params": json.dumps(run.params, default=_json_default),
            "summary": json.dumps(run.summary, default=_json_default),
            "tables": list(run.tables),
        }
        for name, table in run.tables.items():
            buf = io.BytesIO()
            table.to_parquet(buf, index=False)
            props[_TABLE_PREFIX + name] = buf.getvalue()
        run_key = props["id"]

        def work(tx: neo4j.ManagedTransaction) -> None:
            tx.run(_q(cypher.save_run()), id=run_key, props=props).consume()

        self._write(work)

    def load_run(self, kind: str, run_id: str) -> RunRecord:
        """One run with its tables; :class:`NotFoundError` naming kind and id if absent."""

        def work(tx: neo4j.ManagedTransaction) -> dict[str, Any] | None:
            rec = tx.run(_q(cypher.load_run()), id=f"{kind}:{run_id}").single()
            return None if rec is None else dict(rec["props"])

        props = self._read(work)
        if props is None:
            raise NotFoundError(f"No {kind} run with id {run_id!r}.")
        tables = {
            name: pd.read_parquet(io.BytesIO(props[_TABLE_PREFIX + name]))
            for name in props.get("tables") or []
        }
        return RunRecord(
            kind=kind,
            id=run_id,
            params=json.loads(props.get("params") or "{}"),
            summary=json.loads(props.get("summary") or "{}"),
            tables=tables,
            created_at=props.get("created_at", ""),
            tenant=props.get("tenant"),
        )

    def list_runs(self, kind: str | None = None) -> list[RunRecord]:
        """Runs without their tables, newest first."""

        def work(tx: neo4j.ManagedTransaction) -> list[RunRecord]:
            return [
                RunRecord(
                    kind=r["kind"],
                    id=r["run_id"],
                    params=json.loads(r["params"] or "{}"),
                    summary=json.loads(r["summary"] or "{}"),
                    created_at=r["created_at"],
                    tenant=r["tenant"],
                )
                for r in tx.run(_q(cypher.list_runs()), kind=kind)
            ]

        return self._read(work)

    def delete_run(self, kind: str, run_id: str) -> None:
        def work(tx: neo4j.ManagedTransaction) -> int:
            rec = tx.run(_q(cypher.delete_run()), id=f"{kind}:{run_id}").single()
            return int(rec["n"]) if rec else 0

        if self._write(work) == 0:
            raise NotFoundError(f"No {kind} run with id {run_id!r}.")

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        if self._owns_driver:
            self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _revision(tx: neo4j.ManagedTransaction) -> int:
    rec = tx.run(_q(cypher.read_revision()), id=cypher.SCHEMA_META_ID).single()
    return 0 if rec is None or rec["revision"] is None else int(rec["revision"])


@dataclass(frozen=True)
class _ReadJob:
    """One chunk of a whole-graph read: ``limit`` nodes of ``label`` from ``skip`` on,
    or, with ``rel_type``, the ``rel_type`` relationships leaving those nodes."""

    label: NodeLabel
    rel_type: RelType | None
    skip: int
    limit: int
    rows: int  # expected rows, to run the largest chunks first

    @property
    def statement(self) -> LiteralString:
        if self.rel_type is None:
            schema = NODE_SCHEMAS[self.label]
            typed = [(p.name, p.type) for p in (*schema.props, *PROVENANCE)]
            return _q(cypher.read_node_columns(self.label, typed))
        rs = REL_SCHEMAS[self.rel_type]
        typed = [(p.name, p.type) for p in (*rs.props, *PROVENANCE)]
        return _q(cypher.read_rel_columns(self.rel_type, self.label, typed))


def _plan_reads(tx: neo4j.ManagedTransaction) -> tuple[int, list[_ReadJob]]:
    """The store revision and the chunks of a whole-graph read, from the count store:
    about :data:`_READ_CHUNK` rows each (bounded server memory, few large records).  The
    revision is read first: a write committing after it moves it."""
    revision = _revision(tx)
    jobs: list[_ReadJob] = []
    n_nodes: dict[NodeLabel, int] = {}
    for label in NODE_SCHEMAS:
        n = n_nodes[label] = _single_count(tx, cypher.count_nodes(label))
        jobs += [
            _ReadJob(label, None, skip, _READ_CHUNK, min(_READ_CHUNK, n - skip))
            for skip in range(0, n, _READ_CHUNK)
        ]
    for rel_type, rs in REL_SCHEMAS.items():
        for src in rs.sources:
            n_rels = _single_count(tx, cypher.count_rels_from(rel_type, src))
            n_src = n_nodes[src]
            if n_rels == 0 or n_src == 0:
                continue
            step = max(1, -(-n_src * _READ_CHUNK // n_rels))  # source nodes per chunk
            per = -(-n_rels // -(-n_src // step))
            jobs += [_ReadJob(src, rel_type, skip, step, per) for skip in range(0, n_src, step)]
    return revision, jobs


def _read_chunk(tx: neo4j.ManagedTransaction, job: _ReadJob) -> list[Any]:
    """The columns of one chunk (see :func:`cypher.read_node_columns`)."""
    rec = tx.run(job.statement, skip=job.skip, limit=job.limit, **cypher.NULL_PARAMS).single()
    return [] if rec is None else list(rec.values())


def _assemble(jobs: list[_ReadJob], parts: list[list[Any]]) -> GraphData | None:
    """The frames of a whole-graph read from its chunks; None when a relationship ends at
    a node that no node chunk returned (a write moved the graph between the chunks)."""
    node_parts: dict[NodeLabel, list[list[Any]]] = {label: [] for label in NODE_SCHEMAS}
    rel_parts: dict[tuple[RelType, NodeLabel], list[list[Any]]] = {}
    for job, part in zip(jobs, parts, strict=True):
        if not part or not part[0]:
            continue
        if job.rel_type is None:
            node_parts[job.label].append(part)
        else:
            rel_parts.setdefault((job.rel_type, job.label), []).append(part)
    labels = list(NODE_SCHEMAS)
    nodes: list[NodeFrame] = []
    nids: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    for code, label in enumerate(labels):
        schema = NODE_SCHEMAS[label]
        cols = [*schema.props, *PROVENANCE]
        chunks = node_parts[label]
        names = ["id", *(p.name for p in cols)]
        frame = _frame(names, [PropType.STR, *(p.type for p in cols)], [c[1:] for c in chunks])
        nodes.append(NodeFrame(label, _typed(frame, schema.props)))
        nid = np.fromiter((i for c in chunks for i in c[0]), dtype=np.int64)
        nids.append(nid)
        codes.append(np.full(len(nid), code, dtype=np.int16))
        ids.append(frame["id"].to_numpy(dtype=object))
    all_nid = np.concatenate(nids)
    order = np.argsort(all_nid, kind="stable")
    all_nid, all_code, all_id = (
        all_nid[order],
        np.concatenate(codes)[order],
        np.concatenate(ids)[order],
    )

    def locate(values: list[Any]) -> np.ndarray | None:
        """Positions in ``all_nid`` of the server ids ``values``; None if one is absent."""
        want = np.asarray(values, dtype=np.int64)
        pos = np.searchsorted(all_nid, want)
        if len(want) and (pos.max() >= len(all_nid) or (all_nid[pos] != want).any()):
            return None
        return pos

    rels: list[RelFrame] = []
    for (rel_type, src), chunks in rel_parts.items():
        rs = REL_SCHEMAS[rel_type]
        cols = [*rs.props, *PROVENANCE]
        src_pos = locate([v for c in chunks for v in c[0]])
        dst_pos = locate([v for c in chunks for v in c[1]])
        if src_pos is None or dst_pos is None:
            return None
        names = ["key", *(p.name for p in cols)]
        frame = _frame(names, [PropType.STR, *(p.type for p in cols)], [c[2:] for c in chunks])
        frame.insert(0, "src", pd.Series(all_id[src_pos], copy=False))
        frame.insert(1, "dst", pd.Series(all_id[dst_pos], copy=False))
        dst_code = all_code[dst_pos]
        present = np.unique(dst_code)
        for code in sorted(present, key=lambda c: labels[c].value):
            part = frame
            if len(present) > 1:
                part = frame.iloc[np.flatnonzero(dst_code == code)].reset_index(drop=True)
            rels.append(RelFrame(rel_type, src, labels[code], _typed(part, rs.props)))
    return GraphData(nodes, rels)


def _frame(names: list[str], types: list[PropType], parts: list[list[list[Any]]]) -> pd.DataFrame:
    """A DataFrame from chunks of columns (each chunk one list per name), with the
    :data:`cypher.NULL_PARAMS` stand-ins turned back into missing values."""
    data: dict[str, Any] = {}
    for i, (name, prop_type) in enumerate(zip(names, types, strict=True)):
        values = [v for part in parts for v in part[i]] if len(parts) != 1 else parts[0][i]
        data[name] = _column(values, prop_type)
    return pd.DataFrame(data, columns=names)


def _column(values: list[Any], prop_type: PropType) -> Any:
    if prop_type is PropType.FLOAT:
        try:
            return np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            pass  # a value of another type: keep it for _typed to report
    elif prop_type is PropType.INT:
        arr = np.asarray(values)
        if arr.dtype.kind == "i":
            return pd.arrays.IntegerArray(arr.astype(np.int64), arr == cypher.NULL_INT)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    out[out == cypher.NULL_STR] = None
    if prop_type is PropType.INT:
        out[out == cypher.NULL_INT] = None
    return pd.Series(out, copy=False)  # infers the str dtype as a list of values would


def _rel_frames(rel_type: RelType, rows: list[list[Any]]) -> list[RelFrame]:
    """Rows of :func:`cypher.read_rels` as one frame per endpoint label pair."""
    if not rows:
        return []
    rs = REL_SCHEMAS[rel_type]
    names = ["src_label", "src", "dst_label", "dst", "key", *rs.prop_names, *PROVENANCE_COLUMNS]
    df = _typed(pd.DataFrame(rows, columns=names), rs.props)
    out = []
    for (src, dst), part in df.groupby(["src_label", "dst_label"], sort=True):
        data = part.drop(columns=["src_label", "dst_label"]).reset_index(drop=True)
        out.append(RelFrame(rel_type, NodeLabel(src), NodeLabel(dst), data))
    return out


class _BoltScope:
    """The indexed look-ups :func:`read_scoped` needs, inside one read transaction."""

    def __init__(self, tx: neo4j.ManagedTransaction, as_of: str | None) -> None:
        self.tx = tx
        self.as_of = as_of

    def has_node(self, label: NodeLabel, node_id: str) -> bool:
        return _single_count(self.tx, cypher.has_node(label), id=node_id) > 0

    def ids_where(self, label: NodeLabel, column: str, values: Collection[str]) -> set[str]:
        check_node_column(label, column)
        rec = self.tx.run(_q(cypher.ids_where(label, column)), values=list(values)).single()
        return set(rec["ids"]) if rec else set()

    def edges(
        self,
        rel_type: RelType,
        src_label: NodeLabel,
        dst_label: NodeLabel,
        column: str,
        values: Collection[str],
    ) -> list[EdgeRow]:
        check_rel_column(rel_type, column)
        statement = cypher.scoped_edges(rel_type, src_label, dst_label, column)
        rec = self.tx.run(_q(statement), values=list(values), as_of=self.as_of).single()
        s, d = src_label.value, dst_label.value
        return [(s, a, d, b) for a, b in (rec["rows"] if rec else [])]

    def nodes(self, label: NodeLabel, ids: Collection[str]) -> pd.DataFrame:
        schema = node_schema(label)
        cols = ["id", *schema.prop_names, *PROVENANCE_COLUMNS]
        rows: list[list[Any]] = []
        if ids:
            rec = self.tx.run(_q(cypher.read_nodes_by_id(label, cols)), ids=list(ids)).single()
            rows = rec["rows"] if rec else []
        return _typed(pd.DataFrame(rows, columns=cols), schema.props)

    def rels_between(
        self,
        rel_type: RelType,
        src_label: NodeLabel,
        src_ids: Collection[str],
        dst_label: NodeLabel,
        dst_ids: Collection[str],
    ) -> RelFrame | None:
        cols = [*REL_SCHEMAS[rel_type].prop_names, *PROVENANCE_COLUMNS]
        by_src = len(src_ids) <= len(dst_ids)
        statement = cypher.read_rels_between(rel_type, src_label, dst_label, cols, by_src)
        lead, other = (src_ids, dst_ids) if by_src else (dst_ids, src_ids)
        rec = self.tx.run(
            _q(statement), ids=list(lead), others=list(other), as_of=self.as_of
        ).single()
        frames = _rel_frames(rel_type, rec["rows"] if rec else [])
        return frames[0] if frames else None


_Step = tuple[str, _Columns, "_RelJob | None", dict[str, Any]]
"""One batch of a bulk load: its statement, its columns, its relationship job (None for
nodes) and the properties it sets to one value for every row (see
:func:`graph_schema.frames.uniform_columns`)."""


def _commits(steps: list[_Step], commit_rows: int) -> list[list[_Step]]:
    """``steps`` in consecutive groups of about ``commit_rows`` rows, one per transaction."""
    out: list[list[_Step]] = []
    size = commit_rows
    for step in steps:
        if size >= commit_rows:
            out.append([])
            size = 0
        out[-1].append(step)
        size += _n(step[1])
    return out


@dataclass
class _RelJob:
    """One validated relationship frame and its driver-ready columns."""

    frame: RelFrame
    cols: _Columns

    @property
    def props(self) -> list[str]:
        """The property columns (all but ``src``, ``dst`` and ``key``)."""
        return [c for c in self.cols if c not in ("src", "dst", "key")]


def _guard(tx: neo4j.ManagedTransaction, token: str | None) -> None:
    """Lock the meta node; refuse to write unless the bulk lease is ``token`` (None: free)."""
    rec = tx.run(_q(cypher.write_guard()), id=cypher.SCHEMA_META_ID).single()
    held = None if rec is None else rec["token"]
    if held != token:
        if held is None:
            raise StoreError(f"Bulk load {token} lost its lease (abandoned by another client).")
        raise StoreError(
            f"A bulk load ({held}, started {rec['started'] if rec else '?'}) is writing to this "
            "Neo4j database; retry when it ends, or undo it with `chain-brain neo4j abandon-load "
            f"{held}` if its process died."
        )


def _run_rels(
    tx: neo4j.ManagedTransaction,
    statement: LiteralString,
    batch: _Columns,
    job: _RelJob,
    batch_size: int,
    fixed: dict[str, Any] | None = None,
) -> None:
    """Write one batch of relationships (``fixed``: the ``$fixed`` map of properties
    with one value for every row); if some rows found no end, raise
    :class:`ValidationError` naming the unknown ids of the whole frame."""
    written = _record_int(tx.run(statement, cols=batch, fixed=fixed or {}).single())
    if written == _n(batch):
        return
    frame = job.frame
    d = frame.data
    for end, label, column in (("src", frame.src_label, "src"), ("dst", frame.dst_label, "dst")):
        ids = pd.unique(d[column].to_numpy()).tolist()
        missing: list[str] = []
        for start in range(0, len(ids), batch_size):
            id_batch = ids[start : start + batch_size]
            rec = tx.run(_q(cypher.missing_ids(label)), ids=id_batch).single()
            missing += rec["missing"] if rec else []
        if missing:
            raise _unknown_ends(frame, end, label, missing)
    raise StoreError(f"{frame.type.value}: wrote {written} of {_n(batch)} relationships.")


def _node_id_chunk(
    tx: neo4j.ManagedTransaction, statement: LiteralString, ids: list[str]
) -> dict[str, int]:
    """Server node ids by business id, of ``ids`` (see :func:`cypher.node_ids`)."""
    rec = tx.run(statement, ids=ids).single()
    return {} if rec is None else dict(zip(rec["ids"], rec["nids"], strict=True))


def _unknown_ends(
    frame: RelFrame, end: str, label: NodeLabel, missing: list[str]
) -> ValidationError:
    """The error of relationships in ``frame`` whose ``end`` names unknown ``label`` ids."""
    shown = ", ".join(repr(m) for m in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return ValidationError(
        f"{frame.type.value} relationships refer to {len(missing)} unknown "
        f"{label.value} id(s) at {end}: {shown}{more}. Write the nodes first "
        "(in the same or an earlier write)."
    )


def _record_int(rec: neo4j.Record | None) -> int:
    return int(rec["n"]) if rec is not None else 0


def _single_count(tx: neo4j.ManagedTransaction, statement: str, **params: Any) -> int:
    rec = tx.run(_q(statement), **params).single()
    return int(rec["n"]) if rec is not None else 0


def _single_int(tx: neo4j.ManagedTransaction, statement: str, **params: Any) -> int:
    """Run a batched delete (``$batch`` rows at most) and return its count ``n``; a
    batch that removed something bumps the revision in the same transaction, so a
    whole-graph read overlapping it starts over."""
    rec = tx.run(_q(statement), batch=_DELETE_BATCH, **params).single()
    n = int(rec["n"]) if rec is not None else 0
    if n:
        tx.run(_q(cypher.bump_revision()), id=cypher.SCHEMA_META_ID).consume()
    return n


def _typed(df: pd.DataFrame, props: Sequence[Any]) -> pd.DataFrame:
    """Give numeric columns their schema dtype (float, nullable Int64)."""
    for p in props:
        if p.type is PropType.FLOAT:
            df[p.name] = pd.to_numeric(df[p.name]).astype(float)
        elif p.type is PropType.INT:
            df[p.name] = pd.array(pd.to_numeric(df[p.name]), dtype="Int64")
    if "confidence" in df.columns:
        df["confidence"] = pd.to_numeric(df["confidence"]).astype(float)
    return df


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
