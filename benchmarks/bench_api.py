"""Benchmark: read endpoints of the API under 100 concurrent clients on loopback.

Run: ``python benchmarks/bench_api.py [--scale 1.0 | --store FILE] [--clients 100]
[--requests 2000] [--distinct 50] [--workers 1] [--loaders 1]`` (``--quick``: scale 0.002,
300 requests).

A synthetic graph (``ingest.synthetic.scale``) is written to an embedded store (or
``--store`` names one already written, which is reused and not changed); the API runs
under uvicorn (``--workers`` processes) on 127.0.0.1.  ``--clients`` keep-alive
connections (a minimal asyncio HTTP/1.1 client, spread over ``--loaders`` processes) send
``--requests`` GETs per endpoint and phase, each connection one request at a time
(closed loop: throughput = clients / mean latency).

Endpoints: ``/health`` (the baseline: the framework, the key check and one revision read,
no graph work); ``/firms/{id}`` (one indexed store read, not cached); the three cached read
views -- ``/chains/{id}`` (chain map), ``/nodes/{id}/neighbourhood`` and
``/chains/{id}/chokepoints`` -- over ``--distinct`` chains or firms in random order, first
**cold** (a fresh server: every distinct view is computed once, concurrent misses of one
view wait for a single computation) then **warm** (the same requests again).  ``direct
ms`` is the median of the same view computed in this process without HTTP and without
the cache (the cost each request paid before the cache); ``x health`` is the endpoint's
p99 over ``/health``'s p99 in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from chain_brain.services.security import KeyRing  # noqa: E402
from chain_brain.store import GraphStore, Scope, open_store  # noqa: E402
from graph_schema.model import NodeLabel  # noqa: E402

TARGET_P99_MS = 100.0
#: The request's Accept-Encoding line (as httpx and browsers send by default); bodies are
#: read as they come, not decompressed.  ``--no-gzip`` empties it.
ACCEPT = ["Accept-Encoding: gzip\r\n"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(db: Path, keys: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CHAIN_BRAIN_STORE": str(db),
        "CHAIN_BRAIN_API_KEYS_FILE": str(keys),
        "CHAIN_BRAIN_RATE_LIMIT_PER_MINUTE": str(10**9),
    }
    code = (
        "from chain_brain.api.app import serve; from chain_brain.settings import Settings; "
        f"serve(Settings(), '127.0.0.1', {port}, workers={workers}, log_level='warning', "
        "access_log=False)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=REPO)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("the API did not start within 120 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


# --------------------------------------------------------------------------- load


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, key: str
) -> tuple[int, int]:
    """One GET on a keep-alive connection; returns the status and the body's size."""
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n{ACCEPT[0]}\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        length = 0
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            length += size
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, length


async def _load_async(
    port: int, key: str, paths: list[str], clients: int, seconds: float
) -> tuple[list[float], float, int, int]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for p in paths:
        queue.put_nowait(p)
    lat: list[float] = []
    errors = nbytes = 0
    stop = time.monotonic() + seconds

    barrier = asyncio.Barrier(clients + 1)

    async def worker() -> None:
        nonlocal errors, nbytes
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await _get(reader, writer, "/health", key)  # connected and served once, untimed
        await barrier.wait()
        try:
            while time.monotonic() < stop:
                try:
                    path = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    status, size = await _get(reader, writer, path, key)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                lat.append(time.perf_counter() - t0)
                errors += status != 200
                nbytes += size
        finally:
            writer.close()

    tasks = [asyncio.create_task(worker()) for _ in range(clients)]
    await barrier.wait()
    t0 = time.perf_counter()
    await asyncio.gather(*tasks)
    return lat, time.perf_counter() - t0, errors, nbytes


def _load_process(
    args: tuple[int, str, list[str], int, float, str],
) -> tuple[list[float], float, int, int]:
    ACCEPT[0] = args[5]
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(_load_async(*args[:5]))


def _load(
    pool: mp.pool.Pool | None,
    port: int,
    key: str,
    paths: list[str],
    clients: int,
    loaders: int,
    seconds: float,
) -> tuple[np.ndarray, float, int, int]:
    """Latencies (s), wall time, errors and body bytes of ``paths`` sent by ``clients``
    connections."""
    if pool is None:
        lat, wall, err, nbytes = _load_process((port, key, paths, clients, seconds, ACCEPT[0]))
        return np.array(lat), wall, err, nbytes
    shares = [
        (
            port,
            key,
            paths[i::loaders],
            clients // loaders + (i < clients % loaders),
            seconds,
            ACCEPT[0],
        )
        for i in range(loaders)
    ]
    t0 = time.perf_counter()
    parts = pool.map(_load_process, shares)
    wall = time.perf_counter() - t0
    lat = np.concatenate([np.array(p[0]) for p in parts])
    return lat, wall, sum(p[2] for p in parts), sum(p[3] for p in parts)


def _direct(fn: Callable[[str], object], ids: list[str], n: int) -> float:
    times = []
    for i in ids[:n]:
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


# --------------------------------------------------------------------------- main


def _prepare(args: argparse.Namespace, tmp: Path) -> tuple[Path, GraphStore]:
    if args.store:
        db = Path(args.store)
        store = open_store(db)
        if store.schema_version() is None:
            raise SystemExit(f"--store {db} holds no chain-brain store")
        print(f"store: {db} (reused; revision {store.revision()})")
        return db, store
    from ingest.synthetic import scale

    db = tmp / "store.db"
    t0 = time.perf_counter()
    data = scale(args.scale)
    store = open_store(db)
    store.init()
    store.write(data)
    print(
        f"graph: scale {args.scale}, {data.n_nodes:,} nodes, {data.n_rels:,} relationships, "
        f"generated and written in {time.perf_counter() - t0:.1f} s"
    )
    return db, store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--scale", type=float, default=0.1, help="synthetic graph scale (1.0 = 150k firms)"
    )
    ap.add_argument("--store", help="an embedded store file already written (reused, not changed)")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--requests", type=int, default=2000, help="requests per endpoint and phase")
    ap.add_argument("--distinct", type=int, default=50, help="distinct chains / firms per endpoint")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--loaders", type=int, default=1, help="load-generating processes")
    ap.add_argument(
        "--seconds", type=float, default=300.0, help="time limit per endpoint and phase"
    )
    ap.add_argument("--no-gzip", action="store_true", help="send no Accept-Encoding: gzip")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.no_gzip:
        ACCEPT[0] = ""
    if args.quick:
        args.scale, args.requests, args.distinct, args.seconds = 0.002, 300, 10, 60.0

    rng = np.random.default_rng(0)
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    db, store = _prepare(args, tmp)
    keys = tmp / "keys.json"
    _, key = KeyRing(keys).create("analyst")

    from chain_brain.services import chains

    chain_ids = sorted(c.id for c in chains.list_chains(store) if c.segments > 0)
    firm_ids = store.search_nodes(NodeLabel.FIRM, "", limit=10**7)["id"].astype(str).tolist()
    pick_chains = [
        str(c) for c in rng.choice(chain_ids, min(args.distinct, len(chain_ids)), replace=False)
    ]
    # the chokepoint list gets chains of its own, so its cold phase reads their snapshots
    others = [c for c in chain_ids if c not in set(pick_chains)] or chain_ids
    pick_chains2 = [
        str(c) for c in rng.choice(others, min(args.distinct, len(others)), replace=False)
    ]
    pick_firms = [
        str(f) for f in rng.choice(firm_ids, min(args.distinct, len(firm_ids)), replace=False)
    ]
    n = args.requests

    def spread(ids: list[str], fmt: str) -> list[str]:
        return [fmt.format(ids[k]) for k in rng.integers(0, len(ids), n)]

    # the uncached computation each request paid before the cache
    def chain_map_direct(c: str) -> object:
        return chains._chain_map(store, c, None)

    def neighbourhood_direct(f: str) -> object:
        return store.snapshot(Scope(focus=f, tiers=1))

    def chokepoints_direct(c: str) -> object:
        from chain_brain.analytics.chokepoints import find_chokepoints
        from chain_brain.graph.chaingraph import ChainGraph

        return find_chokepoints(ChainGraph.from_data(store.snapshot(Scope(chain=c))))

    ndirect = 3 if args.scale >= 0.5 or args.store else 5
    direct = {
        "chain map": _direct(chain_map_direct, pick_chains, ndirect),
        "neighbourhood": _direct(neighbourhood_direct, pick_firms, ndirect),
        "chokepoints": _direct(chokepoints_direct, pick_chains2, ndirect),
        "firm": _direct(lambda f: store.get_node(NodeLabel.FIRM, f), pick_firms, 20),
    }
    cases = [
        ("GET /health (baseline)", "", ["/health"] * n, None),
        ("GET /firms/{id} (not cached)", "", spread(pick_firms, "/firms/{}"), "firm"),
        ("GET /chains/{id}", "chain map", spread(pick_chains, "/chains/{}"), "chain map"),
        (
            "GET /nodes/{id}/neighbourhood",
            "neighbourhood",
            spread(pick_firms, "/nodes/{}/neighbourhood?tiers=1"),
            "neighbourhood",
        ),
        (
            "GET /chains/{id}/chokepoints",
            "chokepoints",
            spread(pick_chains2, "/chains/{}/chokepoints?limit=20"),
            "chokepoints",
        ),
    ]
    pool = mp.get_context("spawn").Pool(args.loaders) if args.loaders > 1 else None
    rows = []
    load = os.getloadavg()
    try:
        port = _free_port()
        proc = _start_server(db, keys, port, args.workers)  # a fresh server: cold caches
        try:
            _load(pool, port, key, ["/firms?limit=1"] * 4 * args.workers, 2, 1, 60)  # key checked
            for name, view, paths, base in cases:
                phases = ["cold", "warm"] if view else ["-"]
                for phase in phases:
                    lat, wall, errors, nbytes = _load(
                        pool, port, key, paths, args.clients, args.loaders, args.seconds
                    )
                    p50, p99 = np.percentile(lat, [50, 99]) * 1e3 if len(lat) else (np.nan,) * 2
                    rows.append(
                        (
                            name,
                            phase,
                            len(lat),
                            errors,
                            p50,
                            p99,
                            len(lat) / wall,
                            nbytes / max(len(lat), 1) / 1e3,
                            direct.get(base or ""),
                        )
                    )
                    print(f"  {name} {phase}: p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
        finally:
            _stop(proc)
    finally:
        if pool is not None:
            pool.close()
        store.close()
    load_after = os.getloadavg()
    health_p99 = rows[0][5]
    print(
        f"\n{args.clients} concurrent clients ({args.loaders} load process(es)), uvicorn "
        f"{args.workers} worker(s) on 127.0.0.1, embedded store, {args.distinct} distinct "
        f"chains/firms per endpoint, gzip {'off' if args.no_gzip else 'accepted'}; load average before {load[0]:.1f}, after {load_after[0]:.1f}; "
        f"target p99 <= {TARGET_P99_MS:.0f} ms\n"
    )
    print(
        "| endpoint | phase | requests | errors | p50 ms | p99 ms | req/s | kB/resp (wire) | direct ms | x health p99 | p99 target |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, phase, cnt, err, p50, p99, rps, kb, base in rows:
        d = f"{base * 1e3:.2f}" if base is not None else "-"
        ok = "ok" if p99 <= TARGET_P99_MS else "MISS"
        print(
            f"| {name} | {phase} | {cnt} | {err} | {p50:.1f} | {p99:.1f} | {rps:.0f} | {kb:.1f} | {d} | "
            f"{p99 / health_p99:.1f} | {ok} |"
        )


if __name__ == "__main__":
    main()
