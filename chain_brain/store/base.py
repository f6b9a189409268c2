"""The GraphStore protocol: what every backend of chain-brain's system of record offers.

Two backends implement it: :class:`chain_brain.store.embedded.EmbeddedStore` (one local
SQLite file, no server) and :class:`chain_brain.store.neo4j.Neo4jStore` (Bolt).  One
contract test suite (``tests/store/test_contract.py``) runs unchanged against both.

Rules every backend keeps:

* ``write`` is atomic: the whole :class:`GraphData` commits or nothing does.  A row that
  breaks the schema, or a relationship whose endpoint is neither in the store nor in the
  same write, raises :class:`graph_schema.errors.ValidationError` naming the value.
* Upserts are idempotent: a node is keyed by (label, id), a relationship by (type,
  source node, target node, key).  Writing the same data twice changes nothing; a property
  given as null is removed; a property not given is kept.
* Reads return canonical frames (:class:`graph_schema.frames.GraphData`), never database
  objects, so the analytics can build a :class:`chain_brain.graph.ChainGraph` once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol, runtime_checkable

import pandas as pd

from graph_schema.frames import GraphData
from graph_schema.model import NodeLabel

__all__ = ["GraphStore", "Scope", "WriteResult", "RunRecord", "Direction"]

Direction = Literal["up", "down", "both"]


@dataclass(frozen=True)
class Scope:
    """Which part of the graph a snapshot holds.

    Parameters
    ----------
    chain : id of a Chain; its segments, their members and the supply among them.
    region : id of a Region or Country; firms and plants located there (sub-regions too).
    focus : id of a Firm or Plant; its supply neighbourhood ``tiers`` hops away.
    tiers : how many supply hops from ``focus`` (1 = direct suppliers / customers).
    direction : ``"up"`` suppliers, ``"down"`` customers, ``"both"``.
    as_of : ISO date; only relationships valid on that day (valid_from <= as_of <= valid_to).
    """

    chain: str | None = None
    region: str | None = None
    focus: str | None = None
    tiers: int = 1
    direction: Direction = "both"
    as_of: str | None = None

    def __post_init__(self) -> None:
        from graph_schema.errors import ValidationError

        if self.tiers < 0:
            raise ValidationError(f"tiers must be >= 0, got {self.tiers}.")
        if self.direction not in ("up", "down", "both"):
            raise ValidationError(
                f"direction must be 'up', 'down' or 'both', got {self.direction!r}."
            )

    @property
    def is_whole(self) -> bool:
        return self.chain is None and self.region is None and self.focus is None


@dataclass
class WriteResult:
    """What one write did: rows received per label / type."""

    nodes: int = 0
    rels: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass
class RunRecord:
    """A stored result: an analysis run, a scenario run, a twin-fleet state, a job.

    ``tables`` hold the ranked results; ``params`` and ``summary`` are JSON-serialisable.
    """

    kind: str
    id: str
    params: dict[str, object] = field(default_factory=dict)
    summary: dict[str, object] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    created_at: str = field(
        default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    )
    tenant: str | None = None


@runtime_checkable
class GraphStore(Protocol):
    """The system of record of chain-brain."""

    uri: str

    def init(self) -> int:
        """Apply the schema migrations (idempotent); return the schema version."""
        ...

    def schema_version(self) -> int | None:
        """The version recorded in the store, or None for an empty, uninitialised store."""
        ...

    def write(self, data: GraphData, *, batch_size: int = 10_000) -> WriteResult:
        """Upsert every frame of ``data`` in one transaction (all or nothing)."""
        ...

    def delete_source(self, source: str) -> int:
        """Delete every node and relationship whose provenance ``source`` matches;
        relationships of deleted nodes go too.  Returns the number of objects removed."""
        ...

    def delete_snapshot(self, snapshot: str) -> int:
        """Delete every node and relationship written by the load ``snapshot``."""
        ...

    def revision(self) -> int:
        """A counter that grows with every committed change to the graph (write, delete,
        clear); 0 for a store never written.  Caches of views computed from the graph key
        on it.  Scenario and analysis runs do not change it."""
        ...

    def snapshot(self, scope: Scope | None = None) -> GraphData:
        """Read the whole graph or the part ``scope`` selects as canonical frames."""
        ...

    def counts(self) -> dict[str, int]:
        """Number of nodes per label and relationships per type (zeros included)."""
        ...

    def get_node(self, label: NodeLabel | str, node_id: str) -> dict[str, object]:
        """One node's properties; NotFoundError naming the id if absent."""
        ...

    def existing_ids(self, label: NodeLabel | str, ids: list[str]) -> set[str]:
        """Which of ``ids`` exist as nodes of ``label``."""
        ...

    def search_nodes(self, label: NodeLabel | str, text: str, *, limit: int = 20) -> pd.DataFrame:
        """Nodes whose id or name properties contain ``text`` (case-insensitive)."""
        ...

    def save_run(self, run: RunRecord) -> None:
        """Store (or replace) a run with its tables."""
        ...

    def load_run(self, kind: str, run_id: str) -> RunRecord:
        """One run; NotFoundError naming kind and id if absent."""
        ...

    def list_runs(self, kind: str | None = None) -> list[RunRecord]:
        """Runs (without tables), newest first."""
        ...

    def delete_run(self, kind: str, run_id: str) -> None: ...

    def clear(self) -> None:
        """Remove every node, relationship and run; the schema stays."""
        ...

    def close(self) -> None: ...
