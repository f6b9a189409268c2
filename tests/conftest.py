"""Shared fixtures: the two real stores, the repository paths, the shared data folder.

In CI (env ``CI`` set) a missing service is a failure, never a skip: the Neo4j fixture and
the shared-data fixture call ``pytest.fail`` there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_brain.store import GraphStore, open_store

REPO = Path(__file__).resolve().parents[1]
IN_CI = bool(os.environ.get("CI"))
NEO4J_URI = os.environ.get("CHAIN_BRAIN_NEO4J_URI", "bolt://127.0.0.1:7687")


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI: a missing service must never pass silently there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository (real public datasets)."""
    path = Path(os.environ.get("CHAIN_BRAIN_SHARED_DATA", REPO.parent / "shared" / "data"))
    require(path.is_dir(), f"shared data folder {path} not found")
    return path


@pytest.fixture(scope="session")
def neo4j_store() -> Iterator[GraphStore]:
    """A real Neo4j over Bolt (start it with `chain-brain neo4j start`)."""
    from graph_schema.errors import StoreUnavailableError

    try:
        store = open_store(
            NEO4J_URI,
            user=os.environ.get("CHAIN_BRAIN_NEO4J_USER"),
            password=os.environ.get("CHAIN_BRAIN_NEO4J_PASSWORD"),
        )
    except StoreUnavailableError as exc:
        require(False, f"Neo4j at {NEO4J_URI} unreachable: {exc}")
        raise
    store.init()
    yield store
    store.close()


@pytest.fixture(params=["embedded", "neo4j"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """Each backend, empty and initialised: the contract suite runs unchanged on both."""
    if request.param == "embedded":
        s = open_store(tmp_path / "store.db")
        s.init()
        yield s
        s.close()
    else:
        s = request.getfixturevalue("neo4j_store")
        s.clear()
        yield s
        s.clear()


def pytest_itemcollected(item: pytest.Item) -> None:
    """Tests on the one shared Neo4j database run in one xdist worker, one after another
    (marked as each test is collected, before xdist reads the groups)."""
    fixtures = getattr(item, "fixturenames", ())
    callspec = getattr(item, "callspec", None)
    uses_neo4j = "neo4j_store" in fixtures or (
        callspec is not None and callspec.params.get("store") == "neo4j"
    )
    if uses_neo4j:
        item.add_marker(pytest.mark.neo4j)
        item.add_marker(pytest.mark.xdist_group("neo4j"))


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded store file holding the bundled real sample (loaded once per session)."""
    from chain_brain.services.loading import load_sample

    path = tmp_path_factory.mktemp("sample") / "sample.db"
    store = open_store(path)
    load_sample(store)
    store.close()
    return path


@pytest.fixture
def sample_store(sample_db: Path, tmp_path: Path) -> Iterator[GraphStore]:
    """A private copy of the sample store that a test may change."""
    import shutil
    import sqlite3

    target = tmp_path / "sample.db"
    src = sqlite3.connect(sample_db)
    dst = sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    shutil.copymode(sample_db, target)
    store = open_store(target)
    yield store
    store.close()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # noqa: ANN201 - returns a runner
    """Run ``chain-brain ARGS`` in-process: ``cli(*args) -> (exit code, stdout, stderr)``."""
    from chain_brain.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
