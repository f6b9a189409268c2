"""Benchmark of ingest: reading + mapping + validating real files and a synthetic supply table.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_ingest.py [--data-dir ../shared/data] [--edges 1200000]

Prints, per input, the rows, the seconds of the full ingest (read, map, validate), rows per
second, and the ratio against a baseline measured in the same run: a bare
``pandas.read_csv(path, dtype=str)`` of the same file (what reading alone costs).

The synthetic table has one row per ``SUPPLIES`` edge (supplier id and name, customer id and
name, product, volume, lead time, start date) over 150,000 firms: each row also yields two
``Firm`` rows, so validation checks 1.2M edges, merges 2.4M firm rows into 150k firms and
checks every edge's endpoints.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from graph_schema.frames import GraphData
from ingest.mapping import apply_mapping, parse_mapping
from ingest.readers import read_csv
from ingest.result import IngestResult, build_result
from ingest.run import DATASET_PATHS, ingest_dataset, ingest_file

SYNTHETIC_MAPPING = {
    "source": "synthetic supply table",
    "confidence": 0.9,
    "nodes": [
        {"label": "Firm", "id": "f:{supplier_id}", "properties": {"name": "supplier_name"}},
        {"label": "Firm", "id": "f:{customer_id}", "properties": {"name": "customer_name"}},
    ],
    "relationships": [
        {
            "type": "SUPPLIES",
            "from": {"label": "Firm", "id": "f:{supplier_id}"},
            "to": {"label": "Firm", "id": "f:{customer_id}"},
            "properties": {
                "product": "product",
                "volume": "volume",
                "lead_time_days": "lead_time_days",
                "valid_from": "since",
            },
        }
    ],
}


def make_synthetic(path: Path, n_edges: int, n_firms: int, seed: int = 7) -> None:
    """Write a tiered supply table: suppliers ship to firms of the next tier (ids unique per row)."""
    rng = np.random.default_rng(seed)
    tiers = 6
    tier_of = np.sort(rng.integers(0, tiers, n_firms))
    starts = np.searchsorted(tier_of, np.arange(tiers + 1))
    src = rng.integers(0, starts[tiers - 1], n_edges * 2)
    dst_tier = tier_of[src] + 1
    lo, hi = starts[dst_tier], starts[np.minimum(dst_tier + 1, tiers)]
    dst = lo + (rng.random(src.size) * (hi - lo)).astype(np.int64)
    product = rng.integers(0, 2000, src.size)
    key = pd.DataFrame({"s": src, "d": dst, "p": product}).drop_duplicates().head(n_edges)
    n = len(key)
    names = np.array([f"Firm {i:06d} Co Ltd" for i in range(n_firms)], dtype=object)
    volume = np.round(rng.lognormal(6, 1.5, n), 1)
    volume_text = np.char.mod("%.1f", volume).astype(object)
    big = volume > 1000
    volume_text[big] = [f"{v:,.1f}" for v in volume[big]]  # thousands separators
    days = rng.integers(0, 3650, n)
    since = (np.datetime64("2015-01-01") + days).astype(str)
    pd.DataFrame(
        {
            "supplier_id": key["s"].to_numpy(),
            "supplier_name": names[key["s"].to_numpy()],
            "customer_id": key["d"].to_numpy(),
            "customer_name": names[key["d"].to_numpy()],
            "product": "p" + key["p"].astype(str).to_numpy(),
            "volume": volume_text,
            "lead_time_days": rng.integers(1, 90, n),
            "since": since,
        }
    ).to_csv(path, index=False)


def _time(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    ap.add_argument("--edges", type=int, default=1_200_000)
    ap.add_argument("--firms", type=int, default=150_000)
    ap.add_argument("--no-stream", action="store_true", help="skip the chunked run")
    args = ap.parse_args()

    rows: list[dict[str, object]] = []
    stages: dict[str, float] = {}

    def record(name: str, path: Path, run: Callable[[], IngestResult]) -> None:
        base, _ = _time(lambda: pd.read_csv(path, dtype=str, encoding="utf-8-sig"))
        secs, result = _time(run)
        assert isinstance(result, IngestResult)
        n = result.report.rows_read
        rows.append(
            {
                "input": name,
                "rows": n,
                "entity rows validated": result.report.read,
                "rejected": result.report.rejected,
                "ingest s": round(secs, 2),
                "rows/s": int(n / secs),
                "baseline read_csv s": round(base, 3),
                "ratio ingest/baseline": round(secs / base, 1),
            }
        )
        print(rows[-1], flush=True)

    for name in ("gem-steel", "apple-suppliers", "scms"):
        path = args.data_dir / DATASET_PATHS[name][0]
        if path.exists():
            record(name, path, functools.partial(ingest_dataset, name, args.data_dir))

    mapping = parse_mapping(SYNTHETIC_MAPPING, origin="synthetic")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "supply.csv"
        gen, _ = _time(lambda: make_synthetic(path, args.edges, args.firms))
        print(f"generated {path.stat().st_size / 1e6:.0f} MB synthetic table in {gen:.1f} s")
        record(
            f"synthetic {args.edges:,} edges / {args.firms:,} firms",
            path,
            lambda: ingest_file(path, mapping),
        )
        # the stages of the whole-file run, timed one by one
        t_read, table = _time(lambda: read_csv(path))
        assert isinstance(table, pd.DataFrame)
        t_map, graph = _time(lambda: apply_mapping(table, mapping, source=path.name))
        assert isinstance(graph, GraphData)
        t_val, _ = _time(lambda: build_result(graph, source=mapping.source, rows_read=len(table)))
        print(
            f"stages: read+normalise {t_read:.1f} s, map {t_map:.1f} s, "
            f"validate (1.2M edges, 2.4M firm rows -> 150k firms, endpoints) {t_val:.1f} s",
            flush=True,
        )
        stages.update(read=t_read, map=t_map, validate=t_val)
        if not args.no_stream:
            record(
                "synthetic, streamed in 200k-row chunks",
                path,
                lambda: ingest_file(path, mapping, max_bytes=1 << 20, chunksize=200_000),
            )
    print()
    print(pd.DataFrame(rows).to_string(index=False))
    if stages:
        print("\nsynthetic stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))


if __name__ == "__main__":
    main()
