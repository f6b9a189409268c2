"""Jobs: long work running in the background, its progress, and cancelling it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from chain_brain.api.deps import JobsDep, PrincipalDep
from chain_brain.api.models import JobPublic, job_public
from chain_brain.api.problems import responses
from chain_brain.services.jobs import Job, JobRunner
from chain_brain.services.security import PermissionDeniedError, Principal, Role
from graph_schema.errors import NotFoundError

router = APIRouter(prefix="/jobs", tags=["jobs"])


def _visible(jobs: JobRunner, principal: Principal, job_id: str) -> Job:
    job = jobs.get(job_id)
    if not principal.sees_tenant(job.tenant):
        raise NotFoundError(f"No job with id {job_id!r}.")
    return job


@router.get("", response_model=list[JobPublic], responses=responses())
def list_jobs(
    jobs: JobsDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[JobPublic]:
    """Jobs visible to the caller, newest first."""
    visible = [j for j in jobs.list() if principal.sees_tenant(j.tenant)]
    return [job_public(j) for j in visible[:limit]]


@router.get("/{job_id}", response_model=JobPublic, responses=responses(404))
def get_job(job_id: str, jobs: JobsDep, principal: PrincipalDep) -> JobPublic:
    """State and progress (0..1 with a message) of one job."""
    return job_public(_visible(jobs, principal, job_id))


@router.post(
    "/{job_id}/cancel",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(404),
)
def cancel_job(job_id: str, jobs: JobsDep, principal: PrincipalDep) -> JobPublic:
    """Ask a job to stop (its owner or an admin); it stops at its next progress report."""
    job = _visible(jobs, principal, job_id)
    if principal.role is not Role.ADMIN and job.owner != principal.key_id:
        raise PermissionDeniedError(
            f"Job {job_id!r} belongs to another key; only its owner or an admin may cancel it."
        )
    return job_public(jobs.cancel(job_id))
