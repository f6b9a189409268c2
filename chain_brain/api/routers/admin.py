"""Administration: API keys (created, listed, revoked) and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from chain_brain.api.deps import ContextDep, StoreDep, allow
from chain_brain.api.models import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, AuditPublic
from chain_brain.api.problems import responses
from chain_brain.services.security import ApiKeyRecord, Permission, Principal, audit, list_audit

router = APIRouter(prefix="/admin", tags=["admin"])
KeyAdmin = Annotated[Principal, Depends(allow(Permission.MANAGE_KEYS))]
Auditor = Annotated[Principal, Depends(allow(Permission.READ_AUDIT))]


def _public(rec: ApiKeyRecord) -> ApiKeyPublic:
    return ApiKeyPublic(
        key_id=rec.key_id,
        role=rec.role.value,
        tenant=rec.tenant,
        chain=rec.chain,
        firm=rec.firm,
        created_at=rec.created_at,
        revoked=rec.revoked,
    )


@router.post(
    "/keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403),
)
def create_key(body: ApiKeyCreate, ctx: ContextDep, principal: KeyAdmin) -> ApiKeyCreated:
    """Create an API key; the key itself appears only in this response (stored hashed)."""
    rec, plaintext = ctx.keys.create(body.role, body.tenant, chain=body.chain, firm=body.firm)
    audit(ctx.store, principal, "create-key", f"key:{rec.key_id}", detail={"role": rec.role.value})
    return ApiKeyCreated(**_public(rec).model_dump(), key=plaintext)


@router.get("/keys", response_model=list[ApiKeyPublic], responses=responses(403))
def list_keys(ctx: ContextDep, principal: KeyAdmin) -> list[ApiKeyPublic]:
    """Every key (ids, roles, bindings; never the key or its hash)."""
    return [_public(r) for r in ctx.keys.records()]


@router.delete(
    "/keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=responses(403, 404),
)
def revoke_key(key_id: str, ctx: ContextDep, principal: KeyAdmin) -> Response:
    """Revoke a key at once."""
    ctx.keys.revoke(key_id)
    audit(ctx.store, principal, "revoke-key", f"key:{key_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/audit", response_model=list[AuditPublic], responses=responses(403))
def audit_log(
    store: StoreDep, principal: Auditor, limit: Annotated[int, Query(ge=1, le=10_000)] = 200
) -> list[AuditPublic]:
    """Writes, ingests, exports and runs, newest first."""
    return [
        AuditPublic(
            id=r.id,
            created_at=r.created_at,
            action=str(r.params.get("action")),
            target=str(r.params.get("target")),
            key_id=str(r.params.get("key_id")),
            role=str(r.params.get("role")),
            tenant=r.tenant,
            outcome=str(r.summary.get("outcome")),
        )
        for r in list_audit(store)[:limit]
    ]
