"""Turn a solver's termination into an exception: a non-optimal solve never passes silently."""

from __future__ import annotations

from typing import Any

import highspy

from graph_schema.errors import InfeasibleError, OptimizationError, UnboundedError

__all__ = ["check_highs_status", "check_pyomo_result", "new_highs", "pyomo_highs"]


def new_highs(*, threads: int = 1) -> highspy.Highs:
    """Return a silent single-threaded HiGHS instance (HiGHS prints its banner otherwise)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    if threads:
        h.setOptionValue("threads", threads)
    return h


def pyomo_highs(*, time_limit: float | None = None) -> Any:
    """Pyomo's persistent HiGHS interface, single-threaded like :func:`new_highs`.

    HiGHS keeps one task scheduler per process, sized by the ``threads`` option of the
    first solve; a later instance asking for another thread count fails to run (its model
    status stays "Not Set").  Every solve of this package therefore asks for one thread, and
    a sweep gets its parallelism from processes instead.
    """
    import pyomo.environ as pyo

    solver = pyo.SolverFactory("appsi_highs")
    solver.highs_options["threads"] = 1
    if time_limit is not None:
        solver.config.time_limit = float(time_limit)
    return solver


def check_highs_status(h: highspy.Highs, what: str, *, hint: str = "") -> None:
    """Raise unless the last solve of ``h`` ended optimal.

    Parameters
    ----------
    h : highspy.Highs
        The solver after ``run()``.
    what : str
        The model's name for the message, e.g. ``"time-to-survive LP, scenario 'P7'"``.
    hint : str
        Extra text appended to the message (what data to check).

    Raises
    ------
    InfeasibleError, UnboundedError, OptimizationError
        With ``termination`` set to HiGHS's model status string.
    """
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return
    text = h.modelStatusToString(status)
    msg = f"{what} did not solve to optimality: {text}" + (f"; {hint}" if hint else "")
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError(msg, termination=text)
    if status in (
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        raise UnboundedError(msg, termination=text)
    raise OptimizationError(msg, termination=text)


def check_pyomo_result(result: object, what: str) -> None:
    """Raise unless a Pyomo ``SolverFactory(...).solve`` result is optimal."""
    from pyomo.opt import TerminationCondition

    tc = result.solver.termination_condition  # type: ignore[attr-defined]
    if tc == TerminationCondition.optimal:
        return
    text = str(tc)
    msg = f"{what} did not solve to optimality: {text}"
    if tc == TerminationCondition.infeasible:
        raise InfeasibleError(msg, termination=text)
    if tc in (TerminationCondition.unbounded, TerminationCondition.infeasibleOrUnbounded):
        raise UnboundedError(msg, termination=text)
    raise OptimizationError(msg, termination=text)
