"""``/health``: is the API up and which schema does its store hold (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter

from chain_brain.api.deps import StoreDep
from chain_brain.api.models import HealthPublic
from chain_brain.api.problems import responses
from graph_schema.migrations import SCHEMA_VERSION

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic, responses=responses())
def health(store: StoreDep) -> HealthPublic:
    """Liveness and the schema version of the store against the code's (one cheap read;
    ``chain-brain store status`` gives counts)."""
    return HealthPublic(
        status="ok", schema_version=store.schema_version(), code_schema_version=SCHEMA_VERSION
    )
