"""Start, stop and inspect a local Neo4j 5.26 server (embedded DBMS with Bolt) in the background.

No Docker engine and no server tarball are available on the build machines, so chain-brain
runs Neo4j Community from its Maven Central jars through a small Java main
(``neo4j_launcher/``, built by ``neo4j_launcher/install.sh``).  This module runs that main
detached on OpenJDK 17 with the JVM flags of the stock ``neo4j.conf`` and keeps its state in
the data directory:

* ``neo4j.pid``   the JVM's pid, port and URI (written when the JVM is spawned);
* ``neo4j.ready`` written by the launcher once Bolt accepts connections, removed on shutdown;
* ``neo4j.log``   the JVM's stdout and stderr; Neo4j's own logs go to ``logs/``;
* ``data/``       the databases.

Authentication is off by default (local development and tests).  With ``auth=True`` the
password of the ``neo4j`` user comes from the environment variable
``CHAIN_BRAIN_NEO4J_PASSWORD``; there is no default password.
"""

from __future__ import annotations

import contextlib
import glob
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from graph_schema.errors import ChainBrainError

__all__ = [
    "ServerInfo",
    "Neo4jServerError",
    "LauncherNotBuiltError",
    "JavaNotFoundError",
    "PortInUseError",
    "ServerStartError",
    "ServerNotRunningError",
    "PASSWORD_ENV",
    "JVM_FLAGS",
    "SETTINGS",
    "start",
    "stop",
    "status",
    "find_java17",
    "launcher_dir",
]

PASSWORD_ENV = "CHAIN_BRAIN_NEO4J_PASSWORD"
LAUNCHER_ENV = "CHAIN_BRAIN_NEO4J_LAUNCHER"
MAIN_CLASS = "io.chainbrain.neo4j.Launcher"
JAR_NAME = "chain-brain-neo4j-launcher.jar"
PID_FILE = "neo4j.pid"
READY_FILE = "neo4j.ready"
LOG_FILE = "neo4j.log"

JVM_FLAGS: tuple[str, ...] = (
    # server.jvm.additional of the neo4j.conf shipped with Neo4j 5.26
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
)
"""JVM flags of the stock ``neo4j.conf`` (5.26), minus ``-XX:+AlwaysPreTouch`` which only
slows a development start."""

SETTINGS: dict[str, str] = {
    # Neo4j keeps two days of transaction logs by default: a development server that loads
    # and clears the national graph a few times (about 1 GB of log per load) would fill the
    # disk.  Logs are pruned to this at each checkpoint.
    "db.tx_log.rotation.retention_policy": "2 files",
}
"""Neo4j settings of every server :func:`start` runs (``conf`` overrides them)."""


class Neo4jServerError(ChainBrainError):
    """The local Neo4j server could not be started, stopped or inspected."""


class LauncherNotBuiltError(Neo4jServerError):
    """The Java launcher has not been built yet (run ``neo4j_launcher/install.sh``)."""


class JavaNotFoundError(Neo4jServerError):
    """No Java 17 runtime was found; Neo4j 5.26 runs on Java 17 only."""


class PortInUseError(Neo4jServerError):
    """Another process listens on the port the server should use."""


class ServerStartError(Neo4jServerError):
    """The JVM exited or did not become ready in time; the message quotes its log."""


class ServerNotRunningError(Neo4jServerError):
    """No live server is recorded for the data directory."""


@dataclass(frozen=True)
class ServerInfo:
    """A server recorded in a data directory.

    ``ready`` is False while the JVM is still starting (no ready file yet).
    """

    pid: int
    port: int
    uri: str
    data_dir: Path
    log_file: Path
    auth: bool
    ready: bool


def launcher_dir() -> Path:
    """The ``neo4j_launcher`` folder: env ``CHAIN_BRAIN_NEO4J_LAUNCHER`` or the repository's."""
    env = os.environ.get(LAUNCHER_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / "neo4j_launcher"


def _java_major(java: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    for line in out.stderr.splitlines():
        if "version" in line and '"' in line:
            ver = line.split('"')[1]
            head = ver.split(".")[0]
            if head == "1" and "." in ver:  # 1.8-style numbering
                head = ver.split(".")[1]
            return int(head) if head.isdigit() else None
    return None


def find_java17() -> Path:
    """Return the ``java`` binary of a Java 17 runtime.

    Looks at ``JAVA_HOME`` first (only if it is 17), then at ``/usr/lib/jvm/*17*`` and the
    ``java`` on ``PATH``.  Raises :class:`JavaNotFoundError` listing what was tried.
    """
    tried: list[str] = []
    candidates: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    candidates.append(Path("/usr/lib/jvm/java-17-openjdk-amd64/bin/java"))
    candidates += [Path(p) / "bin" / "java" for p in sorted(glob.glob("/usr/lib/jvm/*17*"))]
    on_path = subprocess.run(
        ["sh", "-c", "command -v java"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)))
    for java in candidates:
        if not java.is_file():
            continue
        major = _java_major(java)
        tried.append(f"{java} (Java {major})")
        if major == 17:
            return java
    raise JavaNotFoundError(
        "Neo4j 5.26 needs Java 17; none found among "
        f"{', '.join(tried) or 'JAVA_HOME, /usr/lib/jvm/*17*, PATH'}. "
        "Install openjdk-17-jre-headless or point JAVA_HOME at a Java 17."
    )


def _classpath() -> str:
    root = launcher_dir()
    jar = root / "target" / JAR_NAME
    lib = root / "target" / "lib"
    if not jar.is_file() or not lib.is_dir() or not any(lib.glob("neo4j-*.jar")):
        raise LauncherNotBuiltError(
            f"The Neo4j launcher is not built: {jar} or {lib} is missing. "
            f"Run {root / 'install.sh'} first."
        )
    return f"{jar}{os.pathsep}{lib}{os.sep}*"


def _read_kv(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _alive(pid: int) -> bool:
    """True if ``pid`` runs the launcher (not a zombie, not a recycled pid)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it happens to be our child
    proc = Path(f"/proc/{pid}")
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X") and MAIN_CLASS in cmdline


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _log_tail(log: Path, lines: int = 25) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def status(data_dir: str | Path) -> ServerInfo | None:
    """The server recorded in ``data_dir``, or None if none runs.

    A pid file whose process is gone (or is no longer the launcher) is stale: it is removed
    together with the ready file, and None is returned.
    """
    data = Path(data_dir).resolve()
    pid_file = data / PID_FILE
    if not pid_file.is_file():
        return None
    rec = _read_kv(pid_file)
    try:
        pid, port = int(rec["pid"]), int(rec["port"])
    except (KeyError, ValueError):
        pid, port = -1, -1
    if pid <= 0 or not _alive(pid):
        pid_file.unlink(missing_ok=True)
        (data / READY_FILE).unlink(missing_ok=True)
        return None
    ready_file = data / READY_FILE
    ready = ready_file.is_file() and _read_kv(ready_file).get("pid") == str(pid)
    return ServerInfo(
        pid=pid,
        port=port,
        uri=rec.get("uri", f"bolt://127.0.0.1:{port}"),
        data_dir=data,
        log_file=data / LOG_FILE,
        auth=rec.get("auth") == "true",
        ready=ready,
    )


def start(
    data_dir: str | Path,
    port: int = 7687,
    *,
    wait: float = 60.0,
    host: str = "127.0.0.1",
    auth: bool = False,
    heap: str = "2g",
    pagecache: str = "2g",
    conf: dict[str, str] | None = None,
) -> ServerInfo:
    """Start Neo4j detached in the background and wait until Bolt accepts connections.

    Parameters
    ----------
    data_dir : folder of the databases, the pid, ready and log files (created if absent).
    port : Bolt port on ``host``.
    wait : seconds to wait for readiness; 0 returns at once (``ServerInfo.ready`` False).
    auth : turn authentication on; the password comes from ``CHAIN_BRAIN_NEO4J_PASSWORD``.
    heap : JVM heap (``-Xmx``), e.g. ``"2g"``.
    pagecache : ``server.memory.pagecache.size``; Neo4j allocates it as pages are touched,
        so a small database costs no more.  The national graph (2.6M relationships) takes
        about 3 GB of store files: the default 2 GB keeps most of it cached during a load.
    conf : further Neo4j settings (``key=value`` of neo4j.conf).

    Returns the running server.  If a server already runs in ``data_dir`` on the same
    port it is returned as is; on another port :class:`Neo4jServerError` is raised.
    """
    data = Path(data_dir).resolve()
    if not 0 < port < 65536:
        raise Neo4jServerError(f"Bolt port must be in 1..65535, got {port}.")
    current = status(data)
    if current is not None:
        if current.port != port:
            raise Neo4jServerError(
                f"A Neo4j server (pid {current.pid}) already runs in {data} on port "
                f"{current.port}, not {port}; stop it first."
            )
        return _wait_ready(current, wait) if wait > 0 else current
    classpath = _classpath()
    java = find_java17()
    if auth and not os.environ.get(PASSWORD_ENV):
        raise Neo4jServerError(
            f"Authentication is on but {PASSWORD_ENV} is not set; there is no default password."
        )
    if not _port_free(host, port):
        raise PortInUseError(f"Port {port} on {host} is already in use; choose another port.")
    data.mkdir(parents=True, exist_ok=True)
    (data / READY_FILE).unlink(missing_ok=True)
    log = data / LOG_FILE
    settings = {**SETTINGS, "server.memory.pagecache.size": pagecache, **(conf or {})}
    cmd = [
        str(java),
        "-Xms512m",
        f"-Xmx{heap}",
        *JVM_FLAGS,
        "-cp",
        classpath,
        MAIN_CLASS,
        "--home",
        str(data),
        "--host",
        host,
        "--port",
        str(port),
        "--auth",
        "true" if auth else "false",
        "--ready-file",
        str(data / READY_FILE),
    ]
    for key, value in settings.items():
        cmd += ["--conf", f"{key}={value}"]
    # A shell puts the JVM in the background and exits, so the JVM is re-parented to init:
    # it outlives this process and never lingers as our zombie.
    spawn = subprocess.run(
        ["/bin/sh", "-c", 'log="$1"; shift; "$@" >>"$log" 2>&1 </dev/null & echo $!', "sh"]
        + [str(log), *cmd],
        capture_output=True,
        text=True,
        start_new_session=True,
        check=False,
    )
    try:
        pid = int(spawn.stdout.strip())
    except ValueError:
        raise ServerStartError(
            f"Could not spawn the Neo4j JVM ({java}): {spawn.stderr.strip() or spawn.stdout!r}"
        ) from None
    uri = f"bolt://{host}:{port}"
    (data / PID_FILE).write_text(
        f"pid={pid}\nport={port}\nuri={uri}\nauth={'true' if auth else 'false'}\n",
        encoding="utf-8",
    )
    info = ServerInfo(pid, port, uri, data, log, auth, False)
    return _wait_ready(info, wait) if wait > 0 else info


def _wait_ready(info: ServerInfo, wait: float) -> ServerInfo:
    deadline = time.monotonic() + wait
    ready_file = info.data_dir / READY_FILE
    while True:
        if ready_file.is_file() and _read_kv(ready_file).get("pid") == str(info.pid):
            return ServerInfo(
                info.pid, info.port, info.uri, info.data_dir, info.log_file, info.auth, True
            )
        if not _alive(info.pid):
            (info.data_dir / PID_FILE).unlink(missing_ok=True)
            raise ServerStartError(
                f"Neo4j (pid {info.pid}) exited before becoming ready on port {info.port}; "
                f"end of {info.log_file}:\n{_log_tail(info.log_file)}"
            )
        if time.monotonic() > deadline:
            _terminate(info.pid, 30.0)
            (info.data_dir / PID_FILE).unlink(missing_ok=True)
            raise ServerStartError(
                f"Neo4j (pid {info.pid}) was not ready on port {info.port} after {wait:.0f} s "
                f"and was stopped; end of {info.log_file}:\n{_log_tail(info.log_file)}"
            )
        time.sleep(0.2)


def _terminate(pid: int, timeout: float) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 10.0
        time.sleep(0.1)


def stop(data_dir: str | Path, *, timeout: float = 60.0) -> ServerInfo:
    """Stop the server of ``data_dir`` (SIGTERM, then SIGKILL after ``timeout`` seconds).

    Returns the server that was stopped; raises :class:`ServerNotRunningError` when none
    runs (a stale pid file is cleaned up first).
    """
    data = Path(data_dir).resolve()
    info = status(data)
    if info is None:
        raise ServerNotRunningError(f"No Neo4j server is running in {data}.")
    _terminate(info.pid, timeout)
    (data / PID_FILE).unlink(missing_ok=True)
    (data / READY_FILE).unlink(missing_ok=True)
    return info
