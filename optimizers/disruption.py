"""Time-to-recover loss (TTR) and time-to-survive (TTS) of a supply network.

The models are those of Simchi-Levi et al. (2015) [1]_.  For a disrupted set of nodes ``S``
and a recovery time ``t`` (weeks), the *TTR model* finds the least profit lost while ``S``
produces nothing::

    min  sum_{j in V} f_j l_j
    s.t. u_j - sum_{i in P_jk} y_ij / r_kj <= 0     for every node j and input k of j
         sum_{j child of i} y_ij - u_i <= s_i        for every node i that ships
         u_j = 0                                     for j in S
         l_j + u_j + s_j >= d_j t                    for j in V
         0 <= u_j <= c_j t,  y >= 0,  l >= 0

The *TTS model* keeps the same constraints with ``l = 0`` and maximises ``t``: how long the
network meets all demand while ``S`` is down.  ``t`` multiplies data only (``c_j t``,
``d_j t``), so TTS is a linear program with ``t`` as one more variable.  A node needs
attention when its time-to-recover exceeds its time-to-survive; its risk exposure index is
its loss divided by the worst loss of the sweep.

Two ways to solve are provided: :func:`build_ttr_model` / :func:`build_tts_model` declare the
models readably in Pyomo (used in tests as the reference), and :func:`sweep_disruptions`
translates each model once into a HiGHS LP (CSC matrix) and, per scenario, only changes
bounds and re-solves from the undisrupted optimal basis.  Before a full re-solve, exact
shortcuts answer most scenarios of a sweep: a node idle in some optimal undisrupted plan
keeps the undisrupted TTS (:meth:`DisruptionSolver.find_idle_nodes`); disrupted sinks have
closed forms; a TTS at least the recovery time means no TTR loss; and the TTS LP restricted to
the part of the network the disruption reaches, with an optimality proof from LP duality
(:class:`optimizers.restricted.RestrictedLP`), falling back to the full LP when that part
grows large.

References
----------
.. [1] D. Simchi-Levi, W. Schmidt, Y. Wei, P. Y. Zhang, K. Combs, Y. Ge, O. Gusikhin,
   M. Sanders, D. Zhang, "Identifying risks and mitigating disruptions in the automotive
   supply chain", Interfaces 45(5):375-390, 2015.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from tqdm.auto import tqdm

from graph_schema.errors import ValidationError
from optimizers.network import BoolArray, FloatArray, SupplyNetwork
from optimizers.restricted import RestrictedLP
from optimizers.status import check_highs_status, check_pyomo_result, new_highs, pyomo_highs

if TYPE_CHECKING:  # heavy imports stay lazy: worker processes start faster
    import pandas as pd
    import pyomo.environ as pyo

__all__ = [
    "DEFAULT_MAX_TTS",
    "DisruptionReport",
    "DisruptionSolver",
    "build_ttr_model",
    "build_tts_model",
    "solve_pyomo",
    "sweep_disruptions",
]

DEFAULT_MAX_TTS = 1.0e4
"""Upper bound on ``t`` in the TTS model (weeks).  A scenario that survives this long is
reported with ``tts = inf``: the remaining network meets demand indefinitely."""

_INF = highspy.kHighsInf


# ---------------------------------------------------------------------------------------
# Pyomo declarations (readable reference)
# ---------------------------------------------------------------------------------------


def _declare_common(network: SupplyNetwork, disrupted: Iterable[int]) -> pyo.ConcreteModel:
    import pyomo.environ as pyo

    net = network
    m = pyo.ConcreteModel(name="disruption")
    m.NODES = pyo.Set(initialize=range(net.n_nodes), ordered=True)
    m.FINISHED = pyo.Set(within=m.NODES, initialize=[int(j) for j in np.flatnonzero(net.finished)])
    m.BOM = pyo.Set(initialize=range(len(net.bom_input)), ordered=True)
    m.ARCS = pyo.Set(initialize=range(net.n_arcs), ordered=True)
    shippers = sorted({int(i) for i in net.arc_src})
    m.SHIPPERS = pyo.Set(within=m.NODES, initialize=shippers)
    m.DISRUPTED = pyo.Set(within=m.NODES, initialize=sorted({int(j) for j in disrupted}))

    m.profit = pyo.Param(m.NODES, initialize=dict(enumerate(net.profit.tolist())))
    m.demand = pyo.Param(m.NODES, initialize=dict(enumerate(net.demand.tolist())))
    m.inventory = pyo.Param(m.NODES, initialize=dict(enumerate(net.inventory.tolist())))
    m.capacity = pyo.Param(m.NODES, initialize=dict(enumerate(net.capacity.tolist())))
    m.ratio = pyo.Param(m.BOM, initialize=dict(enumerate(net.bom_ratio.tolist())))

    arcs_into: dict[int, list[int]] = {b: [] for b in range(len(net.bom_input))}
    arcs_out: dict[int, list[int]] = {i: [] for i in shippers}
    for a, (i, b) in enumerate(zip(net.arc_src.tolist(), net.arc_bom.tolist(), strict=True)):
        arcs_into[b].append(a)
        arcs_out[i].append(a)
    bom_node = net.bom_node.tolist()

    m.production = pyo.Var(m.NODES, domain=pyo.NonNegativeReals)  # u_j
    m.flow = pyo.Var(m.ARCS, domain=pyo.NonNegativeReals)  # y_ij

    def bom_rule(m: Any, b: int) -> Any:
        return m.production[bom_node[b]] - sum(m.flow[a] for a in arcs_into[b]) / m.ratio[b] <= 0

    def ship_rule(m: Any, i: int) -> Any:
        return sum(m.flow[a] for a in arcs_out[i]) - m.production[i] <= m.inventory[i]

    def disrupted_rule(m: Any, j: int) -> Any:
        return m.production[j] == 0

    m.bom = pyo.Constraint(m.BOM, rule=bom_rule)
    m.ship = pyo.Constraint(m.SHIPPERS, rule=ship_rule)
    m.disrupted = pyo.Constraint(m.DISRUPTED, rule=disrupted_rule)
    return m


def build_ttr_model(
    network: SupplyNetwork, disrupted: Iterable[int], t: float
) -> pyo.ConcreteModel:
    """Declare the time-to-recover (TTR) loss LP of [1]_ in Pyomo.

    Parameters
    ----------
    network : SupplyNetwork
        Validated network.
    disrupted : iterable of int
        Indices of the nodes that produce nothing (the set ``S``).
    t : float
        Time to recover of ``S`` (weeks, ``>= 0``).

    Returns
    -------
    pyomo.environ.ConcreteModel
        Minimises the profit lost on finished products, ``sum f_j l_j``.
    """
    import pyomo.environ as pyo

    if not t >= 0 or not math.isfinite(t):
        raise ValidationError(f"time to recover must be finite and >= 0, got {t=}")
    m = _declare_common(network, disrupted)
    m.t = pyo.Param(initialize=float(t), mutable=True)
    m.lost = pyo.Var(m.FINISHED, domain=pyo.NonNegativeReals)  # l_j

    def demand_rule(m: Any, j: int) -> Any:
        return m.lost[j] + m.production[j] + m.inventory[j] >= m.demand[j] * m.t

    def capacity_rule(m: Any, j: int) -> Any:
        return m.production[j] <= m.capacity[j] * m.t

    m.demand_met = pyo.Constraint(m.FINISHED, rule=demand_rule)
    m.capacity_limit = pyo.Constraint(m.NODES, rule=capacity_rule)
    m.loss = pyo.Objective(
        expr=sum(m.profit[j] * m.lost[j] for j in m.FINISHED), sense=pyo.minimize
    )
    return m


def build_tts_model(
    network: SupplyNetwork, disrupted: Iterable[int], *, max_tts: float = DEFAULT_MAX_TTS
) -> pyo.ConcreteModel:
    """Declare the time-to-survive (TTS) LP of [1]_ in Pyomo.

    ``t`` is a variable bounded by ``max_tts``; no demand may be lost.

    Returns
    -------
    pyomo.environ.ConcreteModel
        Maximises ``t``.
    """
    import pyomo.environ as pyo

    m = _declare_common(network, disrupted)
    m.t = pyo.Var(domain=pyo.NonNegativeReals, bounds=(0.0, float(max_tts)))

    def demand_rule(m: Any, j: int) -> Any:
        return m.production[j] + m.inventory[j] >= m.demand[j] * m.t

    def capacity_rule(m: Any, j: int) -> Any:
        return m.production[j] <= m.capacity[j] * m.t

    m.demand_met = pyo.Constraint(m.FINISHED, rule=demand_rule)
    m.capacity_limit = pyo.Constraint(m.NODES, rule=capacity_rule)
    m.survive = pyo.Objective(expr=m.t, sense=pyo.maximize)
    return m


def solve_pyomo(model: pyo.ConcreteModel, what: str = "Pyomo model") -> float:
    """Solve ``model`` with HiGHS through Pyomo and return the objective value.

    Raises
    ------
    InfeasibleError, UnboundedError, OptimizationError
        If the solve does not end optimal.
    """
    import pyomo.environ as pyo

    solver = pyomo_highs()
    result = solver.solve(model, load_solutions=False)
    check_pyomo_result(result, what)
    model.solutions.load_from(result)
    obj = next(model.component_data_objects(pyo.Objective, active=True))
    return float(pyo.value(obj))


# ---------------------------------------------------------------------------------------
# Fast path: translate once, change bounds, re-solve warm
# ---------------------------------------------------------------------------------------


def _lp_structure(net: SupplyNetwork) -> tuple[sp.coo_matrix, FloatArray, npt.NDArray[np.int64]]:
    """Rows shared by TTR and TTS over columns ``[u (n), y (a)]``: BOM rows then ship rows.

    Returns the matrix, the row upper bounds and the shipping node of every ship row.
    """
    n, a = net.n_nodes, net.n_arcs
    b = len(net.bom_input)
    # BOM rows: u_j - sum y_a / r_b <= 0
    rows = [np.arange(b), net.arc_bom]
    cols = [net.bom_node, n + np.arange(a)]
    vals = [np.ones(b), -1.0 / net.bom_ratio[net.arc_bom]]
    # Ship rows: sum_out y_a - u_i <= s_i
    shippers = np.unique(net.arc_src)
    ship_row = np.searchsorted(shippers, net.arc_src)
    rows += [b + np.arange(shippers.size), b + ship_row]
    cols += [shippers, n + np.arange(a)]
    vals += [-np.ones(shippers.size), np.ones(a)]
    mat = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(b + shippers.size, n + a),
    )
    upper = np.concatenate([np.zeros(b), net.inventory[shippers]])
    return mat, upper, shippers


def _pass_lp(
    h: highspy.Highs,
    mat: sp.spmatrix,
    cost: FloatArray,
    col_lower: FloatArray,
    col_upper: FloatArray,
    row_lower: FloatArray,
    row_upper: FloatArray,
    *,
    maximize: bool = False,
    integrality: npt.NDArray[np.int32] | None = None,
) -> None:
    csc = sp.csc_matrix(mat)
    csc.sum_duplicates()
    lp = highspy.HighsLp()
    lp.num_col_ = csc.shape[1]
    lp.num_row_ = csc.shape[0]
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.asarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(col_upper, dtype=np.float64)
    lp.row_lower_ = np.asarray(row_lower, dtype=np.float64)
    lp.row_upper_ = np.asarray(row_upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    if integrality is not None:
        lp.integrality_ = [highspy.HighsVarType(int(v)) for v in integrality]
    h.passModel(lp)


class DisruptionSolver:
    """TTR and TTS LPs of one network, translated once into HiGHS and re-solved warm.

    Parameters
    ----------
    network : SupplyNetwork
        Validated network.
    max_tts : float
        Upper bound on ``t`` in the TTS model; a scenario reaching it has ``tts = inf``.

    Examples
    --------
    >>> from optimizers.network import build_network
    >>> net = build_network(["a", "b"], demand={"b": 10.0}, inventory={"b": 30.0},
    ...                     profit={"b": 2.0}, capacity={"a": 10.0, "b": 10.0},
    ...                     bom=[("b", "part", 1.0)], arcs=[("a", "b", "part")])
    >>> solver = DisruptionSolver(net)
    >>> solver.time_to_survive([0])   # b lives 30 / 10 weeks on its inventory
    3.0
    >>> solver.loss([0], 5.0)         # 50 units demanded, 30 in stock, 2 per lost unit
    40.0
    """

    def __init__(self, network: SupplyNetwork, *, max_tts: float = DEFAULT_MAX_TTS) -> None:
        network.validate()
        if not max_tts > 0 or not math.isfinite(max_tts):
            raise ValidationError(f"max_tts must be finite and > 0, got {max_tts=}")
        self.network = network
        self.max_tts = float(max_tts)
        net = network
        n, a = net.n_nodes, net.n_arcs
        self._fin = np.flatnonzero(net.finished).astype(np.int32)
        nv = self._fin.size
        shared, upper, _ = _lp_structure(net)
        n_shared = shared.shape[0]
        self._u_idx = np.arange(n, dtype=np.int32)
        self._sink = np.bincount(net.arc_src, minlength=n) == 0  # ships to nobody
        self.closed_form_solves = 0  # scenarios answered by :meth:`_sink_tau` / ``_sink_loss``
        self.skipped_by_tts = 0  # TTR losses known to be 0 from the scenario's TTS
        self.lp_solves = 0  # full LP re-solves
        self.local_solves = 0  # TTS answered by :class:`RestrictedLP` with its optimality proof

        # TTR columns [u, y, l]; rows [shared, demand]: u_j + l_j >= d_j t - s_j
        dem = sp.coo_matrix(
            (
                np.ones(2 * nv),
                (np.tile(np.arange(nv), 2), np.concatenate([self._fin, n + a + np.arange(nv)])),
            ),
            shape=(nv, n + a + nv),
        )
        ttr_mat = sp.vstack([sp.hstack([shared, sp.coo_matrix((n_shared, nv))]), dem])
        cost = np.concatenate([np.zeros(n + a), net.profit[self._fin]])
        self._ttr = new_highs()
        self._ttr_dem_rows = (n_shared + np.arange(nv)).astype(np.int32)
        _pass_lp(
            self._ttr,
            ttr_mat,
            cost,
            np.zeros(n + a + nv),
            np.concatenate([net.capacity, np.full(a + nv, _INF)]),
            np.concatenate([np.full(n_shared, -_INF), -net.inventory[self._fin]]),
            np.concatenate([upper, np.full(nv, _INF)]),
        )
        self._ttr_t: float | None = None
        self._ttr_base_cache: dict[float, tuple[Any, float | None, FloatArray | None]] = {}

        # TTS in rates: with u = t*v, y = t*w and tau = 1/t the TTS LP becomes
        #   min tau  s.t. BOM rows on (v, w);  sum_out w_i - v_i - s_i tau <= 0;
        #   v_j + s_j tau >= d_j (j in V);  0 <= v_j <= c_j.
        # Capacities become column bounds, values stay weekly rates (well scaled, short
        # warm-started re-solves), and a network that lasts forever has tau = 0.
        # Columns [v (n), w (a), tau]; TTS = 1 / tau; an infeasible scenario has TTS = 0.
        tau = n + a
        n_bom = len(net.bom_input)
        _, _, shippers = _lp_structure(net)
        tau_ship = sp.coo_matrix(
            (
                -net.inventory[shippers],
                (n_bom + np.arange(shippers.size), np.full(shippers.size, 0)),
            ),
            shape=(n_shared, 1),
        )
        dem2 = sp.coo_matrix(
            (
                np.concatenate([np.ones(nv), net.inventory[self._fin]]),
                (np.tile(np.arange(nv), 2), np.concatenate([self._fin, np.full(nv, tau)])),
            ),
            shape=(nv, n + a + 1),
        )
        tts_mat = sp.vstack([sp.hstack([shared, tau_ship]), dem2])
        self._tts = new_highs()
        self._tts_lp = (
            tts_mat,
            np.concatenate([np.zeros(n + a), [1.0]]),
            np.zeros(n + a + 1),
            np.concatenate([net.capacity, np.full(a + 1, _INF)]),
            np.concatenate([np.full(n_shared, -_INF), net.demand[self._fin]]),
            np.concatenate([np.zeros(n_shared), np.full(nv, _INF)]),
        )
        _pass_lp(self._tts, *self._tts_lp)
        self._tts.run()
        self._tts_local: RestrictedLP | None = None
        self._tts_base_infeasible = (
            self._tts.getModelStatus() == highspy.HighsModelStatus.kInfeasible
        )
        if self._tts_base_infeasible:  # demand unmet from the start: every TTS is 0
            self._tts_base_obj = math.inf
            self._tts_base_u = np.zeros(n)
            self._tts_basis: highspy.HighsBasis | None = None
        else:
            check_highs_status(self._tts, "time-to-survive LP of the undisrupted network")
            self._tts_basis = self._tts.getBasis()
            self._tts_base_obj = float(self._tts.getInfo().objective_function_value)
            sol = self._tts.getSolution()
            self._tts_base_u = np.asarray(sol.col_value)[:n].copy()
            mat, cost, col_lower, col_upper, row_lower, row_upper = self._tts_lp
            self._tts_local = RestrictedLP(
                sp.csc_matrix(mat),
                sp.csr_matrix(mat),
                cost,
                col_lower,
                col_upper,
                row_lower,
                row_upper,
                np.asarray(sol.col_value),
                np.asarray(sol.row_dual),
                loosening_col=tau,
            )
        # Nodes idle in some optimal plan of the undisrupted TTS LP (the base one, then every
        # scenario's plan that reached the base optimum): disrupting such a node alone
        # leaves that plan feasible, hence optimal, so its TTS is the base TTS.
        self._tts_idle = ~(self._tts_base_u > 0)

    # -- TTR ---------------------------------------------------------------------------

    def _set_ttr_t(self, t: float) -> None:
        if self._ttr_t == t:
            return
        net = self.network
        self._ttr.changeColsBounds(
            self._u_idx.size, self._u_idx, np.zeros(self._u_idx.size), net.capacity * t
        )
        lower = net.demand[self._fin] * t - net.inventory[self._fin]
        self._ttr.changeRowsBounds(  # type: ignore[attr-defined]
            self._ttr_dem_rows.size, self._ttr_dem_rows, lower, np.full(lower.size, _INF)
        )
        self._ttr_t = t

    def _ttr_base(self, t: float) -> tuple[Any, float | None, FloatArray | None]:
        """Undisrupted TTR optimum at ``t``: basis, objective and production ``u``.

        Up to 16 distinct recovery times get their own undisrupted solve; beyond that a
        scenario starts from the basis of the nearest one (still a valid warm start) and
        objective and ``u`` are ``None``.
        """
        if t in self._ttr_base_cache:
            return self._ttr_base_cache[t]
        cache = self._ttr_base_cache
        near = min(cache, key=lambda x: abs(x - t)) if cache else None
        if len(cache) >= 16 and near is not None:
            return cache[near][0], None, None
        self._set_ttr_t(t)
        if near is None:
            self._ttr.setBasis()
        else:
            self._ttr.setBasis(cache[near][0])
        self._ttr.run()
        check_highs_status(self._ttr, f"time-to-recover LP of the undisrupted network, {t=}")
        u = np.asarray(self._ttr.getSolution().col_value)[: self.network.n_nodes].copy()
        cache[t] = (self._ttr.getBasis(), float(self._ttr.getInfo().objective_function_value), u)
        return cache[t]

    def loss(self, disrupted: Sequence[int], t: float, *, tts: float | None = None) -> float:
        """TTR objective: least profit lost while ``disrupted`` is down for ``t`` weeks.

        Parameters
        ----------
        disrupted : sequence of int
            The disrupted set ``S``.
        t : float
            Time to recover (weeks).
        tts : float, optional
            The scenario's time to survive, if already known.  When ``tts >= t`` the loss
            is 0 with no solve: the TTS constraints at horizon ``t`` are the TTR constraints
            with ``l = 0``, feasibility is monotone in the horizon (a plan for ``t`` scaled
            by ``t'/t`` serves ``t' < t``), so ``l = 0`` is feasible, and the TTR objective
            is ``>= 0`` because profits are.
        """
        if not t >= 0 or not math.isfinite(t):
            raise ValidationError(f"time to recover must be finite and >= 0, got {t=}")
        t = float(t)
        if tts is not None and tts >= t:
            self.skipped_by_tts += 1
            return 0.0
        idx = np.asarray(disrupted, dtype=np.int32)
        basis, base_obj, base_u = self._ttr_base(t)
        if base_obj == 0.0 and self._sink[idx].all():
            self.closed_form_solves += 1
            return self._sink_loss(idx, t)
        if base_u is not None and base_obj is not None and not (base_u[idx] > 0).any():
            # The undisrupted optimum already makes nothing at the disrupted nodes: it stays
            # feasible when they are shut, hence optimal for the smaller feasible set.
            return base_obj
        self._set_ttr_t(t)
        h = self._ttr
        h.setBasis(basis)
        self.lp_solves += 1
        h.changeColsBounds(idx.size, idx, np.zeros(idx.size), np.zeros(idx.size))
        try:
            h.run()
            check_highs_status(h, f"time-to-recover LP, disrupted {self._names(idx)}, {t=}")
            return float(h.getInfo().objective_function_value)
        finally:
            cap = self.network.capacity[idx] * t
            h.changeColsBounds(idx.size, idx, np.zeros(idx.size), cap)

    def _sink_loss(self, idx: npt.NDArray[np.int32], t: float) -> float:
        """TTR loss when only sinks are down and the undisrupted optimum loses nothing.

        The undisrupted optimum with ``u_S = 0`` stays feasible (a sink feeds no row but its
        own), so every other node keeps zero loss, and a finished sink ``j`` in ``S`` loses
        ``max(d_j t - s_j, 0)``, which its demand row forces on any solution: the loss is
        ``sum_j f_j max(d_j t - s_j, 0)`` exactly.
        """
        net = self.network
        fin = idx[net.finished[idx]]
        lost = np.maximum(net.demand[fin] * t - net.inventory[fin], 0.0)
        return float(np.sum(net.profit[fin] * lost))

    # -- TTS ---------------------------------------------------------------------------

    def _sink_tau(self, idx: npt.NDArray[np.int32]) -> float:
        """Optimal ``tau = 1/TTS`` when every disrupted node is a sink (ships nothing).

        In the rate form every row but the demand rows ``v_j + s_j tau >= d_j`` of the
        disrupted finished sinks is unchanged or loosened by ``v_S = 0`` (a sink appears
        only in its own BOM rows, as ``+v_j`` on the ``<=`` side), and every row loosens as
        ``tau`` grows (``-s_i tau`` in ship rows, ``+s_j tau`` in demand rows).  So the
        undisrupted optimum with ``v_S = 0`` is feasible at
        ``tau = max(tau_0, max_j d_j / s_j)``; no solution does better, because the
        disrupted feasible set lies inside the undisrupted one (``tau >= tau_0``) and
        ``v_j = 0`` leaves ``s_j tau >= d_j``.  ``d_j > 0 = s_j`` gives ``tau = inf``
        (TTS 0).
        """
        net = self.network
        fin = idx[net.finished[idx] & (net.demand[idx] > 0)]
        tau = self._tts_base_obj
        for j in fin.tolist():
            s_j = float(net.inventory[j])
            tau = max(tau, float(net.demand[j]) / s_j if s_j > 0 else math.inf)
        return tau

    def _as_tts(self, tau: float) -> float:
        if tau == math.inf:
            return 0.0
        return math.inf if tau <= 1.0 / self.max_tts * (1 + 1e-9) else 1.0 / tau

    def time_to_survive(self, disrupted: Sequence[int]) -> float:
        """TTS objective: weeks all demand is met while ``disrupted`` is down.

        ``inf`` when the rest of the network meets demand for ``max_tts`` weeks or more.
        """
        idx = np.asarray(disrupted, dtype=np.int32)
        if self._tts_basis is None:  # undisrupted network already infeasible: TTS = 0
            return 0.0
        if idx.size == 1 and self._tts_idle[idx[0]]:
            return self._as_tts(self._tts_base_obj)  # an optimal plan idles it: still optimal
        if not (self._tts_base_u[idx] > 0).any():  # see :meth:`loss`: the optimum stays optimal
            return self._as_tts(self._tts_base_obj)
        if self._sink[idx].all():
            self.closed_form_solves += 1
            return self._as_tts(self._sink_tau(idx))
        if self._tts_local is not None:  # the part of the LP the disruption reaches, proved
            tau = self._tts_local.solve(idx)
            if tau is not None:
                self.local_solves += 1
                return self._as_tts(tau)
        h = self._tts
        h.setBasis(self._tts_basis)
        h.changeColsBounds(idx.size, idx, np.zeros(idx.size), np.zeros(idx.size))
        self.lp_solves += 1
        try:
            h.run()
            if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
                tau = math.inf  # no positive horizon works: TTS = 0
            else:
                check_highs_status(h, f"time-to-survive LP, disrupted {self._names(idx)}")
                tau = float(h.getInfo().objective_function_value)
                if tau <= self._tts_base_obj:  # a plan of the base optimum: pool its idle nodes
                    v = np.asarray(h.getSolution().col_value)[: self.network.n_nodes]
                    self._tts_idle |= ~(v > 0)
        finally:
            h.changeColsBounds(idx.size, idx, np.zeros(idx.size), self.network.capacity[idx])
        return self._as_tts(tau)

    def find_idle_nodes(self, *, groups: int = 2, min_gain: float = 0.02) -> BoolArray:
        """Nodes whose single disruption leaves the time to survive at its undisrupted value.

        A plan that is optimal for the undisrupted TTS LP and makes nothing at node ``j``
        stays feasible when ``j`` is disrupted, and no disruption beats the undisrupted
        optimum (it only removes plans), so ``TTS({j})`` is the undisrupted TTS with no
        solve.  This looks for such plans: with ``tau`` fixed at its optimum (so every
        feasible plan is optimal), it minimises the production ``sum v_j / c_j`` of the nodes
        not yet known to be idle, warm-started, until a round idles fewer than ``min_gain``
        of them; then once more for each of ``groups`` interleaved groups of the rest (a
        node may be idle only while a sibling source works).  The nodes found are used by
        :meth:`time_to_survive` from then on.  A few LP solves replace hundreds of scenario
        solves on large networks; it is a speed-up only: nodes it misses are solved as usual.

        Returns
        -------
        ndarray of bool, shape (n,)
            Every node known to be idle in some optimal plan (including earlier finds).
        """
        if self._tts_basis is None:
            return self._tts_idle.copy()
        n = self.network.n_nodes
        mat, cost, col_lower, col_upper, row_lower, row_upper = self._tts_lp
        tau = mat.shape[1] - 1
        lower, upper = col_lower.copy(), col_upper.copy()
        lower[tau] = upper[tau] = self._tts_base_obj
        h = new_highs()
        _pass_lp(h, mat, np.zeros_like(cost), lower, upper, row_lower, row_upper)
        h.setBasis(self._tts_basis)
        weight = 1.0 / np.maximum(self.network.capacity, 1e-12)
        all_cols = np.arange(mat.shape[1], dtype=np.int32)

        def idle_when_minimising(nodes: npt.NDArray[np.intp]) -> int:
            c = np.zeros(mat.shape[1])
            c[nodes] = weight[nodes]
            h.changeColsCost(c.size, all_cols, c)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return 0  # a speed-up only: stop looking, the scenarios are solved as usual
            v = np.asarray(h.getSolution().col_value)[:n]
            new = ~self._tts_idle & ~(v > 0)
            self._tts_idle |= new
            return int(new.sum())

        open_ = np.flatnonzero(~self._tts_idle & ~self._sink)
        while open_.size:
            found = idle_when_minimising(open_)
            if found < max(1.0, min_gain * open_.size):
                break
            open_ = np.flatnonzero(~self._tts_idle & ~self._sink)
        open_ = np.flatnonzero(~self._tts_idle & ~self._sink)
        for g in range(groups if open_.size >= 8 * groups else 0):
            idle_when_minimising(open_[g::groups])
        return self._tts_idle.copy()

    def mark_idle(self, idle: BoolArray) -> None:
        """Add nodes found idle by :meth:`find_idle_nodes` of a solver of the same network."""
        self._tts_idle |= np.asarray(idle, dtype=bool)

    def _names(self, idx: npt.NDArray[np.int32]) -> str:
        ids = [self.network.node_ids[int(j)] for j in idx[:5]]
        return repr(ids) + ("..." if idx.size > 5 else "")


# ---------------------------------------------------------------------------------------
# Sweep
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DisruptionReport:
    """TTR loss and TTS of every disrupted scenario of a sweep.

    Attributes
    ----------
    scenario : tuple of str
        Node id for single-node scenarios, group name for groups.
    kind : tuple of str
        ``"node"`` or ``"group"``.
    members : tuple of tuple of int
        Disrupted node indices of each scenario.
    ttr : ndarray
        Time to recover used (a group's is the largest of its members').
    loss : ndarray
        TTR objective: profit lost over ``ttr`` weeks.
    tts : ndarray
        Time to survive (``inf`` when the rest of the network meets demand indefinitely).
    risk_exposure : ndarray
        ``loss / max(loss)`` over the sweep (0 when no scenario loses anything).
    needs_attention : ndarray of bool
        ``ttr > tts``.
    """

    scenario: tuple[str, ...]
    kind: tuple[str, ...]
    members: tuple[tuple[int, ...], ...]
    ttr: FloatArray
    loss: FloatArray
    tts: FloatArray
    risk_exposure: FloatArray
    needs_attention: npt.NDArray[np.bool_]

    def to_frame(self) -> pd.DataFrame:
        """One row per scenario, sorted as swept."""
        import pandas as pd

        return pd.DataFrame(
            {
                "scenario": list(self.scenario),
                "kind": list(self.kind),
                "n_members": [len(m) for m in self.members],
                "ttr": self.ttr,
                "loss": self.loss,
                "tts": self.tts,
                "risk_exposure": self.risk_exposure,
                "needs_attention": self.needs_attention,
            }
        )


_WORKER: DisruptionSolver | None = None


def _init_worker(network: SupplyNetwork, max_tts: float) -> None:
    global _WORKER
    _WORKER = DisruptionSolver(network, max_tts=max_tts)


def _solve_chunk(
    solver: DisruptionSolver, members: Sequence[tuple[int, ...]], ttr: Sequence[float]
) -> tuple[list[float], list[float]]:
    tts = [solver.time_to_survive(m) for m in members]
    losses = [solver.loss(m, t, tts=v) for m, t, v in zip(members, ttr, tts, strict=True)]
    return losses, tts


def _worker_ready() -> None:
    """A no-op task: submitting it starts a worker (and its initializer) early."""


def _worker_chunk(
    members: Sequence[tuple[int, ...]], ttr: Sequence[float], idle: BoolArray | None
) -> tuple[list[float], list[float]]:
    assert _WORKER is not None, "worker not initialised"
    if idle is not None:
        _WORKER.mark_idle(idle)
    return _solve_chunk(_WORKER, members, ttr)


def sweep_disruptions(
    network: SupplyNetwork,
    recovery_time: float | FloatArray,
    *,
    groups: Mapping[str, Sequence[int]] | None = None,
    include_nodes: bool = True,
    workers: int = 1,
    max_tts: float = DEFAULT_MAX_TTS,
    chunk_size: int = 100,
    progress: bool = True,
) -> DisruptionReport:
    """TTR loss and TTS for every single-node disruption and every group, in one call.

    Parameters
    ----------
    network : SupplyNetwork
        Validated network.
    recovery_time : float or ndarray of shape (n,)
        Time to recover ``t_j`` of each node (weeks); a scalar applies to all.  A group
        recovers when its slowest member does, so its ``t`` is the members' maximum.
    groups : mapping name -> list of node index, optional
        Extra scenarios that disrupt several nodes at once (a firm, a region).
    include_nodes : bool
        Sweep every single node (default) before the groups.
    workers : int
        Worker processes; 1 solves in this process.  Each worker translates the LPs once;
        meanwhile this process finds the nodes whose disruption leaves TTS unchanged
        (:meth:`DisruptionSolver.find_idle_nodes`) and hands them to the workers.
    max_tts : float
        Bound on ``t`` in the TTS LP (see :data:`DEFAULT_MAX_TTS`).
    chunk_size : int
        Scenarios per task sent to a worker.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    DisruptionReport

    Raises
    ------
    ValidationError
        On a bad recovery time or a group naming an unknown node.
    OptimizationError
        If any LP fails to solve to optimality (it should not: both models are feasible
        for valid data).
    """
    network.validate()
    n = network.n_nodes
    t_arr = np.broadcast_to(np.asarray(recovery_time, dtype=float), (n,)).copy()
    bad = np.flatnonzero(~np.isfinite(t_arr) | (t_arr < 0))
    if bad.size:
        j = int(bad[0])
        raise ValidationError(
            f"recovery time of node {network.node_ids[j]!r} is {float(t_arr[j])!r}; expected finite >= 0"
        )
    names: list[str] = []
    kinds: list[str] = []
    members: list[tuple[int, ...]] = []
    if include_nodes:
        names += list(network.node_ids)
        kinds += ["node"] * n
        members += [(j,) for j in range(n)]
    for gname, nodes in (groups or {}).items():
        idx = tuple(sorted({int(j) for j in nodes}))
        if not idx:
            raise ValidationError(f"group {gname!r} has no nodes")
        if idx[0] < 0 or idx[-1] >= n:
            raise ValidationError(
                f"group {gname!r} names node index {idx[0] if idx[0] < 0 else idx[-1]}, not in 0..{n - 1}"
            )
        names.append(str(gname))
        kinds.append("group")
        members.append(idx)
    ttr = np.array([t_arr[list(m)].max() for m in members], dtype=float)

    chunks = [
        range(k, min(k + chunk_size, len(members))) for k in range(0, len(members), chunk_size)
    ]
    loss = np.empty(len(members))
    tts = np.empty(len(members))
    bar = tqdm(total=len(members), desc="disruption scenarios", unit="scn", disable=not progress)
    try:
        if workers <= 1:
            solver = DisruptionSolver(network, max_tts=max_tts)
            if include_nodes:
                solver.find_idle_nodes()
            for ch in chunks:
                lo, ts = _solve_chunk(
                    solver, [members[k] for k in ch], ttr[ch.start : ch.stop].tolist()
                )
                loss[ch.start : ch.stop] = lo
                tts[ch.start : ch.stop] = ts
                bar.update(len(ch))
        else:
            ctx = mp.get_context("spawn")  # HiGHS may hold threads: never fork it
            with ProcessPoolExecutor(
                max_workers=workers,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(network, max_tts),
            ) as pool:
                for _ in range(workers):  # workers translate their LPs meanwhile
                    pool.submit(_worker_ready)
                idle = None
                if include_nodes:
                    idle = DisruptionSolver(network, max_tts=max_tts).find_idle_nodes()
                futures = {
                    pool.submit(
                        _worker_chunk,
                        [members[k] for k in ch],
                        ttr[ch.start : ch.stop].tolist(),
                        idle,
                    ): ch
                    for ch in chunks
                }
                from concurrent.futures import as_completed

                for fut in as_completed(futures):
                    ch = futures[fut]
                    lo, ts = fut.result()
                    loss[ch.start : ch.stop] = lo
                    tts[ch.start : ch.stop] = ts
                    bar.update(len(ch))
    finally:
        bar.close()
    worst = loss.max() if loss.size else 0.0
    rei = loss / worst if worst > 0 else np.zeros_like(loss)
    return DisruptionReport(
        scenario=tuple(names),
        kind=tuple(kinds),
        members=tuple(members),
        ttr=ttr,
        loss=loss,
        tts=tts,
        risk_exposure=rei,
        needs_attention=ttr > tts,
    )
