"""Re-solve a perturbed LP on the part of the model the perturbation reaches, with a proof.

A disruption scenario forces a few columns of an LP to zero.  Most of the optimal solution of
the undisrupted LP (the *base*) stays optimal: only the columns near the disrupted ones move.
:class:`RestrictedLP` keeps every column outside a *free set* ``F`` at its base value, solves
the small LP over ``F`` (the rows that ``F`` touches, their bounds shifted by the fixed part),
and then checks that the combined primal solution is optimal for the **full** LP by
constructing a dual solution and testing the optimality conditions of linear programming
(e.g. Bertsimas and Tsitsiklis [1]_):

* primal feasibility: rows in the small LP hold by its solution; a row outside it touches no
  free column, so it keeps its base activity (and a *loosening column*, below, only relaxes
  it);
* dual feasibility and complementary slackness: rows of the small LP take its duals, rows
  outside it keep their base duals; a free column's reduced cost is the small LP's; a fixed
  column that touches no row of the small LP keeps its base reduced cost.  So only fixed
  columns touching the small LP's rows need checking: ``d_j = c_j - a_j^T y`` must be
  ``>= 0`` at the lower bound, ``<= 0`` at the upper bound and ``0`` in between.

Every column that fails joins ``F`` and the small LP is solved again (column generation
in the sense of [2]_, with the free set only growing).  When the check passes, the small
LP's objective plus the fixed columns' cost *is* the full optimum; when ``F`` grows past a
limit, or the check still fails after a few rounds (a small LP with no feasible point is
widened by one ring of neighbouring columns), the caller falls back to the full LP.  A quicker
proof ends most scenarios early: forcing columns to zero only shrinks the feasible set, so
no scenario beats the base objective, and a small LP that reaches it is optimal.

The *loosening column* serves the time-to-survive LP in rate form, whose variable
``tau = 1 / t`` appears in every ship and demand row and relaxes each of them as it grows:
it is always free, bounded below by its base value (no scenario does better than the base),
and a row outside the small LP whose base dual is non-zero must join it once ``tau`` moves
(complementary slackness), which is checked too.

References
----------
.. [1] D. Bertsimas, J. N. Tsitsiklis, *Introduction to Linear Optimization*, Athena
   Scientific, 1997, chapter 4 (duality theory, complementary slackness).
.. [2] G. B. Dantzig, P. Wolfe, "Decomposition principle for linear programs", Operations
   Research 8(1):101-111, 1960.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optimizers.network import FloatArray
from optimizers.status import new_highs

__all__ = ["RestrictedLP", "RestrictedStats"]

IntArray = npt.NDArray[np.int64]

_FEAS_TOL = 1e-9
_DUAL_TOL = 1e-7


@dataclass
class RestrictedStats:
    """Counts of how scenarios were answered (for benchmarks and tests)."""

    solved: int = 0
    small_lps: int = 0
    gave_up: int = 0
    largest_free_set: int = 0


class RestrictedLP:
    """A minimisation LP with a known optimal primal-dual pair, re-solved locally.

    Parameters
    ----------
    csc, csr : scipy.sparse matrix
        The constraint matrix in both layouts (shared between instances; not copied).
    cost, col_lower, col_upper, row_lower, row_upper : ndarray
        The LP ``min c x`` s.t. ``row_lower <= A x <= row_upper``,
        ``col_lower <= x <= col_upper`` (``highspy.kHighsInf`` for infinite).
    x0, y0 : ndarray
        An optimal primal solution and row duals of that LP (HiGHS sign convention: the
        column duals are ``c - A^T y``).
    loosening_col : int, optional
        A column whose increase relaxes every row it appears in; it stays free with lower
        bound ``x0[loosening_col]``.
    max_free, max_rounds : int
        Give up (return ``None``) when the free set grows beyond ``max_free`` columns or
        the check still fails after ``max_rounds`` small LPs: the full LP is then cheaper.
    """

    def __init__(
        self,
        csc: sp.csc_matrix,
        csr: sp.csr_matrix,
        cost: FloatArray,
        col_lower: FloatArray,
        col_upper: FloatArray,
        row_lower: FloatArray,
        row_upper: FloatArray,
        x0: FloatArray,
        y0: FloatArray,
        *,
        loosening_col: int | None = None,
        max_free: int = 600,
        max_rounds: int = 4,
    ) -> None:
        self.csc, self.csr = csc, csr
        self.cost = cost
        self.col_lower, self.col_upper = col_lower, col_upper
        self.row_lower, self.row_upper = row_lower, row_upper
        self.x0, self.y0 = x0, y0
        self.act0 = np.asarray(csr @ x0)
        self.d0 = cost - np.asarray(csc.T @ y0)
        self.base_obj = float(cost @ x0)
        self.loose = loosening_col
        self.max_free = max_free
        self.max_rounds = max_rounds
        self.stats = RestrictedStats()
        self._h = new_highs()
        n_col = csc.shape[1]
        self._at_lower = x0 <= col_lower + _FEAS_TOL * (1 + np.abs(col_lower))
        finite_up = np.isfinite(col_upper)
        self._at_upper = finite_up & (
            x0 >= np.where(finite_up, col_upper, 0.0) * (1 - _FEAS_TOL) - _FEAS_TOL
        )
        self._is_free = np.zeros(n_col, dtype=bool)
        if loosening_col is not None:
            col = csc[:, loosening_col]
            rows = col.indices[np.abs(y0[col.indices]) > 0]
            self._critical_rows: IntArray = rows.astype(np.int64)
        else:
            self._critical_rows = np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------------------------

    def _rows_of(self, cols: IntArray) -> IntArray:
        p = self.csc.indptr
        parts = [self.csc.indices[p[c] : p[c + 1]] for c in cols.tolist()]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def _cols_of(self, rows: IntArray) -> IntArray:
        p = self.csr.indptr
        parts = [self.csr.indices[p[r] : p[r + 1]] for r in rows.tolist()]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def _widen(self, free: IntArray) -> IntArray:
        """``free`` and every column sharing a row with it (but the loosening column)."""
        out = np.union1d(free, self._cols_of(self._rows_of(free)))
        return out if self.loose is None else out[out != self.loose]

    def solve(self, zero_cols: npt.ArrayLike, *, hops: int = 2) -> float | None:
        """Optimal objective of the LP with ``zero_cols`` forced to 0, or ``None``.

        ``None`` means the local solve gave up (see ``max_free`` and ``max_rounds``); the
        caller then solves the full LP.  ``hops`` rounds of neighbouring
        columns (sharing a row) join the first free set.
        """
        zero = np.unique(np.asarray(zero_cols, dtype=np.int64))
        if zero.size == 0 or not (np.abs(self.x0[zero]) > 0).any():
            return self.base_obj  # the base optimum stays feasible, hence optimal
        free = zero
        loose = self.loose
        for _ in range(hops):
            free = self._widen(free)
        self.stats.solved += 1
        for _ in range(self.max_rounds):
            if free.size > self.max_free:
                break
            self.stats.largest_free_set = max(self.stats.largest_free_set, int(free.size))
            out = self._solve_small(free, zero)
            if out is None:  # infeasible without more room: widen by one hop
                free = self._widen(free)
                continue
            obj, rows, y, x_loose = out
            if obj <= self.base_obj + _DUAL_TOL * (1 + abs(self.base_obj)):
                return max(obj, self.base_obj)  # no scenario beats the base: optimal
            grow = self._violations(free, rows, y)
            if loose is not None and x_loose > self.x0[loose] + _FEAS_TOL:
                missing = np.setdiff1d(self._critical_rows, rows, assume_unique=True)
                if missing.size:
                    grow = np.union1d(grow, self._cols_of(missing))
                    grow = grow[grow != loose]
            if grow.size == 0:
                return obj
            free = np.union1d(free, grow)
        self.stats.gave_up += 1
        return None

    def _solve_small(
        self, free: IntArray, zero: IntArray
    ) -> tuple[float, IntArray, FloatArray, float] | None:
        loose = self.loose
        cols = free if loose is None else np.append(free, loose)
        rows = self._rows_of(free)
        sub = self.csr[rows][:, cols].tocsc()
        fixed_act = self.act0[rows] - sub @ self.x0[cols]
        lower = self.col_lower[cols].copy()
        upper = self.col_upper[cols].copy()
        pos = np.searchsorted(free, zero)
        lower[pos] = 0.0
        upper[pos] = 0.0
        if loose is not None:
            lower[-1] = self.x0[loose]
        inf = highspy.kHighsInf
        rl = self.row_lower[rows]
        ru = self.row_upper[rows]
        lp = highspy.HighsLp()
        lp.num_col_ = int(cols.size)
        lp.num_row_ = int(rows.size)
        lp.col_cost_ = self.cost[cols]
        lp.col_lower_ = lower
        lp.col_upper_ = upper
        lp.row_lower_ = np.where(rl <= -inf, -inf, rl - fixed_act)
        lp.row_upper_ = np.where(ru >= inf, inf, ru - fixed_act)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = sub.indptr.astype(np.int32)
        lp.a_matrix_.index_ = sub.indices.astype(np.int32)
        lp.a_matrix_.value_ = sub.data.astype(np.float64)
        h = self._h
        h.passModel(lp)
        h.run()
        self.stats.small_lps += 1
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = h.getSolution()
        x = np.asarray(sol.col_value)
        y = np.asarray(sol.row_dual)
        fixed_cost = self.base_obj - float(self.cost[cols] @ self.x0[cols])
        obj = float(self.cost[cols] @ x) + fixed_cost
        return obj, rows, y, float(x[-1]) if loose is not None else 0.0

    def _violations(self, free: IntArray, rows: IntArray, y: FloatArray) -> IntArray:
        """Fixed columns touching ``rows`` whose reduced cost breaks optimality."""
        cand = np.setdiff1d(self._cols_of(rows), free, assume_unique=True)
        if self.loose is not None:
            cand = cand[cand != self.loose]
        if cand.size == 0:
            return cand
        delta = self.y0[rows] - y  # y replaces y0 on these rows
        d = self.d0[cand] + np.asarray(self.csr[rows][:, cand].T @ delta)
        lo, up = self._at_lower[cand], self._at_upper[cand]
        bad = np.where(
            lo & up,
            False,
            np.where(lo, d < -_DUAL_TOL, np.where(up, d > _DUAL_TOL, np.abs(d) > _DUAL_TOL)),
        )
        return cand[bad]
