"""Plant twins: state, telemetry and events in, capacity forecast out.
The work is done by :mod:`chain_brain.services.twins`."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Query, status

from chain_brain.api.deps import StoreDep, allow, service
from chain_brain.api.models import (
    ResultPublic,
    TablePage,
    TelemetryCreate,
    TwinEventCreate,
    jsonable,
)
from chain_brain.api.problems import responses
from chain_brain.api.routers.nodes import visible_node
from chain_brain.services.security import Permission, Principal, audit
from graph_schema.errors import ValidationError
from graph_schema.model import NodeLabel

router = APIRouter(prefix="/twins", tags=["twins"])
Reader = Annotated[Principal, Depends(allow(Permission.READ))]
Writer = Annotated[Principal, Depends(allow(Permission.WRITE_TWIN))]


def _timestamp(text: str, field: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise ValidationError(f"{field} must be an ISO 8601 time, got {text!r}.") from None
    return ts.tz_convert(None) if ts.tzinfo is not None else ts


@router.get("/{plant_id}", response_model=ResultPublic, responses=responses(404, 501))
def twin_state(plant_id: str, store: StoreDep, principal: Reader) -> ResultPublic:
    """The twin's state: its units (state, nameplate, inventories) and recent changes."""
    visible_node(store, principal, NodeLabel.PLANT, plant_id)
    return ResultPublic(result=jsonable(service("twins", "plant_state")(store, plant_id)))


@router.post(
    "/{plant_id}/telemetry",
    response_model=ResultPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(403, 404, 501),
)
def add_telemetry(
    plant_id: str, body: TelemetryCreate, store: StoreDep, principal: Writer
) -> ResultPublic:
    """Apply readings (timestamp, unit, value) to the plant's twin; a bad batch changes nothing."""
    visible_node(store, principal, NodeLabel.PLANT, plant_id)
    from chain_brain.twins.events import TelemetryBatch

    feed = service("twins", "feed_telemetry")
    rows = pd.DataFrame([r.model_dump() for r in body.rows])
    rows["timestamp"] = [_timestamp(t, "timestamp") for t in rows["timestamp"]]
    if rows.duplicated(["timestamp", "unit_id"]).any():
        dup = rows[rows.duplicated(["timestamp", "unit_id"])].iloc[0]
        raise ValidationError(f"Two readings of unit {dup['unit_id']!r} at {dup['timestamp']}.")
    wide = rows.pivot(index="timestamp", columns="unit_id", values="value").sort_index()
    units = np.array([str(u) for u in wide.columns], dtype=object)
    batch = TelemetryBatch(
        wide.index.to_numpy(dtype="datetime64[ns]"),
        np.full(len(units), plant_id, dtype=object),
        units,
        wide.to_numpy(dtype=float),
        step=pd.Timedelta(minutes=body.step_minutes),
    )
    report = feed(store, batch)
    audit(store, principal, "twin-telemetry", f"plant:{plant_id}", detail={"rows": len(rows)})
    return ResultPublic(result=jsonable(report))


@router.post(
    "/{plant_id}/events",
    response_model=ResultPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(403, 404, 501),
)
def add_event(
    plant_id: str, body: TwinEventCreate, store: StoreDep, principal: Writer
) -> ResultPublic:
    """Record an outage start or end, or a maintenance window, of the plant (or one unit)."""
    visible_node(store, principal, NodeLabel.PLANT, plant_id)
    from chain_brain.twins.events import EventKind, TwinEvent

    apply_events = service("twins", "apply_events")
    event = TwinEvent(
        plant_id=plant_id,
        kind=EventKind(body.kind),
        start=_timestamp(body.start, "start"),
        end=_timestamp(body.end, "end") if body.end else None,
        unit_id=body.unit_id,
        cause=body.cause,
    )
    report = apply_events(store, [event])
    audit(store, principal, "twin-event", f"plant:{plant_id}", detail={"kind": body.kind})
    return ResultPublic(result=jsonable(report))


@router.get("/{plant_id}/forecast", response_model=TablePage, responses=responses(404, 501))
def forecast(
    plant_id: str,
    store: StoreDep,
    principal: Reader,
    horizon_weeks: Annotated[int, Query(ge=1, le=104)] = 12,
) -> TablePage:
    """Weekly available capacity (P10 / P50 / P90) per product over the horizon."""
    visible_node(store, principal, NodeLabel.PLANT, plant_id)
    table = service("twins", "plant_forecast")(store, [plant_id], horizon_weeks=horizon_weeks)
    return TablePage.of("forecast", table)
