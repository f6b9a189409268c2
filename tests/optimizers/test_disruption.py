"""TTR loss and TTS (Simchi-Levi et al., Interfaces 2015) on hand-solvable networks,
the HiGHS fast path against the Pyomo declaration, and monotonicity properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_schema.errors import ValidationError
from optimizers import (
    DEFAULT_MAX_TTS,
    DisruptionSolver,
    build_network,
    build_ttr_model,
    build_tts_model,
    make_tiered_network,
    solve_pyomo,
    sweep_disruptions,
)


def serial_chain():
    """ore -> mill -> car.

    car: demand 10/wk, stock 30, capacity 20/wk, profit 3, 1 steel per car.
    mill: capacity 15/wk, stock 20 steel, 2 ore per steel.  ore: capacity 100/wk, no stock.
    """
    return build_network(
        ["ore", "mill", "car"],
        profit={"car": 3.0},
        demand={"car": 10.0},
        inventory={"mill": 20.0, "car": 30.0},
        capacity={"ore": 100.0, "mill": 15.0, "car": 20.0},
        bom=[("mill", "ore", 2.0), ("car", "steel", 1.0)],
        arcs=[("ore", "mill", "ore"), ("mill", "car", "steel")],
    )


def test_serial_chain_time_to_survive():
    s = DisruptionSolver(serial_chain())
    # car down: only its 30 cars of stock, 10 sold per week -> 3 weeks.
    assert s.time_to_survive([2]) == pytest.approx(3.0)
    # mill down: car can build 20 cars from mill's steel stock; 20 + 30 >= 10 t -> t <= 5
    # (car's capacity 20 t >= 20 is not binding for t >= 1).
    assert s.time_to_survive([1]) == pytest.approx(5.0)
    # ore down: mill cannot make steel (needs ore, none in stock) -> same as mill down.
    assert s.time_to_survive([0]) == pytest.approx(5.0)
    # nothing down: every capacity covers demand (20 >= 10, 15 >= 10, 100 >= 20) -> forever.
    assert s.time_to_survive([]) == math.inf


def test_serial_chain_time_to_recover_loss():
    s = DisruptionSolver(serial_chain())
    # mill down 8 weeks: demand 80, 30 cars in stock + 20 from mill's steel -> 30 lost * 3 = 90.
    assert s.loss([1], 8.0) == pytest.approx(90.0)
    # car down 2 weeks: demand 20 covered by its stock of 30 -> no loss.
    assert s.loss([2], 2.0) == pytest.approx(0.0)
    # car down 4 weeks: 40 - 30 = 10 lost * 3 = 30.
    assert s.loss([2], 4.0) == pytest.approx(30.0)


def two_source():
    """car needs 1 part per unit from A (6/wk) or B (5/wk); demand 10/wk, stock 20, profit 2."""
    return build_network(
        ["A", "B", "car"],
        profit={"car": 2.0},
        demand={"car": 10.0},
        inventory={"car": 20.0},
        capacity={"A": 6.0, "B": 5.0, "car": 100.0},
        bom=[("car", "part", 1.0)],
        arcs=[("A", "car", "part"), ("B", "car", "part")],
    )


def test_two_source_node():
    s = DisruptionSolver(two_source())
    # both up: 11 parts/wk >= 10 -> forever.
    assert s.time_to_survive([]) == math.inf
    # A down: 5 t + 20 >= 10 t -> t <= 4.   B down: 6 t + 20 >= 10 t -> t <= 5.
    assert s.time_to_survive([0]) == pytest.approx(4.0)
    assert s.time_to_survive([1]) == pytest.approx(5.0)
    # A down 6 weeks: demand 60, B gives 30, stock 20 -> 10 lost * 2 = 20.
    assert s.loss([0], 6.0) == pytest.approx(20.0)
    # both down 6 weeks: 60 - 20 = 40 lost * 2 = 80.
    assert s.loss([0, 1], 6.0) == pytest.approx(80.0)


def two_input_bom():
    """car needs 2 X and 1 Y per unit; X makes 30/wk, Y 20/wk; demand 20/wk, stock 40."""
    return build_network(
        ["X", "Y", "car"],
        profit={"car": 1.0},
        demand={"car": 20.0},
        inventory={"car": 40.0},
        capacity={"X": 30.0, "Y": 20.0, "car": 100.0},
        bom=[("car", "x", 2.0), ("car", "y", 1.0)],
        arcs=[("X", "car", "x"), ("Y", "car", "y")],
    )


def test_scarcer_input_binds():
    s = DisruptionSolver(two_input_bom())
    # X allows 30/2 = 15 cars/wk, Y allows 20: X binds. 15 t + 40 >= 20 t -> t <= 8.
    assert s.time_to_survive([]) == pytest.approx(8.0)
    # 10 weeks undisrupted: demand 200, 150 built, 40 stock -> 10 lost.
    assert s.loss([], 10.0) == pytest.approx(10.0)
    # Y down: no cars built, 40 / 20 -> 2 weeks.
    assert s.time_to_survive([1]) == pytest.approx(2.0)


def test_sweep_flags_nodes_whose_recovery_outlasts_survival():
    net = serial_chain()
    # TTS: ore 5, mill 5, car 3.  Recovery: ore 4 (ok), mill 6 (> 5), car 3 (not > 3).
    rep = sweep_disruptions(
        net, np.array([4.0, 6.0, 3.0]), groups={"steel firm": [0, 1]}, progress=False
    )
    assert rep.scenario == ("ore", "mill", "car", "steel firm")
    assert rep.tts == pytest.approx([5.0, 5.0, 3.0, 5.0])
    assert rep.needs_attention.tolist() == [False, True, False, True]
    # the group recovers when its slowest member does: max(4, 6) = 6.
    assert rep.ttr.tolist() == [4.0, 6.0, 3.0, 6.0]
    # losses: ore 4 wk: 40 demand - 50 available -> 0; mill 6 wk: 60 - 50 = 10 * 3 = 30;
    # car 3 wk: 30 - 30 = 0; group 6 wk = 30.
    assert rep.loss == pytest.approx([0.0, 30.0, 0.0, 30.0])
    assert rep.risk_exposure == pytest.approx([0.0, 1.0, 0.0, 1.0])
    frame = rep.to_frame()
    assert list(frame.columns[:3]) == ["scenario", "kind", "n_members"]
    assert frame["kind"].tolist() == ["node", "node", "node", "group"]


def test_sweep_rejects_bad_input():
    with pytest.raises(ValidationError, match=r"recovery time of node 'mill' is -1\.0"):
        sweep_disruptions(serial_chain(), np.array([1.0, -1.0, 1.0]), progress=False)
    with pytest.raises(ValidationError, match=r"group 'far' names node index 7"):
        sweep_disruptions(serial_chain(), 1.0, groups={"far": [0, 7]}, progress=False)


def test_two_workers_agree_with_one():
    net = make_tiered_network(60, seed=11)
    t = np.random.default_rng(11).uniform(1, 6, net.n_nodes)
    one = sweep_disruptions(net, t, workers=1, chunk_size=16, progress=False)
    two = sweep_disruptions(net, t, workers=2, chunk_size=16, progress=False)
    np.testing.assert_allclose(one.loss, two.loss, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(one.tts, two.tts, rtol=1e-7)
    assert one.needs_attention.any() and not one.needs_attention.all()


def test_fast_path_matches_pyomo_on_50_random_instances():
    for seed in range(50):
        rng = np.random.default_rng(1000 + seed)
        net = make_tiered_network(
            int(rng.integers(8, 20)), tiers=int(rng.integers(2, 4)), seed=seed
        )
        solver = DisruptionSolver(net)
        k = int(rng.integers(1, 3))
        hit = sorted(int(j) for j in rng.choice(net.n_nodes, size=k, replace=False))
        t = float(rng.uniform(0.5, 10.0))
        ref_loss = solve_pyomo(build_ttr_model(net, hit, t))
        assert solver.loss(hit, t) == pytest.approx(ref_loss, rel=1e-6, abs=1e-6), seed
        ref_tts = solve_pyomo(build_tts_model(net, hit))
        fast = solver.time_to_survive(hit)
        if ref_tts >= DEFAULT_MAX_TTS * (1 - 1e-9):
            assert fast == math.inf, seed
        else:
            assert fast == pytest.approx(ref_tts, rel=1e-6, abs=1e-6), seed


_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(seed=st.integers(0, 10_000), node=st.integers(0, 14), factor=st.floats(1.0, 5.0))
def test_tts_grows_weakly_with_inventory(seed, node, factor):
    net = make_tiered_network(15, tiers=3, seed=seed)
    more = net.inventory.copy()
    more[node] = more[node] * factor + 1.0
    hit = [seed % net.n_nodes]
    before = DisruptionSolver(net).time_to_survive(hit)
    after = DisruptionSolver(net.with_changes(inventory=more)).time_to_survive(hit)
    assert after >= before * (1 - 1e-7)


@_SETTINGS
@given(seed=st.integers(0, 10_000), node=st.integers(0, 14), factor=st.floats(0.0, 1.0))
def test_tts_shrinks_weakly_when_capacity_falls(seed, node, factor):
    net = make_tiered_network(15, tiers=3, seed=seed)
    less = net.capacity.copy()
    less[node] *= factor
    hit = [seed % net.n_nodes]
    before = DisruptionSolver(net).time_to_survive(hit)
    after = DisruptionSolver(net.with_changes(capacity=less)).time_to_survive(hit)
    assert after <= before * (1 + 1e-7) + 1e-9


def test_sink_closed_form_matches_pyomo_on_60_random_instances():
    """Disrupting only sinks is answered without a solve (``_sink_tau``/``_sink_loss``):
    the answers equal the Pyomo LPs, including zero stock (TTS 0) and scarce networks
    where the undisrupted optimum already loses (then the TTR falls back to the LP)."""
    used = 0
    for seed in range(60):
        rng = np.random.default_rng(5000 + seed)
        net = make_tiered_network(
            int(rng.integers(8, 24)), tiers=int(rng.integers(2, 4)), seed=seed
        )
        inv = net.inventory.copy()
        inv[rng.random(net.n_nodes) < 0.2] = 0.0
        cap = net.capacity * (rng.uniform(0.3, 1.0) if seed % 3 == 0 else 1.0)
        net = net.with_changes(inventory=inv, capacity=cap)
        sinks = np.flatnonzero(np.bincount(net.arc_src, minlength=net.n_nodes) == 0)
        k = int(rng.integers(1, min(3, sinks.size) + 1))
        hit = sorted(int(j) for j in rng.choice(sinks, size=k, replace=False))
        t = float(rng.uniform(0.5, 10.0))
        solver = DisruptionSolver(net)
        assert solver.loss(hit, t) == pytest.approx(
            solve_pyomo(build_ttr_model(net, hit, t)), rel=1e-6, abs=1e-6
        ), seed
        ref_tts = solve_pyomo(build_tts_model(net, hit))
        fast = solver.time_to_survive(hit)
        if ref_tts >= DEFAULT_MAX_TTS * (1 - 1e-9):
            assert fast == math.inf, seed
        else:
            assert fast == pytest.approx(ref_tts, rel=1e-6, abs=1e-6), seed
        used += solver.closed_form_solves
    assert used >= 60  # the closed forms answered most of these scenarios


def test_sink_closed_form_by_hand():
    """car (finished, 30 in stock, 10/wk) and scrap (buys ore, no demand) are sinks."""
    net = build_network(
        ["ore", "mill", "car", "scrap"],
        profit={"car": 3.0},
        demand={"car": 10.0},
        inventory={"mill": 20.0, "car": 30.0},
        capacity={"ore": 100.0, "mill": 15.0, "car": 20.0, "scrap": 5.0},
        bom=[("mill", "ore", 2.0), ("car", "steel", 1.0), ("scrap", "ore", 1.0)],
        arcs=[("ore", "mill", "ore"), ("mill", "car", "steel"), ("ore", "scrap", "ore")],
    )
    solver = DisruptionSolver(net)
    car, scrap = net.index_of("car"), net.index_of("scrap")
    assert solver.time_to_survive([car]) == pytest.approx(3.0)  # 30 / 10
    assert solver.loss([car], 5.0) == pytest.approx(3.0 * (50.0 - 30.0))
    assert solver.time_to_survive([scrap]) == math.inf  # nothing depends on scrap
    assert solver.loss([scrap], 5.0) == 0.0
    assert solver.closed_form_solves >= 2
    empty = DisruptionSolver(net.with_changes(inventory=np.zeros(4)))
    assert empty.time_to_survive([car]) == 0.0  # no stock: demand unmet at once


def test_sweep_shortcuts_match_pyomo_for_every_node():
    """The sweep solves TTS first, reads a zero loss off ``tts >= ttr`` and reuses the idle
    nodes of earlier optimal plans; every node's answer still equals the Pyomo models."""
    skipped = 0
    for seed in range(8):
        rng = np.random.default_rng(7000 + seed)
        net = make_tiered_network(int(rng.integers(10, 18)), tiers=3, seed=100 + seed)
        if seed % 2:  # scarcer networks: some nodes lose demand, some survive for ever
            net = net.with_changes(capacity=net.capacity * 0.8)
        ttr = rng.uniform(0.5, 6.0, net.n_nodes)
        solver = DisruptionSolver(net)
        tts = [solver.time_to_survive([j]) for j in range(net.n_nodes)]
        loss = [solver.loss([j], ttr[j], tts=tts[j]) for j in range(net.n_nodes)]
        skipped += solver.skipped_by_tts
        rep = sweep_disruptions(net, ttr, progress=False)
        np.testing.assert_allclose(rep.loss, loss, rtol=1e-9)
        for j in range(net.n_nodes):
            ref_loss = solve_pyomo(build_ttr_model(net, [j], float(ttr[j])))
            assert loss[j] == pytest.approx(ref_loss, rel=1e-6, abs=1e-6), (seed, j)
            ref_tts = solve_pyomo(build_tts_model(net, [j]))
            if ref_tts >= DEFAULT_MAX_TTS * (1 - 1e-9):
                assert tts[j] == math.inf, (seed, j)
            else:
                assert tts[j] == pytest.approx(ref_tts, rel=1e-6, abs=1e-6), (seed, j)
    assert skipped > 0  # the zero-loss shortcut was exercised


def test_idle_nodes_keep_the_undisrupted_time_to_survive():
    """Every node :meth:`find_idle_nodes` reports has the undisrupted TTS when it alone is
    down (checked with the Pyomo model), and it finds more than the base plan idles."""
    extra = 0
    for seed in range(6):
        net = make_tiered_network(40, tiers=3, max_sources=3, seed=300 + seed)
        if seed % 2:
            net = net.with_changes(capacity=net.capacity * 0.7)  # finite base TTS
        solver = DisruptionSolver(net)
        before = solver._tts_idle.copy()
        idle = solver.find_idle_nodes()
        assert (idle >= before).all()
        extra += int((idle & ~before).sum())
        base = solve_pyomo(build_tts_model(net, []))
        for j in np.flatnonzero(idle & ~before):
            ref = solve_pyomo(build_tts_model(net, [int(j)]))
            assert ref == pytest.approx(base, rel=1e-6, abs=1e-6), (seed, j)
            fast = solver.time_to_survive([int(j)])
            if base >= DEFAULT_MAX_TTS * (1 - 1e-9):
                assert fast == math.inf
            else:
                assert fast == pytest.approx(base, rel=1e-6)
    assert extra > 0


def test_local_solve_gives_the_full_lp_optimum_on_random_instances():
    """:class:`optimizers.restricted.RestrictedLP` solves only the part of the TTS LP a
    disruption reaches and proves optimality from LP duality; on every node of 12 random
    networks (some scarce, so that TTS is finite) it equals the full LP re-solve."""
    local = gave_up = 0
    for seed in range(12):
        rng = np.random.default_rng(9000 + seed)
        net = make_tiered_network(int(rng.integers(60, 140)), tiers=4, seed=400 + seed)
        if seed % 3 == 0:
            net = net.with_changes(capacity=net.capacity * rng.uniform(0.6, 0.9))
        fast = DisruptionSolver(net)
        full = DisruptionSolver(net)
        full._tts_local = None  # the reference: every scenario re-solves the whole LP
        for j in range(net.n_nodes):
            a, b = fast.time_to_survive([j]), full.time_to_survive([j])
            if math.isinf(b):
                assert a == math.inf, (seed, j)
            else:
                assert a == pytest.approx(b, rel=1e-6, abs=1e-7), (seed, j)
        hit = [int(j) for j in rng.choice(net.n_nodes, 2, replace=False)]
        a, b = fast.time_to_survive(hit), full.time_to_survive(hit)
        assert a == b or a == pytest.approx(b, rel=1e-6, abs=1e-7), (seed, hit)
        local += fast.local_solves
        gave_up += fast._tts_local.stats.gave_up if fast._tts_local is not None else 0
    assert local > 50  # the local solve answered many scenarios
    assert gave_up > 0  # and the fallback to the full LP was exercised too
