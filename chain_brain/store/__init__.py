"""The system of record: the GraphStore protocol, its two backends and one way to open them."""

from __future__ import annotations

from pathlib import Path

from chain_brain.store.base import GraphStore, RunRecord, Scope, WriteResult
from graph_schema.errors import StoreUnavailableError

__all__ = ["GraphStore", "RunRecord", "Scope", "WriteResult", "open_store", "NEO4J_SCHEMES"]

NEO4J_SCHEMES = ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://")


def open_store(
    uri: str | Path,
    *,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    migrate: bool = False,
) -> GraphStore:
    """Open the store named by ``uri``.

    ``neo4j://`` and ``bolt://`` URIs open a :class:`~chain_brain.store.neo4j.Neo4jStore`;
    a file path (optionally ``sqlite:///path``) opens the embedded store.  Any other
    ``scheme://`` raises :class:`StoreUnavailableError` naming it.  With ``migrate``, a
    store of an older schema version is opened for its ``init()`` to migrate (a newer one
    is still refused).
    """
    text = str(uri).strip()
    if not text:
        raise StoreUnavailableError("Store URI is empty; give a file path or a neo4j:// URI.")
    if text.startswith(NEO4J_SCHEMES):
        from chain_brain.store.neo4j import Neo4jStore

        return Neo4jStore(text, user=user, password=password, database=database, migrate=migrate)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise StoreUnavailableError(
            f"Unknown store URI scheme {scheme!r} in {text!r}; expected a file path, "
            f"sqlite:///path, or one of {', '.join(NEO4J_SCHEMES)}."
        )
    from chain_brain.store.embedded import EmbeddedStore

    return EmbeddedStore(text, migrate=migrate)
