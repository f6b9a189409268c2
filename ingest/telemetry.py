"""Pure readers for plant telemetry files.

Each reader takes a path, returns a :class:`TelemetryRead` holding a validated
:class:`pandas.DataFrame` and a rejects frame (``line``, ``column``, ``value``,
``reason``), and never touches a database.  No row is lost silently: every row
of the file is either in ``data`` or in ``rejects``.

Sources (samples bundled under ``ingest/sample_data/telemetry/`` with their
licences):

* UCI "Steel Industry Energy Consumption" (DAEWOO Steel, Gwangyang, 2018,
  15-minute load), CC BY 4.0.
* UCI "Productivity Prediction of Garment Employees" (Imran et al. 2019),
  CC BY 4.0.
* SupplyGraph (Wasi, Islam, Akib 2024, arXiv:2401.15299), LGPL-2.1: daily
  production per product and the product -> plant table.

Running state from power load
-----------------------------
:func:`derive_load_thresholds` splits the load distribution into an idle
baseline and a production mode.  The split point is Otsu's threshold (Otsu 1979,
"A threshold selection method from gray-level histograms", IEEE Trans. SMC 9(1))
computed on ``log1p(load)``: a steel shop's load is bimodal (auxiliaries only
versus furnaces/rolling on) and the log makes the two modes comparable in
width.  The idle baseline is the median load below the threshold; readings below
``down_fraction`` x baseline (default 0.25) mean even the auxiliaries are off
(down); the rated load is the 99th percentile of the production mode.
Utilisation of a running interval is ``(load - baseline) / (rated - baseline)``
clipped to [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from graph_schema.errors import ValidationError

__all__ = [
    "REJECT_COLUMNS",
    "TelemetryRead",
    "LoadThresholds",
    "read_steel_energy",
    "derive_load_thresholds",
    "classify_load",
    "read_garment_productivity",
    "read_supplygraph_production",
    "sample_data_dir",
]

REJECT_COLUMNS: tuple[str, ...] = ("source", "line", "column", "value", "reason")

#: Running-state codes shared with the twins (``chain_brain.twins``).
STATE_RUNNING: int = 0
STATE_IDLE: int = 1
STATE_DOWN: int = 2

#: Garment productivity above this is taken as a data error (the UCI file's
#: maximum is 1.12; a team cannot deliver 50 % above standard minutes).
_MAX_GARMENT_PRODUCTIVITY = 1.5


@dataclass(frozen=True)
class TelemetryRead:
    """Result of reading one telemetry file.

    Attributes
    ----------
    source : str
        File name the rows came from.
    data : pandas.DataFrame
        Validated rows.
    rejects : pandas.DataFrame
        One row per rejected value: ``source``, ``line`` (1-based file line,
        header is line 1), ``column``, ``value``, ``reason``.
    n_read : int
        Data rows read from the file.
    """

    source: str
    data: pd.DataFrame
    rejects: pd.DataFrame
    n_read: int

    @property
    def n_loaded(self) -> int:
        """Rows kept in :attr:`data`."""
        return len(self.data)

    @property
    def n_rejected(self) -> int:
        """Distinct file lines with at least one reject."""
        return int(self.rejects["line"].nunique()) if len(self.rejects) else 0


@dataclass(frozen=True)
class LoadThresholds:
    """Thresholds that turn a power reading into a running state.

    Attributes
    ----------
    down : float
        Readings at or below this mean the unit is down (no auxiliary load).
    running : float
        Readings above this mean the unit is producing.
    baseline : float
        Idle (auxiliary) load.
    rated : float
        Load at full production (utilisation 1).
    """

    down: float
    running: float
    baseline: float
    rated: float

    def __post_init__(self) -> None:
        if not (0.0 <= self.down <= self.running < self.rated):
            raise ValidationError(
                f"LoadThresholds need 0 <= down <= running < rated; got down={self.down}, "
                f"running={self.running}, rated={self.rated}"
            )


@dataclass
class _Rejects:
    source: str
    rows: list[tuple[str, int, str, str, str]] = field(default_factory=list)

    def add(self, lines: npt.ArrayLike, column: str, values: npt.ArrayLike, reason: str) -> None:
        for line, value in zip(np.asarray(lines), np.asarray(values, dtype=object), strict=True):
            self.rows.append((self.source, int(line), column, str(value), reason))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=list(REJECT_COLUMNS))
        return df.astype({"line": "int64"}).sort_values(["line", "column"], kind="stable")


def sample_data_dir() -> Path:
    """Folder of the bundled telemetry excerpts (with their SOURCE/licence files)."""
    return Path(__file__).resolve().parent / "sample_data" / "telemetry"


def _require_columns(df: pd.DataFrame, needed: list[str], path: Path) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValidationError(f"{path.name}: missing columns {missing}; found {list(df.columns)}")


def read_steel_energy(path: str | Path) -> TelemetryRead:
    """Read the UCI steel-plant 15-minute load file.

    Parameters
    ----------
    path : str or Path
        ``Steel_industry_data.csv`` (or an excerpt with the same header).

    Returns
    -------
    TelemetryRead
        ``data`` has ``timestamp`` (end of the 15-minute interval), ``usage_kwh``
        and ``load_type``, sorted by time.  Rejected: unparseable dates,
        non-numeric or negative usage, repeated timestamps (the later line).

    Notes
    -----
    The file labels the reading that ends at midnight with the date of the day
    that is ending (``01/01/2018 0:00`` follows ``01/01/2018 23:45``); its
    ``NSM`` (seconds since midnight) is 0.  Those rows are moved to the next
    day so the series is monotone.
    """
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    _require_columns(raw, ["date", "Usage_kWh", "NSM", "Load_Type"], path)
    rej = _Rejects(path.name)
    lines = np.arange(len(raw)) + 2
    ts = pd.to_datetime(raw["date"], format="%d/%m/%Y %H:%M", errors="coerce")
    nsm = pd.to_numeric(raw["NSM"], errors="coerce")
    ts = ts.where(
        ~((nsm == 0) & (ts.dt.hour == 0) & (ts.dt.minute == 0)), ts + pd.Timedelta(days=1)
    )
    usage = pd.to_numeric(raw["Usage_kWh"], errors="coerce")
    bad_ts = ts.isna().to_numpy()
    rej.add(lines[bad_ts], "date", raw["date"][bad_ts], "unparseable date (want DD/MM/YYYY H:MM)")
    bad_num = usage.isna().to_numpy()
    rej.add(lines[bad_num], "Usage_kWh", raw["Usage_kWh"][bad_num], "not a number")
    neg = (usage < 0).to_numpy()
    rej.add(lines[neg], "Usage_kWh", raw["Usage_kWh"][neg], "negative energy reading")
    ok = ~(bad_ts | bad_num | neg)
    dup = np.zeros(len(raw), dtype=bool)
    dup[ok] = ts[ok].duplicated(keep="first").to_numpy()
    rej.add(lines[dup], "date", raw["date"][dup], "repeated timestamp (first kept)")
    ok &= ~dup
    data = pd.DataFrame(
        {
            "timestamp": ts[ok].to_numpy(),
            "usage_kwh": usage[ok].to_numpy(dtype=float),
            "load_type": raw["Load_Type"][ok].to_numpy(),
            "line": lines[ok],
        }
    )
    data = data.sort_values("timestamp", kind="stable").reset_index(drop=True)
    return TelemetryRead(path.name, data, rej.frame(), len(raw))


def _otsu(x: npt.NDArray[np.float64], bins: int = 256) -> float:
    hist, edges = np.histogram(x, bins=bins)
    centres = 0.5 * (edges[:-1] + edges[1:])
    w0 = np.cumsum(hist).astype(float)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mu0 = np.divide(m0, w0, out=np.zeros_like(m0), where=w0 > 0)
    mu1 = np.divide(m0[-1] - m0, w1, out=np.zeros_like(m0), where=w1 > 0)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(edges[int(np.argmax(between)) + 1])


def derive_load_thresholds(
    load: npt.ArrayLike, *, down_fraction: float = 0.25, rated_quantile: float = 0.99
) -> LoadThresholds:
    """Derive running/idle/down thresholds from a load distribution.

    Parameters
    ----------
    load : array_like
        Non-negative power or energy-per-interval readings of one unit.
    down_fraction : float
        Readings at or below ``down_fraction * baseline`` are "down".
    rated_quantile : float
        Quantile of the production mode taken as rated (full) load.

    Returns
    -------
    LoadThresholds

    Notes
    -----
    Otsu's threshold (Otsu 1979) on ``log1p(load)``; see the module docstring.

    Examples
    --------
    >>> th = derive_load_thresholds([3.0] * 50 + [60.0] * 50)
    >>> 3.0 < th.running < 60.0, th.baseline, th.rated
    (True, 3.0, 60.0)
    """
    x = np.asarray(load, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2 or np.any(x < 0):
        raise ValidationError(
            f"derive_load_thresholds needs >= 2 finite non-negative readings; got {x.size} "
            f"(min {x.min() if x.size else 'n/a'})"
        )
    lx = np.log1p(x)
    if np.ptp(lx) == 0:
        raise ValidationError(f"load is constant ({x[0]}): no idle and production modes to split")
    cut = float(np.expm1(_otsu(lx)))
    low = x[x < cut]
    high = x[x >= cut]
    baseline = float(np.median(low)) if low.size else 0.0
    rated = float(np.quantile(high, rated_quantile)) if high.size else float(x.max())
    running = min(cut, np.nextafter(rated, -np.inf))
    return LoadThresholds(
        down=down_fraction * baseline, running=running, baseline=baseline, rated=rated
    )


def classify_load(
    load: npt.ArrayLike, thresholds: LoadThresholds
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    """Running state code and utilisation of each reading.

    Parameters
    ----------
    load : array_like
        Readings.
    thresholds : LoadThresholds

    Returns
    -------
    state : ndarray of int8
        0 running, 1 idle, 2 down.
    utilisation : ndarray of float
        ``(load - baseline) / (rated - baseline)`` clipped to [0, 1] where
        running, 0 elsewhere.

    Examples
    --------
    >>> th = LoadThresholds(down=1.0, running=10.0, baseline=2.0, rated=52.0)
    >>> s, u = classify_load([0.5, 3.0, 27.0, 80.0], th)
    >>> s.tolist(), u.tolist()
    ([2, 1, 0, 0], [0.0, 0.0, 0.5, 1.0])
    """
    x = np.asarray(load, dtype=float)
    state = np.full(x.shape, STATE_IDLE, dtype=np.int8)
    state[x <= thresholds.down] = STATE_DOWN
    running = x > thresholds.running
    state[running] = STATE_RUNNING
    span = thresholds.rated - thresholds.baseline
    util = np.clip((x - thresholds.baseline) / span, 0.0, 1.0)
    util = np.where(running, util, 0.0)
    return state, util


def read_garment_productivity(path: str | Path) -> TelemetryRead:
    """Read the UCI garment-team productivity file.

    Parameters
    ----------
    path : str or Path
        ``garments_worker_productivity.csv`` (or an excerpt).

    Returns
    -------
    TelemetryRead
        ``data`` columns: ``date``, ``department`` (``sewing`` / ``finishing``;
        the file spells ``sweing`` and pads ``finishing `` with a space),
        ``team_no``, ``targeted_productivity``, ``actual_productivity``,
        ``efficiency`` (actual / targeted), ``idle_time``, ``no_of_workers``,
        ``line``.  Rejected: bad dates, non-positive targets, negative or
        impossible (> 1.5) productivity, missing numbers, a repeated
        (date, department, team) key.
    """
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    team_col = "team_no" if "team_no" in raw.columns else "team"
    _require_columns(
        raw,
        ["date", "department", team_col, "targeted_productivity", "actual_productivity"],
        path,
    )
    rej = _Rejects(path.name)
    lines = np.arange(len(raw)) + 2
    ok = np.ones(len(raw), dtype=bool)
    date = pd.to_datetime(raw["date"], format="%m/%d/%Y", errors="coerce")
    bad = date.isna().to_numpy()
    rej.add(lines[bad], "date", raw["date"][bad], "unparseable date (want M/D/YYYY)")
    ok &= ~bad
    dept = raw["department"].str.strip().str.lower().replace({"sweing": "sewing"})
    bad = ~dept.isin(["sewing", "finishing"]).to_numpy()
    rej.add(lines[bad], "department", raw["department"][bad], "unknown department")
    ok &= ~bad
    nums: dict[str, pd.Series] = {}
    for col in [team_col, "targeted_productivity", "actual_productivity"]:
        v = pd.to_numeric(raw[col], errors="coerce")
        bad = v.isna().to_numpy()
        rej.add(lines[bad], col, raw[col][bad], "not a number")
        ok &= ~bad
        nums[col] = v
    for col in ["idle_time", "no_of_workers"]:
        nums[col] = (
            pd.to_numeric(raw[col], errors="coerce")
            if col in raw
            else pd.Series(np.nan, index=raw.index)
        )
    tgt, act = nums["targeted_productivity"], nums["actual_productivity"]
    bad = (tgt <= 0).to_numpy()
    rej.add(lines[bad], "targeted_productivity", raw["targeted_productivity"][bad], "target <= 0")
    ok &= ~bad
    bad = (act < 0).to_numpy()
    rej.add(lines[bad], "actual_productivity", raw["actual_productivity"][bad], "negative")
    ok &= ~bad
    bad = (act > _MAX_GARMENT_PRODUCTIVITY).to_numpy()
    rej.add(
        lines[bad],
        "actual_productivity",
        raw["actual_productivity"][bad],
        f"impossible productivity (> {_MAX_GARMENT_PRODUCTIVITY})",
    )
    ok &= ~bad
    key = pd.DataFrame({"d": date, "p": dept, "t": nums[team_col]})
    dup = np.zeros(len(raw), dtype=bool)
    dup[ok] = key[ok].duplicated(keep="first").to_numpy()
    rej.add(lines[dup], "date", raw["date"][dup], "repeated (date, department, team) key")
    ok &= ~dup
    data = pd.DataFrame(
        {
            "date": date[ok].to_numpy(),
            "department": dept[ok].to_numpy(),
            "team_no": nums[team_col][ok].to_numpy().astype(int),
            "targeted_productivity": tgt[ok].to_numpy(dtype=float),
            "actual_productivity": act[ok].to_numpy(dtype=float),
            "efficiency": (act[ok] / tgt[ok]).to_numpy(dtype=float),
            "idle_time": nums["idle_time"][ok].to_numpy(dtype=float),
            "no_of_workers": nums["no_of_workers"][ok].to_numpy(dtype=float),
            "line": lines[ok],
        }
    )
    return TelemetryRead(path.name, data.reset_index(drop=True), rej.frame(), len(raw))


def read_supplygraph_production(
    production_path: str | Path, plant_path: str | Path
) -> TelemetryRead:
    """Read SupplyGraph daily production and attribute it to plants.

    Parameters
    ----------
    production_path : str or Path
        ``Temporal Data/Unit/Production .csv``: ``Date`` then one column per
        product, daily units produced.
    plant_path : str or Path
        ``Nodes/Nodes Type (Plant & Storage).csv``: ``Node`` (product),
        ``Plant`` rows (repeated per storage location).

    Returns
    -------
    TelemetryRead
        Long ``data``: ``date``, ``product``, ``plant_id`` (str), ``plant_share``,
        ``units`` (product total that day) and ``realised_output``
        (``units * plant_share``).  Rejected: bad dates, repeated dates,
        non-numeric or negative counts, product columns with no plant
        (reported once on line 1) and repeated product columns.

    Notes
    -----
    The dataset records production per product, not per plant (Wasi et al.
    2024, arXiv:2401.15299).  A product made in *k* plants is attributed in
    equal shares ``1/k``; the plant total is therefore an estimate whose sum
    over plants equals the product total.
    """
    production_path, plant_path = Path(production_path), Path(plant_path)
    raw = pd.read_csv(production_path, dtype=str, keep_default_na=False)
    plants = pd.read_csv(plant_path, dtype=str, keep_default_na=False)
    _require_columns(raw, ["Date"], production_path)
    _require_columns(plants, ["Node", "Plant"], plant_path)
    rej = _Rejects(production_path.name)
    lines = np.arange(len(raw)) + 2
    date = pd.to_datetime(raw["Date"], errors="coerce", format="%Y-%m-%d %H:%M:%S")
    bad = date.isna().to_numpy()
    rej.add(lines[bad], "Date", raw["Date"][bad], "unparseable date")
    ok_row = ~bad
    dup = np.zeros(len(raw), dtype=bool)
    dup[ok_row] = date[ok_row].duplicated(keep="first").to_numpy()
    rej.add(lines[dup], "Date", raw["Date"][dup], "repeated date (first kept)")
    ok_row &= ~dup
    pmap = plants[["Node", "Plant"]].apply(lambda s: s.str.strip()).drop_duplicates()
    pmap = pmap[pmap["Plant"] != ""]
    k = pmap.groupby("Node")["Plant"].transform("size")
    pmap = pmap.assign(plant_share=1.0 / k)
    frames = []
    seen: set[str] = set()
    for col in raw.columns[1:]:
        product = str(col).strip()
        if product.endswith(".1") or product in seen:  # pandas renames repeated headers
            rej.add([1], str(col), [col], "repeated product column")
            continue
        seen.add(product)
        sub = pmap[pmap["Node"] == product]
        if sub.empty:
            rej.add([1], str(col), [col], "product has no plant in the plant table")
            continue
        v = pd.to_numeric(raw[col], errors="coerce")
        bad_v = v.isna().to_numpy() & ok_row
        rej.add(lines[bad_v], str(col), raw[col][bad_v], "not a number")
        neg = (v < 0).to_numpy() & ok_row
        rej.add(lines[neg], str(col), raw[col][neg], "negative production")
        keep = ok_row & ~bad_v & ~neg
        day = pd.DataFrame(
            {
                "date": date[keep].to_numpy(),
                "units": v[keep].to_numpy(dtype=float),
                "product": product,
            }
        )
        frames.append(
            day.merge(sub.rename(columns={"Node": "product", "Plant": "plant_id"}), on="product")
        )
    cols = ["date", "product", "plant_id", "plant_share", "units", "realised_output"]
    if frames:
        data = pd.concat(frames, ignore_index=True)
        data["realised_output"] = data["units"] * data["plant_share"]
        data = data[cols].sort_values(["date", "plant_id", "product"], kind="stable")
    else:
        data = pd.DataFrame(columns=cols)
    return TelemetryRead(production_path.name, data.reset_index(drop=True), rej.frame(), len(raw))
