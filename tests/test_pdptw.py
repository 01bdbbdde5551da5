"""Tests for logistics.pdptw: reading Li & Lim files and solving one with a valid answer."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

from logistics.pdptw import (
    LiLimFormatError,
    LiLimInstance,
    LiLimNode,
    _reduce,
    euclidean,
    read_li_lim,
    routing_problem,
    solve_li_lim,
)

BENCHMARKS = Path("/work/shared/benchmarks/pdptw")
LC101 = BENCHMARKS / "li_lim_100" / "lc101.txt"

pytestmark = pytest.mark.skipif(not LC101.exists(), reason="Li & Lim files not present")


def check_routes(instance: LiLimInstance, routes: list[list[int]]) -> None:
    """Independent check: each task once, capacity, pickup before delivery, windows with service."""
    nodes = instance.nodes
    visited = [node for route in routes for node in route]
    assert sorted(visited) == list(range(1, len(nodes))), "every task exactly once"
    tolerance = 1e-3  # the solver uses distances rounded to 1/1000
    for route in routes:
        time, load, previous = nodes[0].earliest, 0, 0
        seen: set[int] = set()
        for node_id in route:
            node = nodes[node_id]
            time = max(
                time + nodes[previous].service + euclidean(nodes[previous], node), node.earliest
            )
            assert time <= node.latest + tolerance * (len(seen) + 1), (node_id, time, node.latest)
            load += node.demand
            assert 0 <= load <= instance.capacity, (node_id, load)
            if node.pickup != 0:
                assert node.pickup in seen, f"delivery {node_id} before its pickup {node.pickup}"
            seen.add(node_id)
            previous = node_id
        back = time + nodes[previous].service + euclidean(nodes[previous], nodes[0])
        assert back <= nodes[0].latest + tolerance * (len(seen) + 1)
        assert load == 0


def test_read_li_lim_lc101() -> None:
    """lc101 has 25 vans of 200, a depot and 53 pickup-delivery pairs with consistent siblings."""
    instance = read_li_lim(LC101)
    assert (instance.name, instance.vehicles, instance.capacity) == ("lc101", 25, 200)
    assert len(instance.nodes) == 107
    assert len(instance.pairs) == 53
    for pickup, delivery in instance.pairs:
        assert instance.nodes[delivery].pickup == pickup
        assert instance.nodes[pickup].demand == -instance.nodes[delivery].demand


def test_read_li_lim_rejects_short_line(tmp_path: Path) -> None:
    """A node line with a missing field is rejected naming the file and line."""
    bad = tmp_path / "bad.txt"
    bad.write_text("25 200 1\n0 40 50 0 0 1236 0 0 0\n1 45 68 -10 912 967 90 11\n")
    with pytest.raises(LiLimFormatError, match=r"bad\.txt:3"):
        read_li_lim(bad)


def test_solve_lc101_valid_and_near_best_fleet() -> None:
    """lc101 in 2 s gives valid routes using at most best-known vehicles + 2."""
    instance = read_li_lim(LC101)
    result = solve_li_lim(instance, seconds=2, workers=2)
    check_routes(instance, result["routes"])
    best = json.loads((BENCHMARKS / "BKS.json").read_text())["lc101"]
    assert result["feasible"]
    assert result["vehicles"] <= best["solved_with_vehicles"] + 2
    assert result["vehicles"] == len(result["routes"])
    assert result["seconds"] < 3.0
    recomputed = sum(
        sum(euclidean(instance.nodes[a], instance.nodes[b]) for a, b in itertools.pairwise(p))
        for p in ([0, *route, 0] for route in result["routes"])
    )
    assert result["distance"] == pytest.approx(recomputed)


def _instance(pairs: list[tuple[tuple[float, float, float, float], ...]]) -> LiLimInstance:
    """A small instance: a depot at (0, 0) open 0..1000 and, per pair, the pickup's and the
    delivery's (x, y, earliest, latest); demand 1, no service."""
    nodes = [LiLimNode(0, 0.0, 0.0, 0, 0.0, 1000.0, 0.0, 0, 0)]
    for pickup, delivery in pairs:
        p, d = len(nodes), len(nodes) + 1
        nodes.append(LiLimNode(p, pickup[0], pickup[1], 1, pickup[2], pickup[3], 0.0, 0, d))
        nodes.append(LiLimNode(d, *delivery[:2], -1, delivery[2], delivery[3], 0.0, p, 0))
    return LiLimInstance("hand", 4, 10, tuple(nodes))


def test_fleet_reduction_squeezes_two_routes_into_one() -> None:
    """Two one-pair routes that one van can serve (shortest in the order p1, p2, d1, d2) become
    one route, which the independent check accepts."""
    instance = _instance([((10, 0, 10, 20), (30, 0, 30, 40)), ((20, 0, 0, 1000), (40, 0, 0, 1000))])
    problem = routing_problem(instance, fixed_cost=False)
    reduced = _reduce(problem, ((0, 1), (2, 3)), 0, time.monotonic() + 2.0)
    assert reduced.is_feasible()
    routes = [[visit.task + 1 for visit in route.visits] for route in reduced.routes]
    assert routes == [[1, 3, 2, 4]]
    check_routes(instance, routes)


def test_fleet_reduction_that_cannot_be_done_says_so() -> None:
    """Two pairs at opposite ends whose windows overlap in time cannot share a van: the attempt
    with one van is reported infeasible (late or left out), never as a valid route."""
    instance = _instance(
        [((100, 0, 100, 110), (110, 0, 110, 120)), ((-100, 0, 100, 110), (-110, 0, 110, 120))]
    )
    problem = routing_problem(instance, fixed_cost=False)
    attempt = _reduce(problem, ((0, 1), (2, 3)), 0, time.monotonic() + 1.0)
    assert not attempt.is_feasible()
    assert attempt.lateness > 0 or attempt.unperformed
