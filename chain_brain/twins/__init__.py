"""Per-plant digital twins: what a plant actually does -> the capacity the optimizers use.

* :mod:`~chain_brain.twins.state` - typed state (units, OEE, shift calendar, ramp-up, inventory).
* :mod:`~chain_brain.twins.events` - telemetry batches, outage/maintenance events, batch reports.
* :mod:`~chain_brain.twins.fleet` - :class:`TwinFleet`, many units in numpy arrays; atomic
  updates, append-only history, ``to_frames`` / ``from_frames``.
* :mod:`~chain_brain.twins.forecast` - weekly capacity P10/P50/P90 and the recovery simulation.
* :mod:`~chain_brain.twins.capacity` - :func:`effective_capacity` (``source`` twin/surveyed)
  and :func:`fleet_from_plant_records` (GEM-style capacities in thousand t/a).
"""

from chain_brain.twins.capacity import effective_capacity, fleet_from_plant_records
from chain_brain.twins.events import (
    BatchReport,
    EventKind,
    TelemetryBatch,
    TelemetryBatchError,
    TwinEvent,
)
from chain_brain.twins.fleet import FleetFrames, TwinFleet
from chain_brain.twins.forecast import (
    CapacityForecast,
    RecoveryDistribution,
    estimate_recovery_params,
    fleet_time_to_recover,
    forecast_capacity,
    simulate_recovery,
)
from chain_brain.twins.state import (
    OEE,
    Inventory,
    PlantTwin,
    Process,
    RampUpCurve,
    RunState,
    ShiftCalendar,
    StateChange,
    UnitState,
)

__all__ = [
    "BatchReport",
    "CapacityForecast",
    "EventKind",
    "FleetFrames",
    "Inventory",
    "OEE",
    "PlantTwin",
    "Process",
    "RampUpCurve",
    "RecoveryDistribution",
    "RunState",
    "ShiftCalendar",
    "StateChange",
    "TelemetryBatch",
    "TelemetryBatchError",
    "TwinEvent",
    "TwinFleet",
    "UnitState",
    "effective_capacity",
    "estimate_recovery_params",
    "fleet_from_plant_records",
    "fleet_time_to_recover",
    "forecast_capacity",
    "simulate_recovery",
]
