"""Capacity forecast with P10/P50/P90 and a recovery simulation, vectorised over a fleet.

Forecast
--------
For every unit the observed daily factor ``f = A x P`` (availability x
performance, see :meth:`TwinFleet.apply_telemetry`) is averaged over
consecutive blocks of 7 observed days; with fewer than ``min_weeks`` complete
blocks the daily values themselves are used (wider, more cautious spread).
The empirical quantiles of these samples (Hyndman & Fan 1996, type 7, numpy's
default) give P10/P50/P90 of the weekly factor.  Capacity in forecast week
``h`` is::

    nameplate x (1 - planned downtime share) x Q x factor_q
              x ramp(h) x (1 - maintenance share(h))

where ``ramp(h)`` is the mean output share in week ``h`` of a unit that is down
(zero until its expected restart, then its linear ramp-up curve) or still
ramping.  A plant's capacity for a product is the sum over its units, i.e.
unit factors taken as comonotone (a conservative spread).

Recovery
--------
:func:`simulate_recovery` is a discrete-event simulation of one disruption per
replication: repair (gamma time with the given mean and coefficient of
variation), restart attempt (fails with probability ``restart_fail_prob``,
which sends the unit back to repair), then the ramp-up until output reaches
``target`` of nameplate.  All replications and units advance together, one
event per step.  With ``cv = 0`` and no restart failures the time is
deterministic: ``repair_mean + ramp_days x (target - start) / (1 - start)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from chain_brain.twins.fleet import TwinFleet, _popcount7
from graph_schema.errors import ValidationError

__all__ = [
    "CapacityForecast",
    "RecoveryDistribution",
    "forecast_capacity",
    "simulate_recovery",
    "fleet_time_to_recover",
    "weekly_factor_samples",
    "estimate_recovery_params",
]

_NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class CapacityForecast:
    """Weekly capacity quantiles per plant and product.

    Attributes
    ----------
    table : pandas.DataFrame
        ``plant_id``, ``product``, ``week`` (1..horizon), ``week_start``,
        ``p10``, ``p50``, ``p90`` (output per week), ``nameplate``, ``n_samples``
        (fewest factor samples among the plant's units; 0 = no observations,
        quantiles NaN).
    quantiles : tuple of float
    start : pandas.Timestamp
    """

    table: pd.DataFrame
    quantiles: tuple[float, float, float]
    start: pd.Timestamp


@dataclass(frozen=True)
class RecoveryDistribution:
    """Time-to-recover (days) summary, one entry per unit or plant.

    Attributes
    ----------
    p10, p50, p90, mean : ndarray of float
    samples : ndarray of float, shape (n, replications)
    """

    p10: npt.NDArray[np.float64]
    p50: npt.NDArray[np.float64]
    p90: npt.NDArray[np.float64]
    mean: npt.NDArray[np.float64]
    samples: npt.NDArray[np.float64]


def weekly_factor_samples(
    fleet: TwinFleet, *, min_weeks: int = 2
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Per-unit samples of the weekly factor A x P (NaN-padded) and their counts.

    Returns
    -------
    samples : ndarray, shape (n_units, k)
    counts : ndarray of int, shape (n_units,)
    """
    cap = fleet.obs_capacity
    n_obs = np.minimum(fleet.obs_n, cap)
    # slots 0..n_obs-1 hold the data until the ring wraps, so only the widest is needed
    width = max(int(n_obs.max()) if len(n_obs) else 0, 1)
    f = fleet.obs_avail[:, :width] * np.nan_to_num(fleet.obs_perf[:, :width], nan=0.0)
    day = fleet.obs_day[:, :width].astype(np.int64)
    held = np.arange(width)[None, :] < n_obs[:, None]
    day = np.where(held, day, np.iinfo(np.int64).max)
    order = np.argsort(day, axis=1, kind="stable")
    f = np.take_along_axis(np.where(held, f, np.nan), order, axis=1)
    n_blocks = width // 7
    blocks = np.nan_to_num(f[:, : n_blocks * 7]).reshape(len(f), n_blocks, 7)
    complete = np.arange(n_blocks)[None, :] < (n_obs // 7)[:, None]
    weekly = np.where(complete, blocks.mean(axis=2), np.nan)
    use_weekly = (n_obs // 7) >= min_weeks
    out = np.where(use_weekly[:, None], np.nan, f)
    out[:, :n_blocks] = np.where(use_weekly[:, None], weekly, out[:, :n_blocks])
    counts = np.where(use_weekly, n_obs // 7, n_obs)
    return out, counts.astype(np.int64)


def _row_quantiles(
    samples: npt.NDArray[np.float64], counts: npt.NDArray[np.int64], q: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Quantiles (numpy's default linear method) of each row's first finite values.

    Equal to ``np.nanquantile(samples, q, axis=1).T`` but without numpy's
    per-row loop over NaN-padded rows.
    """
    srt = np.sort(samples, axis=1)  # NaN last
    c = counts[:, None].astype(float)
    pos = q[None, :] * np.maximum(c - 1.0, 0.0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(counts[:, None] - 1, 0))
    frac = pos - lo
    if srt.shape[1] == 0:
        return np.full((len(samples), len(q)), np.nan)
    v_lo = np.take_along_axis(srt, lo, axis=1)
    v_hi = np.take_along_axis(srt, hi, axis=1)
    out = v_lo + (v_hi - v_lo) * frac
    out[counts == 0] = np.nan
    return out


def _ramp_share(
    fleet: TwinFleet, start: np.datetime64, horizon_weeks: int
) -> npt.NDArray[np.float64]:
    """Mean output share per unit and week from outages and ramp-up, shape (n, H)."""
    a = fleet.a
    n = len(fleet)
    t_days = (np.arange(horizon_weeks * 7 * 4) + 0.5) / 4.0  # 6-hourly sample points
    down = a["state"] == 2
    restart = a["restart_at"].copy()
    expected = a["down_until"]
    projected = start + (a["repair_mean_days"] * _NS_PER_DAY).astype("timedelta64[ns]")
    restart = np.where(down, np.where(np.isnat(expected), projected, expected), restart)
    since = np.where(
        np.isnat(restart), np.inf, (start - restart).astype(np.int64) / _NS_PER_DAY
    ).astype(float)
    tau = since[:, None] + t_days[None, :]  # days since restart at each sample point
    d, s = a["ramp_days"][:, None], a["ramp_start_fraction"][:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        ramp = np.where(d > 0, s + (1 - s) * np.clip(tau / d, 0.0, 1.0), 1.0)
    share = np.where(tau < 0, 0.0, ramp)
    share = np.where(np.isinf(since)[:, None], 1.0, share)
    return share.reshape(n, horizon_weeks, 28).mean(axis=2)


def _maintenance_share(
    fleet: TwinFleet, start: np.datetime64, horizon_weeks: int
) -> npt.NDArray[np.float64]:
    m = fleet.maintenance_windows()
    out = np.zeros((len(fleet), horizon_weeks))
    if m.empty:
        return out
    week_ns = 7 * _NS_PER_DAY
    w0 = start.astype(np.int64) + np.arange(horizon_weeks) * week_ns
    for p, u, s, e in m[["plant_id", "unit_id", "timestamp", "end"]].itertuples(index=False):
        i = fleet.rows_of(str(p), str(u))[0]
        s_ns, e_ns = pd.Timestamp(s).value, pd.Timestamp(e).value
        overlap = np.clip(np.minimum(e_ns, w0 + week_ns) - np.maximum(s_ns, w0), 0, None)
        out[i] += overlap / week_ns
    return np.minimum(out, 1.0)


def forecast_capacity(
    fleet: TwinFleet,
    *,
    horizon_weeks: int = 12,
    start: pd.Timestamp | None = None,
    quantiles: tuple[float, float, float] = (0.1, 0.5, 0.9),
    min_weeks: int = 2,
) -> CapacityForecast:
    """Forecast weekly capacity of every plant and product (see module docstring).

    Parameters
    ----------
    fleet : TwinFleet
    horizon_weeks : int
        Number of weeks, default 12.
    start : pandas.Timestamp, optional
        First forecast day; default the day after the latest reading or
        observation (or today if the fleet has none).
    quantiles : tuple of three floats
        Lower, central and upper quantile.
    min_weeks : int
        Complete weekly blocks needed before weekly (rather than daily)
        samples are used.
    """
    if horizon_weeks < 1:
        raise ValidationError(f"horizon_weeks must be >= 1; got {horizon_weeks}")
    q = np.asarray(quantiles, dtype=float)
    if q.shape != (3,) or not (np.all(np.diff(q) >= 0) and q[0] >= 0 and q[-1] <= 1):
        raise ValidationError(
            f"quantiles must be three increasing values in [0, 1]; got {quantiles}"
        )
    a = fleet.a
    if start is None:
        latest = [x for x in (a["last_reading"].max(), fleet.obs_day.max()) if not np.isnat(x)]
        start = (
            pd.Timestamp(max(latest)) if latest else pd.Timestamp.now()
        ).normalize() + pd.Timedelta(days=1)
    start_ns = np.datetime64(pd.Timestamp(start), "ns")
    samples, counts = weekly_factor_samples(fleet, min_weeks=min_weeks)
    fq = _row_quantiles(samples, counts, q)  # (n, 3)
    day_len = a["shifts_per_day"] * a["hours_per_shift"]
    planned = a["planned_downtime_h_per_week"] / np.maximum(
        day_len * _popcount7(a["working_day_mask"]), 1e-12
    )
    base = a["nameplate_per_week"] * (1.0 - planned) * a["quality"]
    mult = _ramp_share(fleet, start_ns, horizon_weeks) * (
        1.0 - _maintenance_share(fleet, start_ns, horizon_weeks)
    )
    cap = base[:, None, None] * fq[:, None, :] * mult[:, :, None]  # (n, H, 3)
    n, h = len(fleet), horizon_weeks
    plant_codes, plant_uni = pd.factorize(pd.Series(a["plant_id"]))
    prod_codes, prod_uni = pd.factorize(pd.Series(a["product"]))
    group, g_uni = pd.factorize(pd.Series(plant_codes * (len(prod_uni) + 1) + prod_codes))
    g = len(g_uni)
    out = np.zeros((g, h, 3))
    np.add.at(out, group, cap)
    nameplate = np.bincount(group, weights=a["nameplate_per_week"], minlength=g)
    n_samp = np.full(g, np.iinfo(np.int64).max)
    np.minimum.at(n_samp, group, counts)
    first = np.zeros(g, dtype=np.int64)
    first[group[::-1]] = np.arange(n)[::-1]
    weeks = np.arange(1, h + 1)
    table = pd.DataFrame(
        {
            "plant_id": np.repeat(a["plant_id"][first], h),
            "product": np.repeat(a["product"][first], h),
            "week": np.tile(weeks, g),
            "week_start": np.tile(
                start_ns + (weeks - 1) * np.timedelta64(7 * _NS_PER_DAY, "ns"), g
            ),
            "p10": out[:, :, 0].ravel(),
            "p50": out[:, :, 1].ravel(),
            "p90": out[:, :, 2].ravel(),
            "nameplate": np.repeat(nameplate, h),
            "n_samples": np.repeat(n_samp, h),
        }
    )
    return CapacityForecast(table, (float(q[0]), float(q[1]), float(q[2])), pd.Timestamp(start))


def simulate_recovery(
    repair_mean_days: npt.ArrayLike,
    repair_cv: npt.ArrayLike = 0.5,
    restart_fail_prob: npt.ArrayLike = 0.0,
    ramp_days: npt.ArrayLike = 0.0,
    ramp_start_fraction: npt.ArrayLike = 1.0,
    *,
    target: float = 0.95,
    replications: int = 1000,
    seed: int = 0,
    max_attempts: int = 100,
) -> RecoveryDistribution:
    """Discrete-event simulation of recovery after a disruption.

    Parameters
    ----------
    repair_mean_days, repair_cv, restart_fail_prob, ramp_days, ramp_start_fraction : array_like
        Per unit (broadcast to a common shape ``(n,)``).
    target : float
        Output share of nameplate that counts as recovered.
    replications : int
    seed : int
        Seed of ``numpy.random.default_rng``.
    max_attempts : int
        Cap on repair/restart cycles (a replication still failing then
        stops at that time; with fail probability q the chance is q**100).

    Returns
    -------
    RecoveryDistribution

    Examples
    --------
    >>> r = simulate_recovery(5.0, 0.0, 0.0, 10.0, 0.5, target=1.0, replications=4)
    >>> r.p10.tolist(), r.p90.tolist()
    ([15.0], [15.0])
    """
    mean, cv, q, rd, rs = np.broadcast_arrays(
        *(
            np.atleast_1d(np.asarray(x, dtype=float))
            for x in (
                repair_mean_days,
                repair_cv,
                restart_fail_prob,
                ramp_days,
                ramp_start_fraction,
            )
        )
    )
    if np.any(mean < 0) or np.any(cv < 0) or np.any((q < 0) | (q >= 1)):
        raise ValidationError("repair mean and cv must be >= 0 and restart_fail_prob in [0, 1)")
    if np.any((rs < 0) | (rs > 1)) or np.any(rd < 0) or not (0 < target <= 1):
        raise ValidationError(
            f"ramp start fraction in [0, 1], ramp days >= 0, target in (0, 1]; got target={target}"
        )
    rng = np.random.default_rng(seed)
    n, r = mean.size, int(replications)
    shape = np.where(cv > 0, 1.0 / np.maximum(cv, 1e-12) ** 2, np.inf)
    t = np.zeros((n, r))
    active = np.ones((n, r), dtype=bool)
    for _ in range(max_attempts):
        # event: repair completes
        k = np.broadcast_to(shape[:, None], (n, r))[active]
        m = np.broadcast_to(mean[:, None], (n, r))[active]
        finite = np.isfinite(k)
        draw = m.copy()
        draw[finite] = rng.gamma(k[finite], m[finite] / k[finite])
        t[active] += draw
        # event: restart attempt
        fail = rng.random(int(active.sum())) < np.broadcast_to(q[:, None], (n, r))[active]
        active[active] = fail
        if not active.any():
            break
    # event: ramp-up reaches target
    with np.errstate(invalid="ignore", divide="ignore"):
        ramp = np.where((target > rs) & (rd > 0), rd * (target - rs) / (1.0 - rs), 0.0)
    t += ramp[:, None]
    p10, p50, p90 = np.quantile(t, [0.1, 0.5, 0.9], axis=1)
    return RecoveryDistribution(p10, p50, p90, t.mean(axis=1), t)


def fleet_time_to_recover(
    fleet: TwinFleet, *, target: float = 0.95, replications: int = 500, seed: int = 0
) -> pd.DataFrame:
    """Time-to-recover distribution per plant (a plant recovers when all its units have).

    Returns
    -------
    pandas.DataFrame
        ``plant_id``, ``ttr_p10``, ``ttr_p50``, ``ttr_p90``, ``ttr_mean`` in days.
    """
    a = fleet.a
    dist = simulate_recovery(
        a["repair_mean_days"],
        a["repair_cv"],
        a["restart_fail_prob"],
        a["ramp_days"],
        a["ramp_start_fraction"],
        target=target,
        replications=replications,
        seed=seed,
    )
    codes, uni = pd.factorize(pd.Series(a["plant_id"]))
    per_plant = np.zeros((len(uni), replications))
    np.maximum.at(per_plant, codes, dist.samples)
    p10, p50, p90 = np.quantile(per_plant, [0.1, 0.5, 0.9], axis=1)
    return pd.DataFrame(
        {
            "plant_id": np.asarray(uni, dtype=object),
            "ttr_p10": p10,
            "ttr_p50": p50,
            "ttr_p90": p90,
            "ttr_mean": per_plant.mean(axis=1),
        }
    )


def estimate_recovery_params(fleet: TwinFleet, *, min_spells: int = 3) -> pd.DataFrame:
    """Fit each unit's repair-time model to the down spells in its history.

    A down spell runs from a state change into DOWN to the next change out of
    it.  Units with at least ``min_spells`` closed spells get
    ``repair_mean_days`` = mean spell length and ``repair_cv`` = its sample
    standard deviation over the mean (method of moments for the gamma model of
    :func:`simulate_recovery`); the others keep their values.

    Returns
    -------
    pandas.DataFrame
        ``plant_id``, ``unit_id``, ``n_spells``, ``repair_mean_days``,
        ``repair_cv`` for the units that were updated.
    """
    h = fleet.history()
    h = h[h["kind"] == "state"].sort_values("seq", kind="stable")
    cols = ["plant_id", "unit_id", "n_spells", "repair_mean_days", "repair_cv"]
    if h.empty:
        return pd.DataFrame(columns=cols)
    nxt = h.groupby(["plant_id", "unit_id"], sort=False)["timestamp"].shift(-1)
    spell = h.assign(days=(nxt - h["timestamp"]).dt.total_seconds() / 86_400.0)
    spell = spell[(spell["to_state"] == 2) & spell["days"].notna()]
    stats = spell.groupby(["plant_id", "unit_id"], sort=False)["days"].agg(["size", "mean", "std"])
    stats = stats[stats["size"] >= min_spells].reset_index()
    if stats.empty:
        return pd.DataFrame(columns=cols)
    cv = (stats["std"].fillna(0.0) / stats["mean"].where(stats["mean"] > 0)).fillna(0.0)
    keys = pd.MultiIndex.from_arrays([fleet.a["plant_id"], fleet.a["unit_id"]])
    rows = keys.get_indexer(pd.MultiIndex.from_arrays([stats["plant_id"], stats["unit_id"]]))
    fleet.a["repair_mean_days"][rows] = stats["mean"].to_numpy()
    fleet.a["repair_cv"][rows] = cv.to_numpy()
    return pd.DataFrame(
        {
            "plant_id": stats["plant_id"],
            "unit_id": stats["unit_id"],
            "n_spells": stats["size"].astype(np.int64),
            "repair_mean_days": stats["mean"],
            "repair_cv": cv,
        }
    )
