"""Analysis runs: start one as a job, read its status and paged results, explain one
finding, compare two runs.  The work is done by :mod:`chain_brain.services.analysis`."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import Depends, Query, Response, status

from chain_brain.api.deps import ContextDep, JobsDep, StoreDep, allow, service
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
from chain_brain.services.security import Permission, Principal, scoped, view_for
from chain_brain.store import RunRecord
from graph_schema.errors import ValidationError

KIND = "analysis"
router = runs_router(KIND, "/analysis", "analysis")
Reader = Annotated[Principal, Depends(allow(Permission.READ))]
Runner = Annotated[Principal, Depends(allow(Permission.RUN_ANALYSIS))]


def _analysis_params(given: dict[str, Any]) -> Any:
    """``AnalysisParams`` from JSON: known fields only, nested knobs as objects."""
    from chain_brain.analytics.results import AnalysisParams

    fields = {f.name for f in dataclasses.fields(AnalysisParams)} - {"disruptions"}
    defaults = AnalysisParams()
    kwargs: dict[str, Any] = {}
    for name, value in given.items():
        if name not in fields:
            raise ValidationError(
                f"Unknown analysis parameter {name!r}; expected one of {', '.join(sorted(fields))}."
            )
        default = getattr(defaults, name)
        if dataclasses.is_dataclass(default) and isinstance(value, dict):
            try:
                value = dataclasses.replace(default, **value)  # type: ignore[type-var]
            except TypeError as exc:
                raise ValidationError(f"Bad analysis parameter {name}={value!r}: {exc}") from None
        elif isinstance(value, (dict, list)):
            raise ValidationError(
                f"Analysis parameter {name!r} takes a number or flag, got {value!r}."
            )
        kwargs[name] = value
    return AnalysisParams(**kwargs)


@router.post(
    "/runs",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(403, 501),
)
def start_analysis(
    body: AnalysisCreate,
    ctx: ContextDep,
    store: StoreDep,
    jobs: JobsDep,
    principal: Runner,
    response: Response,
) -> JobPublic:
    """Start an analysis of a scope as a job; poll ``/jobs/{id}``, then read the run."""
    scope = scoped(principal, body.scope.to_scope())
    run_analysis_job = service("analysis", "run_analysis_job")
    params = _analysis_params(body.params)
    home = tuple(ctx.settings.home_countries)
    tenant = principal.tenant_key

    view = view_for(store, principal, redacted=False)  # a chain-lead's run reads its chain only

    def work(progress: ProgressFn) -> RunRecord:
        return run_analysis_job(  # type: ignore[no-any-return]
            view, scope, params, progress, home_countries=home, tenant=tenant
        )

    job_params = {"scope": dataclasses.asdict(scope), "params": jsonable(body.params)}
    return start_job(jobs, store, principal, response, KIND, work, job_params)


@router.get(
    "/runs/{run_id}/findings/{finding_id}",
    response_model=ResultPublic,
    responses=responses(404, 501),
)
def explain(run_id: str, finding_id: str, store: StoreDep, principal: Reader) -> ResultPublic:
    """Why one finding (a chokepoint, a weak link) is in the results."""
    run = visible_run(store, principal, KIND, run_id)  # redacted for the principal
    explain_row = service("analysis", "explain_row")
    return ResultPublic(result=jsonable(explain_row(run, finding_id)))


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
