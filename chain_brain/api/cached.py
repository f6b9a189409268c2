"""Responses of read endpoints served from the view cache as pre-serialised JSON bytes.

A read endpoint builds its response model once per graph revision and audience; the
bytes of its JSON are kept in :func:`chain_brain.services.cache.view_cache` and later
requests get them without recomputing, validating or serialising anything.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from fastapi import Response
from pydantic import BaseModel

from chain_brain.services.cache import view_cache
from chain_brain.store import GraphStore

__all__ = ["JSON_MEDIA", "cached_json"]

JSON_MEDIA = "application/json"


def cached_json(
    store: GraphStore, view: str, params: Hashable, build: Callable[[], BaseModel]
) -> Response:
    """A JSON response of ``build()``, cached as bytes under ``("api:" + view, params)``.

    ``params`` must name everything the body depends on besides the graph: path and query
    values, and the reader's :func:`~chain_brain.services.security.audience` where the
    body is cut or redacted for it.
    """

    def body() -> bytes:
        return build().model_dump_json().encode()

    return Response(view_cache().get(store, f"api:{view}", params, body), media_type=JSON_MEDIA)
