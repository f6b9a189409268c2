"""Benchmark of ingest: reading + mapping + validating real files and a synthetic supply table.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_ingest.py [--data-dir ../shared/data] [--edges 1200000]
        [--e2e-only] [--embeddings off|on|auto] [--quick]

Prints, per input, the rows, the seconds of the full ingest (read, map, validate), rows per
second, and the ratio against a baseline measured in the same run: a bare
``pandas.read_csv(path, dtype=str)`` of the same file (what reading alone costs).

The synthetic table has one row per ``SUPPLIES`` edge (supplier id and name, customer id and
name, product, volume, lead time, start date) over 150,000 firms: each row also yields two
``Firm`` rows, so validation checks 1.2M edges, merges 2.4M firm rows into 150k firms and
checks every edge's endpoints.

End to end (``--e2e-only`` runs just this part): the same table with realistic firm names
(``bench_resolution.synthetic_names``: about three spellings per firm, so resolution has
work to do and a ground truth) is loaded by the service a ``chain-brain ingest --resolve``
runs (:func:`chain_brain.services.loading.ingest_file` with ``resolve=True``) into a fresh
embedded store: read + map + validate, endpoint check, firm resolution, write, merge log.
Each step's seconds come from the run report; peak memory is the child process's
``ru_maxrss``.  Generation, the pipeline and the baseline (``pandas.read_csv`` + a plain
``sqlite3`` insert of the same firms and edges into two keyed tables, one transaction) each
run in their own process so that one's memory does not count for another.  Resolution's
pairwise precision / recall against the true firms is printed too.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import sqlite3
import subprocess
import sys
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

HERE = Path(__file__).resolve().parent

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


def make_synthetic(
    path: Path, n_edges: int, n_firms: int, seed: int = 7, names: np.ndarray | None = None
) -> None:
    """Write a tiered supply table: suppliers ship to firms of the next tier (ids unique per row).

    ``names`` (one per firm) replaces the default ``Firm 000123 Co Ltd``."""
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
    if names is None:
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


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux ``ru_maxrss`` is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_generate(out: Path, n_edges: int, n_firms: int) -> dict[str, object]:
    """Write ``supply.csv`` with resolvable firm names, ``truth.npy`` and ``mapping.yaml``."""
    import yaml

    sys.path.insert(0, str(HERE))
    from bench_resolution import synthetic_names

    t0 = time.perf_counter()
    firms = synthetic_names(n_firms)
    np.save(out / "truth.npy", firms["truth"].to_numpy())
    make_synthetic(out / "supply.csv", n_edges, n_firms, names=firms["name"].to_numpy(dtype=object))
    (out / "mapping.yaml").write_text(yaml.safe_dump(SYNTHETIC_MAPPING), encoding="utf-8")
    return {
        "seconds": time.perf_counter() - t0,
        "mb": (out / "supply.csv").stat().st_size / 1e6,
        "true_firms": int(firms["truth"].nunique()),
    }


def child_e2e(out: Path, embeddings: str) -> dict[str, object]:
    """The service call of ``chain-brain ingest --resolve`` into a fresh embedded store."""
    sys.path.insert(0, str(HERE))
    from bench_resolution import pairwise_pr

    from chain_brain.services.loading import RESOLUTION_RUN_KIND
    from chain_brain.services.loading import ingest_file as load_file
    from chain_brain.store import open_store

    emb: bool | str = {"on": True, "off": False}.get(embeddings, "auto")
    store = open_store(out / "store.db")
    store.init()
    t0 = time.perf_counter()
    report = load_file(
        store,
        out / "supply.csv",
        out / "mapping.yaml",
        resolve=True,
        embeddings=emb,  # type: ignore[arg-type]
    )
    total = time.perf_counter() - t0
    peak = peak_rss_mb()
    row: dict[str, object] = {
        "total": total,
        "stages": report.stages,
        "rows": report.rows_read,
        "loaded": report.loaded,
        "rejected": report.rejected,
        "merged": report.firms_merged,
        "repointed": report.rels_repointed,
        "notes": report.notes,
        "peak_mb": peak,
        "counts": store.counts(),
    }
    truth = np.load(out / "truth.npy")
    canon: dict[str, str] = {}
    if report.resolution_run:
        absorbed = store.load_run(RESOLUTION_RUN_KIND, report.resolution_run).tables["absorbed"]
        canon = dict(zip(absorbed["id"], absorbed["canonical_id"], strict=True))
    ids = [f"f:{i}" for i in range(len(truth))]
    pred = np.array([canon.get(i, i) for i in ids], dtype=object)
    row["precision"], row["recall"] = pairwise_pr(pred, truth)
    store.close()
    return row


def child_baseline(out: Path) -> dict[str, object]:
    """``pandas.read_csv`` + plain ``sqlite3`` inserts of the same firms and edges."""
    t0 = time.perf_counter()
    table = pd.read_csv(out / "supply.csv", dtype=str)
    t_read = time.perf_counter() - t0
    firms = pd.concat(
        [
            table[["supplier_id", "supplier_name"]].set_axis(["id", "name"], axis=1),
            table[["customer_id", "customer_name"]].set_axis(["id", "name"], axis=1),
        ]
    ).drop_duplicates("id")
    con = sqlite3.connect(out / "baseline.db")
    con.execute("CREATE TABLE firm (id TEXT PRIMARY KEY, name TEXT)")
    con.execute(
        "CREATE TABLE supplies (src TEXT, dst TEXT, product TEXT, volume TEXT, lead TEXT, "
        "since TEXT, PRIMARY KEY (src, dst, product))"
    )
    with con:
        con.executemany("INSERT INTO firm VALUES (?, ?)", firms.itertuples(index=False))
        con.executemany(
            "INSERT INTO supplies VALUES (?, ?, ?, ?, ?, ?)",
            table[
                ["supplier_id", "customer_id", "product", "volume", "lead_time_days", "since"]
            ].itertuples(index=False),
        )
    con.close()
    total = time.perf_counter() - t0
    return {"read": t_read, "insert": total - t_read, "total": total, "peak_mb": peak_rss_mb()}


def _run_child(kind: str, out: Path, *extra: str) -> dict[str, object]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--out", str(out), *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"{kind} child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def end_to_end(n_edges: int, n_firms: int, embeddings: str) -> None:
    """Generate, load with resolution, run the baseline; print one table."""
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        gen = _run_child("generate", out, "--edges", str(n_edges), "--firms", str(n_firms))
        print(
            f"generated {gen['mb']:.0f} MB: {n_edges:,} edges, {n_firms:,} firm records of "
            f"{gen['true_firms']:,} true firms in {gen['seconds']:.1f} s",
            flush=True,
        )
        e2e = _run_child("e2e", out, "--embeddings", embeddings)
        base = _run_child("baseline", out)
    load = max(load, os.getloadavg())  # the busier of start and end (1/5/15 min)
    rows = int(e2e["rows"])  # type: ignore[call-overload]
    stages = dict(e2e["stages"])  # type: ignore[call-overload]
    total = float(e2e["total"])  # type: ignore[arg-type]
    table = [
        {"step": k, "seconds": round(v, 2), "rows/s": int(rows / v) if v else 0}
        for k, v in stages.items()
    ]
    table.append(
        {
            "step": "TOTAL validate + resolve + load",
            "seconds": round(total, 2),
            "rows/s": int(rows / total),
        }
    )
    b_total = float(base["total"])  # type: ignore[arg-type]
    table.append(
        {
            "step": "baseline read_csv + sqlite insert",
            "seconds": round(b_total, 2),
            "rows/s": int(rows / b_total),
        }
    )
    print()
    print(pd.DataFrame(table).to_string(index=False))
    print(
        f"\npipeline / baseline: {total / b_total:.1f} x; peak memory {e2e['peak_mb']:.0f} MB "
        f"(baseline {base['peak_mb']:.0f} MB); target <= 60 s and <= 4,096 MB"
    )
    print(
        f"resolution ({embeddings}): {e2e['merged']:,} firm records merged, "
        f"{e2e['repointed']:,} edges re-pointed; pairwise P {e2e['precision']:.3f} "
        f"R {e2e['recall']:.3f} against the true firms; store now {e2e['counts']}"
    )
    for note in e2e["notes"]:  # type: ignore[attr-defined]
        print(f"note: {note}")
    print(
        f"load average during the run (the busier of start and end, 1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


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
    ap.add_argument("--e2e-only", action="store_true", help="only the end-to-end load")
    ap.add_argument("--no-e2e", action="store_true", help="skip the end-to-end load")
    ap.add_argument("--embeddings", choices=("auto", "on", "off"), default="off")
    ap.add_argument("--quick", action="store_true", help="120k edges, 15k firms")
    ap.add_argument("--child", choices=("generate", "e2e", "baseline"), help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.quick:
        args.edges, args.firms = 120_000, 15_000
    if args.child:
        run = {
            "generate": lambda: child_generate(args.out, args.edges, args.firms),
            "e2e": lambda: child_e2e(args.out, args.embeddings),
            "baseline": lambda: child_baseline(args.out),
        }[args.child]
        print(json.dumps(run(), default=str))
        return
    if not args.no_e2e:
        end_to_end(args.edges, args.firms, args.embeddings)
    if args.e2e_only:
        return

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
