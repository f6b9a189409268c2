"""Benchmark the disruption optimizers against Pyomo baselines measured in the same run.

Rows:
1. TTS alone, then TTR alone (given each node's TTS), for every node, in this process:
   where the sweep's time goes.
2. TTR loss and TTS for every node of a multi-tier network (``sweep_disruptions``), HiGHS
   translated once and re-solved warm (1 and 2 worker processes); target <= 10 s for
   2,000 nodes.
3. The same scenarios with the Pyomo model rebuilt and solved per scenario, on a sample,
   extrapolated to all nodes; the ratio is baseline / fast path.
4. A reallocation LP of about 200,000 variables built directly in HiGHS and solved
   (target <= 5 s), against Pyomo on a tenth of the size, scaled per variable.

The ``cpu s`` column adds this process's and its worker processes' CPU time: on a shared
machine it moves much less than the wall clock.

Usage: ``python benchmarks/bench_optimizers.py [--quick] [--nodes N] [--no-reallocation]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizers import (  # noqa: E402
    DEFAULT_MAX_TTS,
    DisruptionSolver,
    build_reallocation_model,
    build_ttr_model,
    build_tts_model,
    make_tiered_network,
    plan_reallocation,
    random_reallocation_problem,
    solve_pyomo,
    sweep_disruptions,
)


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _time(fn):  # type: ignore[no-untyped-def]
    t0, c0 = time.perf_counter(), _cpu()
    out = fn()
    _time.cpu = _cpu() - c0  # type: ignore[attr-defined]
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--nodes", type=int, default=None, help="network size (default 2000)")
    ap.add_argument("--no-reallocation", action="store_true", help="skip the reallocation LP rows")
    args = ap.parse_args()
    n_nodes = args.nodes or (300 if args.quick else 2000)
    n_sample = 3 if args.quick else 6
    lanes, periods = (2000, 10) if args.quick else (20000, 10)
    load_start = os.getloadavg()[0]

    net = make_tiered_network(n_nodes, tiers=5, seed=0)
    rec = np.random.default_rng(0).integers(1, 9, n_nodes).astype(float)  # whole weeks
    rows: list[tuple[str, float, float, str, str]] = []

    def tts_alone() -> tuple[DisruptionSolver, list[float]]:
        solver = DisruptionSolver(net)
        solver.find_idle_nodes()
        return solver, [solver.time_to_survive([j]) for j in range(n_nodes)]

    ts, (solver, tts) = _time(tts_alone)
    rows.append(
        (
            f"TTS all {n_nodes} nodes, 1 process",
            ts,
            _time.cpu,  # type: ignore[attr-defined]
            f"{solver.lp_solves} LPs, {solver.closed_form_solves} closed form",
            "",
        )
    )
    before = solver.lp_solves
    tr, _ = _time(lambda: [solver.loss([j], float(rec[j]), tts=tts[j]) for j in range(n_nodes)])
    rows.append(
        (
            f"TTR all {n_nodes} nodes given TTS, 1 process",
            tr,
            _time.cpu,  # type: ignore[attr-defined]
            f"{solver.lp_solves - before} LPs, {solver.skipped_by_tts} zero by TTS",
            "",
        )
    )

    t1, rep1 = _time(lambda: sweep_disruptions(net, rec, workers=1, progress=False))
    c1 = _time.cpu  # type: ignore[attr-defined]
    t2, rep2 = _time(lambda: sweep_disruptions(net, rec, workers=2, progress=False))
    c2 = _time.cpu  # type: ignore[attr-defined]
    assert np.allclose(rep1.loss, rep2.loss, rtol=1e-6, atol=1e-6)
    assert np.allclose(rep1.tts, tts, rtol=1e-6, atol=1e-6)
    scen = 2 * n_nodes
    rows.append(
        (
            f"TTR+TTS all {n_nodes} nodes, sweep, 1 worker",
            t1,
            c1,
            f"{t1 / scen * 1e3:.2f} ms/scenario",
            "",
        )
    )
    rows.append(
        (
            f"TTR+TTS all {n_nodes} nodes, sweep, 2 workers",
            t2,
            c2,
            f"{t2 / scen * 1e3:.2f} ms/scenario",
            "target <= 10 s",
        )
    )

    sample = np.random.default_rng(1).choice(n_nodes, n_sample, replace=False)

    def pyomo_sample() -> tuple[list[float], list[float]]:
        # the same whole-week recovery times ``rec`` as the sweep
        losses, survive = [], []
        for j in sample:
            losses.append(solve_pyomo(build_ttr_model(net, [int(j)], float(rec[j]))))
            survive.append(solve_pyomo(build_tts_model(net, [int(j)])))
        return losses, survive

    tp, (ref_loss, ref_t) = _time(pyomo_sample)
    assert np.allclose(ref_loss, rep1.loss[sample], rtol=1e-6, atol=1e-6), (
        ref_loss,
        rep1.loss[sample].tolist(),
    )
    # Pyomo's TTS is capped at max_tts; the sweep reports a scenario reaching it as inf
    ref_tts = np.where(np.asarray(ref_t) >= DEFAULT_MAX_TTS * (1 - 1e-9), np.inf, ref_t)
    assert np.allclose(ref_tts, rep1.tts[sample], rtol=1e-6, atol=1e-6), (
        ref_tts.tolist(),
        rep1.tts[sample].tolist(),
    )
    cp = _time.cpu  # type: ignore[attr-defined]
    per = tp / (2 * n_sample)
    full = per * scen
    rows.append(
        (
            f"Pyomo rebuilt per scenario ({n_sample} sampled, extrapolated)",
            full,
            cp / (2 * n_sample) * scen,
            f"{per * 1e3:.1f} ms/LP, sample {tp:.2f} s",
            f"ratio {full / t1:.1f}x vs 1 worker, {full / t2:.1f}x vs 2",
        )
    )
    rows.append(
        (
            f"  same {n_sample} scenarios, fast path (per-scenario share of 1 worker)",
            t1 / n_nodes * n_sample,
            c1 / n_nodes * n_sample,
            f"{t1 / scen * 1e3:.2f} ms/scenario",
            f"ratio {tp / (t1 / n_nodes * n_sample):.1f}x; TTR and TTS equal",
        )
    )
    if args.no_reallocation:
        _print(rows, load_start, rep1.needs_attention, n_nodes)
        return

    prob = random_reallocation_problem(lanes, periods, seed=1)
    n_var = prob.n_lanes * periods + prob.demand_sink.shape[0] * periods
    tr, plan = _time(lambda: plan_reallocation(prob))
    rows.append(
        (
            f"reallocation LP {n_var:,} vars, HiGHS direct",
            tr,
            _time.cpu,  # type: ignore[attr-defined]
            f"cost {plan.objective:,.0f}",
            "target <= 5 s",
        )
    )
    small = random_reallocation_problem(lanes // 10, periods, seed=1)
    n_small = small.n_lanes * periods + small.demand_sink.shape[0] * periods
    tb, model = _time(lambda: build_reallocation_model(small))
    cb = _time.cpu  # type: ignore[attr-defined]
    ts, _ = _time(lambda: solve_pyomo(model))
    scaled = (tb + ts) * n_var / n_small
    rows.append(
        (
            f"reallocation via Pyomo, {n_small:,} vars (scaled x{n_var / n_small:.0f})",
            scaled,
            (cb + _time.cpu) * n_var / n_small,  # type: ignore[attr-defined]
            f"build {tb:.2f} s + translate/solve {ts:.2f} s",
            f"ratio {scaled / tr:.1f}x",
        )
    )
    _print(rows, load_start, rep1.needs_attention, n_nodes)


def _print(
    rows: list[tuple[str, float, float, str, str]],
    load_start: float,
    attention: np.ndarray,
    n_nodes: int,
) -> None:
    w = max(len(r[0]) for r in rows)
    print(f"{'task':<{w}}  {'seconds':>8}  {'cpu s':>7}  {'detail':<36}  note")
    print("-" * (w + 70))
    for name, sec, cpu, detail, note in rows:
        print(f"{name:<{w}}  {sec:8.2f}  {cpu:7.2f}  {detail:<36}  {note}")
    print(
        f"\nload average (1 min) at start {load_start:.1f}, at end {os.getloadavg()[0]:.1f}, "
        f"on {os.cpu_count()} cores"
    )
    print(f"\nscenarios needing attention (ttr > tts): {int(attention.sum())} of {n_nodes}")


if __name__ == "__main__":
    main()
