"""Tests for logistics.pdptw: reading Li & Lim files and solving one with a valid answer."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from logistics.pdptw import LiLimFormatError, LiLimInstance, euclidean, read_li_lim, solve_li_lim

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
