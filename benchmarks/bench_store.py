"""Benchmark: write the synthetic national graph into each store and read it back.

Run: ``python benchmarks/bench_store.py [--scale full|0.1|0.01] [--stores embedded,neo4j]``
(``--quick`` = ``--scale 0.01``).  The graph comes from :func:`ingest.synthetic.scale`;
each store is initialised empty, written with one ``write(GraphData)`` and read with
``snapshot()`` followed by ``ChainGraph.from_data`` (the read path of every analysis).
Then one node is written and the whole graph read twice: the first read after a change
and the next one; then one existing SUPPLIES relationship is updated (in the largest
frame) and the whole graph read once more.  The embedded store patches its columnar copy
in such small writes (a first whole read after a change it could not patch reads the
tables and rebuilds the copy).
Baselines measured in the same run on the same rows: plain ``sqlite3`` ``executemany``
into untyped tables in one transaction (read back with ``SELECT *``), and pandas
``to_parquet`` / ``read_parquet``.  Rates are relationships per second; ``x sqlite``
is the store's rate divided by the sqlite baseline's.

Targets on 2 cores (full scale): embedded >= 200k edges/s written and >= 1M edges/s read
into a ChainGraph; Neo4j over Bolt >= 30k relationships/s written and >= 200k/s read.

Neo4j: with ``--neo4j-uri`` the benchmark uses that server, which it CLEARS first (never
point it at a database you care about); without it, a private server is started in a
temporary folder on a free port (``chain_brain.neo4j_server``) and stopped at the end.
A Neo4j write still running after ``--neo4j-budget`` seconds (900) is terminated on the
server and reported as failed, so a slow store cannot hang the run.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph_schema.frames import GraphData  # noqa: E402
from ingest.synthetic import scale  # noqa: E402

TARGETS = {  # (write, read) relationships per second on 2 cores
    "embedded": (200_000, 1_000_000),
    "neo4j": (30_000, 200_000),
}


@dataclass
class Row:
    """One measured backend."""

    name: str
    write_s: float
    read_s: float
    graph_s: float | None = None  # ChainGraph.from_data after the read
    note: str = ""
    changed_s: float | None = None  # first whole read after a one-node write
    again_s: float | None = None  # the next whole read, nothing changed
    node_write_s: float | None = None  # the one-node write
    rel_write_s: float | None = None  # a one-relationship update in the largest frame
    rel_changed_s: float | None = None  # first whole read after it


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _clock(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


# --------------------------------------------------------------------------- baselines


def _columns(frame: pd.DataFrame) -> list[list[object]]:
    """Plain Python columns (numpy scalars are not sqlite parameters; NaN binds as NULL)."""
    return [frame[c].tolist() for c in frame.columns]


def sqlite_baseline(graph: GraphData, path: Path) -> Row:
    """executemany of every frame's rows into untyped tables, one transaction, then SELECT *."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    frames = [f.data for f in graph]

    def write() -> None:
        conn.execute("BEGIN")
        for i, frame in enumerate(frames):
            cols = ", ".join(f'"{c}"' for c in frame.columns)
            conn.execute(f"CREATE TABLE t{i} ({cols})")
            marks = ", ".join("?" * len(frame.columns))
            conn.executemany(
                f"INSERT INTO t{i} VALUES ({marks})", zip(*_columns(frame), strict=True)
            )
        conn.execute("COMMIT")

    def read() -> list[pd.DataFrame]:
        out = []
        for i, frame in enumerate(frames):
            cur = conn.execute(f"SELECT * FROM t{i}")
            out.append(pd.DataFrame.from_records(cur.fetchall(), columns=list(frame.columns)))
        return out

    write_s, _ = _clock(write)
    read_s, tables = _clock(read)
    conn.close()
    assert sum(len(t) for t in tables) == graph.n_nodes + graph.n_rels  # type: ignore[union-attr]
    return Row("sqlite executemany (baseline)", write_s, read_s)


def parquet_baseline(graph: GraphData, folder: Path) -> Row:
    folder.mkdir(parents=True, exist_ok=True)
    frames = [f.data for f in graph]

    def write() -> None:
        for i, frame in enumerate(frames):
            frame.to_parquet(folder / f"t{i}.parquet", index=False)

    def read() -> int:
        return sum(len(pd.read_parquet(folder / f"t{i}.parquet")) for i in range(len(frames)))

    write_s, _ = _clock(write)
    read_s, n = _clock(read)
    assert n == graph.n_nodes + graph.n_rels
    return Row("pandas parquet (baseline)", write_s, read_s)


# --------------------------------------------------------------------------- stores


def bench_store(
    name: str, store: object, graph: GraphData, on_write: Callable[[], object] | None = None
) -> Row:
    """init, write, snapshot and ChainGraph.from_data on one store (the GraphStore protocol)."""
    try:
        from chain_brain.graph import ChainGraph
    except ImportError:  # the package may not re-export it yet
        from chain_brain.graph.chaingraph import ChainGraph

    store.init()  # type: ignore[attr-defined]
    _say(f"{name}: write ...")
    if on_write is not None:
        on_write()
    write_s, _ = _clock(lambda: store.write(graph))  # type: ignore[attr-defined]
    _say(f"{name}: write {write_s:.2f} s; snapshot ...")
    read_s, snap = _clock(store.snapshot)  # type: ignore[attr-defined]
    assert isinstance(snap, GraphData)
    _say(f"{name}: snapshot {read_s:.2f} s; ChainGraph.from_data ...")
    graph_s, _ = _clock(lambda: ChainGraph.from_data(snap))
    _say(f"{name}: scoped snapshots ...")
    SCOPED.extend(bench_scopes(name, store, snap, read_s))
    got, want = snap.counts(), graph.counts()
    got = {k: v for k, v in got.items() if v}
    note = "" if got == want else f"counts differ: {sorted(set(got.items()) ^ set(want.items()))}"
    _say(f"{name}: whole reads after a one-node write ...")
    node_write_s, _ = _clock(lambda: store.write(_one_country()))  # type: ignore[attr-defined]
    changed_s, _ = _clock(store.snapshot)  # type: ignore[attr-defined]
    again_s, _ = _clock(store.snapshot)  # type: ignore[attr-defined]
    _say(f"{name}: whole read after a one-relationship update ...")
    rel_write_s, _ = _clock(lambda: store.write(_one_supply(snap)))  # type: ignore[attr-defined]
    rel_changed_s, _ = _clock(store.snapshot)  # type: ignore[attr-defined]
    return Row(
        name,
        write_s,
        read_s,
        graph_s,
        note,
        changed_s,
        again_s,
        node_write_s,
        rel_write_s,
        rel_changed_s,
    )


def _one_country() -> GraphData:
    from graph_schema.frames import NodeFrame, with_provenance
    from graph_schema.model import NodeLabel

    frame = pd.DataFrame({"id": ["ZZB"], "name_en": ["Benchmark-land"]})
    return GraphData([NodeFrame(NodeLabel.COUNTRY, with_provenance(frame, source="bench"))])


def _one_supply(whole: GraphData) -> GraphData:
    """A new volume for the first relationship of the largest SUPPLIES frame."""
    from graph_schema.frames import RelFrame, with_provenance

    rf = max(whole.rel_frames("SUPPLIES"), key=len)
    row = rf.data.iloc[[0]][["src", "dst", "key"]].reset_index(drop=True).assign(volume=1.0)
    return GraphData(
        [], [RelFrame(rf.type, rf.src_label, rf.dst_label, with_provenance(row, source="bench"))]
    )


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f}"


def reread_table(rows: list[Row], n_rels: int) -> str:
    lines = [
        "| backend | one-node write s | first whole read after a one-node write s | rels/s "
        "| next whole read s | rels/s | one-relationship update s | whole read after it s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.changed_s is None or r.again_s is None:
            continue
        lines.append(
            f"| {r.name} | {_s(r.node_write_s)} | {r.changed_s:.2f} | "
            f"{_rate(n_rels, r.changed_s)} | {r.again_s:.2f} | {_rate(n_rels, r.again_s)} | "
            f"{_s(r.rel_write_s)} | {_s(r.rel_changed_s)} |"
        )
    return "\n".join(lines)


SCOPED: list[tuple[str, str, int, float, float]] = []  # (store, scope, firms, ms, ref ms)


def bench_scopes(
    name: str, store: object, whole: GraphData, read_s: float
) -> list[tuple[str, str, int, float, float]]:
    """Time scoped snapshots (median of 3) against the former path: read the whole graph,
    then ``apply_scope`` (the whole read timed above plus the cut timed here)."""
    from chain_brain.store import Scope
    from chain_brain.store.scope import apply_scope

    sup = pd.concat([f.data for f in whole.rel_frames("SUPPLIES")], ignore_index=True)
    busiest = str(sup["src"].value_counts().index[0])
    typical = str(sup["dst"].value_counts().index[len(sup) // 20 % max(1, sup["dst"].nunique())])
    chain = str(whole.node_table("Chain")["id"].iloc[0])
    region = str(whole.node_table("Region")["id"].iloc[0])
    scopes = {
        f"chain {chain}": Scope(chain=chain),
        f"region {region}": Scope(region=region),
        f"focus {busiest} tiers 1": Scope(focus=busiest, tiers=1),
        f"focus {typical} tiers 2 up": Scope(focus=typical, tiers=2, direction="up"),
    }
    out = []
    for label, scope in scopes.items():
        times = []
        for _ in range(3):
            t, sub = _clock(lambda scope=scope: store.snapshot(scope))  # type: ignore[attr-defined]
            times.append(t)
        cut_s, _ = _clock(lambda scope=scope: apply_scope(whole, scope))
        assert isinstance(sub, GraphData)
        firms = len(sub.node_table("Firm"))
        out.append((name, label, firms, 1000 * sorted(times)[1], 1000 * (read_s + cut_s)))
    return out


def scoped_table() -> str:
    lines = [
        "| backend | scope | firms | scoped snapshot ms | whole read + apply_scope ms | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    for name, label, firms, ms, ref in SCOPED:
        lines.append(f"| {name} | {label} | {firms:,} | {ms:,.0f} | {ref:,.0f} | {ref / ms:.1f}x |")
    return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def neo4j_uri(uri: str | None, heap: str, pagecache: str) -> Iterator[str]:
    """The given URI, or a private server started for this run and stopped afterwards."""
    if uri:
        yield uri
        return
    from chain_brain import neo4j_server

    with tempfile.TemporaryDirectory(prefix="bench-neo4j-") as tmp:
        info = neo4j_server.start(tmp, _free_port(), wait=180.0, heap=heap, pagecache=pagecache)
        try:
            yield info.uri
        finally:
            neo4j_server.stop(tmp)


def _watch_write(uri: str, budget: float, stop: threading.Event) -> None:
    """After ``budget`` seconds, terminate the write every few seconds until ``stop``."""
    if stop.wait(budget):
        return
    while not stop.is_set():
        _terminate_writes(uri)
        stop.wait(3.0)


def _terminate_writes(uri: str) -> None:
    """Terminate the benchmark's running write transactions (its time budget is spent)."""
    import neo4j

    user, password = (
        os.environ.get("CHAIN_BRAIN_NEO4J_USER"),
        os.environ.get("CHAIN_BRAIN_NEO4J_PASSWORD"),
    )
    auth = (user or "neo4j", password) if password else None
    with neo4j.GraphDatabase.driver(uri, auth=auth) as driver, driver.session() as session:
        ids = [
            r["transactionId"]
            for r in session.run(
                "SHOW TRANSACTIONS YIELD transactionId, currentQuery "
                "WHERE currentQuery STARTS WITH 'UNWIND' RETURN transactionId"
            )
        ]
        for tx_id in ids:
            _say(f"neo4j: time budget spent, terminating {tx_id} at {uri}")
            session.run("TERMINATE TRANSACTION $id", id=tx_id).consume()


# --------------------------------------------------------------------------- report


def _rate(n: int, seconds: float | None) -> str:
    return "-" if not seconds else f"{n / seconds:,.0f}"


def table(rows: list[Row], n_rows: int, n_rels: int) -> str:
    base = next((r for r in rows if r.name.startswith("sqlite")), None)
    head = (
        "| backend | write s | write rels/s | x sqlite | read s | read rels/s | "
        "+ChainGraph s | read+graph rels/s | x sqlite | target w / r | note |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        read_total = r.read_s + (r.graph_s or 0.0)
        xw = f"{base.write_s / r.write_s:.2f}" if base else "-"
        xr = f"{base.read_s / read_total:.2f}" if base else "-"
        key = r.name.split()[0]
        target = TARGETS.get(key)
        tgt = "-"
        if target:
            ok_w = n_rels / r.write_s >= target[0]
            ok_r = n_rels / read_total >= target[1]
            tgt = f"{target[0]:,} {'ok' if ok_w else 'MISS'} / {target[1]:,} {'ok' if ok_r else 'MISS'}"
        lines.append(
            f"| {r.name} | {r.write_s:.2f} | {_rate(n_rels, r.write_s)} | {xw} | "
            f"{r.read_s:.2f} | {_rate(n_rels, r.read_s)} | "
            f"{'-' if r.graph_s is None else f'{r.graph_s:.2f}'} | {_rate(n_rels, read_total)} | "
            f"{xr} | {tgt} | {r.note} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", default="0.1", help="full, 0.1, 0.01 or any positive factor")
    ap.add_argument("--quick", action="store_true", help="same as --scale 0.01")
    ap.add_argument("--stores", default="embedded,neo4j", help="comma list: embedded,neo4j")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--neo4j-uri", default=os.environ.get("CHAIN_BRAIN_BENCH_NEO4J_URI"))
    ap.add_argument("--neo4j-heap", default="2g", help="heap of the private Neo4j server")
    ap.add_argument(
        "--neo4j-pagecache",
        default="2g",
        help="page cache of the private Neo4j server (the `neo4j start` default)",
    )
    ap.add_argument(
        "--neo4j-budget",
        type=float,
        default=900.0,
        help="seconds after which the Neo4j write is terminated and reported as failed",
    )
    ap.add_argument("--no-baselines", action="store_true")
    args = ap.parse_args(argv)
    factor = 0.01 if args.quick else (1.0 if args.scale == "full" else float(args.scale))
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = set(stores) - set(TARGETS)
    if unknown:
        ap.error(f"unknown store(s) {sorted(unknown)}; expected embedded and/or neo4j")

    gen_s, graph = _clock(lambda: scale(factor, args.seed))
    assert isinstance(graph, GraphData)
    n_rows, n_rels = graph.n_nodes + graph.n_rels, graph.n_rels
    print(
        f"synthetic graph at scale {factor:g}: {graph.n_nodes:,} nodes, {n_rels:,} relationships "
        f"({graph.counts()['SUPPLIES']:,} SUPPLIES), generated in {gen_s:.2f} s"
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        work = Path(tmp)
        if not args.no_baselines:
            rows.append(sqlite_baseline(graph, work / "baseline.db"))
            rows.append(parquet_baseline(graph, work / "parquet"))
        for name in stores:
            try:
                if name == "embedded":
                    from chain_brain.store.embedded import EmbeddedStore

                    emb = EmbeddedStore(work / "embedded.db")
                    try:
                        rows.append(bench_store("embedded (EmbeddedStore)", emb, graph))
                    finally:
                        emb.close()
                else:
                    from chain_brain.store.neo4j import Neo4jStore

                    with neo4j_uri(args.neo4j_uri, args.neo4j_heap, args.neo4j_pagecache) as uri:
                        neo = Neo4jStore(
                            uri,
                            user=os.environ.get("CHAIN_BRAIN_NEO4J_USER"),
                            password=os.environ.get("CHAIN_BRAIN_NEO4J_PASSWORD"),
                        )
                        stop = threading.Event()
                        watchdog = threading.Thread(
                            target=_watch_write, args=(uri, args.neo4j_budget, stop), daemon=True
                        )
                        try:
                            neo.clear()
                            rows.append(
                                bench_store("neo4j (Neo4jStore, Bolt)", neo, graph, watchdog.start)
                            )
                        finally:
                            stop.set()
                            neo.close()
            except Exception as exc:  # report the failure in the table, keep the others
                print(f"{name}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
                rows.append(
                    Row(f"{name} FAILED", float("nan"), float("nan"), note=type(exc).__name__)
                )
    print(table(rows, n_rows, n_rels))
    if any(r.changed_s is not None for r in rows):
        print()
        print(reread_table(rows, n_rels))
    if SCOPED:
        print()
        print(scoped_table())
    return 0 if all(r.write_s == r.write_s for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
