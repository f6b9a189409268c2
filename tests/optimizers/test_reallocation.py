"""Reallocation LP/MILP: hand-solved plans, HiGHS build against the Pyomo declaration,
and infeasibility that names the product."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from graph_schema.errors import InfeasibleError, ValidationError
from optimizers import (
    ReallocationProblem,
    build_reallocation_model,
    plan_reallocation,
    random_reallocation_problem,
    solve_pyomo,
)


def two_suppliers(**changes):
    """One product 'bolt', sink 'line' needs 10 per period for 2 periods.

    Offer A: 6 per period, lane cost 1, lead 0.  Offer B: 10 per period, cost 3, lead 1.
    Lead-time penalty 0.5 per unit and period; lost demand costs 100 per unit.
    """
    p = ReallocationProblem(
        products=("bolt",),
        sources=("A", "B"),
        sinks=("line",),
        n_periods=2,
        offer_source=np.array([0, 1]),
        offer_product=np.array([0, 0]),
        offer_capacity=np.array([6.0, 10.0]),
        offer_ramp=np.ones((2, 2)),
        demand_sink=np.array([0]),
        demand_product=np.array([0]),
        demand_qty=np.array([[10.0, 10.0]]),
        lost_penalty=np.array([100.0]),
        lane_offer=np.array([0, 1]),
        lane_demand=np.array([0, 0]),
        lane_cost=np.array([1.0, 3.0]),
        lane_lead_time=np.array([0, 1]),
        lead_time_penalty=0.5,
    )
    return dataclasses.replace(p, **changes)


def test_lp_plan_by_hand():
    plan = plan_reallocation(two_suppliers())
    # Period 0: B cannot arrive yet (lead 1) -> A ships 6, 4 lost.
    # Period 1: A ships 6, B (shipped in period 0) 4 at 3 + 0.5 = 3.5.
    # transport 12 * 1 + 4 * 3 = 24; lead time 4 * 0.5 = 2; lost 4 * 100 = 400.
    assert plan.cost.transport == pytest.approx(24.0)
    assert plan.cost.lead_time == pytest.approx(2.0)
    assert plan.cost.lost_demand == pytest.approx(400.0)
    assert plan.objective == pytest.approx(426.0)
    b = plan.shipments[plan.shipments.source == "B"]
    assert b[["ship_period", "arrival_period"]].values.tolist() == [[0, 1]]
    assert b.quantity.tolist() == pytest.approx([4.0])
    assert plan.lost[["sink", "product", "period"]].values.tolist() == [["line", "bolt", 0]]


def test_ramp_up_limits_early_periods():
    # A ramps to half rate in period 0: 3 shipped, 7 lost; period 1 as before.
    # transport 9 + 12 = 21; lead 2; lost 7 * 100 = 700.
    plan = plan_reallocation(two_suppliers(offer_ramp=np.array([[0.5, 1.0], [1.0, 1.0]])))
    assert plan.objective == pytest.approx(21.0 + 2.0 + 700.0)


def test_minimum_order_forces_a_bigger_order():
    # B must ship >= 8 if it ships: period 1 -> B 8 (3.5 each) + A 2 = 30 beats losing 4 (400).
    # Period 0 unchanged: A 6, 4 lost.  transport 8 + 24 = 32, lead 4, lost 400 -> 436.
    plan = plan_reallocation(two_suppliers(lane_min_order=np.array([0.0, 8.0])))
    assert plan.objective == pytest.approx(436.0)
    assert plan.cost.transport == pytest.approx(32.0)


def test_qualification_is_bought_only_when_it_pays():
    cheap = plan_reallocation(
        two_suppliers(
            source_qualified=np.array([True, False]), qualification_cost=np.array([0.0, 50.0])
        )
    )
    # qualifying B for 50 saves 4 * 100 - 4 * 3.5 = 386 -> 426 + 50.
    assert cheap.qualified_sources == ("B",)
    assert cheap.objective == pytest.approx(476.0)
    dear = plan_reallocation(
        two_suppliers(
            source_qualified=np.array([True, False]), qualification_cost=np.array([0.0, 500.0])
        )
    )
    # 500 > 386: A alone, 8 lost -> 12 + 800.
    assert dear.qualified_sources == ()
    assert dear.objective == pytest.approx(812.0)


def test_infeasible_total_demand_names_the_product():
    p = two_suppliers(allow_lost_demand=False, demand_qty=np.array([[20.0, 20.0]]))
    with pytest.raises(InfeasibleError, match=r"product 'bolt'.* 40 units .* at most 32") as err:
        plan_reallocation(p)
    assert "pre-check" in err.value.termination


def test_infeasible_timing_names_sink_product_and_period():
    # 12 units over the horizon fit A + B capacity (6 + 6 + 10), but period 0 needs 12
    # and only A (6) can arrive then: the solver proves infeasibility and the elastic
    # re-solve names the short demand.
    p = two_suppliers(allow_lost_demand=False, demand_qty=np.array([[12.0, 0.0]]))
    with pytest.raises(
        InfeasibleError,
        match=r"sink 'line' for product 'bolt' cannot be met in period 0 \(short by 6",
    ):
        plan_reallocation(p)


def test_lane_without_matching_product_is_rejected():
    p = dataclasses.replace(
        two_suppliers(),
        products=("bolt", "nut"),
        offer_product=np.array([0, 1]),
        offer_ramp=np.ones((2, 2)),
    )
    with pytest.raises(
        ValidationError, match=r"lane 1 carries product 'nut' to a demand for 'bolt'"
    ):
        plan_reallocation(p)


@pytest.mark.parametrize("seed", range(8))
def test_highs_build_matches_pyomo(seed):
    mip = seed % 2 == 1
    p = random_reallocation_problem(30, 3, seed=seed, min_order=mip, qualification=mip)
    assert p.is_mip == mip
    plan = plan_reallocation(p)
    ref = solve_pyomo(build_reallocation_model(p))
    assert plan.objective == pytest.approx(ref, rel=1e-6)
    # the plan's books balance: what ships plus what is lost is what was demanded
    assert plan.shipments.quantity.sum() + plan.lost.quantity.sum() == pytest.approx(
        p.demand_qty.sum(), rel=1e-7
    )
