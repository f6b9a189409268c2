"""Firms, plants and products (get, search, filter, paginate) and graph neighbourhoods."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from chain_brain.api.cached import cached_json
from chain_brain.api.deps import PrincipalDep, StoreDep
from chain_brain.api.models import GraphPublic, NodePage, NodePublic, graph_public, node_public
from chain_brain.api.problems import responses
from chain_brain.services.networks import neighbourhood as neighbourhood_of
from chain_brain.services.security import Principal, audience, chain_members, redact, restrict
from chain_brain.store import GraphStore
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.model import NodeLabel, node_schema

__all__ = ["router", "list_nodes", "visible_node"]

router = APIRouter()

Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Offset = Annotated[int, Query(ge=0, description="rows to skip")]
Text = Annotated[
    str | None, Query(max_length=200, description="id or name contains (中文 or English)")
]
Country = Annotated[str | None, Query(max_length=3, description="ISO 3166-1 alpha-3")]
Region = Annotated[str | None, Query(max_length=100, description="Region id")]


def list_nodes(
    store: GraphStore,
    principal: Principal,
    label: NodeLabel,
    *,
    q: str | None,
    country: str | None,
    region: str | None,
    limit: int,
    offset: int,
) -> NodePage:
    """Nodes of ``label`` matching the text and filters that ``principal`` may see."""
    schema = node_schema(label)
    for name, value in (("country", country), ("region", region)):
        if value is not None and name not in schema.prop_names:
            raise ValidationError(
                f"{label.value} has no {name!r} property; cannot filter by {name}={value!r}."
            )
    cap = max(1, int(store.counts().get(label.value, 0)))
    table = store.search_nodes(label, q or "", limit=cap)
    if country is not None:
        table = table[table["country"] == country]
    if region is not None:
        table = table[table["region"] == region]
    members = chain_members(store, principal)
    if members is not None:
        ids = {i for lab, i in members if lab == label.value}
        table = table[table["id"].astype(str).isin(ids)]
    table = table.sort_values("id")
    page = table.iloc[offset : offset + limit]
    items = [node_public(label.value, r) for r in page.to_dict("records")]
    return NodePage(items=items, total=len(table), limit=limit, offset=offset)


def visible_node(
    store: GraphStore, principal: Principal, label: NodeLabel, node_id: str
) -> NodePublic:
    """One node, or NotFoundError if absent or outside the principal's chain."""
    props = store.get_node(label, node_id)
    members = chain_members(store, principal)
    if members is not None and (label.value, node_id) not in members:
        raise NotFoundError(f"No {label.value} with id {node_id!r} in chain {principal.chain!r}.")
    return node_public(label.value, {"id": node_id, **props})


def _register(label: NodeLabel, path: str, tag: str) -> None:
    def list_route(
        store: StoreDep,
        principal: PrincipalDep,
        q: Text = None,
        country: Country = None,
        region: Region = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> NodePage:
        return list_nodes(
            store, principal, label, q=q, country=country, region=region, limit=limit, offset=offset
        )

    def get_route(node_id: str, store: StoreDep, principal: PrincipalDep) -> NodePublic:
        return visible_node(store, principal, label, node_id)

    list_route.__doc__ = (
        f"Search and page through {tag} (filters: country, region; text in 中文 or English)."
    )
    get_route.__doc__ = f"One {label.value} by id."
    router.add_api_route(
        f"/{path}",
        list_route,
        methods=["GET"],
        response_model=NodePage,
        tags=[tag],
        name=f"list_{path}",
        responses=responses(),
    )
    router.add_api_route(
        f"/{path}/{{node_id}}",
        get_route,
        methods=["GET"],
        response_model=NodePublic,
        tags=[tag],
        name=f"get_{label.value.lower()}",
        responses=responses(404),
    )


_register(NodeLabel.FIRM, "firms", "firms")
_register(NodeLabel.PLANT, "plants", "plants")
_register(NodeLabel.PRODUCT, "products", "products")


@router.get(
    "/nodes/{node_id}/neighbourhood",
    response_model=GraphPublic,
    tags=["graph"],
    responses=responses(403, 404),
)
def neighbourhood(
    node_id: str,
    request: Request,
    store: StoreDep,
    principal: PrincipalDep,
    tiers: Annotated[int, Query(ge=1, le=6)] = 1,
    direction: Literal["up", "down", "both"] = "both",
    as_of: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
) -> Response:
    """The supply neighbourhood of a firm or plant ``tiers`` hops away, as nodes and edges."""
    chain = principal.chain

    def build() -> GraphPublic:
        data = neighbourhood_of(
            store, node_id, tiers=tiers, direction=direction, as_of=as_of, chain=chain
        )
        data = redact(principal, restrict(data, chain_members(store, principal)), store=store)
        if not any(
            len(nf.data) and (nf.data["id"].astype(str) == node_id).any() for nf in data.nodes
        ):
            raise NotFoundError(f"No firm or plant with id {node_id!r} visible here.")
        return graph_public(data)

    params = (node_id, tiers, direction, as_of, audience(principal))
    return cached_json(store, "neighbourhood", params, build, request=request, principal=principal)
