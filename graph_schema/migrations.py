"""Versioned schema migrations.

Neo4j constraints and indexes live in ``graph_schema/migrations/NNNN_name.cypher``; the
schema version of this code is the number of the newest file.  A store records the version
it applied and refuses to open a store whose version differs (see :func:`check_version`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from graph_schema.errors import SchemaVersionError

__all__ = ["Migration", "migrations", "SCHEMA_VERSION", "check_version"]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def migrations() -> list[Migration]:
    """All migrations in version order, each split into single Cypher statements."""
    out = []
    folder = resources.files("graph_schema") / "migrations"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".cypher"):
            continue
        number, _, rest = entry.name.partition("_")
        text = entry.read_text(encoding="utf-8")
        body = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("//"))
        stmts = tuple(s.strip() for s in body.split(";") if s.strip())
        out.append(Migration(int(number), rest.removesuffix(".cypher"), stmts))
    return out


SCHEMA_VERSION = 3
"""Version of the canonical model this code reads and writes (the newest migration)."""


def check_version(found: int | None, where: str, *, migrating: bool = False) -> None:
    """Raise :class:`SchemaVersionError` if a store at ``where`` holds another version.

    With ``migrating`` (a store opened to be migrated by ``init()``), an older version is
    accepted; a newer one never is: this code cannot know what it changed."""
    if found is None or found == SCHEMA_VERSION or (migrating and found < SCHEMA_VERSION):
        return
    action = (
        "upgrade chain-brain" if found > SCHEMA_VERSION else "run `chain-brain init` to migrate it"
    )
    raise SchemaVersionError(
        f"Store {where} has schema version {found}, this chain-brain speaks {SCHEMA_VERSION}; {action}."
    )
