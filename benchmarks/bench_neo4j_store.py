"""Write and read rates of the Neo4j store against the embedded store, on one synthetic graph.

Usage::

    python benchmarks/bench_neo4j_store.py [--uri bolt://127.0.0.1:7687] [--factor 0.333]

The graph comes from :func:`ingest.synthetic.scale`: the default ``factor`` 0.15 gives about
66,000 nodes and 400,000 relationships (22,500 firms, 180,000 SUPPLIES edges, their plants,
products and context).  The baseline is the
embedded SQLite store measured in the same run on the same frames.  The Neo4j database named
by ``--uri`` is CLEARED first: point it at a development server, never at production data.
Targets for Neo4j: >= 30,000 relationships/s written, >= 200,000 relationships/s read.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from chain_brain.store.embedded import EmbeddedStore
from chain_brain.store.neo4j import Neo4jStore
from graph_schema.frames import GraphData
from ingest.synthetic import scale


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
    parser.add_argument("--factor", type=float, default=0.15)
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args()

    t_gen, data = _timed(scale, args.factor, 0)
    assert isinstance(data, GraphData)
    n_nodes, n_rels = data.n_nodes, data.n_rels
    print(
        f"synthetic graph: {n_nodes:,} nodes, {n_rels:,} relationships ({t_gen:.1f} s to generate)"
    )

    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        emb = EmbeddedStore(Path(tmp) / "bench.db")
        emb.init()
        t_w, _ = _timed(emb.write, data, batch_size=args.batch_size)
        t_r, snap = _timed(emb.snapshot)
        assert isinstance(snap, GraphData) and snap.n_rels == n_rels, "embedded lost rows"
        rows.append(("embedded (baseline)", t_w, t_r))
        emb.close()

    neo = Neo4jStore(args.uri, user=args.user, password=args.password)
    neo.clear()
    neo.init()
    t_w, _ = _timed(neo.write, data, batch_size=args.batch_size)
    t_w2, _ = _timed(neo.write, data, batch_size=args.batch_size)
    t_r, snap = _timed(neo.snapshot)
    assert isinstance(snap, GraphData) and snap.n_rels == n_rels, "neo4j lost rows"
    rows.append(("neo4j (first write)", t_w, t_r))
    rows.append(("neo4j (idempotent re-write)", t_w2, t_r))
    t_c, _ = _timed(neo.clear)
    neo.close()

    base_w, base_r = rows[0][1], rows[0][2]
    print()
    print(
        f"{'store':30} {'write s':>8} {'rels/s written':>15} {'x base':>7} {'read s':>7} {'rels/s read':>12} {'x base':>7}"
    )
    for name, tw, tr in rows:
        print(
            f"{name:30} {tw:8.2f} {n_rels / tw:15,.0f} {base_w / tw:7.2f} "
            f"{tr:7.2f} {n_rels / tr:12,.0f} {base_r / tr:7.2f}"
        )
    print(
        f"\nneo4j clear afterwards: {t_c:.1f} s.  Targets: >= 30,000 rels/s written, >= 200,000 read."
    )


if __name__ == "__main__":
    main()
