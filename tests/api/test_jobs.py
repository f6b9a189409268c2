"""Jobs: progress, cancellation, failures, and persistence across a restart of the API."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from chain_brain.services.jobs import (
    JOB_KIND,
    Job,
    JobRunner,
    JobState,
    ProgressFn,
    recover_interrupted,
)
from chain_brain.store import RunRecord, open_store
from graph_schema.errors import NotFoundError, ValidationError
from tests.api.conftest import ClientFactory, Keys, auth


def _sum_work(n: int) -> object:
    def work(progress: ProgressFn) -> RunRecord:
        total = 0
        for i in range(n):
            total += i
            progress((i + 1) / n, f"step {i + 1} of {n}")
        return RunRecord(
            "analysis",
            f"sum-{n}",
            summary={"total": total},
            tables={"t": pd.DataFrame({"x": [total]})},
        )

    return work


def test_job_runs_reports_progress_and_saves_its_result(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    runner = JobRunner(store, max_workers=1, persist_every=0.0)
    job = runner.submit("analysis", _sum_work(10), params={"n": 10}, owner="k1", tenant="t")
    done = runner.wait(job.id, timeout=10)
    assert done.state is JobState.SUCCEEDED and done.progress == 1.0
    assert done.message == "step 10 of 10"
    assert (done.result_kind, done.result_id) == ("analysis", "sum-10")
    result = store.load_run("analysis", "sum-10")
    assert result.summary == {"total": 45} and result.tenant == "t"
    assert int(result.tables["t"]["x"][0]) == 45
    stored = Job.from_run(store.load_run(JOB_KIND, job.id))
    assert (
        stored.state is JobState.SUCCEEDED and stored.owner == "k1" and stored.params == {"n": 10}
    )
    runner.shutdown()
    store.close()


def test_cancel_stops_the_work_at_its_next_progress_report(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    runner = JobRunner(store, max_workers=1)
    started, steps = threading.Event(), []

    def slow(progress: ProgressFn) -> None:
        started.set()
        for i in range(1000):
            steps.append(i)
            progress(i / 1000, "working")
            time.sleep(0.01)

    job = runner.submit("scenario", slow)
    assert started.wait(5)
    runner.cancel(job.id)
    done = runner.wait(job.id, timeout=10)
    assert done.state is JobState.CANCELLED and "cancelled" in done.message
    assert len(steps) < 1000
    assert Job.from_run(store.load_run(JOB_KIND, job.id)).state is JobState.CANCELLED
    runner.shutdown()
    store.close()


def test_a_failing_job_records_the_error(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    runner = JobRunner(store, max_workers=1)

    def bad(progress: ProgressFn) -> None:
        raise ValidationError("capacity of plant 'X' is negative: -3")

    done = runner.wait(runner.submit("analysis", bad).id, timeout=10)
    assert done.state is JobState.FAILED and done.error_type == "ValidationError"
    assert "plant 'X'" in (done.error or "")
    runner.shutdown()
    store.close()


def test_pool_is_bounded(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    runner = JobRunner(store, max_workers=2)
    running, peak, lock, gate = [0], [0], threading.Lock(), threading.Event()

    def work(progress: ProgressFn) -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        gate.wait(5)
        with lock:
            running[0] -= 1

    ids = [runner.submit("analysis", work).id for _ in range(5)]
    time.sleep(0.3)
    assert sum(runner.get(i).state is JobState.QUEUED for i in ids) == 3
    gate.set()
    assert all(runner.wait(i, 10).state is JobState.SUCCEEDED for i in ids)
    assert peak[0] == 2
    runner.shutdown()
    store.close()


def test_recover_marks_running_jobs_interrupted_and_keeps_finished_ones(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    store.init()
    store.save_run(Job("a", "analysis", state=JobState.RUNNING, progress=0.4).to_run())
    store.save_run(Job("b", "scenario", state=JobState.QUEUED).to_run())
    store.save_run(Job("c", "analysis", state=JobState.SUCCEEDED, progress=1.0).to_run())
    assert sorted(recover_interrupted(store)) == ["a", "b"]
    states = {r.id: Job.from_run(r) for r in store.list_runs(JOB_KIND)}
    assert states["a"].state is JobState.INTERRUPTED and states["a"].progress == pytest.approx(0.4)
    assert states["b"].state is JobState.INTERRUPTED and states["c"].state is JobState.SUCCEEDED
    assert recover_interrupted(store) == []
    store.close()


def test_unknown_job_is_not_found(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    runner = JobRunner(store)
    with pytest.raises(NotFoundError, match="ghost"):
        runner.get("ghost")
    runner.shutdown()
    store.close()


def test_jobs_survive_an_api_restart(
    tmp_path: Path, make_client: ClientFactory, keys: Keys
) -> None:
    db = tmp_path / "restart.db"
    first = make_client(store_path=db)
    runner: JobRunner = first.app.state.ctx.jobs  # type: ignore[attr-defined]
    job = runner.submit("analysis", _sum_work(5), owner=keys.analyst.split("_")[1])
    assert runner.wait(job.id, 10).state is JobState.SUCCEEDED
    # a job the first process was still running when it "crashed"
    first.app.state.ctx.store.save_run(  # type: ignore[attr-defined]
        Job("crashed", "scenario", state=JobState.RUNNING, progress=0.5).to_run()
    )
    first.__exit__(None, None, None)

    second = make_client(store_path=db)
    h = auth(keys.analyst)
    got = second.get(f"/jobs/{job.id}", headers=h).json()
    assert got["state"] == "succeeded" and got["result_id"] == "sum-5"
    run = second.get("/analysis/runs/sum-5", headers=h).json()
    assert run["summary"] == {"total": 10} and run["tables"] == {"t": 1}
    table = second.get("/analysis/runs/sum-5/tables/t", headers=h).json()
    assert table["rows"] == [{"x": 10}]
    crashed = second.get("/jobs/crashed", headers=h).json()
    assert crashed["state"] == "interrupted" and crashed["progress"] == 0.5


def test_job_routes_respect_owner_and_tenant(
    tmp_path: Path, make_client: ClientFactory, keys: Keys
) -> None:
    client = make_client(store_path=tmp_path / "j.db")
    runner: JobRunner = client.app.state.ctx.jobs  # type: ignore[attr-defined]
    gate = threading.Event()

    def wait_for_gate(progress: ProgressFn) -> None:
        while not gate.is_set():
            progress(0.1, "waiting")
            time.sleep(0.01)

    analyst_id = keys.analyst.split("_")[1]
    job = runner.submit("analysis", wait_for_gate, owner=analyst_id, tenant="gov")
    assert client.get(f"/jobs/{job.id}", headers=auth(keys.lead)).status_code == 404  # other tenant
    assert job.id not in [j["id"] for j in client.get("/jobs", headers=auth(keys.lead)).json()]
    r = client.post(f"/jobs/{job.id}/cancel", headers=auth(keys.viewer))
    assert r.status_code == 403  # not its owner
    r = client.post(f"/jobs/{job.id}/cancel", headers=auth(keys.analyst))
    assert r.status_code == 202
    assert runner.wait(job.id, 10).state is JobState.CANCELLED
    gate.set()
    assert client.get("/jobs/ghost", headers=auth(keys.analyst)).status_code == 404
