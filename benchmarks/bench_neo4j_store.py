"""Write and read rates of the Neo4j store against the embedded store, on one synthetic graph.

Usage::

    python benchmarks/bench_neo4j_store.py [--uri bolt://127.0.0.1:7687] [--scale 0.1]
        [--rewrite] [--commit-rows 50000] [--sessions 1,2]

The graph comes from :func:`ingest.synthetic.scale`: ``--scale 1`` is the national graph
(150,000 firms, 1.2M SUPPLIES, 2.64M relationships in all), the default 0.1 a tenth of it.
The baseline is the embedded SQLite store measured in the same run on the same frames.
Neo4j rows: the first write into the empty database (a bulk load, in transactions of
``--commit-rows`` rows), optionally (``--rewrite``) the same write again (an update of
stored data: MERGE in one transaction, which needs a heap of about 5 KB per row), and the
whole-graph ``snapshot()``; the read rate includes ``ChainGraph.from_data``.
``--sessions 1,2`` measures the bulk load and the snapshot once per number of sessions
(``Neo4jStore(sessions=...)``: transactions committed, chunks read, that many at once), the
first as the baseline of the others.
The Neo4j database named by ``--uri`` is CLEARED first: point it at a development server,
never at production data.
Targets for Neo4j: >= 30,000 relationships/s written, >= 200,000 relationships/s read.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chain_brain.graph import ChainGraph  # noqa: E402
from chain_brain.store.embedded import EmbeddedStore  # noqa: E402
from chain_brain.store.neo4j import BULK_COMMIT_ROWS, SESSIONS, Neo4jStore  # noqa: E402
from graph_schema.frames import GraphData  # noqa: E402
from ingest.synthetic import scale  # noqa: E402


def _timed(fn: object, *args: object, **kwargs: object) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)  # type: ignore[operator]
    took = time.perf_counter() - start
    print(f"  {getattr(fn, '__qualname__', fn)}: {took:.1f} s", flush=True)
    return took, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--user", default=None)
    parser.add_argument("--password", default=None)
    parser.add_argument("--scale", "--factor", dest="scale", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--commit-rows", type=int, default=BULK_COMMIT_ROWS)
    parser.add_argument("--rewrite", action="store_true", help="also time a second write")
    parser.add_argument(
        "--sessions", default=str(SESSIONS), help="comma list of session counts to measure"
    )
    parser.add_argument("--quick", action="store_true", help="--scale 0.01")
    args = parser.parse_args()
    if args.quick:
        args.scale = 0.01

    t_gen, data = _timed(scale, args.scale, 0)
    assert isinstance(data, GraphData)
    n_nodes, n_rels = data.n_nodes, data.n_rels
    print(
        f"synthetic graph: {n_nodes:,} nodes, {n_rels:,} relationships ({t_gen:.1f} s to generate)"
    )

    def read_graph(store: EmbeddedStore | Neo4jStore) -> GraphData:
        snap = store.snapshot()
        ChainGraph.from_data(snap)
        return snap

    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        emb = EmbeddedStore(Path(tmp) / "bench.db")
        emb.init()
        t_w, _ = _timed(emb.write, data, batch_size=args.batch_size)
        t_r, snap = _timed(read_graph, emb)
        assert isinstance(snap, GraphData) and snap.n_rels == n_rels, "embedded lost rows"
        rows.append(("embedded (baseline)", t_w, t_r))
        emb.close()

    write = {"batch_size": args.batch_size, "commit_rows": args.commit_rows}
    t_c = 0.0
    for sessions in [int(x) for x in args.sessions.split(",")]:
        neo = Neo4jStore(args.uri, user=args.user, password=args.password, sessions=sessions)
        neo.clear()
        neo.init()
        t_w, _ = _timed(neo.write, data, **write)
        t_r, snap = _timed(read_graph, neo)
        assert isinstance(snap, GraphData) and snap.n_rels == n_rels, "neo4j lost rows"
        rows.append((f"neo4j (bulk load, {sessions} session{'s' * (sessions > 1)})", t_w, t_r))
        if args.rewrite:
            t_w2, _ = _timed(neo.write, data, **write)
            rows.append(("neo4j (re-write, one tx)", t_w2, t_r))
        t_c, _ = _timed(neo.clear)
        neo.close()

    base_w, base_r = rows[0][1], rows[0][2]
    print()
    print(
        f"{'store':30} {'write s':>8} {'rels/s written':>15} {'x base':>7} "
        f"{'read+graph s':>12} {'rels/s read':>12} {'x base':>7}"
    )
    for name, tw, tr in rows:
        print(
            f"{name:30} {tw:8.2f} {n_rels / tw:15,.0f} {base_w / tw:7.2f} "
            f"{tr:12.2f} {n_rels / tr:12,.0f} {base_r / tr:7.2f}"
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\nneo4j clear afterwards: {t_c:.1f} s; load average {load}.  "
        "Targets: >= 30,000 rels/s written, >= 200,000 read."
    )


if __name__ == "__main__":
    main()
