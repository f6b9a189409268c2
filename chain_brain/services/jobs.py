"""Long work as jobs: a bounded pool of background threads with progress and cancellation.

A job wraps a function ``work(progress) -> RunRecord | None``.  ``progress(fraction,
message)`` records how far it got and is also where cancellation happens: once
:meth:`JobRunner.cancel` has set the job's flag, the next call raises :class:`Cancelled`,
so work stops at a point it chose (cooperative cancellation).

Every state change is persisted with ``store.save_run(RunRecord(kind="job", ...))``, so a
restart of the process loses no finished result.  :func:`recover_interrupted` (called when
a runner starts) marks jobs the store still shows as ``queued`` or ``running`` -- their
process died -- as ``interrupted``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from chain_brain.store import GraphStore, RunRecord
from graph_schema.errors import ChainBrainError, NotFoundError, ValidationError

__all__ = [
    "JOB_KIND",
    "JobState",
    "Job",
    "Cancelled",
    "ProgressFn",
    "Work",
    "JobRunner",
    "recover_interrupted",
]

JOB_KIND = "job"
ProgressFn = Callable[[float, str], None]
Work = Callable[[ProgressFn], "RunRecord | None"]
_log = logging.getLogger(__name__)


class Cancelled(ChainBrainError):
    """Raised inside a job's work by its progress callback once the job was cancelled."""


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # the process died while the job was queued or running

    @property
    def finished(self) -> bool:
        return self not in (JobState.QUEUED, JobState.RUNNING)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Job:
    """One job's state as stored (``RunRecord`` of kind ``"job"``)."""

    id: str
    type: str  # what it does: analysis, scenario, ingest, ...
    state: JobState = JobState.QUEUED
    progress: float = 0.0
    message: str = ""
    params: dict[str, object] = field(default_factory=dict)
    owner: str | None = None  # key id of who started it
    tenant: str | None = None
    result_kind: str | None = None
    result_id: str | None = None
    error: str | None = None
    error_type: str | None = None
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None

    def to_run(self) -> RunRecord:
        return RunRecord(
            kind=JOB_KIND,
            id=self.id,
            params={"type": self.type, "owner": self.owner, "params": self.params},
            summary={
                "state": self.state.value,
                "progress": self.progress,
                "message": self.message,
                "result_kind": self.result_kind,
                "result_id": self.result_id,
                "error": self.error,
                "error_type": self.error_type,
                "started_at": self.started_at,
                "finished_at": self.finished_at,
            },
            created_at=self.created_at,
            tenant=self.tenant,
        )

    @classmethod
    def from_run(cls, run: RunRecord) -> Job:
        s, p = run.summary, run.params
        inner = p.get("params")
        return cls(
            id=run.id,
            type=str(p.get("type", "")),
            state=JobState(str(s.get("state", JobState.INTERRUPTED.value))),
            progress=float(s.get("progress", 0.0)),  # type: ignore[arg-type]
            message=str(s.get("message", "")),
            params=dict(inner) if isinstance(inner, dict) else {},
            owner=_opt(p.get("owner")),
            tenant=run.tenant,
            result_kind=_opt(s.get("result_kind")),
            result_id=_opt(s.get("result_id")),
            error=_opt(s.get("error")),
            error_type=_opt(s.get("error_type")),
            created_at=run.created_at,
            started_at=_opt(s.get("started_at")),
            finished_at=_opt(s.get("finished_at")),
        )


def _opt(v: object) -> str | None:
    return None if v is None else str(v)


def recover_interrupted(store: GraphStore) -> list[str]:
    """Mark stored jobs still ``queued`` or ``running`` as ``interrupted``; return their ids.

    Call it once when a process that owns the store's jobs starts: no job of an earlier
    process can still be running.
    """
    ids = []
    for run in store.list_runs(JOB_KIND):
        if run.summary.get("state") in (JobState.QUEUED.value, JobState.RUNNING.value):
            job = Job.from_run(run)
            job.state = JobState.INTERRUPTED
            job.message = "the process running this job stopped before it finished"
            job.finished_at = _now()
            store.save_run(job.to_run())
            ids.append(job.id)
    if ids:
        _log.warning("marked %d job(s) of an earlier process as interrupted", len(ids))
    return ids


class JobRunner:
    """Runs jobs in a bounded pool of threads and persists their state in ``store``.

    Parameters
    ----------
    store : where job states and results are saved.
    max_workers : jobs running at once; more wait in the queue.
    persist_every : seconds between two progress writes of the same job (state changes
        are always written at once).
    """

    def __init__(
        self, store: GraphStore, *, max_workers: int = 2, persist_every: float = 0.5
    ) -> None:
        if max_workers < 1:
            raise ValidationError(f"max_workers must be >= 1, got {max_workers}.")
        self.store = store
        self.persist_every = persist_every
        self._pool = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="chain-brain-job"
        )
        self._live: dict[str, Job] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._done: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def submit(
        self,
        job_type: str,
        work: Work,
        *,
        params: dict[str, object] | None = None,
        owner: str | None = None,
        tenant: str | None = None,
    ) -> Job:
        """Queue ``work``; return the job (state ``queued``) at once."""
        job = Job(uuid.uuid4().hex, job_type, params=dict(params or {}), owner=owner, tenant=tenant)
        with self._lock:
            self._live[job.id] = job
            self._cancel[job.id] = threading.Event()
            self._done[job.id] = threading.Event()
        self.store.save_run(job.to_run())
        self._pool.submit(self._run, job, work)
        return self._copy(job)

    @staticmethod
    def _copy(job: Job) -> Job:
        return Job(**{**job.__dict__, "params": dict(job.params)})

    def _persist(self, job: Job) -> None:
        with self._lock:
            run = job.to_run()
        self.store.save_run(run)

    def _run(self, job: Job, work: Work) -> None:
        flag = self._cancel[job.id]
        last = [0.0]

        def progress(fraction: float, message: str = "") -> None:
            if flag.is_set():
                raise Cancelled(f"Job {job.id!r} was cancelled at {job.progress:.0%}.")
            with self._lock:
                job.progress = min(1.0, max(0.0, float(fraction)))
                job.message = str(message)
            now = time.monotonic()
            if now - last[0] >= self.persist_every:
                last[0] = now
                self._persist(job)

        try:
            if flag.is_set():
                raise Cancelled(f"Job {job.id!r} was cancelled before it started.")
            with self._lock:
                job.state = JobState.RUNNING
                job.started_at = _now()
            self._persist(job)
            result = work(progress)
            if result is not None:
                if result.tenant is None:
                    result.tenant = job.tenant
                self.store.save_run(result)
                job.result_kind, job.result_id = result.kind, result.id
            with self._lock:
                job.state, job.progress = JobState.SUCCEEDED, 1.0
        except Cancelled as exc:
            with self._lock:
                job.state, job.message = JobState.CANCELLED, str(exc)
        except Exception as exc:  # noqa: BLE001 - a job records any failure of its work
            _log.exception("job %s (%s) failed", job.id, job.type)
            with self._lock:
                job.state = JobState.FAILED
                job.error, job.error_type = str(exc), type(exc).__name__
        finally:
            job.finished_at = _now()
            try:
                self._persist(job)
            finally:
                with self._lock:  # finished: the store answers for it from now on
                    self._live.pop(job.id, None)
                    self._cancel.pop(job.id, None)
                    done = self._done.pop(job.id)
                done.set()

    def get(self, job_id: str) -> Job:
        """The job's current state (live, or as stored by this or an earlier process)."""
        with self._lock:
            job = self._live.get(job_id)
            if job is not None:
                return self._copy(job)
        return Job.from_run(self.store.load_run(JOB_KIND, job_id))

    def list(self, tenant: str | None = None, *, all_tenants: bool = True) -> list[Job]:
        """Jobs newest first; ``all_tenants=False`` keeps only those of ``tenant``."""
        jobs = [
            self.get(r.id) if r.id in self._live else Job.from_run(r)
            for r in self.store.list_runs(JOB_KIND)
        ]
        if not all_tenants:
            jobs = [j for j in jobs if j.tenant == tenant]
        return jobs

    def cancel(self, job_id: str) -> Job:
        """Ask a queued or running job to stop; finished jobs are returned unchanged."""
        with self._lock:
            flag = self._cancel.get(job_id)
        if flag is None:
            job = self.get(job_id)  # NotFoundError if it never existed
            if not job.state.finished:
                raise NotFoundError(f"Job {job_id!r} belongs to no live runner.")
            return job
        flag.set()
        return self.get(job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job finished (or ``timeout`` seconds passed); return its state."""
        with self._lock:
            done = self._done.get(job_id)
        if done is not None:
            done.wait(timeout)
        return self.get(job_id)

    def shutdown(self, *, wait: float = 5.0) -> None:
        """Cancel every live job, wait up to ``wait`` seconds, stop the threads."""
        with self._lock:
            flags = list(self._cancel.values())
            dones = list(self._done.values())
        for f in flags:
            f.set()
        deadline = time.monotonic() + wait
        for d in dones:
            d.wait(max(0.0, deadline - time.monotonic()))
        self._pool.shutdown(wait=False, cancel_futures=True)
