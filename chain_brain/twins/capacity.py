"""What the optimizers read: effective capacity and time-to-recover per plant and product.

Also builds twins from surveyed plant records (Global Energy Monitor's Global
Steel Plant Tracker gives capacity per process in thousand tonnes per annum).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from chain_brain.twins.fleet import STATE_COLUMNS, TwinFleet
from chain_brain.twins.forecast import fleet_time_to_recover, forecast_capacity
from chain_brain.twins.state import WEEKS_PER_YEAR, Process, RunState
from graph_schema.errors import ValidationError

__all__ = [
    "PROCESS_PRODUCT",
    "PROCESS_RECOVERY_DEFAULTS",
    "fleet_from_plant_records",
    "effective_capacity",
]

#: Product of each steel process (GEM Global Steel Plant Tracker process columns).
PROCESS_PRODUCT: dict[str, str] = {
    "BF": "pig_iron",
    "DRI": "sponge_iron",
    "BOF": "crude_steel",
    "EAF": "crude_steel",
    "OHF": "crude_steel",
}

#: Illustrative recovery parameters per process: (repair mean days, repair cv,
#: restart failure probability, ramp days, ramp start fraction).  These are
#: engineering placeholders, NOT taken from a published table; a blast furnace
#: is given the slowest restart because its hearth must be reheated.  Replace
#: them with values estimated from a plant's outage history when it has one.
PROCESS_RECOVERY_DEFAULTS: dict[str, tuple[float, float, float, float, float]] = {
    "BF": (14.0, 0.5, 0.10, 14.0, 0.3),
    "DRI": (5.0, 0.5, 0.05, 4.0, 0.5),
    "BOF": (3.0, 0.5, 0.05, 2.0, 0.6),
    "EAF": (2.0, 0.5, 0.05, 1.0, 0.7),
    "OHF": (3.0, 0.5, 0.05, 2.0, 0.6),
}
_OTHER_DEFAULTS = (2.0, 0.5, 0.0, 1.0, 0.8)


def fleet_from_plant_records(plants: pd.DataFrame, *, obs_capacity: int = 364) -> TwinFleet:
    """Create one twin unit per (plant, process) from surveyed capacities.

    Parameters
    ----------
    plants : pandas.DataFrame
        ``plant_id``, ``process`` (BF, BOF, EAF, DRI, OHF, ...), ``capacity_ttpa``
        (thousand tonnes per annum).  Rows repeating a (plant, process) are
        added up.

    Returns
    -------
    TwinFleet
        Nameplate per week = ``capacity_ttpa x 1000 / (365.2425 / 7)`` tonnes;
        continuous 3 x 8 h calendar; load thresholds unset (set them before
        feeding telemetry).

    Examples
    --------
    >>> f = fleet_from_plant_records(pd.DataFrame(
    ...     {"plant_id": ["A"], "process": ["EAF"], "capacity_ttpa": [521.775]}))
    >>> round(float(f.a["nameplate_per_week"][0]), 1)
    10000.0
    """
    missing = {"plant_id", "process", "capacity_ttpa"} - set(plants.columns)
    if missing:
        raise ValidationError(f"plant records lack columns {sorted(missing)}")
    df = plants[["plant_id", "process", "capacity_ttpa"]].copy()
    df["plant_id"] = df["plant_id"].astype(str)
    df["process"] = df["process"].astype(str).str.strip().str.upper()
    cap = pd.to_numeric(df["capacity_ttpa"], errors="coerce")
    bad = cap.isna() | (cap < 0) | ~np.isfinite(cap.fillna(0))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValidationError(
            f"capacity_ttpa must be a non-negative number; row {i} (plant "
            f"{df['plant_id'].iloc[i]!r}) has {plants['capacity_ttpa'].iloc[i]!r} "
            f"({int(bad.sum())} bad rows)"
        )
    df["capacity_ttpa"] = cap
    df = df.groupby(["plant_id", "process"], as_index=False, sort=False)["capacity_ttpa"].sum()
    known = {p.value.upper() for p in Process}
    proc = df["process"].where(df["process"].isin(known), "OTHER")
    params = np.array(
        [PROCESS_RECOVERY_DEFAULTS.get(p, _OTHER_DEFAULTS) for p in df["process"]]
    ).reshape(-1, 5)
    n = len(df)
    units = pd.DataFrame(
        {
            "plant_id": df["plant_id"],
            "unit_id": df["process"],
            "process": [Process[p].value if p in Process.__members__ else "other" for p in proc],
            "product": [PROCESS_PRODUCT.get(p, p.lower()) for p in df["process"]],
            "shifts_per_day": 3,
            "working_day_mask": 127,
            "state": int(RunState.RUNNING),
            "nameplate_per_week": df["capacity_ttpa"].to_numpy() * 1000.0 / WEEKS_PER_YEAR,
            "hours_per_shift": 8.0,
            "start_hour": 0.0,
            "planned_downtime_h_per_week": 0.0,
            "quality": 1.0,
            "ramp_days": params[:, 3] if n else [],
            "ramp_start_fraction": params[:, 4] if n else [],
            "inventory_raw": 0.0,
            "inventory_finished": 0.0,
            "th_down": np.nan,
            "th_running": np.nan,
            "th_baseline": np.nan,
            "th_rated": np.nan,
            "repair_mean_days": params[:, 0] if n else [],
            "repair_cv": params[:, 1] if n else [],
            "restart_fail_prob": params[:, 2] if n else [],
            "state_since": pd.NaT,
            "restart_at": pd.NaT,
            "down_until": pd.NaT,
            "last_reading": pd.NaT,
        }
    )
    return TwinFleet(units[list(STATE_COLUMNS)], obs_capacity=obs_capacity)


def effective_capacity(
    plant_ids: Iterable[str],
    fleet: TwinFleet | None = None,
    surveyed: pd.DataFrame | None = None,
    *,
    horizon_weeks: int = 12,
    target: float = 0.95,
    replications: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Effective weekly capacity and time-to-recover per plant and product.

    A plant whose twin has observations gets ``source = "twin"``: the mean over
    the horizon of the forecast P10/P50/P90 and the simulated time-to-recover.
    Otherwise the surveyed nameplate is used (``source = "surveyed"``): the
    row from ``surveyed`` if given, else the twin's own nameplate; its
    time-to-recover still comes from the twin's recovery model when the plant
    has a twin.

    Parameters
    ----------
    plant_ids : iterable of str
    fleet : TwinFleet, optional
    surveyed : pandas.DataFrame, optional
        ``plant_id``, ``product``, ``capacity_per_week`` (surveyed nameplate),
        optional ``ttr_days``.
    horizon_weeks, target, replications, seed
        Passed to the forecast and the recovery simulation.

    Returns
    -------
    pandas.DataFrame
        ``plant_id``, ``product``, ``capacity_per_week`` (P50), ``capacity_p10``,
        ``capacity_p90``, ``ttr_days_p50``, ``ttr_days_p90``, ``ttr_days_mean``,
        ``source``.  Plants found nowhere raise :class:`ValidationError`.
    """
    ids = [str(p) for p in dict.fromkeys(plant_ids)]
    cols = [
        "plant_id",
        "product",
        "capacity_per_week",
        "capacity_p10",
        "capacity_p90",
        "ttr_days_p50",
        "ttr_days_p90",
        "ttr_days_mean",
        "source",
    ]
    frames = []
    twin_ids: set[str] = set()
    ttr = pd.DataFrame(columns=["plant_id", "ttr_p10", "ttr_p50", "ttr_p90", "ttr_mean"])
    if fleet is not None and len(fleet):
        fc = forecast_capacity(fleet, horizon_weeks=horizon_weeks).table
        fc = fc[fc["plant_id"].isin(ids)]
        agg = (
            fc.groupby(["plant_id", "product"], sort=False)
            .agg(
                capacity_per_week=("p50", "mean"),
                capacity_p10=("p10", "mean"),
                capacity_p90=("p90", "mean"),
                nameplate=("nameplate", "first"),
                n_samples=("n_samples", "min"),
            )
            .reset_index()
        )
        ttr = fleet_time_to_recover(fleet, target=target, replications=replications, seed=seed)
        observed = agg[agg["n_samples"] > 0].assign(source="twin")
        frames.append(observed)
        twin_ids = set(observed["plant_id"])
        unobserved = agg[(agg["n_samples"] == 0) & ~agg["plant_id"].isin(twin_ids)]
        fallback_own = unobserved.assign(
            capacity_per_week=unobserved["nameplate"],
            capacity_p10=unobserved["nameplate"],
            capacity_p90=unobserved["nameplate"],
            source="surveyed",
        )
    else:
        fallback_own = pd.DataFrame(columns=["plant_id", "product", "capacity_per_week"])
    rest = [p for p in ids if p not in twin_ids]
    if surveyed is not None and len(rest):
        need = {"plant_id", "product", "capacity_per_week"} - set(surveyed.columns)
        if need:
            raise ValidationError(f"surveyed table lacks columns {sorted(need)}")
        s = surveyed.assign(plant_id=surveyed["plant_id"].astype(str))
        s = s[s["plant_id"].isin(rest)]
        s = s.assign(
            capacity_p10=s["capacity_per_week"],
            capacity_p90=s["capacity_per_week"],
            source="surveyed",
        )
        frames.append(s)
        fallback_own = fallback_own[~fallback_own["plant_id"].isin(set(s["plant_id"]))]
    frames.append(fallback_own)
    frames = [f for f in frames if len(f)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    found = set(out["plant_id"]) if len(out) else set()
    unknown = [p for p in ids if p not in found]
    if unknown:
        raise ValidationError(
            f"no twin and no surveyed capacity for plant(s) {unknown[:10]}"
            + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
        )
    out = out.merge(ttr, on="plant_id", how="left")
    if "ttr_days" in out.columns:
        for c in ("ttr_p50", "ttr_p90", "ttr_mean"):
            out[c] = out[c].fillna(out["ttr_days"])
    out = out.rename(
        columns={"ttr_p50": "ttr_days_p50", "ttr_p90": "ttr_days_p90", "ttr_mean": "ttr_days_mean"}
    )
    order = {p: i for i, p in enumerate(ids)}
    out = out.assign(_o=out["plant_id"].map(order)).sort_values(["_o", "product"], kind="stable")
    return out[cols].reset_index(drop=True)
