"""The local Neo4j server: start, status and stop for real on a free port, and the bad cases."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_brain import neo4j_server
from chain_brain.neo4j_server import (
    PASSWORD_ENV,
    LauncherNotBuiltError,
    Neo4jServerError,
    PortInUseError,
    ServerNotRunningError,
)
from graph_schema.errors import ChainBrainError, StoreUnavailableError


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI (as the shared fixtures do)."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(proc.stdout)


@pytest.fixture
def launcher_built() -> None:
    try:
        neo4j_server._classpath()
        neo4j_server.find_java17()
    except ChainBrainError as exc:
        require(False, f"Neo4j launcher not usable: {exc}")


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    secret = "test-only-" + os.urandom(6).hex()
    monkeypatch.setenv(PASSWORD_ENV, secret)
    yield secret


@pytest.mark.slow
@pytest.mark.neo4j
def test_start_status_stop_with_authentication(
    tmp_path: Path, launcher_built: None, password: str
) -> None:
    from chain_brain.store.neo4j import Neo4jStore

    data_dir = tmp_path / "neo4j"
    port = _free_port()
    info = neo4j_server.start(data_dir, port, auth=True, heap="512m", pagecache="64m")
    try:
        assert info.ready and info.port == port and info.uri == f"bolt://127.0.0.1:{port}"
        assert (data_dir / "neo4j.pid").is_file() and (data_dir / "neo4j.ready").is_file()
        again = neo4j_server.status(data_dir)
        assert again is not None and again.pid == info.pid and again.ready and again.auth
        # the same data dir and port: the running server is returned, not a second JVM
        assert neo4j_server.start(data_dir, port).pid == info.pid
        with pytest.raises(Neo4jServerError, match=str(port)):
            neo4j_server.start(data_dir, _free_port())
        with pytest.raises(PortInUseError, match=str(port)):
            neo4j_server.start(tmp_path / "other", port, wait=5)
        with pytest.raises(StoreUnavailableError, match=str(port)):
            Neo4jStore(info.uri, user="neo4j", password="wrong-password")
        with Neo4jStore(info.uri, user="neo4j", password=password) as store:
            assert store.schema_version() is None
            assert store.counts()["Firm"] == 0
            with store._session() as session:  # the launcher's own settings are applied
                got = session.run(
                    "SHOW SETTINGS YIELD name, value WHERE name = $name RETURN value",
                    name="db.tx_log.rotation.retention_policy",
                ).single()
            assert got is not None and got["value"] == "2 files"
    finally:
        stopped = neo4j_server.stop(data_dir)
    assert stopped.pid == info.pid
    assert neo4j_server.status(data_dir) is None
    assert not (data_dir / "neo4j.pid").exists() and not (data_dir / "neo4j.ready").exists()
    assert not Path(f"/proc/{info.pid}").exists() or "Launcher" not in Path(
        f"/proc/{info.pid}/cmdline"
    ).read_text(errors="replace")
    assert "shutting down" in (data_dir / "neo4j.log").read_text()
    with pytest.raises(ServerNotRunningError, match=str(data_dir.name)):
        neo4j_server.stop(data_dir)


def test_auth_without_password_is_refused(
    tmp_path: Path, launcher_built: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(Neo4jServerError, match=PASSWORD_ENV):
        neo4j_server.start(tmp_path, _free_port(), auth=True)
    assert not (tmp_path / "neo4j.pid").exists()


def test_port_in_use_is_reported(tmp_path: Path, launcher_built: None) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"Port {port}"):
            neo4j_server.start(tmp_path, port)
    assert not (tmp_path / "neo4j.pid").exists()


def test_stale_pid_file_is_detected_and_removed(tmp_path: Path) -> None:
    pid = _dead_pid()
    (tmp_path / "neo4j.pid").write_text(f"pid={pid}\nport=7999\nuri=bolt://127.0.0.1:7999\n")
    (tmp_path / "neo4j.ready").write_text(f"pid={pid}\nport=7999\n")
    assert neo4j_server.status(tmp_path) is None
    assert not (tmp_path / "neo4j.pid").exists() and not (tmp_path / "neo4j.ready").exists()


def test_pid_of_another_program_is_stale(tmp_path: Path) -> None:
    # our own pid is alive but is not the launcher: never signal it
    (tmp_path / "neo4j.pid").write_text(f"pid={os.getpid()}\nport=7999\n")
    with pytest.raises(ServerNotRunningError):
        neo4j_server.stop(tmp_path)
    assert not (tmp_path / "neo4j.pid").exists()


def test_launcher_not_built_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(neo4j_server.LAUNCHER_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(LauncherNotBuiltError, match="install.sh"):
        neo4j_server.start(tmp_path / "data", _free_port())


def test_bad_port_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Neo4jServerError, match="70000"):
        neo4j_server.start(tmp_path, 70000)


def test_java17_is_found_or_named(launcher_built: None) -> None:
    java = neo4j_server.find_java17()
    out = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=True)
    assert 'version "17' in out.stderr
