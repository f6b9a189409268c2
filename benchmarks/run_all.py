"""Run every ``benchmarks/bench_*.py`` with ``--quick`` and collect their tables.

Run: ``python benchmarks/run_all.py [--timeout 900] [--only store,twins] [--out report.md]``.
Each script runs in its own process (so one crash or a missing service does not stop the
others) with the repository on ``PYTHONPATH``.  A script that does not accept ``--quick``
(argparse exit status 2, "unrecognized arguments") is run again without it, and the report
says so.  The report, printed and optionally written to ``--out``, holds for every script
its command, status, wall time and its printed output (the table).  Exit status 1 if any
script failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


@dataclass
class Outcome:
    """What one benchmark script did."""

    script: str
    command: list[str]
    returncode: int
    seconds: float
    stdout: str
    stderr: str
    quick: bool

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def discover(only: set[str] | None = None) -> list[Path]:
    """``bench_*.py`` beside this file, sorted; ``only`` filters by name without prefix."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in only]
    return scripts


def _run(command: list[str], timeout: float) -> tuple[int, str, str, float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    t0 = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
        )
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        code, err = -1, f"timed out after {timeout:.0f} s"
    return code, out, err, time.perf_counter() - t0


def run_script(script: Path, timeout: float, python: str = sys.executable) -> Outcome:
    """Run ``script --quick`` (or without ``--quick`` if it does not take the flag)."""
    command = [python, str(script.relative_to(REPO)), "--quick"]
    code, out, err, secs = _run(command, timeout)
    quick = True
    if code == 2 and "unrecognized arguments" in err and "--quick" in err:
        command = command[:-1]
        code, out, err, secs = _run(command, timeout)
        quick = False
    return Outcome(script.name, command, code, secs, out, err, quick)


def report(outcomes: list[Outcome]) -> str:
    lines = [
        "# Benchmarks (--quick)",
        "",
        "| script | status | wall s | quick |",
        "|---|---|---|---|",
    ]
    for o in outcomes:
        status = "ok" if o.ok else ("timeout" if o.returncode == -1 else f"exit {o.returncode}")
        lines.append(f"| {o.script} | {status} | {o.seconds:.1f} | {'yes' if o.quick else 'no'} |")
    for o in outcomes:
        lines += ["", f"## {o.script}", "", f"`{' '.join(o.command[1:])}`", "", o.stdout.rstrip()]
        if not o.ok:
            tail = "\n".join(o.stderr.strip().splitlines()[-15:])
            lines += ["", "stderr (last lines):", "```", tail, "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per script")
    ap.add_argument("--only", default="", help="comma list of names, e.g. store,twins")
    ap.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = ap.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()} or None
    scripts = discover(only)
    if not scripts:
        ap.error(f"no benchmarks/bench_*.py matched {sorted(only or [])}")
    outcomes = []
    for script in scripts:
        print(f"running {script.name} ...", file=sys.stderr, flush=True)
        outcomes.append(run_script(script, args.timeout))
    text = report(outcomes)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
