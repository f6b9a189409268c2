"""Many unit twins in numpy arrays: telemetry updates, events, history, persistence.

One row per unit (a line, furnace or team); a plant is the set of rows sharing a
``plant_id``.  Every update is validated whole first and applied at once, so a
rejected batch leaves the fleet as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from chain_brain.twins.events import (
    BatchReport,
    EventKind,
    TelemetryBatch,
    TelemetryBatchError,
    TwinEvent,
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
from graph_schema.errors import NotFoundError, ValidationError
from ingest.telemetry import LoadThresholds

__all__ = ["TwinFleet", "FleetFrames", "STATE_COLUMNS", "HISTORY_COLUMNS"]

NAT = np.datetime64("NaT", "ns")
_NS_PER_DAY = 86_400 * 10**9

#: A reading above this multiple of a unit's rated load is impossible (meter fault).
IMPOSSIBLE_LOAD_FACTOR = 3.0

#: Float columns of the state table, in order (all per unit).
_FLOAT_FIELDS: tuple[str, ...] = (
    "nameplate_per_week",
    "hours_per_shift",
    "start_hour",
    "planned_downtime_h_per_week",
    "quality",
    "ramp_days",
    "ramp_start_fraction",
    "inventory_raw",
    "inventory_finished",
    "th_down",
    "th_running",
    "th_baseline",
    "th_rated",
    "repair_mean_days",
    "repair_cv",
    "restart_fail_prob",
)
_TIME_FIELDS: tuple[str, ...] = ("state_since", "restart_at", "down_until", "last_reading")
_INT_FIELDS: tuple[str, ...] = ("shifts_per_day", "working_day_mask", "state")
_STR_FIELDS: tuple[str, ...] = ("plant_id", "unit_id", "process", "product")

STATE_COLUMNS: tuple[str, ...] = _STR_FIELDS + _INT_FIELDS + _FLOAT_FIELDS + _TIME_FIELDS
HISTORY_COLUMNS: tuple[str, ...] = (
    "seq",
    "kind",
    "timestamp",
    "end",
    "plant_id",
    "unit_id",
    "from_state",
    "to_state",
    "cause",
    "availability",
    "performance",
)


@dataclass(frozen=True)
class FleetFrames:
    """A fleet as two plain tables: one row per unit, and the append-only history.

    ``history.kind`` is ``state`` (a state change), ``observation`` (a day's
    availability and performance) or ``maintenance`` (a planned window
    ``timestamp`` .. ``end``).
    """

    state: pd.DataFrame
    history: pd.DataFrame


class TwinFleet:
    """Unit twins held column-wise.

    Build with :meth:`from_twins`, :meth:`from_units_frame` or
    :func:`chain_brain.twins.capacity.fleet_from_plant_records`.
    ``obs_capacity`` daily observations are kept per unit (a ring buffer).
    """

    def __init__(self, units: pd.DataFrame, *, obs_capacity: int = 364) -> None:
        missing = [c for c in STATE_COLUMNS if c not in units.columns]
        if missing:
            raise ValidationError(f"unit table lacks columns {missing}")
        n = len(units)
        key = units["plant_id"].astype(str) + "\x1f" + units["unit_id"].astype(str)
        if key.duplicated().any():
            dup = units.loc[key.duplicated(), ["plant_id", "unit_id"]].iloc[0].tolist()
            raise ValidationError(f"repeated (plant_id, unit_id) {dup} in unit table")
        self.a: dict[str, np.ndarray] = {}
        for c in _STR_FIELDS:
            self.a[c] = np.array(units[c].astype(str).to_numpy(dtype=object), copy=True)
        for c in _INT_FIELDS:
            self.a[c] = np.array(units[c].to_numpy(dtype=np.int64), copy=True)
        for c in _FLOAT_FIELDS:
            self.a[c] = np.array(units[c].to_numpy(dtype=np.float64), copy=True)
        for c in _TIME_FIELDS:
            self.a[c] = np.array(
                pd.to_datetime(units[c]).to_numpy(dtype="datetime64[ns]"), copy=True
            )
        self.a["state"] = self.a["state"].astype(np.int8)
        self._index = {
            (p, u): i
            for i, (p, u) in enumerate(zip(self.a["plant_id"], self.a["unit_id"], strict=True))
        }
        self.obs_capacity = int(obs_capacity)
        self.obs_day = np.full((n, self.obs_capacity), NAT)
        self.obs_avail = np.full((n, self.obs_capacity), np.nan)
        self.obs_perf = np.full((n, self.obs_capacity), np.nan)
        self.obs_n = np.zeros(n, dtype=np.int64)
        self._history: list[pd.DataFrame] = []
        self._seq = 0

    # ------------------------------------------------------------------ building
    @classmethod
    def from_twins(cls, twins: Sequence[PlantTwin], *, obs_capacity: int = 364) -> TwinFleet:
        """Build a fleet from :class:`PlantTwin` objects (thresholds unset)."""
        rows = []
        for t in twins:
            for u in t.units:
                rows.append(
                    {
                        "plant_id": t.plant_id,
                        "unit_id": u.unit_id,
                        "process": str(u.process),
                        "product": u.product,
                        "shifts_per_day": u.calendar.shifts_per_day,
                        "working_day_mask": u.calendar.weekly_mask,
                        "state": int(u.state),
                        "nameplate_per_week": u.nameplate_per_week,
                        "hours_per_shift": u.calendar.hours_per_shift,
                        "start_hour": u.calendar.start_hour,
                        "planned_downtime_h_per_week": u.planned_downtime_h_per_week,
                        "quality": u.quality,
                        "ramp_days": u.ramp_up.days,
                        "ramp_start_fraction": u.ramp_up.start_fraction,
                        "inventory_raw": u.inventory.raw,
                        "inventory_finished": u.inventory.finished,
                        "th_down": np.nan,
                        "th_running": np.nan,
                        "th_baseline": np.nan,
                        "th_rated": np.nan,
                        "repair_mean_days": 2.0,
                        "repair_cv": 0.5,
                        "restart_fail_prob": 0.0,
                        "state_since": u.state_since,
                        "restart_at": u.restart_at,
                        "down_until": None,
                        "last_reading": None,
                    }
                )
        return cls(pd.DataFrame(rows, columns=list(STATE_COLUMNS)), obs_capacity=obs_capacity)

    @classmethod
    def uniform(
        cls,
        n_plants: int,
        *,
        nameplate_per_week: float = 1000.0,
        thresholds: LoadThresholds | None = None,
        process: Process = Process.EAF,
        product: str = "crude_steel",
        obs_capacity: int = 364,
    ) -> TwinFleet:
        """``n_plants`` one-unit plants ``P00000..`` with the same parameters (for benchmarks)."""
        th = thresholds or LoadThresholds(down=1.0, running=10.0, baseline=3.0, rated=130.0)
        n = int(n_plants)
        df = pd.DataFrame(
            {
                "plant_id": [f"P{i:05d}" for i in range(n)],
                "unit_id": "U0",
                "process": str(process),
                "product": product,
                "shifts_per_day": 3,
                "working_day_mask": 127,
                "state": int(RunState.RUNNING),
                "nameplate_per_week": nameplate_per_week,
                "hours_per_shift": 8.0,
                "start_hour": 0.0,
                "planned_downtime_h_per_week": 0.0,
                "quality": 1.0,
                "ramp_days": 2.0,
                "ramp_start_fraction": 0.5,
                "inventory_raw": 0.0,
                "inventory_finished": 0.0,
                "th_down": th.down,
                "th_running": th.running,
                "th_baseline": th.baseline,
                "th_rated": th.rated,
                "repair_mean_days": 2.0,
                "repair_cv": 0.5,
                "restart_fail_prob": 0.1,
                "state_since": pd.NaT,
                "restart_at": pd.NaT,
                "down_until": pd.NaT,
                "last_reading": pd.NaT,
            }
        )
        return cls(df, obs_capacity=obs_capacity)

    # ------------------------------------------------------------------ lookup
    def __len__(self) -> int:
        return len(self.a["plant_id"])

    @property
    def plant_ids(self) -> list[str]:
        """Distinct plant ids, in first-seen order."""
        return list(dict.fromkeys(self.a["plant_id"].tolist()))

    def rows_of(self, plant_id: str, unit_id: str | None = None) -> npt.NDArray[np.int64]:
        """Row positions of a plant's units (or of one unit)."""
        if unit_id is not None:
            i = self._index.get((plant_id, unit_id))
            if i is None:
                raise NotFoundError(f"no twin for plant {plant_id!r} unit {unit_id!r}")
            return np.array([i], dtype=np.int64)
        rows = np.flatnonzero(self.a["plant_id"] == plant_id)
        if rows.size == 0:
            raise NotFoundError(f"no twin for plant {plant_id!r}")
        return rows

    def set_load_thresholds(
        self, thresholds: LoadThresholds, plant_id: str | None = None, unit_id: str | None = None
    ) -> None:
        """Set the load thresholds of one unit, one plant, or (no ids) every unit."""
        rows = slice(None) if plant_id is None else self.rows_of(plant_id, unit_id)
        self.a["th_down"][rows] = thresholds.down
        self.a["th_running"][rows] = thresholds.running
        self.a["th_baseline"][rows] = thresholds.baseline
        self.a["th_rated"][rows] = thresholds.rated

    def set_inventory(self, plant_id: str, unit_id: str, inventory: Inventory) -> None:
        """Record raw and finished stock of a unit."""
        i = self.rows_of(plant_id, unit_id)
        self.a["inventory_raw"][i] = inventory.raw
        self.a["inventory_finished"][i] = inventory.finished

    def set_recovery_params(
        self,
        plant_id: str,
        *,
        repair_mean_days: float,
        repair_cv: float,
        restart_fail_prob: float = 0.0,
        unit_id: str | None = None,
    ) -> None:
        """Set the repair-time model used by the recovery simulation."""
        if repair_mean_days < 0 or repair_cv < 0 or not (0 <= restart_fail_prob < 1):
            raise ValidationError(
                f"recovery params need mean >= 0, cv >= 0, 0 <= fail prob < 1; got "
                f"{repair_mean_days}, {repair_cv}, {restart_fail_prob}"
            )
        rows = self.rows_of(plant_id, unit_id)
        self.a["repair_mean_days"][rows] = repair_mean_days
        self.a["repair_cv"][rows] = repair_cv
        self.a["restart_fail_prob"][rows] = restart_fail_prob

    def twin(self, plant_id: str) -> PlantTwin:
        """The typed view of one plant, with its mean observed OEE per unit."""
        units = []
        for i in self.rows_of(plant_id):
            a = self.a
            n_obs = int(min(self.obs_n[i], self.obs_capacity))
            oee = None
            if n_obs:
                av = float(np.nanmean(self.obs_avail[i, :n_obs]))
                pf = self.obs_perf[i, :n_obs]
                pv = float(np.nanmean(pf)) if np.isfinite(pf).any() else 0.0
                oee = OEE(av, pv, float(a["quality"][i]))
            units.append(
                UnitState(
                    unit_id=str(a["unit_id"][i]),
                    process=Process(a["process"][i]),
                    product=str(a["product"][i]),
                    nameplate_per_week=float(a["nameplate_per_week"][i]),
                    calendar=ShiftCalendar.from_mask(
                        int(a["shifts_per_day"][i]),
                        float(a["hours_per_shift"][i]),
                        int(a["working_day_mask"][i]),
                        float(a["start_hour"][i]),
                    ),
                    planned_downtime_h_per_week=float(a["planned_downtime_h_per_week"][i]),
                    quality=float(a["quality"][i]),
                    ramp_up=RampUpCurve(
                        float(a["ramp_days"][i]), float(a["ramp_start_fraction"][i])
                    ),
                    state=RunState(int(a["state"][i])),
                    state_since=_ts(a["state_since"][i]),
                    restart_at=_ts(a["restart_at"][i]),
                    inventory=Inventory(
                        float(a["inventory_raw"][i]), float(a["inventory_finished"][i])
                    ),
                    oee=oee,
                )
            )
        return PlantTwin(plant_id, tuple(units))

    # ------------------------------------------------------------------ telemetry
    def _column_rows(
        self, batch: TelemetryBatch
    ) -> tuple[npt.NDArray[np.int64], list[pd.DataFrame]]:
        rows = np.array(
            [
                self._index.get((p, u), -1)
                for p, u in zip(batch.plant_ids, batch.unit_ids, strict=True)
            ],
            dtype=np.int64,
        )
        issues = []
        unknown = np.flatnonzero(rows < 0)
        if unknown.size:
            issues.append(_issue_block("unknown_id", batch, -1, unknown, None))
        known = rows >= 0
        seen = pd.Series(rows[known]).duplicated().to_numpy()
        dup_cols = np.flatnonzero(known)[seen]
        if dup_cols.size:
            issues.append(_issue_block("duplicate_id", batch, -1, dup_cols, None))
        return rows, issues

    def validate_telemetry(self, batch: TelemetryBatch) -> BatchReport:
        """Check a batch without applying it.

        Errors (the batch would be refused): unknown or repeated unit columns,
        unparseable, repeated or out-of-order timestamps, readings at or before
        a unit's last applied reading (``stale``), negative readings, readings
        above ``IMPOSSIBLE_LOAD_FACTOR`` x rated load, units without load
        thresholds.  Warnings: gaps in time (``row`` = position after the gap,
        ``value`` = missing intervals) and missing (NaN) readings.
        """
        rows, issues = self._column_rows(batch)
        ts = batch.timestamps.astype("datetime64[ns]")
        t = np.arange(len(ts))
        nat = np.isnat(ts)
        if nat.any():
            issues.append(_issue_block("bad_timestamp", batch, t[nat], -1, None))
        d = np.diff(ts.astype(np.int64))
        good = ~(nat[1:] | nat[:-1])
        step = batch.step.value
        for kind, mask, val in (
            ("duplicate_timestamp", good & (d == 0), None),
            ("out_of_order", good & (d < 0), None),
            ("gap", good & (d > step), d // step - 1),
        ):
            pos = np.flatnonzero(mask)
            if pos.size:
                issues.append(
                    _issue_block(kind, batch, pos + 1, -1, None if val is None else val[pos])
                )
        known = np.flatnonzero(rows >= 0)
        r = rows[known]
        v = batch.values[:, known]
        if known.size and len(ts) and not nat.all():
            first = ts[~nat].min()
            last = self.a["last_reading"][r]
            stale = np.flatnonzero(~np.isnat(last) & (last >= first))
            if stale.size:
                issues.append(_issue_block("stale", batch, 0, known[stale], None))
            no_th = np.flatnonzero(~np.isfinite(self.a["th_rated"][r]))
            if no_th.size:
                issues.append(_issue_block("no_thresholds", batch, -1, known[no_th], None))
            with np.errstate(invalid="ignore"):
                for kind, mask in (
                    ("negative", v < 0),
                    ("impossible", v > IMPOSSIBLE_LOAD_FACTOR * self.a["th_rated"][r][None, :]),
                    ("missing", np.isnan(v)),
                ):
                    ti, ci = np.nonzero(mask)
                    if ti.size:
                        issues.append(_issue_block(kind, batch, ti, known[ci], v[ti, ci]))
        report = BatchReport(BatchReport.make_issues(issues), applied=False, n_readings=v.size)
        return report

    def apply_telemetry(self, batch: TelemetryBatch, *, raise_on_error: bool = True) -> BatchReport:
        """Validate a batch, then (only if it has no error) update state, history and observations.

        Each reading's state comes from the unit's :class:`LoadThresholds`
        (:func:`ingest.telemetry.classify_load`).  Per calendar day in the
        batch and unit, inside the shift calendar:

        * availability = running intervals / (observed scheduled intervals x
          (1 - planned downtime share)), capped at 1 (planned downtime is not
          part of planned production time, Nakajima 1988);
        * performance = mean utilisation over running intervals.

        Each calendar day in a batch becomes one daily observation, so feed
        whole days (a day split over two batches gives two observations).

        Parameters
        ----------
        batch : TelemetryBatch
        raise_on_error : bool
            Raise :class:`TelemetryBatchError` on a bad batch (default) instead
            of returning the report with ``applied=False``.
        """
        report = self.validate_telemetry(batch)
        if not report.ok:
            if raise_on_error:
                raise TelemetryBatchError(report)
            return report
        rows, _ = self._column_rows(batch)
        ts = batch.timestamps.astype("datetime64[ns]")
        a = self.a
        v = batch.values
        valid = np.isfinite(v)
        # states (T, N): 0 running, 1 idle, 2 down, -1 unobserved
        th_down, th_run = a["th_down"][rows], a["th_running"][rows]
        base, rated = a["th_baseline"][rows], a["th_rated"][rows]
        with np.errstate(invalid="ignore"):
            st = np.where(v > th_run, 0, np.where(v <= th_down, 2, 1)).astype(np.int8)
            util = np.clip((v - base) / (rated - base), 0.0, 1.0)
        st[~valid] = -1
        running = st == 0
        # scheduled mask from the shift calendars
        ts_int = ts.astype(np.int64)
        day_no = ts_int // _NS_PER_DAY
        weekday = (day_no + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
        hour = (ts_int % _NS_PER_DAY) / 3.6e12
        in_day = (a["working_day_mask"][rows][None, :] >> weekday[:, None]) & 1
        since_start = (hour[:, None] - a["start_hour"][rows][None, :]) % 24.0
        day_len = a["shifts_per_day"][rows] * a["hours_per_shift"][rows]
        sched = (in_day == 1) & (since_start < day_len[None, :]) & valid
        sched &= ~self._maintenance_mask(ts, rows)
        planned_share = a["planned_downtime_h_per_week"][rows] / np.maximum(
            day_len * _popcount7(a["working_day_mask"][rows]), 1e-12
        )
        # daily aggregates
        days, day_idx = np.unique(day_no, return_inverse=True)
        n_days, n_cols = len(days), len(rows)
        n_sched = np.zeros((n_days, n_cols))
        n_run = np.zeros((n_days, n_cols))
        u_sum = np.zeros((n_days, n_cols))
        np.add.at(n_sched, day_idx, sched.astype(float))
        np.add.at(n_run, day_idx, (running & sched).astype(float))
        np.add.at(u_sum, day_idx, np.where(running & sched, util, 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            avail = np.minimum(n_run / (n_sched * (1.0 - planned_share)[None, :]), 1.0)
            perf = u_sum / n_run
        avail[n_sched == 0] = np.nan
        day_ts = (days * _NS_PER_DAY).astype("datetime64[ns]")
        for k in range(n_days):
            has = np.isfinite(avail[k])
            self._record_obs(rows[has], day_ts[k], avail[k, has], perf[k, has])
        # state transitions (carry the last observed state over missing readings)
        prev = a["state"][rows].astype(np.int8)
        full = np.vstack([prev[None, :], st])
        idx = np.where(full >= 0, np.arange(full.shape[0])[:, None], 0)
        np.maximum.accumulate(idx, axis=0, out=idx)
        filled = np.take_along_axis(full, idx, axis=0)
        change = filled[1:] != filled[:-1]
        ti, ci = np.nonzero(change)
        if ti.size:
            self._append_history(
                pd.DataFrame(
                    {
                        "kind": "state",
                        "timestamp": ts[ti],
                        "end": NAT,
                        "plant_id": a["plant_id"][rows[ci]],
                        "unit_id": a["unit_id"][rows[ci]],
                        "from_state": filled[ti, ci].astype(np.int64),
                        "to_state": filled[ti + 1, ci].astype(np.int64),
                        "cause": "telemetry",
                        "availability": np.nan,
                        "performance": np.nan,
                    }
                ).sort_values(["timestamp", "plant_id", "unit_id"], kind="stable")
            )
            last_change = len(ts) - 1 - np.argmax(change[::-1], axis=0)
            changed = change.any(axis=0)
            a["state_since"][rows[changed]] = ts[last_change[changed]]
            restart = change & (filled[:-1] == 2)
            last_restart = len(ts) - 1 - np.argmax(restart[::-1], axis=0)
            had = restart.any(axis=0)
            a["restart_at"][rows[had]] = ts[last_restart[had]]
            a["down_until"][rows[had]] = NAT
        a["state"][rows] = filled[-1]
        a["last_reading"][rows] = ts.max()
        return BatchReport(
            report.issues, applied=True, n_readings=v.size, n_state_changes=int(ti.size)
        )

    def _maintenance_mask(
        self, ts: npt.NDArray[np.datetime64], rows: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.bool_]:
        mask = np.zeros((len(ts), len(rows)), dtype=bool)
        m = self.maintenance_windows()
        if m.empty:
            return mask
        pos = {r: j for j, r in enumerate(rows)}
        for p, u, s, e in m[["plant_id", "unit_id", "timestamp", "end"]].itertuples(index=False):
            j = pos.get(self._index[(p, u)])
            if j is not None:
                mask[:, j] |= (ts >= np.datetime64(s, "ns")) & (ts < np.datetime64(e, "ns"))
        return mask

    def _record_obs(
        self,
        rows: npt.NDArray[np.int64],
        day: np.datetime64,
        avail: npt.NDArray[np.float64],
        perf: npt.NDArray[np.float64],
    ) -> None:
        if rows.size == 0:
            return
        slot = self.obs_n[rows] % self.obs_capacity
        self.obs_day[rows, slot] = day
        self.obs_avail[rows, slot] = avail
        self.obs_perf[rows, slot] = perf
        self.obs_n[rows] += 1

    def observe_daily(
        self,
        plant_id: str,
        unit_id: str,
        days: Iterable[pd.Timestamp],
        availability: npt.ArrayLike,
        performance: npt.ArrayLike,
    ) -> None:
        """Record daily availability and performance measured elsewhere.

        For sources without load telemetry: a garment team's efficiency
        (actual / targeted productivity) is its performance; a SupplyGraph
        plant's realised output over demonstrated capacity is A x P (pass it as
        availability with performance 1).
        """
        d = pd.to_datetime(pd.Index(list(days))).to_numpy(dtype="datetime64[ns]")
        av = np.asarray(availability, dtype=float)
        pf = np.asarray(performance, dtype=float)
        if not (len(d) == av.size == pf.size):
            raise ValidationError(
                f"observe_daily: {len(d)} days, {av.size} availabilities, {pf.size} performances"
            )
        bad = np.flatnonzero(~((av >= 0) & (av <= 1) & ~(pf < 0)))
        if bad.size:
            i = int(bad[0])
            raise ValidationError(
                f"observe_daily {plant_id}/{unit_id}: day {d[i]} availability {av[i]} must be in "
                f"[0, 1] and performance {pf[i]} >= 0 ({bad.size} bad values)"
            )
        i = int(self.rows_of(plant_id, unit_id)[0])
        for k in range(len(d)):
            self._record_obs(np.array([i]), d[k], av[k : k + 1], pf[k : k + 1])

    # ------------------------------------------------------------------ events
    def apply_events(
        self, events: Sequence[TwinEvent], *, raise_on_error: bool = True
    ) -> BatchReport:
        """Validate a list of events whole, then apply them in time order.

        ``outage_start`` sets units down (and ``down_until`` if ``end`` is
        given); ``outage_end`` brings down units back to running and starts
        the ramp-up; ``maintenance`` records a planned window (excluded from
        scheduled time and removed from forecast capacity).  Errors: unknown
        plant/unit, end before start, maintenance without end, an event
        earlier than the unit's current state, ``outage_end`` for a unit not
        down.
        """
        issues = []
        resolved: list[tuple[int, TwinEvent, npt.NDArray[np.int64]]] = []
        order = sorted(range(len(events)), key=lambda k: pd.Timestamp(events[k].start))
        sim_state: dict[int, int] = {}
        sim_since: dict[int, np.datetime64] = {}
        for k in order:
            e = events[k]
            try:
                rows = self.rows_of(e.plant_id, e.unit_id)
            except NotFoundError:
                issues.append(_event_issue("unknown_id", k, e, "unknown plant/unit"))
                continue
            start = pd.Timestamp(e.start)
            if e.end is not None and pd.Timestamp(e.end) <= start:
                issues.append(_event_issue("bad_event", k, e, f"end {e.end} <= start {start}"))
                continue
            if e.kind == EventKind.MAINTENANCE:
                if e.end is None:
                    issues.append(_event_issue("bad_event", k, e, "maintenance without end"))
                    continue
                resolved.append((k, e, rows))
                continue
            bad = False
            for r in rows:
                since = sim_since.get(r, self.a["state_since"][r])
                if not np.isnat(since) and np.datetime64(start, "ns") < since:
                    issues.append(_event_issue("out_of_order", k, e, f"before state since {since}"))
                    bad = True
                    break
                cur = sim_state.get(r, int(self.a["state"][r]))
                if e.kind == EventKind.OUTAGE_END and cur != int(RunState.DOWN):
                    issues.append(_event_issue("bad_event", k, e, "outage_end for a unit not down"))
                    bad = True
                    break
            if bad:
                continue
            for r in rows:
                sim_state[r] = int(
                    RunState.DOWN if e.kind == EventKind.OUTAGE_START else RunState.RUNNING
                )
                sim_since[r] = np.datetime64(start, "ns")
            resolved.append((k, e, rows))
        report = BatchReport(BatchReport.make_issues(issues), applied=False, n_readings=len(events))
        if not report.ok:
            if raise_on_error:
                raise TelemetryBatchError(report)
            return report
        a = self.a
        blocks = []
        for _, e, rows in resolved:
            start = np.datetime64(pd.Timestamp(e.start), "ns")
            end = NAT if e.end is None else np.datetime64(pd.Timestamp(e.end), "ns")
            if e.kind == EventKind.MAINTENANCE:
                blocks.append(_hist_rows(a, rows, "maintenance", start, end, -1, -1, e.cause))
                continue
            to = int(RunState.DOWN if e.kind == EventKind.OUTAGE_START else RunState.RUNNING)
            frm = a["state"][rows].astype(np.int64)
            blocks.append(_hist_rows(a, rows, "state", start, end, frm, to, e.cause or str(e.kind)))
            a["state"][rows] = to
            a["state_since"][rows] = start
            if e.kind == EventKind.OUTAGE_START:
                a["down_until"][rows] = end
            else:
                a["restart_at"][rows] = start
                a["down_until"][rows] = NAT
        for b in blocks:
            self._append_history(b)
        return BatchReport(
            report.issues, applied=True, n_readings=len(events), n_state_changes=len(blocks)
        )

    # ------------------------------------------------------------------ history
    def _append_history(self, frame: pd.DataFrame) -> None:
        frame = frame.reset_index(drop=True)
        frame.insert(0, "seq", np.arange(self._seq, self._seq + len(frame), dtype=np.int64))
        self._seq += len(frame)
        self._history.append(frame)

    def history(self) -> pd.DataFrame:
        """State changes and maintenance windows, oldest first (append-only)."""
        if not self._history:
            return _empty_history()
        return pd.concat(self._history, ignore_index=True)[list(HISTORY_COLUMNS)]

    def state_changes(self, plant_id: str) -> list[StateChange]:
        """The typed state-change history of one plant, oldest first."""
        self.rows_of(plant_id)
        h = self.history()
        h = h[(h["kind"] == "state") & (h["plant_id"] == plant_id)]
        return [
            StateChange(
                pd.Timestamp(t), str(p), str(u), RunState(int(f)), RunState(int(to)), str(c)
            )
            for t, p, u, f, to, c in h[
                ["timestamp", "plant_id", "unit_id", "from_state", "to_state", "cause"]
            ].itertuples(index=False)
        ]

    def maintenance_windows(self) -> pd.DataFrame:
        """Recorded maintenance windows (``plant_id``, ``unit_id``, ``timestamp``, ``end``)."""
        h = [f[f["kind"] == "maintenance"] for f in self._history]
        h = [f for f in h if len(f)]
        if not h:
            return _empty_history()
        return pd.concat(h, ignore_index=True)

    def observations(self) -> pd.DataFrame:
        """Daily observations held (``plant_id``, ``unit_id``, ``day``, availability, performance)."""
        n_obs = np.minimum(self.obs_n, self.obs_capacity)
        mask = np.arange(self.obs_capacity)[None, :] < n_obs[:, None]
        r, c = np.nonzero(mask)
        return pd.DataFrame(
            {
                "plant_id": self.a["plant_id"][r],
                "unit_id": self.a["unit_id"][r],
                "day": self.obs_day[r, c],
                "availability": self.obs_avail[r, c],
                "performance": self.obs_perf[r, c],
            }
        ).sort_values(["plant_id", "unit_id", "day"], kind="stable", ignore_index=True)

    # ------------------------------------------------------------------ persistence
    def to_frames(self) -> FleetFrames:
        """The fleet as a state table (one row per unit) and a history table.

        Daily observations are written to the history as ``kind='observation'``
        rows, so both tables together restore the fleet exactly.
        """
        state = pd.DataFrame({c: self.a[c] for c in STATE_COLUMNS})
        obs = self.observations()
        obs_rows = pd.DataFrame(
            {
                "seq": -1,
                "kind": "observation",
                "timestamp": obs["day"],
                "end": NAT,
                "plant_id": obs["plant_id"],
                "unit_id": obs["unit_id"],
                "from_state": -1,
                "to_state": -1,
                "cause": "",
                "availability": obs["availability"],
                "performance": obs["performance"],
            }
        )
        frames = [f for f in (self.history(), obs_rows) if len(f)]
        hist = pd.concat(frames, ignore_index=True) if frames else _empty_history()
        return FleetFrames(state=state, history=hist[list(HISTORY_COLUMNS)])

    @classmethod
    def from_frames(cls, frames: FleetFrames, *, obs_capacity: int = 364) -> TwinFleet:
        """Inverse of :meth:`to_frames`."""
        fleet = cls(frames.state, obs_capacity=obs_capacity)
        h = frames.history
        missing = [c for c in HISTORY_COLUMNS if c not in h.columns]
        if missing:
            raise ValidationError(f"history table lacks columns {missing}")
        obs = h[h["kind"] == "observation"]
        if len(obs):
            keys = pd.MultiIndex.from_arrays([fleet.a["plant_id"], fleet.a["unit_id"]])
            rows = keys.get_indexer(
                pd.MultiIndex.from_arrays([obs["plant_id"].astype(str), obs["unit_id"].astype(str)])
            )
            if (rows < 0).any():
                bad = obs.iloc[int(np.flatnonzero(rows < 0)[0])]
                raise ValidationError(
                    f"history observation for unknown unit {bad['plant_id']!r}/{bad['unit_id']!r}"
                )
            day = obs["timestamp"].to_numpy(dtype="datetime64[ns]")
            order = np.lexsort((day, rows))
            rows, day = rows[order], day[order]
            av = obs["availability"].to_numpy(dtype=float)[order]
            pf = obs["performance"].to_numpy(dtype=float)[order]
            count = np.bincount(rows, minlength=len(fleet))
            first = np.concatenate([[0], np.cumsum(count)[:-1]])
            k = np.arange(len(rows)) - first[rows]
            keep = k >= (count[rows] - fleet.obs_capacity)
            slot = k[keep] % fleet.obs_capacity
            fleet.obs_day[rows[keep], slot] = day[keep]
            fleet.obs_avail[rows[keep], slot] = av[keep]
            fleet.obs_perf[rows[keep], slot] = pf[keep]
            fleet.obs_n[:] = count
        rest = h[h["kind"] != "observation"].sort_values("seq", kind="stable")
        if len(rest):
            rest = rest.drop(columns="seq").reset_index(drop=True)
            fleet._append_history(rest.astype({"from_state": "int64", "to_state": "int64"}))
        return fleet


# ---------------------------------------------------------------------- helpers
def _ts(x: np.datetime64) -> pd.Timestamp | None:
    return None if np.isnat(x) else pd.Timestamp(x)


def _popcount7(mask: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return sum(((mask >> d) & 1) for d in range(7))  # type: ignore[return-value]


def _empty_history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "seq": pd.Series(dtype="int64"),
            "kind": pd.Series(dtype=object),
            "timestamp": pd.Series(dtype="datetime64[ns]"),
            "end": pd.Series(dtype="datetime64[ns]"),
            "plant_id": pd.Series(dtype=object),
            "unit_id": pd.Series(dtype=object),
            "from_state": pd.Series(dtype="int64"),
            "to_state": pd.Series(dtype="int64"),
            "cause": pd.Series(dtype=object),
            "availability": pd.Series(dtype=float),
            "performance": pd.Series(dtype=float),
        }
    )


def _hist_rows(
    a: dict[str, np.ndarray],
    rows: npt.NDArray[np.int64],
    kind: str,
    start: np.datetime64,
    end: np.datetime64,
    frm: npt.ArrayLike,
    to: int,
    cause: str,
) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame(
        {
            "kind": kind,
            "timestamp": np.full(n, start),
            "end": np.full(n, end),
            "plant_id": a["plant_id"][rows],
            "unit_id": a["unit_id"][rows],
            "from_state": np.broadcast_to(np.asarray(frm, dtype=np.int64), (n,)),
            "to_state": np.full(n, to, dtype=np.int64),
            "cause": cause,
            "availability": np.nan,
            "performance": np.nan,
        }
    )


def _issue_block(
    kind: str,
    batch: TelemetryBatch,
    t: npt.ArrayLike,
    cols: npt.ArrayLike,
    values: npt.ArrayLike | None,
) -> pd.DataFrame:
    t_arr, c_arr = np.broadcast_arrays(
        np.asarray(t, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    )
    has_col = c_arr >= 0
    safe_c = np.where(has_col, c_arr, 0)
    has_t = (t_arr >= 0) & (t_arr < len(batch.timestamps))
    safe_t = np.where(has_t, t_arr, 0)
    n = t_arr.size
    ts = batch.timestamps[safe_t] if len(batch.timestamps) else np.full(n, NAT)
    return pd.DataFrame(
        {
            "kind": kind,
            "plant_id": _pick(batch.plant_ids, safe_c, has_col),
            "unit_id": _pick(batch.unit_ids, safe_c, has_col),
            "row": t_arr,
            "column": c_arr,
            "timestamp": np.where(has_t, ts, NAT),
            "value": values if values is not None else np.full(n, np.nan),
        }
    )


def _pick(
    ids: npt.NDArray[np.object_], cols: npt.NDArray[np.int64], has: npt.NDArray[np.bool_]
) -> npt.NDArray[np.object_]:
    out = np.full(cols.shape, None, dtype=object)
    if len(ids):
        out[has] = ids[cols[has]]
    return out


def _event_issue(kind: str, k: int, e: TwinEvent, why: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": [kind],
            "plant_id": [e.plant_id],
            "unit_id": [e.unit_id],
            "row": [k],
            "column": [-1],
            "timestamp": [pd.Timestamp(e.start)],
            "value": [why],
        }
    )
