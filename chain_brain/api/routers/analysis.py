"""Analysis runs: start one as a job, read its status and paged results, explain one
finding, compare two runs.  The work is done by :mod:`chain_brain.services.analysis`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Response, status

from chain_brain.api.deps import JobsDep, StoreDep, allow, service
from chain_brain.api.models import (
    AnalysisCreate,
    ComparisonPublic,
    JobPublic,
    ResultPublic,
    jsonable,
)
from chain_brain.api.problems import responses
from chain_brain.api.runs import runs_router, start_job, visible_run
from chain_brain.services.jobs import ProgressFn
from chain_brain.services.security import Permission, Principal, scoped
from chain_brain.store import RunRecord

KIND = "analysis"
router = runs_router(KIND, "/analysis", "analysis")
Reader = Annotated[Principal, Depends(allow(Permission.READ))]
Runner = Annotated[Principal, Depends(allow(Permission.RUN_ANALYSIS))]


@router.post(
    "/runs",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(403, 501),
)
def start_analysis(
    body: AnalysisCreate, store: StoreDep, jobs: JobsDep, principal: Runner, response: Response
) -> JobPublic:
    """Start an analysis of a scope as a job; poll ``/jobs/{id}``, then read the run."""
    scope = scoped(principal, body.scope.to_scope())
    run_analysis_job = service("analysis", "run_analysis_job")
    params = dict(body.params)

    def work(progress: ProgressFn) -> RunRecord:
        return run_analysis_job(store, scope, params, progress)  # type: ignore[no-any-return]

    return start_job(
        jobs,
        store,
        principal,
        response,
        KIND,
        work,
        {"scope": body.scope.model_dump(), "params": params},
    )


@router.get(
    "/runs/{run_id}/findings/{finding_id}",
    response_model=ResultPublic,
    responses=responses(404, 501),
)
def explain(run_id: str, finding_id: str, store: StoreDep, principal: Reader) -> ResultPublic:
    """Why one finding (a chokepoint, a weak link) is in the results."""
    visible_run(store, principal, KIND, run_id)
    explain_finding = service("analysis", "explain_finding")
    return ResultPublic(result=jsonable(explain_finding(store, run_id, finding_id)))


@router.get("/compare", response_model=ComparisonPublic, responses=responses(404, 501))
def compare(
    a: Annotated[str, Query(description="run id")],
    b: Annotated[str, Query(description="run id")],
    store: StoreDep,
    principal: Reader,
) -> ComparisonPublic:
    """What changed between two analysis runs."""
    visible_run(store, principal, KIND, a)
    visible_run(store, principal, KIND, b)
    compare_runs = service("analysis", "compare_runs")
    return ComparisonPublic(a=a, b=b, result=jsonable(compare_runs(store, a, b)))
