"""Chain strengthening (补链强链): which capacity, stock or second sources to fund.

Given candidate investments, each with a cost, choose those to fund within a budget so that
the *smallest* time-to-survive over single-node disruptions is as large as possible.

Because feasibility of the TTS constraints of [1]_ at a horizon ``t`` is monotone in ``t``
(a feasible plan for ``t`` scaled by ``t'/t`` is feasible for ``t' < t``), ``min_s TTS_s >= z``
holds exactly when every scenario ``s`` is feasible at ``t = z``.  The MILP therefore keeps one
copy of the TTS constraints per scenario, all sharing the variable ``z``::

    max  z
    s.t. sum_o cost_o x_o <= budget,                    x_o binary
         u^s_j - sum_{i in P_jk} y^s_ij / r_kj <= 0        (second sources add arcs)
         sum_j y^s_ij - u^s_i <= s_i + sum_o ds_o x_o     (extra stock)
         u^s_j <= c_j z + sum_o dc_o w_o                  (extra capacity)
         u^s_j + s_j + sum_o ds_o x_o >= d_j z,  u^s_s = 0
         y^s_o <= cap_o w_o                               (contract capacity, if any)
         w_o <= z,  w_o <= max_tts x_o                    (w_o = x_o z, exact at the optimum)

and, among the option sets reaching the best ``z``, a second solve picks the cheapest.  The
model has one block per scenario, so it is meant for chains of up to a few hundred nodes
(or a chosen list of scenarios), not for the full graph.

References
----------
.. [1] D. Simchi-Levi et al., "Identifying risks and mitigating disruptions in the automotive
   supply chain", Interfaces 45(5):375-390, 2015.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from tqdm.auto import tqdm

from graph_schema.errors import ValidationError
from optimizers.disruption import DEFAULT_MAX_TTS, _lp_structure, _pass_lp
from optimizers.network import SupplyNetwork
from optimizers.status import check_highs_status, check_pyomo_result, new_highs, pyomo_highs

if TYPE_CHECKING:
    import pyomo.environ as pyo

__all__ = [
    "LossStrengtheningPlan",
    "StrengtheningOption",
    "StrengtheningPlan",
    "build_loss_strengthening_model",
    "plan_loss_strengthening",
    "plan_strengthening",
]

_INF = highspy.kHighsInf


@dataclass(frozen=True)
class StrengtheningOption:
    """One investment that can be funded.

    Attributes
    ----------
    name : str
        Id for reporting.
    kind : {"capacity", "inventory", "second_source"}
        Extra weekly capacity at ``node``; extra stock at ``node``; or a contract with
        ``supplier`` for input ``bom_input`` of ``node``.
    node : int
        Index of the node strengthened (the buyer for a second source).
    amount : float
        Extra units per week (capacity), extra units (inventory), or the contract's units of
        input per week (second source; 0 means limited only by the supplier's capacity).
    cost : float
        What funding the option costs, in the budget's currency.
    supplier : int
        Second source only: index of the supplying node.
    bom_input : str
        Second source only: which input of ``node`` the supplier delivers.
    """

    name: str
    kind: Literal["capacity", "inventory", "second_source"]
    node: int
    amount: float
    cost: float
    supplier: int = -1
    bom_input: str = ""


@dataclass(frozen=True)
class StrengtheningPlan:
    """Result of :func:`plan_strengthening`.

    Attributes
    ----------
    chosen : tuple of str
        Names of the funded options.
    cost : float
        Their total cost.
    min_tts_before, min_tts_after : float
        Smallest time-to-survive over the scenarios without and with the funded options
        (``inf`` when every scenario survives beyond ``max_tts``).
    """

    chosen: tuple[str, ...]
    cost: float
    min_tts_before: float
    min_tts_after: float


def _bom_row(net: SupplyNetwork, node: int, inp: str) -> int:
    rows = np.flatnonzero(net.bom_node == node)
    for r in rows:
        if net.bom_input[r] == inp:
            return int(r)
    raise ValidationError(
        f"node {net.node_ids[node]!r} has no input {inp!r} in its bill of materials"
    )


def _check_options(net: SupplyNetwork, options: Sequence[StrengtheningOption]) -> list[int]:
    rows = []
    for o in options:
        if o.kind not in ("capacity", "inventory", "second_source"):
            raise ValidationError(f"option {o.name!r} has unknown kind {o.kind!r}")
        if not 0 <= o.node < net.n_nodes:
            raise ValidationError(
                f"option {o.name!r} names node index {o.node}, not in 0..{net.n_nodes - 1}"
            )
        if not (math.isfinite(o.amount) and o.amount >= 0):
            raise ValidationError(
                f"option {o.name!r} has amount {o.amount!r}; expected finite >= 0"
            )
        if not (math.isfinite(o.cost) and o.cost >= 0):
            raise ValidationError(f"option {o.name!r} has cost {o.cost!r}; expected finite >= 0")
        if o.kind == "second_source":
            if not 0 <= o.supplier < net.n_nodes or o.supplier == o.node:
                raise ValidationError(
                    f"option {o.name!r} names supplier index {o.supplier}, not a valid other node"
                )
            rows.append(_bom_row(net, o.node, o.bom_input))
        else:
            rows.append(-1)
    return rows


def plan_strengthening(
    network: SupplyNetwork,
    options: Sequence[StrengtheningOption],
    budget: float,
    *,
    scenarios: Sequence[int] | None = None,
    max_tts: float = DEFAULT_MAX_TTS,
    time_limit: float | None = None,
    progress: bool = False,
) -> StrengtheningPlan:
    """Fund the options that maximise the minimum time-to-survive, then the cheapest such set.

    Parameters
    ----------
    network : SupplyNetwork
    options : sequence of StrengtheningOption
    budget : float
        Upper bound on the total cost of the funded options.
    scenarios : sequence of int, optional
        Nodes whose single disruption is considered (default: every node).
    max_tts : float
        Bound on ``z``; reaching it means every scenario survives indefinitely (``inf``).
    time_limit : float, optional
        Seconds for each MILP solve; hitting it raises :class:`OptimizationError`.

    Raises
    ------
    ValidationError
        On a bad option or budget.
    OptimizationError
        If a solve ends non-optimal.
    """
    net = network
    net.validate()
    if not (math.isfinite(budget) and budget >= 0):
        raise ValidationError(f"budget is {budget!r}; expected finite >= 0")
    rows_of = _check_options(net, options)
    scen = list(range(net.n_nodes)) if scenarios is None else [int(s) for s in scenarios]
    for s in scen:
        if not 0 <= s < net.n_nodes:
            raise ValidationError(f"scenario node index {s} is not in 0..{net.n_nodes - 1}")
    if not scen:
        raise ValidationError("no scenarios to protect against")
    n, a = net.n_nodes, net.n_arcs
    n_opt = len(options)
    ss = [k for k, o in enumerate(options) if o.kind == "second_source"]
    n_ss = len(ss)
    fin = np.flatnonzero(net.finished)
    shared, upper, shippers = _lp_structure(net)
    n_bom = len(net.bom_input)
    # Extend the shared rows with the option arcs: each second source adds a column that
    # feeds a BOM row and draws on its supplier's ship row (added if the supplier never shipped).
    ship_row_of = {int(i): n_bom + k for k, i in enumerate(shippers)}
    extra_ship: list[int] = []
    for k in ss:
        i = options[k].supplier
        if i not in ship_row_of:
            ship_row_of[i] = n_bom + shippers.size + len(extra_ship)
            extra_ship.append(i)
    n_shared = shared.shape[0] + len(extra_ship)
    block_cols = n + a + n_ss
    r_, c_, v_ = [shared.row], [shared.col], [shared.data]
    if extra_ship:  # ship row of new shippers: -u_i
        r_.append(n_bom + shippers.size + np.arange(len(extra_ship)))
        c_.append(np.asarray(extra_ship))
        v_.append(-np.ones(len(extra_ship)))
    for q, k in enumerate(ss):
        r_ += [np.array([rows_of[k]]), np.array([ship_row_of[options[k].supplier]])]
        c_ += [np.array([n + a + q]), np.array([n + a + q])]
        v_ += [np.array([-1.0 / net.bom_ratio[rows_of[k]]]), np.array([1.0])]
    block = sp.coo_matrix(
        (np.concatenate(v_), (np.concatenate(r_), np.concatenate(c_))), shape=(n_shared, block_cols)
    )
    block_upper = np.concatenate([upper, net.inventory[extra_ship] if extra_ship else np.zeros(0)])
    inv_rows_of_node = {int(i): row for i, row in ship_row_of.items()}

    # global columns: x (n_opt), w (n_opt), z
    g = 2 * n_opt + 1
    zc = 2 * n_opt
    n_cols = g + len(scen) * block_cols
    R: list[np.ndarray] = []
    C: list[np.ndarray] = []
    V: list[np.ndarray] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    row = 0

    def add(rows: npt.ArrayLike, cols: npt.ArrayLike, vals: npt.ArrayLike) -> None:
        R.append(np.asarray(rows))
        C.append(np.asarray(cols))
        V.append(np.asarray(vals, dtype=float))

    # budget and linearisation rows
    add(np.zeros(n_opt, int), np.arange(n_opt), [o.cost for o in options])
    lo.append(np.array([-_INF]))
    hi.append(np.array([float(budget)]))
    row = 1
    for k in range(n_opt):  # w_k - z <= 0 ; w_k - M x_k <= 0
        add(
            np.array([row, row, row + 1, row + 1]),
            np.array([n_opt + k, zc, n_opt + k, k]),
            [1, -1, 1, -max_tts],
        )
        lo.append(np.full(2, -_INF))
        hi.append(np.zeros(2))
        row += 2
    for q_s, _s in enumerate(tqdm(scen, desc="strengthening scenarios", disable=not progress)):
        off = g + q_s * block_cols
        # shared rows (+ extra stock on ship rows: - ds x <= s_i)
        add(block.row + row, block.col + off, block.data)
        lo.append(np.full(n_shared, -_INF))
        hi.append(block_upper)
        for k, o in enumerate(options):
            if o.kind == "inventory" and o.node in inv_rows_of_node:
                add(np.array([row + inv_rows_of_node[o.node]]), np.array([k]), [-o.amount])
        row += n_shared
        # capacity rows: u_j - c_j z - dc w <= 0
        add(row + np.arange(n), off + np.arange(n), np.ones(n))
        add(row + np.arange(n), np.full(n, zc), -net.capacity)
        for k, o in enumerate(options):
            if o.kind == "capacity":
                add(np.array([row + o.node]), np.array([n_opt + k]), [-o.amount])
        lo.append(np.full(n, -_INF))
        hi.append(np.zeros(n))
        row += n
        # demand rows: u_j - d_j z + ds x >= -s_j
        pos = {int(j): q for q, j in enumerate(fin)}
        add(row + np.arange(fin.size), off + fin, np.ones(fin.size))
        add(row + np.arange(fin.size), np.full(fin.size, zc), -net.demand[fin])
        for k, o in enumerate(options):
            if o.kind == "inventory" and o.node in pos:
                add(np.array([row + pos[o.node]]), np.array([k]), [o.amount])
        lo.append(-net.inventory[fin])
        hi.append(np.full(fin.size, _INF))
        row += fin.size
        # contract capacity: y_o - cap w_o <= 0
        for q, k in enumerate(ss):
            if options[k].amount > 0:
                add(
                    np.array([row, row]),
                    np.array([off + n + a + q, n_opt + k]),
                    [1.0, -options[k].amount],
                )
                lo.append(np.array([-_INF]))
                hi.append(np.array([0.0]))
                row += 1
    mat = sp.csc_matrix(
        (np.concatenate(V), (np.concatenate(R), np.concatenate(C))), shape=(row, n_cols)
    )
    col_lower = np.zeros(n_cols)
    col_upper = np.full(n_cols, _INF)
    col_upper[:n_opt] = 1.0
    col_upper[zc] = max_tts
    for q_s, s in enumerate(scen):
        col_upper[g + q_s * block_cols + s] = 0.0  # the disrupted node makes nothing
    integrality = np.zeros(n_cols, dtype=np.int32)
    integrality[:n_opt] = 1
    row_lower, row_upper = np.concatenate(lo), np.concatenate(hi)

    def solve(cost: np.ndarray, maximize: bool, lower: np.ndarray, what: str) -> np.ndarray:
        h = new_highs()
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        _pass_lp(
            h,
            mat,
            cost,
            lower,
            col_upper,
            row_lower,
            row_upper,
            maximize=maximize,
            integrality=integrality,
        )
        h.run()
        check_highs_status(h, what)
        return np.asarray(h.getSolution().col_value)

    # before: no option funded
    upper_none = col_upper.copy()
    upper_none[:n_opt] = 0.0
    h0 = new_highs()
    cz = np.zeros(n_cols)
    cz[zc] = 1.0
    _pass_lp(h0, mat, cz, col_lower, upper_none, row_lower, row_upper, maximize=True)
    h0.run()
    check_highs_status(h0, "strengthening model without options")
    z_before = float(np.asarray(h0.getSolution().col_value)[zc])

    x1 = solve(cz, True, col_lower, "strengthening MILP (max min time-to-survive)")
    z_star = float(x1[zc])
    lower2 = col_lower.copy()
    lower2[zc] = z_star * (1 - 1e-7)
    cost2 = np.zeros(n_cols)
    cost2[:n_opt] = [o.cost for o in options]
    x2 = solve(
        cost2, False, lower2, "strengthening MILP (cheapest option set at the best time-to-survive)"
    )
    chosen = [k for k in range(n_opt) if x2[k] > 0.5]

    def as_tts(z: float) -> float:
        return math.inf if z >= max_tts * (1 - 1e-9) else z

    return StrengtheningPlan(
        chosen=tuple(options[k].name for k in chosen),
        cost=float(sum(options[k].cost for k in chosen)),
        min_tts_before=as_tts(z_before),
        min_tts_after=as_tts(z_star),
    )


# ---------------------------------------------------------------------------------------
# Minimise the worst single-node loss (time-to-recover model)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LossStrengtheningPlan:
    """Result of :func:`plan_loss_strengthening`.

    Attributes
    ----------
    chosen : tuple of str
        Names of the funded options.
    cost : float
        Their total cost.
    worst_loss_before, worst_loss_after : float
        Largest time-to-recover loss over the scenarios without and with the funded options.
    """

    chosen: tuple[str, ...]
    cost: float
    worst_loss_before: float
    worst_loss_after: float


def build_loss_strengthening_model(
    network: SupplyNetwork,
    options: Sequence[StrengtheningOption],
    budget: float,
    recovery_time: npt.ArrayLike,
    scenarios: Sequence[int],
) -> pyo.ConcreteModel:
    """Declare the min-worst-loss strengthening MILP in Pyomo.

    One copy of the time-to-recover (TTR) LP of Simchi-Levi et al. (2015) [1]_ per
    scenario ``s`` (node ``s`` down for its recovery time ``t_s``), all sharing the funding
    decisions ``x_o`` and the worst loss ``W``::

        min  W
        s.t. sum_o cost_o x_o <= budget,                               x_o binary
             W >= sum_{j in V} f_j l^s_j                                for every s
             u^s_j - (sum_{i in P_jk} y^s_ij + sum_{o -> (j,k)} z^s_o) / r_kj <= 0
             sum_j y^s_ij + sum_{o from i} z^s_o - u^s_i <= s_i + sum_{o stock at i} ds_o x_o
             u^s_j <= (c_j + sum_{o capacity at j} dc_o x_o) t_s
             l^s_j + u^s_j + s_j + sum_{o stock at j} ds_o x_o >= d_j t_s      (j in V)
             u^s_s = 0,   z^s_o <= M^s_o x_o                           (second sources)

    ``t_s`` is data, so funded capacity enters linearly (unlike the time-to-survive
    variant, where capacity multiplies the variable horizon).  ``M^s_o`` is the contract's
    volume over ``t_s`` when it has one, else all its supplier could make and hold.

    Parameters
    ----------
    network : SupplyNetwork
    options : sequence of StrengtheningOption
    budget : float
    recovery_time : float or array of shape (n,)
        Weeks each node takes to recover.
    scenarios : sequence of int
        Nodes whose single disruption is considered.

    Returns
    -------
    pyomo.environ.ConcreteModel
        With variables ``fund`` (x), ``worst`` (W) and the objective ``worst_loss``.

    References
    ----------
    .. [1] D. Simchi-Levi et al., "Identifying risks and mitigating disruptions in the
       automotive supply chain", Interfaces 45(5):375-390, 2015.
    """
    import pyomo.environ as pyo

    net = network
    rows_of = _check_options(net, options)
    t_all = np.broadcast_to(np.asarray(recovery_time, dtype=float), (net.n_nodes,))
    m = pyo.ConcreteModel(name="loss_strengthening")
    m.SCEN = pyo.Set(initialize=[int(s) for s in scenarios], ordered=True)
    m.NODES = pyo.Set(initialize=range(net.n_nodes), ordered=True)
    m.FINISHED = pyo.Set(within=m.NODES, initialize=[int(j) for j in np.flatnonzero(net.finished)])
    m.BOM = pyo.Set(initialize=range(len(net.bom_input)), ordered=True)
    m.ARCS = pyo.Set(initialize=range(net.n_arcs), ordered=True)
    m.OPTIONS = pyo.Set(initialize=range(len(options)), ordered=True)
    ss = [k for k, o in enumerate(options) if o.kind == "second_source"]
    m.SECOND = pyo.Set(within=m.OPTIONS, initialize=ss)
    shippers = sorted({int(i) for i in net.arc_src} | {options[k].supplier for k in ss})
    m.SHIPPERS = pyo.Set(within=m.NODES, initialize=shippers)

    m.t = pyo.Param(m.SCEN, initialize={int(s): float(t_all[s]) for s in scenarios})
    m.cost = pyo.Param(m.OPTIONS, initialize={k: o.cost for k, o in enumerate(options)})

    arcs_into: dict[int, list[int]] = {b: [] for b in range(len(net.bom_input))}
    arcs_out: dict[int, list[int]] = {i: [] for i in shippers}
    for a, (i, b) in enumerate(zip(net.arc_src.tolist(), net.arc_bom.tolist(), strict=True)):
        arcs_into[b].append(a)
        arcs_out[i].append(a)
    second_into: dict[int, list[int]] = {b: [] for b in arcs_into}
    second_out: dict[int, list[int]] = {i: [] for i in shippers}
    for k in ss:
        second_into[rows_of[k]].append(k)
        second_out[options[k].supplier].append(k)
    stock = {
        j: [k for k, o in enumerate(options) if o.kind == "inventory" and o.node == j]
        for j in range(net.n_nodes)
    }
    extra_cap = {
        j: [k for k, o in enumerate(options) if o.kind == "capacity" and o.node == j]
        for j in range(net.n_nodes)
    }

    m.fund = pyo.Var(m.OPTIONS, domain=pyo.Binary)  # x_o
    m.worst = pyo.Var(domain=pyo.NonNegativeReals)  # W
    m.production = pyo.Var(m.SCEN, m.NODES, domain=pyo.NonNegativeReals)  # u^s_j
    m.flow = pyo.Var(m.SCEN, m.ARCS, domain=pyo.NonNegativeReals)  # y^s_ij
    m.second_flow = pyo.Var(m.SCEN, m.SECOND, domain=pyo.NonNegativeReals)  # z^s_o
    m.lost = pyo.Var(m.SCEN, m.FINISHED, domain=pyo.NonNegativeReals)  # l^s_j

    def extra_stock(m: Any, j: int) -> Any:
        return sum(options[k].amount * m.fund[k] for k in stock[j])

    def budget_rule(m: Any) -> Any:
        return sum(m.cost[k] * m.fund[k] for k in m.OPTIONS) <= float(budget)

    def worst_rule(m: Any, s: int) -> Any:
        return m.worst >= sum(float(net.profit[j]) * m.lost[s, j] for j in m.FINISHED)

    def bom_rule(m: Any, s: int, b: int) -> Any:
        inflow = sum(m.flow[s, a] for a in arcs_into[b]) + sum(
            m.second_flow[s, k] for k in second_into[b]
        )
        return m.production[s, int(net.bom_node[b])] - inflow / float(net.bom_ratio[b]) <= 0

    def ship_rule(m: Any, s: int, i: int) -> Any:
        out = sum(m.flow[s, a] for a in arcs_out[i]) + sum(
            m.second_flow[s, k] for k in second_out[i]
        )
        return out - m.production[s, i] <= float(net.inventory[i]) + extra_stock(m, i)

    def capacity_rule(m: Any, s: int, j: int) -> Any:
        cap = float(net.capacity[j]) + sum(options[k].amount * m.fund[k] for k in extra_cap[j])
        return m.production[s, j] <= cap * m.t[s]

    def demand_rule(m: Any, s: int, j: int) -> Any:
        have = m.lost[s, j] + m.production[s, j] + float(net.inventory[j]) + extra_stock(m, j)
        return have >= float(net.demand[j]) * m.t[s]

    def down_rule(m: Any, s: int) -> Any:
        return m.production[s, s] == 0

    def contract_rule(m: Any, s: int, k: int) -> Any:
        o = options[k]
        if o.amount > 0:
            big = o.amount * m.t[s]
        else:
            i = o.supplier
            cap = float(net.capacity[i]) + sum(options[q].amount for q in extra_cap[i])
            big = cap * m.t[s] + float(net.inventory[i]) + sum(options[q].amount for q in stock[i])
        return m.second_flow[s, k] <= big * m.fund[k]

    m.budget = pyo.Constraint(rule=budget_rule)
    m.worst_loss_bound = pyo.Constraint(m.SCEN, rule=worst_rule)
    m.bom = pyo.Constraint(m.SCEN, m.BOM, rule=bom_rule)
    m.ship = pyo.Constraint(m.SCEN, m.SHIPPERS, rule=ship_rule)
    m.capacity_limit = pyo.Constraint(m.SCEN, m.NODES, rule=capacity_rule)
    m.demand_met = pyo.Constraint(m.SCEN, m.FINISHED, rule=demand_rule)
    m.down = pyo.Constraint(m.SCEN, rule=down_rule)
    m.contract = pyo.Constraint(m.SCEN, m.SECOND, rule=contract_rule)
    m.worst_loss = pyo.Objective(expr=m.worst, sense=pyo.minimize)
    return m


def _solve_appsi(model: pyo.ConcreteModel, what: str, time_limit: float | None) -> None:
    solver = pyomo_highs(time_limit=time_limit)
    result = solver.solve(model, load_solutions=False)
    check_pyomo_result(result, what)
    model.solutions.load_from(result)


def plan_loss_strengthening(
    network: SupplyNetwork,
    options: Sequence[StrengtheningOption],
    budget: float,
    recovery_time: npt.ArrayLike,
    *,
    scenarios: Sequence[int] | None = None,
    time_limit: float | None = None,
) -> LossStrengtheningPlan:
    """Fund the options that minimise the worst single-node TTR loss, then the cheapest such set.

    Solves :func:`build_loss_strengthening_model` three times with HiGHS: with nothing
    funded (the loss before), for the least worst loss ``W*`` (the loss after), and for the
    cheapest option set whose worst loss stays within ``W*`` (relative tolerance 1e-7).

    Parameters
    ----------
    network : SupplyNetwork
    options : sequence of StrengtheningOption
    budget : float
        Upper bound on the total cost of the funded options.
    recovery_time : float or array of shape (n,)
        Weeks each node takes to recover (finite, ``>= 0``).
    scenarios : sequence of int, optional
        Nodes whose single disruption is considered (default: every node).
    time_limit : float, optional
        Seconds for each solve; hitting it raises :class:`OptimizationError`.

    Raises
    ------
    ValidationError
        On a bad option, budget, recovery time or scenario.
    InfeasibleError, OptimizationError
        If a solve ends non-optimal.

    Examples
    --------
    >>> from optimizers.network import build_network
    >>> net = build_network(["A", "car"], profit={"car": 1.0}, demand={"car": 10.0},
    ...                     capacity={"A": 10.0, "car": 10.0},
    ...                     bom=[("car", "part", 1.0)], arcs=[("A", "car", "part")])
    >>> opt = StrengtheningOption("stock", "inventory", node=1, amount=20.0, cost=1.0)
    >>> plan = plan_loss_strengthening(net, [opt], budget=1.0, recovery_time=3.0)
    >>> plan.chosen, plan.worst_loss_before, plan.worst_loss_after   # 30 lost, then 10
    (('stock',), 30.0, 10.0)
    """
    import pyomo.environ as pyo

    net = network
    net.validate()
    if not (math.isfinite(budget) and budget >= 0):
        raise ValidationError(f"budget is {budget!r}; expected finite >= 0")
    t_all = np.broadcast_to(np.asarray(recovery_time, dtype=float), (net.n_nodes,))
    bad = np.flatnonzero(~np.isfinite(t_all) | (t_all < 0))
    if bad.size:
        j = int(bad[0])
        raise ValidationError(
            f"recovery time of node {net.node_ids[j]!r} is {float(t_all[j])!r}; expected finite >= 0"
        )
    scen = list(range(net.n_nodes)) if scenarios is None else [int(s) for s in scenarios]
    for s in scen:
        if not 0 <= s < net.n_nodes:
            raise ValidationError(f"scenario node index {s} is not in 0..{net.n_nodes - 1}")
    if not scen:
        raise ValidationError("no scenarios to protect against")
    m = build_loss_strengthening_model(net, options, budget, t_all, scen)
    for k in m.OPTIONS:
        m.fund[k].fix(0)
    _solve_appsi(m, "loss strengthening model without options", time_limit)
    before = float(pyo.value(m.worst))
    for k in m.OPTIONS:
        m.fund[k].unfix()
    _solve_appsi(m, "strengthening MILP (min worst loss)", time_limit)
    best = float(pyo.value(m.worst))
    m.worst.setub(best * (1 + 1e-7) + 1e-9)
    m.worst_loss.deactivate()
    m.spend = pyo.Objective(expr=sum(m.cost[k] * m.fund[k] for k in m.OPTIONS))
    _solve_appsi(m, "strengthening MILP (cheapest option set at the least worst loss)", time_limit)
    chosen = [k for k in m.OPTIONS if pyo.value(m.fund[k]) > 0.5]
    return LossStrengtheningPlan(
        chosen=tuple(options[k].name for k in chosen),
        cost=float(sum(options[k].cost for k in chosen)),
        worst_loss_before=before,
        worst_loss_after=best,
    )
