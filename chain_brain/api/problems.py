"""Errors as RFC 9457 problem details, mapped from the project error hierarchy in one place.

:func:`problem_handler` is the one exception handler of the app; :data:`STATUS` is the
mapping (first matching class wins, so subclasses come first).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from chain_brain.api.models import FieldErrorPublic, ProblemPublic, jsonable
from chain_brain.services.jobs import Cancelled
from chain_brain.services.security import (
    AuthenticationError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
)
from graph_schema.errors import (
    ChainBrainError,
    ConflictError,
    InfeasibleError,
    NotFoundError,
    OptimizationError,
    SchemaVersionError,
    StoreUnavailableError,
    ValidationError,
)

__all__ = [
    "ServiceMissingError",
    "STATUS",
    "problem",
    "problem_response",
    "problem_handler",
    "PROBLEM_RESPONSES",
    "MEDIA_TYPE",
]

MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger(__name__)


class ServiceMissingError(ChainBrainError):
    """The service a route calls is not available in this installation (HTTP 501)."""


STATUS: list[tuple[type[BaseException], int, str]] = [
    (AuthenticationError, 401, "unauthenticated"),
    (PermissionDeniedError, 403, "forbidden"),
    (PayloadTooLargeError, 413, "payload-too-large"),
    (RateLimitedError, 429, "rate-limited"),
    (NotFoundError, 404, "not-found"),
    (ConflictError, 409, "conflict"),
    (Cancelled, 409, "cancelled"),
    (InfeasibleError, 422, "infeasible"),
    (OptimizationError, 422, "optimization-failed"),
    (ValidationError, 422, "invalid"),
    (SchemaVersionError, 503, "schema-version"),
    (StoreUnavailableError, 503, "store-unavailable"),
    (ServiceMissingError, 501, "not-implemented"),
    (ChainBrainError, 500, "internal"),
]
_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    501: "Not implemented",
    503: "Service unavailable",
}


def problem(
    status: int,
    slug: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: list[FieldErrorPublic] | None = None,
) -> ProblemPublic:
    return ProblemPublic(
        type=f"urn:chain-brain:problem:{slug}",
        title=_TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
    )


def problem_response(body: ProblemPublic, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=body.status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie") and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


async def problem_handler(request: Request, exc: Exception) -> JSONResponse:
    """The one exception handler: every error becomes ``application/problem+json``."""
    instance = request.url.path
    if isinstance(exc, RequestValidationError):
        errors = [
            FieldErrorPublic(
                field=_field(tuple(e.get("loc", ()))),
                value=jsonable(e.get("input")),
                reason=e["msg"],
            )
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e.field}: {e.reason}" for e in errors) or "invalid request"
        return problem_response(
            problem(422, "invalid-request", detail, instance=instance, errors=errors)
        )
    if isinstance(exc, StarletteHTTPException):
        slug = _TITLES.get(exc.status_code, "error").lower().replace(" ", "-")
        return problem_response(
            problem(exc.status_code, slug, str(exc.detail), instance=instance),
            headers=getattr(exc, "headers", None),
        )
    for cls, status, slug in STATUS:
        if isinstance(exc, cls):
            headers = None
            if isinstance(exc, RateLimitedError):
                headers = {"Retry-After": str(max(1, round(exc.retry_after)))}
            elif isinstance(exc, AuthenticationError):
                headers = {"WWW-Authenticate": "Bearer"}
            if status >= 500 and status != 501 and status != 503:
                _log.error("unexpected %s on %s: %s", type(exc).__name__, instance, exc)
            return problem_response(problem(status, slug, str(exc), instance=instance), headers)
    _log.exception("unhandled error on %s", instance, exc_info=exc)
    return problem_response(
        problem(500, "internal", "An unexpected error occurred.", instance=instance)
    )


def _doc(status: int, what: str) -> dict[str, Any]:
    return {"model": ProblemPublic, "description": what, "content": {MEDIA_TYPE: {}}}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _doc(401, "Missing, unknown or revoked API key"),
    403: _doc(403, "The key's role or tenant does not allow this"),
    413: _doc(413, "Request body larger than the configured limit"),
    422: _doc(422, "Invalid input (errors lists field, value and reason)"),
    429: _doc(429, "Rate limit of the key exceeded (see Retry-After)"),
    503: _doc(503, "Store unreachable or of an unsupported schema version"),
}


def responses(*extra: int) -> dict[int | str, dict[str, Any]]:
    """The documented problem responses of a route: the common ones plus ``extra``."""
    out = dict(PROBLEM_RESPONSES)
    for status in extra:
        out[status] = _doc(status, _TITLES.get(status, "Error"))
    return out
