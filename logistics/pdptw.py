"""Li & Lim pickup-and-delivery benchmark instances: read them and solve them with `routing`.

The file format (one record per line, whitespace separated): a header `vehicles capacity speed`,
then `id x y demand earliest latest service pickup_sibling delivery_sibling` per node, node 0
being the depot. A pickup has pickup_sibling 0 and names its delivery; a delivery names its pickup.
Times and distances are Euclidean (speed 1).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logistics.routing import RoutingProblem, Task, Vehicle, solve

# Integer scale at the solver boundary: 1 Euclidean unit = 1000 model units (distance and time).
SCALE = 1000


class LiLimFormatError(ValueError):
    """A Li & Lim file that cannot be read; the message names the file, line and value."""


@dataclass(frozen=True)
class LiLimNode:
    """One node: coordinates, demand (crates), window and service in Euclidean time units."""

    id: int
    x: float
    y: float
    demand: int
    earliest: float
    latest: float
    service: float
    pickup: int
    delivery: int


@dataclass(frozen=True)
class LiLimInstance:
    """A Li & Lim instance: fleet size, vehicle capacity and nodes (nodes[0] is the depot)."""

    name: str
    vehicles: int
    capacity: int
    nodes: tuple[LiLimNode, ...]

    @property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """(pickup node id, delivery node id) for every request, in file order of the pickups."""
        return tuple((n.id, n.delivery) for n in self.nodes[1:] if n.pickup == 0)


def read_li_lim(path: str | Path) -> LiLimInstance:
    """Read a Li & Lim PDPTW file; raise LiLimFormatError naming file, line and value."""
    path = Path(path)
    lines = [line.split() for line in path.read_text().splitlines()]
    rows = [(number, fields) for number, fields in enumerate(lines, start=1) if fields]
    if not rows:
        raise LiLimFormatError(f"{path}: empty file")
    header_line, header = rows[0]
    try:
        vehicles, capacity = int(header[0]), int(header[1])
    except (IndexError, ValueError):
        raise LiLimFormatError(
            f"{path}:{header_line}: header {header!r} is not 'K Q speed'"
        ) from None
    nodes: list[LiLimNode] = []
    for number, fields in rows[1:]:
        if len(fields) != 9:
            raise LiLimFormatError(f"{path}:{number}: {len(fields)} fields, expected 9")
        try:
            node = LiLimNode(
                id=int(fields[0]),
                x=float(fields[1]),
                y=float(fields[2]),
                demand=int(fields[3]),
                earliest=float(fields[4]),
                latest=float(fields[5]),
                service=float(fields[6]),
                pickup=int(fields[7]),
                delivery=int(fields[8]),
            )
        except ValueError as error:
            raise LiLimFormatError(f"{path}:{number}: {error}") from None
        if node.id != len(nodes):
            raise LiLimFormatError(f"{path}:{number}: node id {node.id}, expected {len(nodes)}")
        nodes.append(node)
    if not nodes:
        raise LiLimFormatError(f"{path}: no depot line")
    for node in nodes[1:]:
        sibling = node.delivery if node.pickup == 0 else node.pickup
        if not 0 < sibling < len(nodes):
            raise LiLimFormatError(f"{path}: node {node.id} names sibling {sibling}, no such node")
    return LiLimInstance(path.stem, vehicles, capacity, tuple(nodes))


def euclidean(a: LiLimNode, b: LiLimNode) -> float:
    """Euclidean distance between two nodes, in the instance's own units."""
    return math.hypot(a.x - b.x, a.y - b.y)


def routing_problem(instance: LiLimInstance) -> RoutingProblem:
    """The instance as a RoutingProblem: task k is node k+1; location k is node k.

    Distance and duration are Euclidean x 1000 rounded to the nearest integer; windows and
    service are x 1000 too. Each vehicle has a fixed cost larger than any route set's total
    distance, so fewer vehicles always win (the literature's vehicles-then-distance order).
    """
    nodes = instance.nodes
    matrix = tuple(tuple(round(SCALE * euclidean(a, b)) for b in nodes) for a in nodes)
    tasks = tuple(
        Task(
            location=node.id,
            demand=node.demand,
            service=round(SCALE * node.service),
            windows=((round(SCALE * node.earliest), round(SCALE * node.latest)),),
        )
        for node in nodes[1:]
    )
    longest = max((max(row) for row in matrix), default=0)
    fixed_cost = longest * (len(nodes) + 1)
    depot = nodes[0]
    shift = (round(SCALE * depot.earliest), round(SCALE * depot.latest))
    vehicles = tuple(
        Vehicle(0, 0, instance.capacity, shift, fixed_cost) for _ in range(instance.vehicles)
    )
    pairs = tuple((p - 1, d - 1) for p, d in instance.pairs)
    return RoutingProblem(
        distance=matrix, duration=matrix, tasks=tasks, pairs=pairs, vehicles=vehicles
    )


def solve_li_lim(instance: LiLimInstance, seconds: float, workers: int = 2) -> dict[str, Any]:
    """Solve within `seconds`; distance in the result is Euclidean, unrounded, from the routes."""
    solution = solve(routing_problem(instance), seconds=seconds, workers=workers)
    routes = [[visit.task + 1 for visit in route.visits] for route in solution.routes]
    nodes = instance.nodes
    distance = 0.0
    for route in routes:
        path = [0, *route, 0]
        distance += sum(euclidean(nodes[a], nodes[b]) for a, b in itertools.pairwise(path))
    return {
        "instance": instance.name,
        "vehicles": len(routes),
        "distance": distance,
        "routes": routes,
        "feasible": solution.is_feasible(),
        "seconds": solution.seconds,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m logistics.pdptw FILE.txt --seconds S [--workers N]`: print the result as JSON."""
    parser = argparse.ArgumentParser(prog="python -m logistics.pdptw", description=__doc__)
    parser.add_argument("file", type=Path, help="Li & Lim instance file")
    parser.add_argument("--seconds", type=float, default=10.0, help="wall-time limit")
    parser.add_argument("--workers", type=int, default=2, help="parallel searches (1 or 2)")
    arguments = parser.parse_args(argv)
    try:
        instance = read_li_lim(arguments.file)
    except (OSError, LiLimFormatError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(solve_li_lim(instance, arguments.seconds, arguments.workers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
