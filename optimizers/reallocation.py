"""Reallocation after a disruption: who ships what to whom, per period, at least cost.

A multi-product, multi-period min-cost flow from alternative suppliers or plants (*offers*:
a source able to make a product, with a weekly capacity that ramps up) to the demands left
uncovered by a disruption (a sink needing a product each period), along *lanes* with a unit
cost (production + transport) and a lead time.  Each unit shipped pays its unit cost plus
``lead_time_penalty`` per period of lead time; each unit of demand not met pays the demand's
lost-demand penalty::

    min  sum_{l,t} (cost_l + p_lead L_l) x_lt + sum_{d,t} pen_d lost_dt + sum_s q_s qual_s
    s.t. sum_{l of o} x_{l, tau + L_l} <= cap_o ramp_{o,tau}     every offer o, period tau
         sum_{l into d} x_dt + lost_dt = dem_dt                   every demand d, period t
         x_lt = 0 when t < L_l  (arrival in t means shipping in t - L_l)
         [MILP] m_l z_lt <= x_lt <= M_lt z_lt, z binary            minimum order size
         [MILP] x_lt <= M_lt qual_s(l), qual binary                supplier qualification

The LP is built straight into HiGHS from a CSC matrix (a 200,000-column LP builds in well
under a second); :func:`build_reallocation_model` declares the same model in Pyomo for tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from graph_schema.errors import InfeasibleError, ValidationError
from optimizers.disruption import _pass_lp
from optimizers.network import BoolArray, FloatArray, IntArray
from optimizers.status import check_highs_status, new_highs

if TYPE_CHECKING:  # heavy imports stay lazy: worker processes start faster
    import pandas as pd
    import pyomo.environ as pyo

__all__ = [
    "CostBreakdown",
    "ReallocationPlan",
    "ReallocationProblem",
    "build_reallocation_model",
    "plan_reallocation",
]

_INF = highspy.kHighsInf


@dataclass(frozen=True, eq=False)
class ReallocationProblem:
    """Data of a reallocation after a disruption (arrays by position; ids for reporting).

    Parameters
    ----------
    products, sources, sinks : tuple of str
        Ids of products, supplying sources (suppliers / plants) and demanding sinks.
    n_periods : int
        Planning horizon ``T`` (periods, e.g. weeks).
    offer_source, offer_product : ndarray of int, shape (o,)
        Offer ``o``: source ``offer_source[o]`` can make product ``offer_product[o]``.
    offer_capacity : ndarray, shape (o,)
        Units per period at full rate.
    offer_ramp : ndarray, shape (o, T)
        Fraction of full capacity available in each period (ramp-up of a new line), in [0, 1].
    demand_sink, demand_product : ndarray of int, shape (d,)
        Demand ``d``: sink ``demand_sink[d]`` needs product ``demand_product[d]``.
    demand_qty : ndarray, shape (d, T)
        Units needed in each period.
    lost_penalty : ndarray, shape (d,)
        Cost per unit of demand not met.
    lane_offer, lane_demand : ndarray of int, shape (l,)
        Lane ``l`` carries offer ``lane_offer[l]`` to demand ``lane_demand[l]`` (same product).
    lane_cost : ndarray, shape (l,)
        Unit cost (production + transport).
    lane_lead_time : ndarray of int, shape (l,)
        Periods between shipping and arrival.
    lead_time_penalty : float
        Extra cost per unit and period of lead time.
    lane_min_order : ndarray, shape (l,)
        Minimum quantity per period if the lane ships at all (0: none).  Makes it a MILP.
    source_qualified : ndarray of bool, shape (s,)
        Sources already qualified; an unqualified source ships only if qualified, at
        ``qualification_cost``.  Makes it a MILP when any source is unqualified.
    qualification_cost : ndarray, shape (s,)
    allow_lost_demand : bool
        When ``False`` all demand must be met; infeasibility then names the product.
    """

    products: tuple[str, ...]
    sources: tuple[str, ...]
    sinks: tuple[str, ...]
    n_periods: int
    offer_source: IntArray
    offer_product: IntArray
    offer_capacity: FloatArray
    offer_ramp: FloatArray
    demand_sink: IntArray
    demand_product: IntArray
    demand_qty: FloatArray
    lost_penalty: FloatArray
    lane_offer: IntArray
    lane_demand: IntArray
    lane_cost: FloatArray
    lane_lead_time: IntArray
    lead_time_penalty: float = 0.0
    lane_min_order: FloatArray = field(default_factory=lambda: np.zeros(0))
    source_qualified: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    qualification_cost: FloatArray = field(default_factory=lambda: np.zeros(0))
    allow_lost_demand: bool = True

    def __post_init__(self) -> None:
        nl, ns = self.lane_offer.shape[0], len(self.sources)
        if self.lane_min_order.shape[0] == 0 and nl:
            object.__setattr__(self, "lane_min_order", np.zeros(nl))
        if self.source_qualified.shape[0] == 0 and ns:
            object.__setattr__(self, "source_qualified", np.ones(ns, dtype=bool))
        if self.qualification_cost.shape[0] == 0 and ns:
            object.__setattr__(self, "qualification_cost", np.zeros(ns))

    @property
    def n_lanes(self) -> int:
        return int(self.lane_offer.shape[0])

    @property
    def is_mip(self) -> bool:
        """True when minimum orders or unqualified sources make the model a MILP."""
        return bool((self.lane_min_order > 0).any() or (~self.source_qualified).any())

    def validate(self) -> None:
        """Raise :class:`ValidationError` naming the first bad value."""
        T = self.n_periods
        if T < 1:
            raise ValidationError(f"n_periods must be >= 1, got {T}")
        no, nd, nl = self.offer_source.shape[0], self.demand_sink.shape[0], self.n_lanes
        shapes = {
            "offer_product": (self.offer_product.shape, (no,)),
            "offer_capacity": (self.offer_capacity.shape, (no,)),
            "offer_ramp": (self.offer_ramp.shape, (no, T)),
            "demand_product": (self.demand_product.shape, (nd,)),
            "demand_qty": (self.demand_qty.shape, (nd, T)),
            "lost_penalty": (self.lost_penalty.shape, (nd,)),
            "lane_demand": (self.lane_demand.shape, (nl,)),
            "lane_cost": (self.lane_cost.shape, (nl,)),
            "lane_lead_time": (self.lane_lead_time.shape, (nl,)),
            "lane_min_order": (self.lane_min_order.shape, (nl,)),
            "source_qualified": (self.source_qualified.shape, (len(self.sources),)),
            "qualification_cost": (self.qualification_cost.shape, (len(self.sources),)),
        }
        for name, (got, want) in shapes.items():
            if got != want:
                raise ValidationError(f"{name} has shape {got}, expected {want}")
        for name, arr, hi in (
            ("offer_source", self.offer_source, len(self.sources)),
            ("offer_product", self.offer_product, len(self.products)),
            ("demand_sink", self.demand_sink, len(self.sinks)),
            ("demand_product", self.demand_product, len(self.products)),
            ("lane_offer", self.lane_offer, no),
            ("lane_demand", self.lane_demand, nd),
        ):
            bad = np.flatnonzero((arr < 0) | (arr >= hi))
            if bad.size:
                raise ValidationError(
                    f"{name}[{int(bad[0])}] = {int(arr[bad[0]])} is not in 0..{hi - 1}"
                )
        for name, farr in (
            ("offer_capacity", self.offer_capacity),
            ("demand_qty", self.demand_qty),
            ("lost_penalty", self.lost_penalty),
            ("lane_cost", self.lane_cost),
            ("lane_min_order", self.lane_min_order),
            ("qualification_cost", self.qualification_cost),
        ):
            badf = np.argwhere(~np.isfinite(farr) | (farr < 0))
            if badf.size:
                raise ValidationError(
                    f"{name}{tuple(int(v) for v in badf[0])} is {float(farr[tuple(badf[0])])!r}; expected finite >= 0"
                )
        badr = np.argwhere(
            ~np.isfinite(self.offer_ramp) | (self.offer_ramp < 0) | (self.offer_ramp > 1)
        )
        if badr.size:
            o, t = (int(v) for v in badr[0])
            raise ValidationError(
                f"ramp of offer {o} in period {t} is {float(self.offer_ramp[o, t])!r}; expected in [0, 1]"
            )
        bad = np.flatnonzero(self.lane_lead_time < 0)
        if bad.size:
            raise ValidationError(
                f"lead time of lane {int(bad[0])} is {int(self.lane_lead_time[bad[0]])}; expected >= 0"
            )
        if not (np.isfinite(self.lead_time_penalty) and self.lead_time_penalty >= 0):
            raise ValidationError(
                f"lead_time_penalty is {self.lead_time_penalty!r}; expected finite >= 0"
            )
        mism = np.flatnonzero(
            self.offer_product[self.lane_offer] != self.demand_product[self.lane_demand]
        )
        if mism.size:
            lane = int(mism[0])
            raise ValidationError(
                f"lane {lane} carries product {self.products[self.offer_product[self.lane_offer[lane]]]!r} "
                f"to a demand for {self.products[self.demand_product[self.lane_demand[lane]]]!r}"
            )


@dataclass(frozen=True)
class CostBreakdown:
    """Objective split by cause (all in the currency of the costs given)."""

    transport: float
    lead_time: float
    lost_demand: float
    qualification: float

    @property
    def total(self) -> float:
        return self.transport + self.lead_time + self.lost_demand + self.qualification


@dataclass(frozen=True, eq=False)
class ReallocationPlan:
    """Optimal reallocation.

    Attributes
    ----------
    shipments : DataFrame
        ``source, sink, product, ship_period, arrival_period, quantity, unit_cost``; one row
        per lane and period that ships.
    lost : DataFrame
        ``sink, product, period, quantity`` of demand not met.
    qualified_sources : tuple of str
        Sources newly qualified by the plan.
    cost : CostBreakdown
    """

    shipments: pd.DataFrame
    lost: pd.DataFrame
    qualified_sources: tuple[str, ...]
    cost: CostBreakdown

    @property
    def objective(self) -> float:
        return self.cost.total


def _big_m(p: ReallocationProblem) -> FloatArray:
    """Upper bound of each lane's shipment per period: min(offer capacity, demand peak)."""
    return np.minimum(p.offer_capacity[p.lane_offer], p.demand_qty[p.lane_demand].max(axis=1))


def _precheck(p: ReallocationProblem) -> None:
    """Raise :class:`InfeasibleError` naming a product whose demand cannot be met at all."""
    T = p.n_periods
    earliest = np.full(p.demand_sink.shape[0], T, dtype=np.int64)
    np.minimum.at(earliest, p.lane_demand, p.lane_lead_time)
    for d in range(p.demand_sink.shape[0]):
        if earliest[d] > 0 and p.demand_qty[d, : earliest[d]].sum() > 0:
            t = int(np.flatnonzero(p.demand_qty[d, : earliest[d]] > 0)[0])
            raise InfeasibleError(
                f"demand of sink {p.sinks[p.demand_sink[d]]!r} for product "
                f"{p.products[p.demand_product[d]]!r} in period {t} cannot be met: "
                + (
                    "no lane serves it"
                    if earliest[d] >= T
                    else f"the shortest lead time is {int(earliest[d])}"
                ),
                termination="infeasible (pre-check)",
            )
    for k in range(len(p.products)):
        need = p.demand_qty[p.demand_product == k].sum()
        offers = np.flatnonzero(p.offer_product == k)
        have = float((p.offer_capacity[offers, None] * p.offer_ramp[offers]).sum())
        if need > have * (1 + 1e-9) + 1e-9:
            raise InfeasibleError(
                f"demand for product {p.products[k]!r} over the horizon is {need:g} units but the "
                f"offers of it can make at most {have:g}",
                termination="infeasible (pre-check)",
            )


def _build_matrix(p: ReallocationProblem) -> dict[str, Any]:
    T, nl, no, nd = p.n_periods, p.n_lanes, p.offer_source.shape[0], p.demand_sink.shape[0]
    nx, nlost = nl * T, nd * T
    lane = np.repeat(np.arange(nl), T)
    arr_t = np.tile(np.arange(T), nl)
    ship_t = arr_t - p.lane_lead_time[lane]
    xcol = np.arange(nx)
    ok = ship_t >= 0
    # capacity rows offer*T + ship_t; demand rows no*T + demand*T + t
    cap_rows = p.lane_offer[lane[ok]] * T + ship_t[ok]
    dem_rows = no * T + p.lane_demand[lane] * T + arr_t
    lost_cols = nx + np.arange(nlost)
    rows = [cap_rows, dem_rows, no * T + np.arange(nlost)]
    cols = [xcol[ok], xcol, lost_cols]
    vals = [np.ones(int(ok.sum())), np.ones(nx), np.ones(nlost)]
    n_rows = no * T + nd * T
    n_cols = nx + nlost
    cost = np.concatenate(
        [
            np.repeat(p.lane_cost + p.lead_time_penalty * p.lane_lead_time, T),
            np.repeat(p.lost_penalty, T),
        ]
    )
    col_lower = np.zeros(n_cols)
    col_upper = np.full(n_cols, _INF)
    col_upper[:nx][~ok] = 0.0
    if not p.allow_lost_demand:
        col_upper[nx:] = 0.0
    row_lower = np.concatenate([np.full(no * T, -_INF), p.demand_qty.ravel()])
    row_upper = np.concatenate(
        [(p.offer_capacity[:, None] * p.offer_ramp).ravel(), p.demand_qty.ravel()]
    )
    integrality = np.zeros(n_cols, dtype=np.int32)
    extra_rows: list[tuple[npt.NDArray[Any], npt.NDArray[Any], FloatArray]] = []
    extra_lo: list[FloatArray] = []
    extra_hi: list[FloatArray] = []
    big_m = np.repeat(_big_m(p), T)
    # minimum order: x - m z >= 0, x - M z <= 0 for lanes with m > 0 (and shippable)
    mo = np.flatnonzero((p.lane_min_order[lane] > 0) & ok)
    zcols = n_cols + np.arange(mo.size)
    n_cols += mo.size
    if mo.size:
        r0 = n_rows + np.arange(mo.size)
        r1 = n_rows + mo.size + np.arange(mo.size)
        extra_rows.append(
            (
                np.concatenate([r0, r0, r1, r1]),
                np.concatenate([mo, zcols, mo, zcols]),
                np.concatenate(
                    [np.ones(mo.size), -p.lane_min_order[lane[mo]], np.ones(mo.size), -big_m[mo]]
                ),
            )
        )
        extra_lo += [np.zeros(mo.size), np.full(mo.size, -_INF)]
        extra_hi += [np.full(mo.size, _INF), np.zeros(mo.size)]
        n_rows += 2 * mo.size
    # qualification: x - M q_s <= 0 for lanes of unqualified sources
    unq = np.flatnonzero(~p.source_qualified)
    qcol_of = {int(s): n_cols + k for k, s in enumerate(unq)}
    n_cols += unq.size
    if unq.size:
        src = p.offer_source[p.lane_offer[lane]]
        qx = np.flatnonzero(~p.source_qualified[src] & ok)
        r = n_rows + np.arange(qx.size)
        qc = np.array([qcol_of[int(s)] for s in src[qx]], dtype=np.int64)
        extra_rows.append(
            (
                np.concatenate([r, r]),
                np.concatenate([qx, qc]),
                np.concatenate([np.ones(qx.size), -big_m[qx]]),
            )
        )
        extra_lo.append(np.full(qx.size, -_INF))
        extra_hi.append(np.zeros(qx.size))
        n_rows += qx.size
    for rr, cc, vv in extra_rows:
        rows.append(rr)
        cols.append(cc)
        vals.append(vv)
    mat = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rows, n_cols),
    )
    n_bin = mo.size + unq.size
    cost = np.concatenate([cost, np.zeros(mo.size), p.qualification_cost[unq]])
    col_lower = np.concatenate([col_lower, np.zeros(n_bin)])
    col_upper = np.concatenate([col_upper, np.ones(n_bin)])
    integrality = np.concatenate([integrality, np.ones(n_bin, dtype=np.int32)])
    return {
        "mat": mat,
        "cost": cost,
        "col_lower": col_lower,
        "col_upper": col_upper,
        "row_lower": np.concatenate([row_lower, *extra_lo]),
        "row_upper": np.concatenate([row_upper, *extra_hi]),
        "integrality": integrality if n_bin else None,
        "nx": nx,
        "nlost": nlost,
        "unq": unq,
        "qcols": np.array([qcol_of[int(s)] for s in unq], dtype=np.int64),
    }


def _diagnose_infeasible(p: ReallocationProblem, built: dict[str, Any]) -> str:
    """Solve the elastic model (lost demand allowed, only lost demand costs) and name what is lost."""
    nx, nlost = built["nx"], built["nlost"]
    cost = np.zeros_like(built["cost"])
    cost[nx : nx + nlost] = 1.0
    upper = built["col_upper"].copy()
    upper[nx : nx + nlost] = _INF
    h = new_highs()
    _pass_lp(
        h,
        built["mat"],
        cost,
        built["col_lower"],
        upper,
        built["row_lower"],
        built["row_upper"],
        integrality=built["integrality"],
    )
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return "the data are inconsistent even when demand may be lost (check minimum orders against capacities)"
    lost = np.asarray(h.getSolution().col_value)[nx : nx + nlost].reshape(-1, p.n_periods)
    d, t = np.unravel_index(int(np.argmax(lost)), lost.shape)
    return (
        f"demand of sink {p.sinks[p.demand_sink[d]]!r} for product {p.products[p.demand_product[d]]!r} "
        f"cannot be met in period {int(t)} (short by {lost[d, t]:g} units; {int((lost > 1e-6).sum())} "
        "demand-periods short in all)"
    )


def plan_reallocation(
    problem: ReallocationProblem, *, time_limit: float | None = None
) -> ReallocationPlan:
    """Solve the reallocation LP (or MILP) with HiGHS and return the plan.

    Raises
    ------
    ValidationError
        On malformed data (naming the array and index).
    InfeasibleError
        When demand must be met in full but cannot be: the message names the product (and
        sink and period) that cannot be served.
    OptimizationError
        On any other non-optimal termination (time limit, ...).
    """
    p = problem
    p.validate()
    if not p.allow_lost_demand:
        _precheck(p)
    built = _build_matrix(p)
    h = new_highs()
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    _pass_lp(
        h,
        built["mat"],
        built["cost"],
        built["col_lower"],
        built["col_upper"],
        built["row_lower"],
        built["row_upper"],
        integrality=built["integrality"],
    )
    h.run()
    if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
        check_highs_status(h, "reallocation model", hint=_diagnose_infeasible(p, built))
    check_highs_status(h, "reallocation model")
    return _plan_from_solution(p, built, np.asarray(h.getSolution().col_value))


def _plan_from_solution(
    p: ReallocationProblem, built: dict[str, Any], x: FloatArray
) -> ReallocationPlan:
    import pandas as pd

    T, nx, nlost = p.n_periods, built["nx"], built["nlost"]
    ship = x[:nx].reshape(-1, T)
    lost = x[nx : nx + nlost].reshape(-1, T)
    li, ti = np.nonzero(ship > 1e-9)
    offer = p.lane_offer[li]
    shipments = pd.DataFrame(
        {
            "source": np.asarray(p.sources, dtype=object)[p.offer_source[offer]],
            "sink": np.asarray(p.sinks, dtype=object)[p.demand_sink[p.lane_demand[li]]],
            "product": np.asarray(p.products, dtype=object)[p.offer_product[offer]],
            "ship_period": ti - p.lane_lead_time[li],
            "arrival_period": ti,
            "quantity": ship[li, ti],
            "unit_cost": p.lane_cost[li],
        }
    )
    di, dt = np.nonzero(lost > 1e-9)
    lost_df = pd.DataFrame(
        {
            "sink": np.asarray(p.sinks, dtype=object)[p.demand_sink[di]],
            "product": np.asarray(p.products, dtype=object)[p.demand_product[di]],
            "period": dt,
            "quantity": lost[di, dt],
        }
    )
    unq, qcols = built["unq"], built["qcols"]
    chosen = unq[x[qcols] > 0.5] if unq.size else unq
    cost = CostBreakdown(
        transport=float((ship.sum(axis=1) * p.lane_cost).sum()),
        lead_time=float((ship.sum(axis=1) * p.lane_lead_time * p.lead_time_penalty).sum()),
        lost_demand=float((lost.sum(axis=1) * p.lost_penalty).sum()),
        qualification=float(p.qualification_cost[chosen].sum()),
    )
    return ReallocationPlan(
        shipments=shipments,
        lost=lost_df,
        qualified_sources=tuple(p.sources[int(s)] for s in chosen),
        cost=cost,
    )


def build_reallocation_model(problem: ReallocationProblem) -> pyo.ConcreteModel:
    """Declare the reallocation model in Pyomo (the readable reference of the HiGHS build)."""
    import pyomo.environ as pyo

    p = problem
    p.validate()
    T = p.n_periods
    m = pyo.ConcreteModel(name="reallocation")
    m.PERIODS = pyo.RangeSet(0, T - 1)
    m.OFFERS = pyo.RangeSet(0, p.offer_source.shape[0] - 1)
    m.DEMANDS = pyo.RangeSet(0, p.demand_sink.shape[0] - 1)
    m.LANES = pyo.RangeSet(0, p.n_lanes - 1)
    m.MIN_ORDER_LANES = pyo.Set(initialize=[int(v) for v in np.flatnonzero(p.lane_min_order > 0)])
    m.UNQUALIFIED = pyo.Set(initialize=[int(v) for v in np.flatnonzero(~p.source_qualified)])
    lead = p.lane_lead_time.tolist()
    big_m = _big_m(p).tolist()
    lanes_of_offer: dict[int, list[int]] = {o: [] for o in m.OFFERS}
    lanes_of_demand: dict[int, list[int]] = {d: [] for d in m.DEMANDS}
    for lane_, (o, d) in enumerate(zip(p.lane_offer.tolist(), p.lane_demand.tolist(), strict=True)):
        lanes_of_offer[o].append(lane_)
        lanes_of_demand[d].append(lane_)
    source_of_lane = p.offer_source[p.lane_offer].tolist()

    m.ship = pyo.Var(m.LANES, m.PERIODS, domain=pyo.NonNegativeReals)  # x_lt, t = arrival
    m.lost = pyo.Var(m.DEMANDS, m.PERIODS, domain=pyo.NonNegativeReals)
    m.order = pyo.Var(m.MIN_ORDER_LANES, m.PERIODS, domain=pyo.Binary)
    m.qualify = pyo.Var(m.UNQUALIFIED, domain=pyo.Binary)

    def capacity_rule(m: Any, o: int, tau: int) -> Any:
        terms = [
            m.ship[lane_, tau + lead[lane_]] for lane_ in lanes_of_offer[o] if tau + lead[lane_] < T
        ]
        if not terms:
            return pyo.Constraint.Skip
        return sum(terms) <= float(p.offer_capacity[o] * p.offer_ramp[o, tau])

    def demand_rule(m: Any, d: int, t: int) -> Any:
        return sum(m.ship[lane_, t] for lane_ in lanes_of_demand[d]) + m.lost[d, t] == float(
            p.demand_qty[d, t]
        )

    def lead_time_rule(m: Any, lane_: int, t: int) -> Any:
        return m.ship[lane_, t] == 0 if t < lead[lane_] else pyo.Constraint.Skip

    def no_loss_rule(m: Any, d: int, t: int) -> Any:
        return m.lost[d, t] == 0 if not p.allow_lost_demand else pyo.Constraint.Skip

    def min_order_rule(m: Any, lane_: int, t: int) -> Any:
        if t < lead[lane_]:
            return pyo.Constraint.Skip
        return m.ship[lane_, t] >= float(p.lane_min_order[lane_]) * m.order[lane_, t]

    def order_link_rule(m: Any, lane_: int, t: int) -> Any:
        return m.ship[lane_, t] <= big_m[lane_] * m.order[lane_, t]

    def qualification_rule(m: Any, lane_: int, t: int) -> Any:
        s = source_of_lane[lane_]
        if s not in m.UNQUALIFIED:
            return pyo.Constraint.Skip
        return m.ship[lane_, t] <= big_m[lane_] * m.qualify[s]

    m.capacity = pyo.Constraint(m.OFFERS, m.PERIODS, rule=capacity_rule)
    m.demand_met = pyo.Constraint(m.DEMANDS, m.PERIODS, rule=demand_rule)
    m.lead_time = pyo.Constraint(m.LANES, m.PERIODS, rule=lead_time_rule)
    m.no_loss = pyo.Constraint(m.DEMANDS, m.PERIODS, rule=no_loss_rule)
    m.min_order = pyo.Constraint(m.MIN_ORDER_LANES, m.PERIODS, rule=min_order_rule)
    m.order_link = pyo.Constraint(m.MIN_ORDER_LANES, m.PERIODS, rule=order_link_rule)
    m.qualification = pyo.Constraint(m.LANES, m.PERIODS, rule=qualification_rule)
    unit = (p.lane_cost + p.lead_time_penalty * p.lane_lead_time).tolist()
    m.cost = pyo.Objective(
        expr=sum(unit[lane_] * m.ship[lane_, t] for lane_ in m.LANES for t in m.PERIODS)
        + sum(float(p.lost_penalty[d]) * m.lost[d, t] for d in m.DEMANDS for t in m.PERIODS)
        + sum(float(p.qualification_cost[s]) * m.qualify[s] for s in m.UNQUALIFIED),
        sense=pyo.minimize,
    )
    return m
