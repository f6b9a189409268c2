"""Benchmark: read endpoints of the API under 100 concurrent clients on loopback.

Run: ``python benchmarks/bench_api.py [--scale 0.002] [--clients 100] [--requests 1000]``
(``--quick``: scale 0.001, 300 requests per endpoint).  A synthetic graph
(``ingest.synthetic.scale``) goes into an embedded store; the API runs under uvicorn in
its own process on 127.0.0.1; ``--clients`` httpx async clients send ``--requests``
requests per endpoint (each endpoint stops early after ``--seconds``).  Prints p50, p99
and throughput per endpoint, and as the baseline measured in the same run the p50 of the
same service call made in-process without HTTP (``x direct`` = HTTP p50 / direct p50).
"""

from __future__ import annotations

import argparse
import asyncio
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

import httpx  # noqa: E402

from chain_brain.services import chains as chain_service  # noqa: E402
from chain_brain.services.security import KeyRing  # noqa: E402
from chain_brain.store import GraphStore, Scope, open_store  # noqa: E402
from ingest.synthetic import scale  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(db: Path, keys: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CHAIN_BRAIN_STORE": str(db),
        "CHAIN_BRAIN_API_KEYS_FILE": str(keys),
        "CHAIN_BRAIN_RATE_LIMIT_PER_MINUTE": str(10**9),
    }
    code = (
        "import uvicorn; from chain_brain.api import create_app; from chain_brain.settings import Settings; "
        f"uvicorn.run(create_app(Settings()), host='127.0.0.1', port={port}, log_level='warning', "
        "access_log=False)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, cwd=REPO, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the API did not start within 60 s")


async def _load(
    base: str, key: str, paths: list[str], clients: int, seconds: float
) -> tuple[np.ndarray, float, int]:
    """Send every path once, ``clients`` at a time; latencies (s), wall time, errors."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for p in paths:
        queue.put_nowait(p)
    lat: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers={"X-API-Key": key}, limits=limits, timeout=60
    ) as client:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < stop:
                try:
                    path = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    r = await client.get(path)
                except httpx.HTTPError:
                    errors += 1
                    continue
                lat.append(time.perf_counter() - t0)
                errors += r.status_code != 200

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - t0
    return np.array(lat), wall, errors


def _direct(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=0.002)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--requests", type=int, default=1000, help="requests per endpoint")
    ap.add_argument("--seconds", type=float, default=60.0, help="time limit per endpoint")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.scale, args.requests, args.seconds = 0.001, 300, 30.0

    rng = np.random.default_rng(0)
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    db, keys = tmp / "store.db", tmp / "keys.json"
    t0 = time.perf_counter()
    data = scale(args.scale)
    store: GraphStore = open_store(db)
    store.init()
    store.write(data)
    firms = data.node_table("Firm")
    chains = data.node_table("Chain")["id"].astype(str).to_numpy()
    print(
        f"graph: {data.n_nodes:,} nodes, {data.n_rels:,} relationships, loaded in {time.perf_counter() - t0:.1f} s"
    )
    _, key = KeyRing(keys).create("analyst")
    ids = firms["id"].astype(str).to_numpy()
    words = [str(n).split()[0][:4] for n in firms["name"].dropna().head(50)]
    n = args.requests
    pick = rng.choice(ids, n)
    chain_pick = rng.choice(chains, n)
    cases: list[tuple[str, list[str], Callable[[], object]]] = [
        ("GET /health", ["/health"] * n, store.schema_version),
        (
            "GET /firms/{id}",
            [f"/firms/{i}" for i in pick],
            lambda: store.get_node("Firm", str(rng.choice(ids))),
        ),
        (
            "GET /firms?q=",
            [f"/firms?q={words[k % len(words)]}&limit=20" for k in range(n)],
            lambda: store.search_nodes("Firm", words[0], limit=20),
        ),
        (
            "GET /chains/{id}",
            [f"/chains/{c}" for c in chain_pick],
            lambda: chain_service.chain_map(store, str(rng.choice(chains))),
        ),
        (
            "GET /nodes/{id}/neighbourhood",
            [f"/nodes/{i}/neighbourhood?tiers=1" for i in pick],
            lambda: store.snapshot(Scope(focus=str(rng.choice(ids)))),
        ),
    ]
    port = _free_port()
    proc = _start_server(db, keys, port)
    rows = []
    try:
        for name, paths, direct in cases:
            lat, wall, errors = asyncio.run(
                _load(f"http://127.0.0.1:{port}", key, paths, args.clients, args.seconds)
            )
            base = _direct(direct, min(20, n))
            p50, p99 = np.percentile(lat, [50, 99]) if len(lat) else (np.nan, np.nan)
            rows.append(
                (
                    name,
                    len(lat),
                    errors,
                    p50 * 1e3,
                    p99 * 1e3,
                    len(lat) / wall,
                    base * 1e3,
                    p50 / base,
                )
            )
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        store.close()
    print(
        f"\n{args.clients} concurrent clients, uvicorn (1 process) on 127.0.0.1, embedded store\n"
    )
    print("| endpoint | requests | errors | p50 ms | p99 ms | req/s | direct p50 ms | x direct |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, cnt, err, p50, p99, rps, base, ratio in rows:
        print(
            f"| {name} | {cnt} | {err} | {p50:.1f} | {p99:.1f} | {rps:.0f} | {base:.2f} | {ratio:.0f} |"
        )


if __name__ == "__main__":
    main()
