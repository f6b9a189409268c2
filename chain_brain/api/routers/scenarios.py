"""What-if scenarios: define one, run it as a job, read progress and results, compare.
The work is done by :mod:`chain_brain.services.scenarios`."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Response, status

from chain_brain.api.deps import JobsDep, StoreDep, allow, service
from chain_brain.api.models import (
    ComparisonPublic,
    JobPublic,
    ScenarioCreate,
    ScenarioPublic,
    jsonable,
)
from chain_brain.api.problems import responses
from chain_brain.api.runs import runs_router, start_job, visible_run
from chain_brain.services.jobs import ProgressFn
from chain_brain.services.security import Permission, Principal, audit, scoped, view_for
from chain_brain.store import RunRecord
from graph_schema.errors import ValidationError

KIND = "scenario"
SPEC_KIND = "scenario-spec"
router = runs_router(KIND, "/scenarios", "scenarios")
Reader = Annotated[Principal, Depends(allow(Permission.READ))]
Runner = Annotated[Principal, Depends(allow(Permission.RUN_SCENARIO))]


def _service_spec(body: ScenarioCreate, principal: Principal) -> Any:
    """The service's ``ScenarioSpec`` of a request (its checks raise ValidationError)."""
    from chain_brain.services.networks import NetworkAssumptions
    from chain_brain.services.scenarios import ScenarioSpec

    known = {f.name for f in dataclasses.fields(NetworkAssumptions)}
    unknown = sorted(set(body.assumptions) - known)
    if unknown:
        raise ValidationError(f"Unknown assumption(s) {unknown}; expected some of {sorted(known)}.")
    return ScenarioSpec(
        name=body.name,
        scope=scoped(principal, body.scope.to_scope()),
        disrupted=tuple(body.disrupted),
        regions=tuple(body.regions),
        ttr_weeks=body.ttr_weeks,
        assumptions=NetworkAssumptions(**body.assumptions),
        sweep=body.sweep,
        use_twins=body.use_twins,
        tenant=principal.tenant_key,
    )


def _spec(run: RunRecord) -> ScenarioPublic:
    return ScenarioPublic(id=run.id, created_at=run.created_at, **run.params)  # type: ignore[arg-type]


@router.post(
    "", response_model=ScenarioPublic, status_code=status.HTTP_201_CREATED, responses=responses(403)
)
def create_scenario(
    body: ScenarioCreate, store: StoreDep, principal: Runner, response: Response
) -> ScenarioPublic:
    """Define a what-if (disrupted nodes, remaining capacity, duration, scope)."""
    scope = _service_spec(body, principal).scope  # validates the what-if before storing it
    body = body.model_copy(update={"scope": body.scope.model_copy(update={"chain": scope.chain})})
    run = RunRecord(
        kind=SPEC_KIND,
        id=uuid.uuid4().hex,
        params=body.model_dump(mode="json"),
        tenant=principal.tenant_key,
    )
    store.save_run(run)
    audit(store, principal, "create-scenario", f"scenario:{run.id}")
    response.headers["Location"] = f"/scenarios/{run.id}"
    return _spec(run)


@router.get("", response_model=list[ScenarioPublic], responses=responses())
def list_scenarios(store: StoreDep, principal: Reader) -> list[ScenarioPublic]:
    """Scenario definitions visible to the caller, newest first."""
    return [_spec(r) for r in store.list_runs(SPEC_KIND) if principal.sees_tenant(r.tenant)]


@router.get("/compare", response_model=ComparisonPublic, responses=responses(404, 501))
def compare(
    a: Annotated[str, Query(description="scenario run id")],
    b: Annotated[str, Query(description="scenario run id")],
    store: StoreDep,
    principal: Reader,
) -> ComparisonPublic:
    """What differs between two scenario runs."""
    visible_run(store, principal, KIND, a)
    visible_run(store, principal, KIND, b)
    compare_runs = service("scenarios", "compare_scenarios")
    return ComparisonPublic(a=a, b=b, result=jsonable(compare_runs(store, a, b)))


@router.get("/{scenario_id}", response_model=ScenarioPublic, responses=responses(404))
def get_scenario(scenario_id: str, store: StoreDep, principal: Reader) -> ScenarioPublic:
    """One scenario definition."""
    return _spec(visible_run(store, principal, SPEC_KIND, scenario_id))


@router.post(
    "/{scenario_id}/runs",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(403, 404, 501),
)
def run_scenario(
    scenario_id: str, store: StoreDep, jobs: JobsDep, principal: Runner, response: Response
) -> JobPublic:
    """Run a scenario as a job; the result is a run of kind ``scenario``."""
    body = ScenarioCreate.model_validate(
        visible_run(store, principal, SPEC_KIND, scenario_id).params
    )
    spec = _service_spec(body, principal)
    run = service("scenarios", "run_scenario")

    view = view_for(store, principal, redacted=False)  # a chain-lead's run reads its chain only

    def work(progress: ProgressFn) -> RunRecord:
        return run(view, spec, progress)  # type: ignore[no-any-return]

    return start_job(jobs, store, principal, response, KIND, work, {"scenario": scenario_id})
