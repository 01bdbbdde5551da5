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
import multiprocessing
import random
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from logistics.routing import (
    RoutingProblem,
    RoutingSolution,
    SearchConfig,
    Task,
    Vehicle,
    solve,
)

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


def routing_problem(
    instance: LiLimInstance, fleet: int | None = None, fixed_cost: bool = True
) -> RoutingProblem:
    """The instance as a RoutingProblem: task k is node k+1; location k is node k.

    Distance and duration are Euclidean x 1000 rounded to the nearest integer; windows and
    service are x 1000 too. With `fixed_cost`, each vehicle has a fixed cost larger than any
    route set's total distance, so fewer vehicles always win (the literature's
    vehicles-then-distance order); without it the objective is distance alone. `fleet` caps
    the number of vehicles (default: the instance's).
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
    cost = longest * (len(nodes) + 1) if fixed_cost else 0
    depot = nodes[0]
    shift = (round(SCALE * depot.earliest), round(SCALE * depot.latest))
    count = instance.vehicles if fleet is None else fleet
    vehicles = tuple(Vehicle(0, 0, instance.capacity, shift, cost) for _ in range(count))
    pairs = tuple((p - 1, d - 1) for p, d in instance.pairs)
    return RoutingProblem(
        distance=matrix, duration=matrix, tasks=tasks, pairs=pairs, vehicles=vehicles
    )


# The same for every instance. Vehicles first by fleet caps, not by a fixed cost per vehicle:
# measured on 9.15, a fixed cost that dominates distance makes guided local search cycle
# between fleet sizes (its arc penalties scale with arc cost, and a route's first arc carries
# the fixed cost). Measured too: on these instances guided local search and simulated
# annealing end where greedy descent ends, so the last stage escapes local optima itself by
# ruin and recreate (remove nearby pairs, let OR-Tools' local search reinsert and descend).
# Each stage runs one search per worker (worker i uses entry i). Stage 1 solves with the
# instance's fleet and distance alone; each reduction stage caps the fleet at one vehicle fewer
# than the best so far and starts from the best routes less one short route (the i-th shortest
# for worker i): worker 0 squeezes (the windows made soft so that the left-out pairs can be
# inserted late, then guided local search removes the lateness at a growing cost, and on
# success goes on with one vehicle fewer), the others run ruin and recreate around the pairs
# left out; until a cap cannot be met. The last stage runs ruin and recreate at the best fleet
# size for distance. Measured (full Li & Lim 100 at 10 s, BENCHMARKS.md §3): with the squeeze
# worker 43-45 of 56 instances end at the best known vehicle count, 34 without it.
FIRST_STAGE: tuple[SearchConfig, ...] = (
    SearchConfig("parallel-insertion+gls", "PARALLEL_CHEAPEST_INSERTION"),
    SearchConfig("all-unperformed+tabu", "ALL_UNPERFORMED", "TABU_SEARCH"),
)
RECREATE = SearchConfig("recreate+descent", "LOCAL_CHEAPEST_INSERTION", "GREEDY_DESCENT")
# Shares of the time limit: first stage, each reduction stage, least kept for distance.
FIRST_SHARE, REDUCE_SHARE, DISTANCE_SHARE = 0.25, 0.2, 0.3
# Ruin and recreate: pairs removed per ruin, and the cap on one recreate search in seconds.
RUIN_PAIRS, RECREATE_SECONDS = 10, 1.0
# Squeeze: soft windows, guided local search; seconds of one round, the first round's cost of a
# unit of lateness (in units of distance) and its growth each round. Measured at 10 s: with a
# first cost of 10 the full pass had the lower mean gap (0.43 % against 0.74 %) and lr112 alone
# reached 9 vehicles in 2 of 2 runs (never with a first cost of 1), though not in the pass.
SQUEEZE = SearchConfig("squeeze", "LOCAL_CHEAPEST_INSERTION")
SQUEEZE_ROUND_SECONDS, SQUEEZE_LATE_COST, SQUEEZE_GROWTH = 1.0, 10, 10


@dataclass(frozen=True)
class _Job:
    """One worker's search in a stage: ruin and recreate when it has initial routes."""

    problem: RoutingProblem
    config: SearchConfig
    seed: int
    deadline: float
    initial_routes: tuple[tuple[int, ...], ...] | None = None
    reduce: bool = False  # fleet reduction from initial_routes (see _reduce)


def _run_job(job: _Job) -> RoutingSolution:
    """One search until the job's deadline (time.monotonic is system-wide, so across processes)."""
    if job.initial_routes is not None and job.reduce:
        return _reduce(job.problem, job.initial_routes, job.seed, job.deadline)
    if job.initial_routes is not None:
        return _ruin_and_recreate(job.problem, job.initial_routes, job.seed, job.deadline)
    return solve(
        job.problem,
        seconds=max(job.deadline - time.monotonic(), 0.05),
        seed=job.seed,
        configs=(job.config,),
        initial_routes=job.initial_routes,
    )


def _reduce(
    problem: RoutingProblem, routes: tuple[tuple[int, ...], ...], worker: int, deadline: float
) -> RoutingSolution:
    """Until `deadline`, from feasible `routes`: cap the fleet one below their number and start
    from them less one short route (the shortest for worker 0, the next for worker 1, ...).
    Worker 0 squeezes and, each time the capped fleet serves every pair, goes on one vehicle
    lower; the others ruin and recreate at that one cap. Returns the feasible routes with the
    fewest vehicles found, else the last attempt (infeasible)."""

    def capped_start() -> tuple[RoutingProblem, tuple[tuple[int, ...], ...]]:
        ordered = sorted(routes, key=len)
        d = worker % len(ordered)
        capped = replace(problem, vehicles=problem.vehicles[: len(routes) - 1])
        return capped, tuple(ordered[:d] + ordered[d + 1 :])

    if len(routes) > 1 and worker != 0:
        return _ruin_and_recreate(*capped_start(), worker, deadline)
    best: RoutingSolution | None = None
    while len(routes) > 1 and deadline - time.monotonic() > 0.1:
        found = _squeeze(*capped_start(), deadline)
        if not found.is_feasible():
            return best or found
        best, routes = found, tuple(_task_routes(found))
    if best is None:
        return solve(problem, seconds=0.05, configs=(RECREATE,), initial_routes=routes)
    return best


def _ruin_and_recreate(
    problem: RoutingProblem,
    routes: tuple[tuple[int, ...], ...],
    seed: int,
    deadline: float,
) -> RoutingSolution:
    """Until `deadline`: remove RUIN_PAIRS pairs near one, reinsert and descend; keep the result
    when it leaves fewer tasks out, or as many and fewer routes, or as many and less distance.

    The pair ruined around is a left-out one while there are any, else a random one."""
    rng = random.Random(seed)
    distance = problem.distance
    where = [task.location for task in problem.tasks]
    pairs = list(problem.pairs)

    def closeness(a: tuple[int, int], b: tuple[int, int]) -> int:
        return distance[where[a[0]]][where[b[0]]] + distance[where[a[1]]][where[b[1]]]

    best = solve(
        problem,
        seconds=max(min(RECREATE_SECONDS, deadline - time.monotonic()), 0.05),
        configs=(RECREATE,),
        initial_routes=routes,
    )
    while pairs and deadline - time.monotonic() > 0.1:
        out = set(best.unperformed)
        anchor = rng.choice([pair for pair in pairs if pair[0] in out] or pairs)
        near = sorted(pairs, key=lambda pair: closeness(anchor, pair))[:RUIN_PAIRS]
        removed = {task for pair in near for task in pair}
        ruined = [tuple(t for t in route if t not in removed) for route in _task_routes(best)]
        tried = solve(
            problem,
            seconds=min(RECREATE_SECONDS, deadline - time.monotonic()),
            seed=rng.randrange(1 << 30),
            configs=(RECREATE,),
            initial_routes=[route for route in ruined if route],
        )
        if _rank(tried) < _rank(best):
            best = tried
    return best


def _squeeze(
    problem: RoutingProblem, routes: tuple[tuple[int, ...], ...], deadline: float
) -> RoutingSolution:
    """Until `deadline` or feasible: insert the left-out pairs with the windows made soft (a
    task may start late at a cost per second), then let guided local search remove the
    lateness, the cost of lateness growing SQUEEZE_GROWTH times each round that ends with some
    left."""
    best: RoutingSolution | None = None
    late_cost = SQUEEZE_LATE_COST
    start: tuple[tuple[int, ...], ...] = routes
    while deadline - time.monotonic() > 0.1:
        soft = replace(problem, late_cost=late_cost)
        left = deadline - time.monotonic()
        found = solve(
            soft,
            seconds=min(left, max(SQUEEZE_ROUND_SECONDS, left / 2)),
            configs=(SQUEEZE,),
            initial_routes=start,
        )
        if best is None or _rank(found) < _rank(best):
            best = found
        if found.is_feasible():
            break
        start = tuple(_task_routes(found))
        late_cost *= SQUEEZE_GROWTH
    if best is None:
        return solve(problem, seconds=0.05, configs=(RECREATE,), initial_routes=routes)
    return best


def _rank(solution: RoutingSolution) -> tuple[int, int, int, int]:
    """Left-out tasks (all tasks here are mandatory), lateness, then routes, then distance."""
    return (
        len(solution.unperformed),
        solution.lateness,
        len(solution.routes),
        solution.distance,
    )


def _task_routes(solution: RoutingSolution) -> list[tuple[int, ...]]:
    return [tuple(visit.task for visit in route.visits) for route in solution.routes]


def _staged_solve(instance: LiLimInstance, seconds: float, workers: int) -> RoutingSolution:
    """Vehicles first by fleet caps, then distance; `workers` searches run side by side."""
    started = time.monotonic()
    deadline = started + seconds
    pool: ProcessPoolExecutor | None = None
    if workers > 1:
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=context)

    def run(jobs: list[_Job]) -> list[RoutingSolution]:
        futures: list[Future[RoutingSolution]] = []
        if pool is not None:
            futures = [pool.submit(_run_job, job) for job in jobs[1:]]
        return [_run_job(jobs[0])] + [future.result() for future in futures]

    try:
        first = routing_problem(instance, fixed_cost=False)
        stage_end = started + FIRST_SHARE * seconds
        found = run([_Job(first, FIRST_STAGE[w], 0, stage_end, None) for w in range(workers)])
        best = min(found, key=_rank)
        reduce_seconds = REDUCE_SHARE * seconds
        while (
            best.is_feasible()
            and len(best.routes) > 1
            and deadline - time.monotonic() >= reduce_seconds + DISTANCE_SHARE * seconds
        ):
            stage_end = time.monotonic() + reduce_seconds
            start = tuple(_task_routes(best))
            jobs = [_Job(first, RECREATE, w, stage_end, start, reduce=True) for w in range(workers)]
            reduced = min(run(jobs), key=_rank)
            if not reduced.is_feasible() or len(reduced.routes) >= len(best.routes):
                break
            best = reduced
        fleet = len(best.routes)
        if best.is_feasible():
            final = routing_problem(instance, fleet, fixed_cost=False)
            start = tuple(_task_routes(best))
            jobs = [_Job(final, RECREATE, w, deadline, start) for w in range(workers)]
            best = min([best, *run(jobs)], key=_rank)
    finally:
        if pool is not None:
            pool.shutdown()
    return replace(best, seconds=time.monotonic() - started)


def solve_li_lim(instance: LiLimInstance, seconds: float, workers: int = 2) -> dict[str, Any]:
    """Solve within `seconds`; distance in the result is Euclidean, unrounded, from the routes.

    `workers` (1 or 2) searches run side by side; see FIRST_STAGE for how the time is spent.
    """
    if not 1 <= workers <= len(FIRST_STAGE):
        raise ValueError(f"workers={workers}: must be between 1 and {len(FIRST_STAGE)}")
    solution = _staged_solve(instance, seconds, workers)
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
