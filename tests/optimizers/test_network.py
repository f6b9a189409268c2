"""Validation of the supply network: every bad value is named in the error."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from graph_schema.errors import ValidationError
from optimizers import build_network


def _net():
    return build_network(
        ["ore", "mill", "car"],
        demand={"car": 10.0},
        capacity={"ore": 50.0, "mill": 20.0, "car": 15.0},
        bom=[("mill", "ore", 2.0), ("car", "steel", 1.0)],
        arcs=[("ore", "mill", "ore"), ("mill", "car", "steel")],
    )


def test_builder_indexes_and_finished_mask():
    net = _net()
    assert net.node_ids == ("ore", "mill", "car")
    assert net.finished.tolist() == [False, False, True]
    assert net.arc_dst.tolist() == [1, 2]
    assert net.bom_ratio.tolist() == [2.0, 1.0]
    assert net.index_of("mill") == 1


def test_negative_capacity_is_named():
    with pytest.raises(ValidationError, match=r"capacity of node 'mill' is -1\.0"):
        build_network(["mill"], capacity={"mill": -1.0})


def test_bom_ratio_must_be_positive():
    with pytest.raises(ValidationError, match=r"BOM ratio of input 'ore' of node 'mill' is 0\.0"):
        build_network(["ore", "mill"], bom=[("mill", "ore", 0.0)], arcs=[("ore", "mill", "ore")])


def test_arc_to_unknown_node():
    with pytest.raises(ValidationError, match=r"unknown node 'nowhere'"):
        build_network(["ore", "mill"], bom=[("mill", "ore", 1.0)], arcs=[("ore", "nowhere", "ore")])


def test_arc_for_input_not_in_bom():
    with pytest.raises(ValidationError, match=r"input 'coal', which is not in the BOM of 'mill'"):
        build_network(["ore", "mill"], bom=[("mill", "ore", 1.0)], arcs=[("ore", "mill", "coal")])


def test_input_without_supplier():
    with pytest.raises(ValidationError, match=r"input 'ore' of node 'mill' has no supplier"):
        build_network(["ore", "mill"], bom=[("mill", "ore", 1.0)])


def test_duplicate_node_id():
    net = _net()
    bad = dataclasses.replace(net, node_ids=("ore", "ore", "car"))
    with pytest.raises(ValidationError, match=r"duplicate node id 'ore'"):
        bad.validate()


def test_self_loop_and_wrong_shape():
    net = _net()
    with pytest.raises(ValidationError, match=r"self-loop on node 'car'"):
        dataclasses.replace(net, arc_src=np.array([0, 2])).validate()
    with pytest.raises(ValidationError, match=r"demand has shape \(2,\)"):
        dataclasses.replace(net, demand=np.zeros(2)).validate()


def test_with_changes_validates():
    net = _net()
    assert net.with_changes(inventory=np.array([0.0, 5.0, 1.0])).inventory.tolist() == [
        0.0,
        5.0,
        1.0,
    ]
    with pytest.raises(ValidationError, match=r"inventory of node 'car' is -2\.0"):
        net.with_changes(inventory=np.array([0.0, 0.0, -2.0]))
