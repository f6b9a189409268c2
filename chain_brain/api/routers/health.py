"""``/health``: is the API up and which schema does its store hold (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter

from chain_brain.api.deps import StoreDep
from chain_brain.api.models import HealthPublic
from chain_brain.api.problems import responses
from chain_brain.services.store_admin import store_status

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic, responses=responses())
def health(store: StoreDep) -> HealthPublic:
    """Liveness and the schema version of the store against the code's."""
    status = store_status(store)
    return HealthPublic(
        status="ok",
        schema_version=status.schema_version,
        code_schema_version=status.code_schema_version,
    )
