"""Typed state of a plant twin: units, calendars, OEE, inventory and ramp-up.

A :class:`PlantTwin` is the per-plant view; :class:`~chain_brain.twins.fleet.TwinFleet`
holds the same fields for many units in numpy arrays and hands out
:class:`PlantTwin` views.  OEE follows Nakajima (1988, *Introduction to TPM*):
OEE = availability x performance x quality.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graph_schema.errors import ValidationError

__all__ = [
    "Process",
    "RunState",
    "ShiftCalendar",
    "RampUpCurve",
    "OEE",
    "Inventory",
    "UnitState",
    "PlantTwin",
    "StateChange",
    "WEEKS_PER_YEAR",
]

#: Mean Gregorian weeks per year (365.2425 / 7), used to turn annual capacity into weekly.
WEEKS_PER_YEAR: float = 365.2425 / 7.0


class Process(enum.StrEnum):
    """Production process of a line or unit."""

    BF = "BF"  # blast furnace -> pig iron
    BOF = "BOF"  # basic oxygen furnace -> crude steel
    EAF = "EAF"  # electric arc furnace -> crude steel
    DRI = "DRI"  # direct reduction -> sponge iron
    OHF = "OHF"  # open hearth furnace -> crude steel
    SEWING = "sewing"
    FINISHING = "finishing"
    FILLING = "filling"  # FMCG packing/filling line
    OTHER = "other"


class RunState(enum.IntEnum):
    """Running state of a unit; the integer codes are those of ``ingest.telemetry``."""

    RUNNING = 0
    IDLE = 1
    DOWN = 2


@dataclass(frozen=True)
class ShiftCalendar:
    """Weekly shift pattern: which hours a unit is scheduled to produce.

    Attributes
    ----------
    shifts_per_day : int
        Shifts per working day.
    hours_per_shift : float
        Hours per shift; ``shifts_per_day * hours_per_shift <= 24``.
    working_days : tuple of int
        Weekdays worked, Monday = 0.
    start_hour : float
        Hour of day the first shift starts.
    """

    shifts_per_day: int = 3
    hours_per_shift: float = 8.0
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    start_hour: float = 0.0

    def __post_init__(self) -> None:
        day = self.shifts_per_day * self.hours_per_shift
        if not (0 < day <= 24) or not (0 <= self.start_hour < 24):
            raise ValidationError(
                f"shift calendar must give 0 < shifts x hours <= 24 h a day; got "
                f"{self.shifts_per_day} x {self.hours_per_shift} h from {self.start_hour} h"
            )
        if not self.working_days or any(d not in range(7) for d in self.working_days):
            raise ValidationError(f"working_days must be weekdays 0..6; got {self.working_days}")

    @property
    def hours_per_week(self) -> float:
        """Scheduled hours per week."""
        return self.shifts_per_day * self.hours_per_shift * len(self.working_days)

    @property
    def weekly_mask(self) -> int:
        """Working days as a 7-bit mask (bit d set = weekday d worked)."""
        return int(sum(1 << d for d in set(self.working_days)))

    @classmethod
    def from_mask(
        cls, shifts_per_day: int, hours_per_shift: float, mask: int, start_hour: float
    ) -> ShiftCalendar:
        """Inverse of :attr:`weekly_mask`."""
        days = tuple(d for d in range(7) if mask >> d & 1)
        return cls(int(shifts_per_day), float(hours_per_shift), days, float(start_hour))


@dataclass(frozen=True)
class RampUpCurve:
    """Share of nameplate output reachable after a restart.

    Linear from ``start_fraction`` at restart to 1 after ``days`` days.

    Examples
    --------
    >>> r = RampUpCurve(days=10.0, start_fraction=0.5)
    >>> r.fraction(5.0), r.days_to_reach(0.75)
    (0.75, 5.0)
    """

    days: float = 0.0
    start_fraction: float = 1.0

    def __post_init__(self) -> None:
        if self.days < 0 or not (0.0 <= self.start_fraction <= 1.0):
            raise ValidationError(
                f"ramp-up needs days >= 0 and 0 <= start_fraction <= 1; got days={self.days}, "
                f"start_fraction={self.start_fraction}"
            )

    def fraction(self, days_since_restart: float) -> float:
        """Output share ``days_since_restart`` days after the restart."""
        if self.days == 0 or days_since_restart >= self.days:
            return 1.0
        t = max(days_since_restart, 0.0)
        return self.start_fraction + (1.0 - self.start_fraction) * t / self.days

    def days_to_reach(self, target: float) -> float:
        """Days after restart until the output share reaches ``target``."""
        if target <= self.start_fraction or self.days == 0:
            return 0.0
        return self.days * (min(target, 1.0) - self.start_fraction) / (1.0 - self.start_fraction)


@dataclass(frozen=True)
class OEE:
    """Overall equipment effectiveness (Nakajima 1988).

    Examples
    --------
    >>> OEE(availability=0.5, performance=0.8, quality=0.9).value
    0.36
    """

    availability: float
    performance: float
    quality: float

    def __post_init__(self) -> None:
        for name in ("availability", "performance", "quality"):
            v = getattr(self, name)
            if not (0.0 <= v <= 1.0) and not np.isnan(v):
                raise ValidationError(f"OEE {name} must lie in [0, 1]; got {v}")

    @property
    def value(self) -> float:
        """A x P x Q."""
        return round(self.availability * self.performance * self.quality, 12)


@dataclass(frozen=True)
class Inventory:
    """Stocks held at a unit, in the unit's product measure (e.g. tonnes)."""

    raw: float = 0.0
    finished: float = 0.0

    def __post_init__(self) -> None:
        if self.raw < 0 or self.finished < 0:
            raise ValidationError(
                f"inventory cannot be negative; got raw={self.raw}, finished={self.finished}"
            )


@dataclass(frozen=True)
class UnitState:
    """One production line or unit of a plant.

    Attributes
    ----------
    unit_id : str
        Unit id, unique within the plant.
    process : Process
    product : str
        What the unit makes (``pig_iron``, ``crude_steel``, ``garment``, a product code).
    nameplate_per_week : float
        Output per week at full rate over the whole shift calendar.
    calendar : ShiftCalendar
    planned_downtime_h_per_week : float
        Scheduled maintenance hours per week (excluded from planned production time).
    quality : float
        First-pass yield, the Q of OEE.
    ramp_up : RampUpCurve
    state : RunState
    state_since : pandas.Timestamp or None
    restart_at : pandas.Timestamp or None
        Last restart after a down spell (start of the ramp-up).
    inventory : Inventory
    oee : OEE or None
        Mean observed availability, performance and quality.
    """

    unit_id: str
    process: Process
    product: str
    nameplate_per_week: float
    calendar: ShiftCalendar = field(default_factory=ShiftCalendar)
    planned_downtime_h_per_week: float = 0.0
    quality: float = 1.0
    ramp_up: RampUpCurve = field(default_factory=RampUpCurve)
    state: RunState = RunState.RUNNING
    state_since: pd.Timestamp | None = None
    restart_at: pd.Timestamp | None = None
    inventory: Inventory = field(default_factory=Inventory)
    oee: OEE | None = None

    def __post_init__(self) -> None:
        if not np.isfinite(self.nameplate_per_week) or self.nameplate_per_week < 0:
            raise ValidationError(
                f"unit {self.unit_id!r}: nameplate_per_week must be finite and >= 0; "
                f"got {self.nameplate_per_week}"
            )
        if not (0.0 <= self.quality <= 1.0):
            raise ValidationError(
                f"unit {self.unit_id!r}: quality must be in [0, 1]; got {self.quality}"
            )
        if not (0.0 <= self.planned_downtime_h_per_week <= self.calendar.hours_per_week):
            raise ValidationError(
                f"unit {self.unit_id!r}: planned downtime {self.planned_downtime_h_per_week} h "
                f"exceeds the {self.calendar.hours_per_week} scheduled hours a week"
            )


@dataclass(frozen=True)
class PlantTwin:
    """A plant: its units and the capacity they give per product."""

    plant_id: str
    units: tuple[UnitState, ...]

    def __post_init__(self) -> None:
        ids = [u.unit_id for u in self.units]
        if len(set(ids)) != len(ids):
            raise ValidationError(f"plant {self.plant_id!r}: repeated unit ids in {ids}")

    def nameplate_per_week(self) -> dict[str, float]:
        """Nameplate output per week by product."""
        out: dict[str, float] = {}
        for u in self.units:
            out[u.product] = out.get(u.product, 0.0) + u.nameplate_per_week
        return out


@dataclass(frozen=True)
class StateChange:
    """One entry of a twin's append-only history."""

    timestamp: pd.Timestamp
    plant_id: str
    unit_id: str
    from_state: RunState
    to_state: RunState
    cause: str
