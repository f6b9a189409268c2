"""The FastAPI application: :func:`create_app` builds it, its lifespan opens the store."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import SecretStr
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chain_brain.api.cached import ResponseCache
from chain_brain.api.deps import ApiContext
from chain_brain.api.problems import problem, problem_handler, problem_response
from chain_brain.services.jobs import JobRunner, recover_interrupted
from chain_brain.services.security import KeyRing, RateLimiter
from chain_brain.services.warmup import ViewWarmer
from chain_brain.settings import Settings
from chain_brain.store import GraphStore
from graph_schema.errors import ChainBrainError, ValidationError

__all__ = ["create_app", "app_from_env", "serve", "DEFAULT_KEYS_FILE", "BodyLimit"]

DEFAULT_KEYS_FILE = ".chain-brain/api-keys.json"
JOB_WORKERS = 2


class BodyLimit:
    """ASGI middleware refusing request bodies over ``max_bytes`` with 413.

    A declared ``Content-Length`` over the limit is refused before reading; a chunked body
    is counted as it streams: past the limit the app sees a disconnect, its answer is
    dropped and the client gets 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, receive, send, f"{int(value):,} bytes")
                return
        seen = 0
        too_big = False

        async def counted() -> Message:
            nonlocal seen, too_big
            if too_big:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_big = True  # the app sees a disconnect; we answer 413 below
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not too_big:
                await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not too_big:
                raise
        if too_big:
            await self._refuse(scope, receive, send, f"more than {self.max_bytes:,} bytes")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        body = problem(
            413,
            "payload-too-large",
            f"Request body of {size} exceeds the limit of {self.max_bytes:,} bytes.",
            instance=scope.get("path"),
        )
        await problem_response(body)(scope, receive, send)


def create_app(settings: Settings, *, store: GraphStore | None = None) -> FastAPI:
    """The chain-brain API.

    Parameters
    ----------
    settings : configuration (store URI, keys file, request size and rate limits).
    store : an open store to serve; when None the lifespan opens ``settings.store`` and
        closes it on shutdown.  Nothing is opened before the app starts.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        opened: GraphStore = settings.open_store() if store is None else store
        jobs = None
        warmer: ViewWarmer | None = None
        try:
            recover_interrupted(opened)
            jobs = JobRunner(opened, max_workers=JOB_WORKERS)
            keys = KeyRing(Path(settings.api_keys_file or DEFAULT_KEYS_FILE))
            app.state.ctx = ApiContext(
                settings, opened, jobs, keys, RateLimiter(settings.rate_limit_per_minute)
            )
            # chain leads' views are computed before their first read and after each change
            warmer = ViewWarmer(opened, keys.bound_chains).start()
            app.state.warmer = warmer
            yield
        finally:
            if warmer is not None:
                warmer.stop()
            if jobs is not None:
                jobs.shutdown()
            if own:
                opened.close()

    from chain_brain.api.routers import (
        admin,
        analysis,
        chains,
        exports,
        health,
        ingest,
        jobs,
        nodes,
        scenarios,
        twins,
    )

    tags: list[dict[str, Any]] = [
        {"name": "health", "description": "liveness and schema version"},
        {"name": "chains", "description": "industry chains (产业链) and their segments (环节)"},
        {"name": "firms", "description": "firms: search, filters, pages"},
        {"name": "plants", "description": "plants: search, filters, pages"},
        {"name": "products", "description": "products: search, pages"},
        {"name": "graph", "description": "supply neighbourhoods"},
        {"name": "analysis", "description": "chokepoint / weak-link analyses as jobs"},
        {"name": "scenarios", "description": "what-if disruption scenarios as jobs"},
        {"name": "twins", "description": "plant twins: telemetry, events, forecasts"},
        {"name": "ingest", "description": "file uploads loaded as jobs"},
        {"name": "exports", "description": "snapshots as CSV, Parquet or GraphML"},
        {"name": "jobs", "description": "background work: progress and cancellation"},
        {"name": "admin", "description": "API keys and the audit log"},
    ]
    app = FastAPI(
        title="chain-brain",
        summary="Industry-chain digital brain (产业链数字大脑)",
        version="0.1.0",
        lifespan=lifespan,
        openapi_tags=tags,
    )
    for exc in (ChainBrainError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(exc, problem_handler)
    for module in (health, chains, nodes, analysis, scenarios, twins, ingest, exports, jobs, admin):
        app.include_router(module.router)
    app.add_middleware(ResponseCache, fastapi_app=app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    return app


def app_from_env() -> FastAPI:
    """The app of :class:`Settings` read from the environment: the factory each uvicorn
    worker process calls when :func:`serve` runs more than one."""
    return create_app(Settings())


def _settings_env(settings: Settings) -> dict[str, str]:
    """``CHAIN_BRAIN_*`` variables that make ``Settings()`` equal ``settings``."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, (list, tuple)):
            value = json.dumps(list(value))
        env[f"CHAIN_BRAIN_{name.upper()}"] = str(value)
    return env


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    workers: int = 1,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Run the API with uvicorn until interrupted.

    ``workers`` > 1 runs that many processes on one port (uvicorn's supervisor), each
    with its own app built from ``settings`` (passed on as ``CHAIN_BRAIN_*`` environment
    variables).  Each process keeps its own view cache (all keyed on the shared store's
    revision, so they agree), its own job threads (a job is visible from every process
    through the store, but only the process running it can cancel it) and its own rate
    limit buckets: a key may then spend up to ``workers`` times its per-minute budget.
    """
    import uvicorn

    if workers < 1:
        raise ValidationError(f"workers must be >= 1, got {workers}.")
    if workers == 1:
        uvicorn.run(
            create_app(settings), host=host, port=port, log_level=log_level, access_log=access_log
        )
        return
    os.environ.update(_settings_env(settings))
    uvicorn.run(
        "chain_brain.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
    )
