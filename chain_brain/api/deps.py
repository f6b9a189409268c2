"""Dependencies of the routes as ``Annotated`` aliases: the store, the job runner, the
caller (:class:`~chain_brain.services.security.Principal`) and permission checks."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from chain_brain.api.problems import ServiceMissingError
from chain_brain.services.jobs import JobRunner
from chain_brain.services.security import KeyRing, Permission, Principal, RateLimiter, require
from chain_brain.settings import Settings
from chain_brain.store import GraphStore

__all__ = [
    "ApiContext",
    "ContextDep",
    "StoreDep",
    "JobsDep",
    "PrincipalDep",
    "allow",
    "service",
]


@dataclass
class ApiContext:
    """What the lifespan opens: everything a request needs, nothing global."""

    settings: Settings
    store: GraphStore
    jobs: JobRunner
    keys: KeyRing
    limiter: RateLimiter


async def get_context(request: Request) -> ApiContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


ContextDep = Annotated[ApiContext, Depends(get_context)]


async def get_store(ctx: ContextDep) -> GraphStore:
    return ctx.store


async def get_jobs(ctx: ContextDep) -> JobRunner:
    return ctx.jobs


StoreDep = Annotated[GraphStore, Depends(get_store)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <API key>")


async def get_principal(
    ctx: ContextDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> Principal:
    """Authenticate the key, then spend one token of its rate limit.

    Async on purpose: cheap dependencies run on the event loop, not in the thread pool
    (a key's first use costs one scrypt, about 0.1 s; later uses a sha256).
    """
    presented = bearer.credentials if bearer is not None else header
    principal = ctx.keys.authenticate(presented)
    ctx.limiter.take(principal.key_id)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def allow(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency returning the principal if it holds ``permission`` (403 otherwise)."""

    async def check(principal: PrincipalDep) -> Principal:
        require(principal, permission)
        return principal

    check.__name__ = f"allow_{permission.value.replace('-', '_')}"
    return check


def service(module: str, name: str) -> Any:
    """A service function imported when a route needs it (501 if it does not exist yet)."""
    try:
        mod = importlib.import_module(f"chain_brain.services.{module}")
    except ImportError as exc:
        if exc.name != f"chain_brain.services.{module}":
            raise
        raise ServiceMissingError(
            f"Service module chain_brain.services.{module} is not available."
        ) from None
    fn = getattr(mod, name, None)
    if fn is None:
        raise ServiceMissingError(f"Service chain_brain.services.{module}.{name} is not available.")
    return fn
