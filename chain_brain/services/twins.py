"""Plant twins as a use case: create them from the graph, feed telemetry and events, forecast,
and hand their capacity and time-to-recover to the disruption models.

The fleet is persisted in the graph store as a run of kind ``"twins"`` (id ``"fleet"``)
holding the fleet's two tables (unit state and append-only history), so every process (CLI,
API, dashboards) sees the same twins.  A batch that fails validation changes nothing, neither
in memory nor in the store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from chain_brain.store import GraphStore, RunRecord, Scope
from chain_brain.twins import (
    BatchReport,
    FleetFrames,
    TelemetryBatch,
    TwinEvent,
    TwinFleet,
    effective_capacity,
    fleet_from_plant_records,
    forecast_capacity,
)
from graph_schema.errors import NotFoundError, ValidationError
from graph_schema.frames import GraphData
from graph_schema.model import NodeLabel, RelType

__all__ = [
    "TWINS",
    "FLEET_ID",
    "create_twins",
    "load_fleet",
    "save_fleet",
    "feed_telemetry",
    "apply_events",
    "fleet_overview",
    "plant_state",
    "plant_forecast",
    "twin_capacity",
    "feed_power_load",
    "plant_process_records",
    "TwinSummary",
]

TWINS = "twins"
FLEET_ID = "fleet"


@dataclass
class TwinSummary:
    plants: int
    units: int
    processes: dict[str, int]


def plant_process_records(data: GraphData) -> pd.DataFrame:
    """``plant_id``, ``process``, ``capacity_ttpa`` from ``PRODUCES`` rows that name a process
    and give a capacity in kt per year (the input of ``fleet_from_plant_records``)."""
    prod = data.rel_table(RelType.PRODUCES)
    if prod.empty or "process" not in prod.columns:
        return pd.DataFrame(columns=["plant_id", "process", "capacity_ttpa"])
    cap = pd.to_numeric(prod["capacity"], errors="coerce")
    unit = prod.get("unit", pd.Series("kt", index=prod.index)).fillna("kt")
    keep = prod["process"].notna() & cap.notna() & (cap >= 0) & (unit == "kt")
    keep &= prod["src_label"] == NodeLabel.PLANT.value
    return pd.DataFrame(
        {
            "plant_id": prod.loc[keep, "src"].astype(str),
            "process": prod.loc[keep, "process"].astype(str),
            "capacity_ttpa": cap[keep],
        }
    ).reset_index(drop=True)


def save_fleet(store: GraphStore, fleet: TwinFleet) -> None:
    frames = fleet.to_frames()
    store.save_run(
        RunRecord(
            kind=TWINS,
            id=FLEET_ID,
            summary={"plants": len(fleet.plant_ids), "units": int(len(fleet))},
            tables={"state": frames.state, "history": frames.history},
        )
    )


def load_fleet(store: GraphStore) -> TwinFleet | None:
    """The stored fleet, or None when no twins were created."""
    try:
        run = store.load_run(TWINS, FLEET_ID)
    except NotFoundError:
        return None
    return TwinFleet.from_frames(FleetFrames(run.tables["state"], run.tables["history"]))


def _require_fleet(store: GraphStore) -> TwinFleet:
    fleet = load_fleet(store)
    if fleet is None:
        raise NotFoundError("No plant twins in this store; run `chain-brain twins create` first.")
    return fleet


def create_twins(store: GraphStore, *, scope: Scope | None = None) -> TwinSummary:
    """One twin per plant with a capacity by process (e.g. the GEM steel plants); replaces
    any stored fleet."""
    records = plant_process_records(store.snapshot(scope))
    if records.empty:
        raise ValidationError("No plant has a PRODUCES capacity with a process; nothing to twin.")
    fleet = fleet_from_plant_records(records)
    save_fleet(store, fleet)
    return TwinSummary(
        plants=len(fleet.plant_ids),
        units=int(len(fleet)),
        processes={k: int(v) for k, v in records.groupby("process").size().items()},
    )


def feed_telemetry(store: GraphStore, batch: TelemetryBatch) -> BatchReport:
    """Validate the whole batch, apply it and store the fleet; a bad batch raises
    (:class:`~chain_brain.twins.TelemetryBatchError`) and changes nothing."""
    fleet = _require_fleet(store)
    report = fleet.apply_telemetry(batch, raise_on_error=True)
    save_fleet(store, fleet)
    return report


def apply_events(store: GraphStore, events: list[TwinEvent]) -> BatchReport:
    """Outage and maintenance events, validated whole, then applied and stored."""
    fleet = _require_fleet(store)
    report = fleet.apply_events(events, raise_on_error=True)
    save_fleet(store, fleet)
    return report


def fleet_overview(store: GraphStore) -> pd.DataFrame:
    """One row per unit: plant, unit, process, nameplate, state and the latest figures."""
    return _require_fleet(store).to_frames().state


def plant_state(store: GraphStore, plant_id: str) -> dict[str, object]:
    """State of one plant's twin: its units and recent state changes."""
    fleet = _require_fleet(store)
    if plant_id not in set(fleet.plant_ids):
        raise NotFoundError(f"No twin for plant {plant_id!r}.")
    state = fleet.to_frames().state
    units = state[state["plant_id"].astype(str) == plant_id]
    changes = [c.__dict__ for c in fleet.state_changes(plant_id)][-20:]
    return {"plant_id": plant_id, "units": units.to_dict("records"), "recent_changes": changes}


def plant_forecast(
    store: GraphStore, plant_ids: list[str] | None = None, *, horizon_weeks: int = 12
) -> pd.DataFrame:
    """Weekly capacity P10/P50/P90 per plant and product over the horizon."""
    fleet = _require_fleet(store)
    table = forecast_capacity(fleet, horizon_weeks=horizon_weeks).table
    if plant_ids is not None:
        unknown = sorted(set(plant_ids) - set(fleet.plant_ids))
        if unknown:
            raise NotFoundError(f"No twin for plant(s) {unknown[:5]}.")
        table = table[table["plant_id"].isin(plant_ids)]
    return table.reset_index(drop=True)


def twin_capacity(store: GraphStore, plant_ids: list[str] | None = None) -> pd.DataFrame:
    """Capacity (graph units: thousand tonnes per week) and time-to-recover (weeks) per
    plant from the twins, for :func:`chain_brain.services.networks.chain_network`.

    Processes making the same product add up; a plant's capacity is that of its largest
    product (crude steel for an integrated mill), its time-to-recover the P50 of its slowest
    unit.  Empty when the store has no twins.
    """
    fleet = load_fleet(store)
    cols = ["plant_id", "capacity_p50", "ttr_p50", "source"]
    if fleet is None:
        return pd.DataFrame(columns=cols)
    ids = plant_ids if plant_ids is not None else list(fleet.plant_ids)
    ids = [p for p in ids if p in set(fleet.plant_ids)]
    if not ids:
        return pd.DataFrame(columns=cols)
    eff = effective_capacity(ids, fleet)
    per_product = eff.groupby(["plant_id", "product"]).agg(
        cap=("capacity_per_week", "sum"), ttr=("ttr_days_p50", "max"), source=("source", "first")
    )
    per_plant = per_product.groupby(level="plant_id").agg(
        cap=("cap", "max"), ttr=("ttr", "max"), source=("source", "first")
    )
    return pd.DataFrame(
        {
            "plant_id": per_plant.index.astype(str),
            "capacity_p50": per_plant["cap"].to_numpy(dtype=float) / 1000.0,  # t -> kt per week
            "ttr_p50": per_plant["ttr"].to_numpy(dtype=float) / 7.0,  # days -> weeks
            "source": per_plant["source"].to_numpy(),
        }
    )


def feed_power_load(
    store: GraphStore,
    plant_id: str,
    unit_id: str,
    readings: pd.DataFrame,
    *,
    step: pd.Timedelta | None = None,
) -> list[BatchReport]:
    """Feed a unit's power-load series (``timestamp``, ``usage_kwh``) to its twin.

    The unit's running / idle / down thresholds are derived from the series itself
    (:func:`ingest.telemetry.derive_load_thresholds`) when the unit has none yet.  The
    series is applied one calendar day per batch; a day that fails validation raises and
    leaves the stored fleet as it was before this call.
    """
    from ingest.telemetry import derive_load_thresholds

    need = {"timestamp", "usage_kwh"} - set(readings.columns)
    if need:
        raise ValidationError(f"power-load readings lack column(s) {sorted(need)}.")
    fleet = _require_fleet(store)
    rows = fleet.rows_of(plant_id, unit_id)  # raises for an unknown plant or unit
    if not np.isfinite(fleet.a["th_rated"][rows]).all():
        fleet.set_load_thresholds(derive_load_thresholds(readings["usage_kwh"].to_numpy(dtype=float)), plant_id, unit_id)
    frame = pd.DataFrame(
        {
            "plant_id": plant_id,
            "unit_id": unit_id,
            "timestamp": pd.to_datetime(readings["timestamp"]),
            "value": readings["usage_kwh"].to_numpy(dtype=float),
        }
    )
    reports = []
    for _, day in frame.groupby(frame["timestamp"].dt.normalize(), sort=True):
        reports.append(fleet.apply_telemetry(TelemetryBatch.from_long(day, step=step), raise_on_error=True))
    save_fleet(store, fleet)
    return reports
