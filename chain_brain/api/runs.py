"""Stored runs (analysis, scenario, ingest results) as resources: list, get, page a table,
and starting the jobs that produce them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from chain_brain.api.deps import PrincipalDep, StoreDep
from chain_brain.api.models import (
    JobPublic,
    RunPage,
    RunPublic,
    TablePage,
    job_public,
    run_public,
)
from chain_brain.api.problems import responses
from chain_brain.services.jobs import JobRunner, Work
from chain_brain.services.security import Principal, audit, visible_run
from chain_brain.store import GraphStore, RunRecord
from graph_schema.errors import NotFoundError

__all__ = ["visible_run", "table_page", "runs_router", "start_job"]


def table_page(run: RunRecord, name: str, limit: int, offset: int) -> TablePage:
    if name not in run.tables:
        known = ", ".join(sorted(run.tables)) or "none"
        raise NotFoundError(f"Run {run.id!r} has no table {name!r}; tables: {known}.")
    return TablePage.of(name, run.tables[name], limit, offset)


def start_job(
    jobs: JobRunner,
    store: GraphStore,
    principal: Principal,
    response: Response,
    job_type: str,
    work: Work,
    params: dict[str, Any],
) -> JobPublic:
    """Queue ``work`` as a job of ``principal``, audit it, answer 202 with its Location."""
    job = jobs.submit(
        job_type, work, params=params, owner=principal.key_id, tenant=principal.tenant_key
    )
    audit(store, principal, f"start-{job_type}", f"job:{job.id}", detail={"params": params})
    response.headers["Location"] = f"/jobs/{job.id}"
    return job_public(job)


def runs_router(kind: str, prefix: str, tag: str) -> APIRouter:
    """List / get / page the tables of stored runs of ``kind``."""
    router = APIRouter(prefix=prefix, tags=[tag])

    @router.get("/runs", response_model=RunPage, responses=responses(), name=f"list_{kind}_runs")
    def list_runs(
        store: StoreDep,
        principal: PrincipalDep,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> RunPage:
        """Stored runs, newest first (tables counted, not included)."""
        runs = [r for r in store.list_runs(kind) if principal.sees_tenant(r.tenant)]
        items = [run_public(r) for r in runs[offset : offset + limit]]
        return RunPage(items=items, total=len(runs), limit=limit, offset=offset)

    @router.get(
        "/runs/{run_id}", response_model=RunPublic, responses=responses(404), name=f"get_{kind}_run"
    )
    def get_run(run_id: str, store: StoreDep, principal: PrincipalDep) -> RunPublic:
        """One run: parameters, summary and the size of each result table."""
        return run_public(visible_run(store, principal, kind, run_id))

    @router.get(
        "/runs/{run_id}/tables/{table}",
        response_model=TablePage,
        responses=responses(404),
        name=f"get_{kind}_table",
    )
    def get_table(
        run_id: str,
        table: str,
        store: StoreDep,
        principal: PrincipalDep,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> TablePage:
        """One result table of a run, a page at a time."""
        return table_page(visible_run(store, principal, kind, run_id), table, limit, offset)

    return router
