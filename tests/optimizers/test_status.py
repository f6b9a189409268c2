"""A non-optimal HiGHS solve becomes an exception carrying the termination condition."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from graph_schema.errors import InfeasibleError, UnboundedError
from optimizers import DisruptionSolver, build_network
from optimizers.disruption import _pass_lp
from optimizers.status import check_highs_status, new_highs

INF = math.inf


def _solve(lower, upper, row_lower, row_upper, cost):
    h = new_highs()
    mat = sp.csc_matrix(np.array([[1.0, 1.0]]))
    _pass_lp(
        h,
        mat,
        np.array(cost),
        np.array(lower),
        np.array(upper),
        np.array(row_lower),
        np.array(row_upper),
    )
    h.run()
    return h


def test_infeasible_raises_with_termination():
    # x + y >= 5 with x, y in [0, 1]: infeasible.
    h = _solve([0, 0], [1, 1], [5.0], [INF], [1.0, 1.0])
    with pytest.raises(
        InfeasibleError, match=r"toy LP did not solve to optimality: Infeasible; check x"
    ) as err:
        check_highs_status(h, "toy LP", hint="check x")
    assert err.value.termination == "Infeasible"


def test_unbounded_raises():
    # min -x - y with x + y >= 0 and no upper bounds: unbounded.
    h = _solve([0, 0], [INF, INF], [0.0], [INF], [-1.0, -1.0])
    with pytest.raises(UnboundedError) as err:
        check_highs_status(h, "toy LP")
    assert "nbounded" in err.value.termination


def test_single_node_without_suppliers():
    # capacity 3 < demand 5, stock 10: 3 t + 10 >= 5 t -> 5 weeks; shut -> 10 / 5 = 2.
    net = build_network(
        ["solo"],
        demand={"solo": 5.0},
        inventory={"solo": 10.0},
        capacity={"solo": 3.0},
        profit={"solo": 1.0},
    )
    s = DisruptionSolver(net)
    assert s.time_to_survive([]) == pytest.approx(5.0)
    assert s.time_to_survive([0]) == pytest.approx(2.0)
    # shut 4 weeks: 20 demanded, 10 in stock -> 10 lost at 1 each.
    assert s.loss([0], 4.0) == pytest.approx(10.0)


def test_a_pyomo_solve_first_leaves_later_highs_solves_working() -> None:
    """HiGHS sizes one task scheduler per process at the first solve: a Pyomo solve that
    asked for another thread count made every later DisruptionSolver fail ("Not Set").
    Fresh process, because the first solve of the test session decides."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import pyomo.environ as pyo\n"
        "from optimizers.network import build_network\n"
        "from optimizers.disruption import DisruptionSolver\n"
        "from optimizers.status import pyomo_highs\n"
        "m = pyo.ConcreteModel(); m.x = pyo.Var(bounds=(0, 4))\n"
        "m.o = pyo.Objective(expr=m.x, sense=pyo.maximize)\n"
        "r = pyomo_highs(time_limit=60).solve(m, load_solutions=False)\n"
        "net = build_network(['a', 'b'], demand={'b': 10.0}, inventory={'b': 30.0},\n"
        "    profit={'b': 2.0}, capacity={'a': 10.0, 'b': 10.0},\n"
        "    bom=[('b', 'part', 1.0)], arcs=[('a', 'b', 'part')])\n"
        "print(DisruptionSolver(net).time_to_survive([0]))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "PYTHONPATH": str(root)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "3.0"
