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
