"""Inputs that change a twin: telemetry batches and discrete events, and the report on them.

A batch is validated whole before anything is applied; a batch with an error
leaves the fleet untouched and raises :class:`TelemetryBatchError`, whose
``report`` lists every issue with its position.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from graph_schema.errors import ValidationError

__all__ = [
    "EventKind",
    "TwinEvent",
    "TelemetryBatch",
    "BatchReport",
    "TelemetryBatchError",
    "ISSUE_COLUMNS",
]

ISSUE_COLUMNS: tuple[str, ...] = (
    "kind",
    "severity",
    "plant_id",
    "unit_id",
    "row",
    "column",
    "timestamp",
    "value",
)

#: Issue kinds that make a batch unusable (anything else is a warning).
ERROR_KINDS: frozenset[str] = frozenset(
    {
        "unknown_id",
        "duplicate_id",
        "bad_timestamp",
        "duplicate_timestamp",
        "out_of_order",
        "stale",
        "negative",
        "impossible",
        "no_thresholds",
        "bad_event",
    }
)


class EventKind(enum.StrEnum):
    """What happened to a unit."""

    OUTAGE_START = "outage_start"
    OUTAGE_END = "outage_end"
    MAINTENANCE = "maintenance"  # a planned window [start, end)


@dataclass(frozen=True)
class TwinEvent:
    """An outage or maintenance event for one unit (or every unit of a plant).

    Attributes
    ----------
    plant_id : str
    kind : EventKind
    start : pandas.Timestamp
    end : pandas.Timestamp or None
        Required for maintenance windows; for an outage start, the expected
        end if known.
    unit_id : str or None
        ``None`` applies the event to every unit of the plant.
    cause : str
    """

    plant_id: str
    kind: EventKind
    start: pd.Timestamp
    end: pd.Timestamp | None = None
    unit_id: str | None = None
    cause: str = ""


@dataclass(frozen=True)
class TelemetryBatch:
    """Readings of many units on a common time axis.

    Attributes
    ----------
    timestamps : ndarray of datetime64[ns], shape (T,)
        Start of each reading interval.
    plant_ids, unit_ids : ndarray of str, shape (N,)
        Which unit each column belongs to.
    values : ndarray of float, shape (T, N)
        Load readings (e.g. kWh per interval); NaN = missing.
    step : pandas.Timedelta
        Expected spacing of the readings.
    """

    timestamps: npt.NDArray[np.datetime64]
    plant_ids: npt.NDArray[np.object_]
    unit_ids: npt.NDArray[np.object_]
    values: npt.NDArray[np.float64]
    step: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(minutes=15))

    def __post_init__(self) -> None:
        t, n = len(self.timestamps), len(self.plant_ids)
        if self.values.shape != (t, n) or len(self.unit_ids) != n:
            raise ValidationError(
                f"telemetry batch shape mismatch: values {self.values.shape}, {t} timestamps, "
                f"{n} plant ids, {len(self.unit_ids)} unit ids"
            )

    @classmethod
    def from_long(
        cls,
        frame: pd.DataFrame,
        *,
        step: pd.Timedelta | None = None,
        timestamp: str = "timestamp",
        value: str = "value",
    ) -> TelemetryBatch:
        """Build a batch from a long frame with ``plant_id``, ``unit_id``, timestamp, value.

        Repeated (timestamp, unit) rows keep their first value; use the
        fleet's validation on the wide form to see duplicates in time.
        """
        missing = {"plant_id", "unit_id", timestamp, value} - set(frame.columns)
        if missing:
            raise ValidationError(f"telemetry frame lacks columns {sorted(missing)}")
        wide = frame.pivot_table(
            index=timestamp, columns=["plant_id", "unit_id"], values=value, aggfunc="first"
        ).sort_index()
        cols = wide.columns.to_frame(index=False)
        return cls(
            timestamps=wide.index.to_numpy(dtype="datetime64[ns]"),
            plant_ids=cols["plant_id"].astype(str).to_numpy(dtype=object),
            unit_ids=cols["unit_id"].astype(str).to_numpy(dtype=object),
            values=wide.to_numpy(dtype=float),
            step=step if step is not None else pd.Timedelta(minutes=15),
        )


@dataclass(frozen=True)
class BatchReport:
    """What validation found in a batch, and whether it was applied.

    Attributes
    ----------
    issues : pandas.DataFrame
        One row per issue (see :data:`ISSUE_COLUMNS`): ``row`` is the position
        on the time axis (or the event index), ``column`` the position among
        the batch's units (-1 where not applicable).
    applied : bool
    n_readings : int
    n_state_changes : int
    """

    issues: pd.DataFrame
    applied: bool
    n_readings: int = 0
    n_state_changes: int = 0

    @property
    def ok(self) -> bool:
        """True when no issue is an error."""
        return not bool((self.issues["severity"] == "error").any())

    def counts(self) -> dict[str, int]:
        """Issue count by kind."""
        return {str(k): int(v) for k, v in self.issues["kind"].value_counts().sort_index().items()}

    @staticmethod
    def make_issues(rows: list[pd.DataFrame]) -> pd.DataFrame:
        """Concatenate issue blocks, filling severity from the kind."""
        base = pd.DataFrame({c: pd.Series(dtype=object) for c in ISSUE_COLUMNS})
        frames = [r for r in rows if len(r)]
        if not frames:
            return base.astype({"row": "int64", "column": "int64"})
        df = pd.concat(frames, ignore_index=True)
        df["severity"] = np.where(df["kind"].isin(ERROR_KINDS), "error", "warning")
        return df[list(ISSUE_COLUMNS)].astype({"row": "int64", "column": "int64"})


class TelemetryBatchError(ValidationError):
    """A batch had errors and was not applied; ``report`` says which and where."""

    def __init__(self, report: BatchReport) -> None:
        errs = report.issues[report.issues["severity"] == "error"]
        first = errs.iloc[0]
        super().__init__(
            f"batch rejected, nothing applied: {len(errs)} error(s) {report.counts()}; first: "
            f"{first['kind']} at row {first['row']}, column {first['column']} "
            f"(plant {first['plant_id']!r}, value {first['value']})"
        )
        self.report = report
