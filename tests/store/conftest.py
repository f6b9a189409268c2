"""Fixtures of the Neo4j-specific store tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chain_brain.store import GraphStore
from chain_brain.store.neo4j import Neo4jStore
from graph_schema.migrations import SCHEMA_VERSION


@pytest.fixture
def neo(neo4j_store: GraphStore) -> Iterator[Neo4jStore]:
    """The session's Neo4j store, empty before and after the test."""
    assert isinstance(neo4j_store, Neo4jStore)
    neo4j_store.clear()
    yield neo4j_store
    neo4j_store.clear()
    # a test may have changed the recorded version (init refuses to touch a newer one)
    with neo4j_store._session() as session:
        session.run(
            "MATCH (m:ChainBrainMeta {id: 'schema'}) SET m.version = $v", v=SCHEMA_VERSION
        ).consume()
    neo4j_store.init()
