"""Read endpoints served from the view cache as pre-serialised JSON bytes.

A read endpoint builds its response model once per graph revision and audience
(:func:`cached_json`); the bytes of its JSON are kept in
:func:`chain_brain.services.cache.view_cache`.  They are also filed under the request's
path and query and the caller's role and binding, so that :class:`ResponseCache` can answer
the same GET from the same kind of caller before routing: it authenticates the key and
spends a rate-limit token exactly as the routes do, then sends the bytes (gzip-compressed,
once per view, for clients that accept it).  Anything it
cannot answer (no or bad key, a miss, another method) goes to the app unchanged, so every
error and every access rule stays with the routes.

Why this is safe: an entry exists only if the route answered that path and query with 200
for a caller of the same role, chain and firm at the store's current revision, and the
read routes' answers depend on nothing else.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Hashable
from typing import Any

import anyio.to_thread
from fastapi import Request, Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from chain_brain.services.cache import view_cache
from chain_brain.services.security import Principal
from chain_brain.store import GraphStore
from graph_schema.errors import ChainBrainError

__all__ = ["JSON_MEDIA", "cached_json", "ResponseCache"]

JSON_MEDIA = "application/json"
#: Cached answers at least this large go gzip-compressed to clients that accept it
#: (compressed once per view and revision, then served as bytes).
GZIP_MIN_BYTES = 1024
_HTTP_VIEW = "api:http"
_GZIP_VIEW = "api:http-gzip"


def _caller(principal: Principal) -> tuple[str, str | None, str | None, str | None]:
    return (principal.role.value, principal.tenant, principal.chain, principal.firm)


def _request_key(
    path: str, query: bytes, principal: Principal
) -> tuple[str, bytes, tuple[str, str | None, str | None, str | None]]:
    return (path, query, _caller(principal))


def cached_json(
    store: GraphStore,
    view: str,
    params: Hashable,
    build: Callable[[], BaseModel],
    *,
    request: Request | None = None,
    principal: Principal | None = None,
) -> Response:
    """A JSON response of ``build()``, cached as bytes under ``("api:" + view, params)``.

    ``params`` must name everything the body depends on besides the graph: path and query
    values, and the reader's :func:`~chain_brain.services.security.audience` where the
    body is cut or redacted for it.  With ``request`` and ``principal`` the bytes are also
    filed for :class:`ResponseCache`.
    """

    def body() -> bytes:
        return build().model_dump_json().encode()

    cache = view_cache()
    view_key = cache.key(store, f"api:{view}", params)  # one revision read for both keys
    data = cache.get_key(view_key, body)
    if request is not None and principal is not None:
        key = _request_key(request.url.path, request.scope.get("query_string", b""), principal)
        cache.get_key(_same_revision(view_key, _HTTP_VIEW, key), lambda: data)
    return Response(data, media_type=JSON_MEDIA)


def _same_revision(key: tuple[int, int, str, Hashable], view: str, params: Hashable) -> Any:
    """A cache key of ``view(params)`` at the store and revision of ``key``: bytes made at
    one revision are never filed under a later one."""
    return (key[0], key[1], view, params)


class ResponseCache:
    """ASGI middleware answering GETs whose JSON :func:`cached_json` filed for the same
    path, query and kind of caller at the store's current revision."""

    def __init__(self, app: ASGIApp, fastapi_app: Any) -> None:
        self.app, self.fastapi_app = app, fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        # in a worker thread: the key check may run scrypt once, and the revision read
        # waits for the store, which a cold computation may hold for seconds
        found = await anyio.to_thread.run_sync(self._lookup, scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        body, gzipped = found
        headers = [
            (b"content-type", JSON_MEDIA.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"vary", b"Accept-Encoding"),
        ]
        if gzipped:
            headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _lookup(self, scope: Scope) -> tuple[bytes, bool] | None:
        """The cached body for this request and whether it is gzip-encoded, or None."""
        ctx = getattr(self.fastapi_app.state, "ctx", None)
        if ctx is None:
            return None
        bearer = header = None  # as the routes: a bearer token first, else X-API-Key
        gzip_ok = False
        for name, value in scope.get("headers", ()):
            if name == b"x-api-key":
                header = value.decode("latin-1")
            elif name == b"accept-encoding":
                gzip_ok = _accepts_gzip(value)
            elif name == b"authorization":
                scheme, _, cred = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and cred.strip():
                    bearer = cred.strip()
        presented = bearer if bearer is not None else header
        if not presented:
            return None
        try:
            principal = ctx.keys.authenticate(presented)
        except ChainBrainError:
            return None  # the route answers with the proper problem
        cache = view_cache()
        http_key = cache.key(
            ctx.store,
            _HTTP_VIEW,
            _request_key(scope["path"], scope.get("query_string", b""), principal),
        )
        body = cache.peek_key(http_key)
        if not isinstance(body, bytes):
            return None
        try:
            ctx.limiter.take(principal.key_id)
        except ChainBrainError:
            return None  # the route spends no token it lacks and answers 429
        if not gzip_ok or len(body) < GZIP_MIN_BYTES:
            return body, False
        gzip_key = _same_revision(http_key, _GZIP_VIEW, http_key[3])
        packed = cache.get_key(gzip_key, lambda: gzip.compress(body, 5))
        return packed, True


def _accepts_gzip(value: bytes) -> bool:
    """Whether an ``Accept-Encoding`` value admits gzip (RFC 9110 §12.5.3; ``q=0`` refuses)."""
    for part in value.decode("latin-1").lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            q = params.strip()
            if not q.startswith("q="):
                return True
            try:
                return float(q[2:]) > 0.0
            except ValueError:
                return False
    return False
