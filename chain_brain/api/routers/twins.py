"""Plant twins: state, telemetry and events in, capacity forecast out.
The work is done by :mod:`chain_brain.services.twins`."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Query, status

from chain_brain.api.deps import StoreDep, allow, service
from chain_brain.api.models import ResultPublic, TelemetryCreate, TwinEventCreate, jsonable
from chain_brain.api.problems import responses
from chain_brain.api.routers.nodes import visible_node
from chain_brain.services.security import Permission, Principal, audit
from graph_schema.model import NodeLabel

router = APIRouter(prefix="/twins", tags=["twins"])
Reader = Annotated[Principal, Depends(allow(Permission.READ))]
Writer = Annotated[Principal, Depends(allow(Permission.WRITE_TWIN))]


@router.get("/{plant_id}", response_model=ResultPublic, responses=responses(404, 501))
def twin_state(plant_id: str, store: StoreDep, principal: Reader) -> ResultPublic:
    """The twin's current state: status, nominal and effective capacity, open events."""
    visible_node(store, principal, NodeLabel.PLANT, plant_id)
    return ResultPublic(result=jsonable(service("twins", "twin_state")(store, plant_id)))


@router.post(
    "/{plant_id}/telemetry",
    response_model=ResultPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(403, 404, 501),
)
def add_telemetry(
    plant_id: str, body: TelemetryCreate, store: StoreDep, principal: Writer
) -> ResultPublic:
    """Append telemetry rows (timestamp, output, capacity, ...) to the plant's twin."""
    visible_node(store, principal, NodeLabel.PLANT, plant_id)
    record = service("twins", "record_telemetry")
    rows = pd.DataFrame([r.model_dump() for r in body.rows])
    result = record(store, plant_id, rows)
    audit(store, principal, "twin-telemetry", f"plant:{plant_id}", detail={"rows": len(rows)})
    return ResultPublic(result=jsonable(result))


@router.post(
    "/{plant_id}/events",
    response_model=ResultPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(403, 404, 501),
)
def add_event(
    plant_id: str, body: TwinEventCreate, store: StoreDep, principal: Writer
) -> ResultPublic:
    """Record an event (outage, maintenance, restart) of the plant."""
    visible_node(store, principal, NodeLabel.PLANT, plant_id)
    record = service("twins", "record_event")
    result = record(store, plant_id, body)
    audit(store, principal, "twin-event", f"plant:{plant_id}", detail={"kind": body.kind})
    return ResultPublic(result=jsonable(result))


@router.get("/{plant_id}/forecast", response_model=ResultPublic, responses=responses(404, 501))
def forecast(
    plant_id: str,
    store: StoreDep,
    principal: Reader,
    horizon_days: Annotated[int, Query(ge=1, le=3650)] = 90,
) -> ResultPublic:
    """Available capacity over the horizon (quantiles)."""
    visible_node(store, principal, NodeLabel.PLANT, plant_id)
    fn = service("twins", "forecast")
    return ResultPublic(result=jsonable(fn(store, plant_id, horizon_days)))
