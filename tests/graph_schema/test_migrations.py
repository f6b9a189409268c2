"""Versioned migrations and the schema-version guard."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chain_brain.store import open_store
from chain_brain.store.embedded import EmbeddedStore
from graph_schema.errors import SchemaVersionError
from graph_schema.migrations import SCHEMA_VERSION, check_version, migrations
from graph_schema.model import NODE_SCHEMAS, REL_SCHEMAS


def test_migrations_are_numbered_and_idempotent() -> None:
    ms = migrations()
    assert [m.version for m in ms] == list(range(1, len(ms) + 1))
    assert ms[-1].version == SCHEMA_VERSION
    for m in ms:
        for stmt in m.statements:
            assert "IF NOT EXISTS" in stmt or ("DROP" in stmt and "IF EXISTS" in stmt), stmt


def test_every_label_has_a_unique_id_constraint() -> None:
    text = " ".join(s for m in migrations() for s in m.statements)
    for label in NODE_SCHEMAS:
        assert f"FOR (n:{label.value}) REQUIRE n.id IS UNIQUE" in text


def test_no_relationship_lookup_index_survives_the_migrations() -> None:
    """0002 created key / source / snapshot indexes on every relationship type; 0003 drops
    them (writes paid for them, nothing read through them); the product lookup of SUPPLIES
    (chain scopes) stays."""
    created: set[str] = set()
    for m in migrations():
        for stmt in m.statements:
            words = stmt.split()
            if words[:2] == ["CREATE", "INDEX"]:
                created.add(words[2])
            elif words[:2] == ["DROP", "INDEX"]:
                created.discard(words[2])
    for rel in REL_SCHEMAS:
        for column in ("key", "source", "snapshot"):
            assert f"{rel.value.lower()}_{column}" not in created
    assert "supplies_product" in created
    assert "firm_source" in created and "firm_snapshot" in created


def test_check_version_messages() -> None:
    check_version(None, "x")
    check_version(SCHEMA_VERSION, "x")
    with pytest.raises(SchemaVersionError, match="upgrade chain-brain"):
        check_version(SCHEMA_VERSION + 1, "store.db")
    with pytest.raises(SchemaVersionError, match="chain-brain init"):
        check_version(SCHEMA_VERSION - 1, "store.db")


def test_embedded_store_refuses_another_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = open_store(path)
    store.init()
    store.close()
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(SchemaVersionError, match=rf"schema version 99.*speaks {SCHEMA_VERSION}"):
        open_store(path)


def _set_version(path: Path, version: int) -> None:
    with sqlite3.connect(path) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))


def test_embedded_store_of_an_older_version_is_migrated_by_init(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with open_store(path) as store:
        store.init()
    _set_version(path, SCHEMA_VERSION - 1)
    with pytest.raises(SchemaVersionError, match="chain-brain init"):
        open_store(path)
    with EmbeddedStore(path, migrate=True) as store:
        assert store.init() == SCHEMA_VERSION
    with open_store(path) as store:  # opens normally again
        assert store.schema_version() == SCHEMA_VERSION


def test_init_never_migrates_a_newer_store(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with open_store(path) as store:
        store.init()
    _set_version(path, SCHEMA_VERSION + 1)
    with pytest.raises(SchemaVersionError, match="upgrade chain-brain"):
        EmbeddedStore(path, migrate=True)
    with pytest.raises(SchemaVersionError, match="upgrade chain-brain"):
        check_version(SCHEMA_VERSION + 1, "store.db", migrating=True)
