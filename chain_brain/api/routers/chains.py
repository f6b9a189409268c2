"""Chains (产业链) and their segments (环节): the list and one chain's map."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from chain_brain.api.cached import cached_json
from chain_brain.api.deps import ContextDep, PrincipalDep, StoreDep
from chain_brain.api.models import (
    ChainMapPublic,
    ChainPage,
    ChainPublic,
    TablePage,
    jsonable,
    table_rows,
)
from chain_brain.api.problems import responses
from chain_brain.services import chains as chain_service
from chain_brain.services.analysis import chokepoint_list
from chain_brain.services.security import Permission, scoped
from chain_brain.store import Scope
from graph_schema.errors import NotFoundError

router = APIRouter(prefix="/chains", tags=["chains"])
AsOf = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="ISO date")]


@router.get("", response_model=ChainPage, responses=responses())
def list_chains(
    store: StoreDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ChainPage:
    """Every chain visible to the caller with its number of segments."""
    chains = chain_service.list_chains(store)
    if principal.chain is not None:
        chains = [c for c in chains if c.id == principal.chain]
    chains.sort(key=lambda c: c.id)
    items = [
        ChainPublic(id=c.id, name_en=c.name_en, name_zh=c.name_zh, segments=c.segments)
        for c in chains
    ]
    return ChainPage(
        items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset
    )


@router.get("/{chain_id}", response_model=ChainMapPublic, responses=responses(403, 404))
def get_chain_map(
    chain_id: str, request: Request, store: StoreDep, principal: PrincipalDep, as_of: AsOf = None
) -> Response:
    """The chain's map: segments upstream to downstream with counts, capacity and flows.

    Flow volumes sum supply between firms; readers without the ``read-confidential``
    permission get the edge counts with ``volume`` null.
    """
    scoped(principal, Scope(chain=chain_id))
    confidential = principal.can(Permission.READ_CONFIDENTIAL)

    def build() -> ChainMapPublic:
        m = chain_service.chain_map(store, chain_id, as_of=as_of)
        flows = m.flows if confidential else m.flows.assign(volume=None)
        return ChainMapPublic(
            chain=jsonable(m.chain), segments=table_rows(m.segments), flows=table_rows(flows)
        )

    params = (chain_id, as_of, confidential)
    return cached_json(store, "chain_map", params, build, request=request, principal=principal)


@router.get("/{chain_id}/chokepoints", response_model=TablePage, responses=responses(403, 404))
def list_chokepoints(
    chain_id: str,
    request: Request,
    ctx: ContextDep,
    store: StoreDep,
    principal: PrincipalDep,
    flagged: Annotated[bool, Query(description="only products flagged as chokepoints")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The chain's products ranked by chokepoint score (卡脖子), from the graph as it is now
    (surveyed capacities; stored analysis runs also use plant twins)."""
    scoped(principal, Scope(chain=chain_id))
    home = tuple(sorted(ctx.settings.home_countries))

    def build() -> TablePage:
        table = chokepoint_list(store, chain_id, home_countries=home)
        if flagged:
            table = table[table["is_chokepoint"].astype(bool)]
        return TablePage.of("chokepoints", table, limit, offset)

    params = (chain_id, home, flagged, limit, offset)
    return cached_json(store, "chokepoints", params, build, request=request, principal=principal)


@router.get("/{chain_id}/segments", response_model=TablePage, responses=responses(403, 404))
def list_segments(
    chain_id: str, store: StoreDep, principal: PrincipalDep, as_of: AsOf = None
) -> TablePage:
    """The segments of a chain, ordered upstream first."""
    scoped(principal, Scope(chain=chain_id))
    segs = chain_service.chain_map(store, chain_id, as_of=as_of).segments
    return TablePage.of("segments", segs)


@router.get(
    "/{chain_id}/segments/{segment_id}/members",
    response_model=TablePage,
    responses=responses(403, 404),
)
def segment_members(
    chain_id: str,
    segment_id: str,
    store: StoreDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TablePage:
    """Products, firms and plants of one segment (label, id, via)."""
    scoped(principal, Scope(chain=chain_id))
    m = chain_service.chain_map(store, chain_id)
    if segment_id not in set(m.segments["id"].astype(str)):
        raise NotFoundError(f"Chain {chain_id!r} has no segment {segment_id!r}.")
    rows = m.members[m.members["segment"] == segment_id].sort_values(["label", "id"])
    return TablePage.of("members", rows, limit, offset)
