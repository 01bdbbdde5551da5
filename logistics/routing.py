"""Pickup-and-delivery routing with time windows: the only module of bokflyt that imports OR-Tools
routing (`sourcing` uses OR-Tools min-cost flow and linear solvers for the copy choice).

Units: times and durations in seconds, distances in the integer unit of the problem's distance
matrix (metres for the consortium planner, 1000 x Euclidean for Li & Lim), loads in crates.

`solve` builds one OR-Tools routing model per search configuration and returns a
`RoutingSolution`. Every task gets a disjunction (mandatory ones a huge penalty), so a
solution always exists; mandatory tasks that cannot be performed end up in `unperformed`.

Determinism: the routing search is deterministic for a given problem, seed and configuration,
so the answer repeats whenever the time limit is not what stopped the search. Pass
`solution_limit` to stop after that many solutions instead: that mode repeats exactly on any
machine, provided `seconds` is generous enough not to cut it short.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import multiprocessing
import random
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_ils_pb2


class RoutingProblemError(ValueError):
    """A `RoutingProblem` that cannot be modelled; the message says which field and value."""


@dataclass(frozen=True)
class Task:
    """One visit: a pickup or delivery at a location.

    `demand` is the load change in crates (+ picked up, - delivered); `service` is seconds of
    handling; `windows` are the allowed start times of the handling in seconds (sorted, disjoint,
    inclusive, non-empty); `cost` is added to the objective when the task is performed.
    """

    location: int
    demand: int
    service: int
    windows: tuple[tuple[int, int], ...]
    cost: int = 0


@dataclass(frozen=True)
class Vehicle:
    """A van: start and end location indices, capacity in crates, shift in seconds.

    `shift` is (earliest leaving of the start, latest arrival at the end). `fixed_cost` is paid
    when the vehicle performs at least one task. With `break_after` set, no stretch of more than
    `break_after` seconds between leaving the start and reaching the end goes without a break
    of `break_duration` seconds (a `break_duration` of 0 means no break is required).
    """

    start_location: int
    end_location: int
    capacity: int
    shift: tuple[int, int]
    fixed_cost: int = 0
    break_after: int | None = None
    break_duration: int = 0


@dataclass(frozen=True)
class Choice:
    """At most `max_active` of `tasks` are performed; each missing one below max_active costs `penalty`."""  # noqa: E501

    tasks: tuple[int, ...]
    penalty: int
    max_active: int = 1


@dataclass(frozen=True)
class Handoff:
    """`pick` (a pickup at a transfer point) may be performed only if `drop` is, and starts no earlier than `drop` ends (drop start + drop service)."""  # noqa: E501

    drop: int
    pick: int


@dataclass(frozen=True)
class RoutingProblem:
    """Everything `solve` needs; see the module docstring for units.

    A task that is in no choice, and is not tied to a task in a choice through pairs and
    handoffs, is mandatory. `stop_time` (seconds) is charged once per maximal run of consecutive
    tasks at one location, when leaving it.
    """

    distance: tuple[tuple[int, ...], ...]
    duration: tuple[tuple[int, ...], ...]
    tasks: tuple[Task, ...]
    pairs: tuple[tuple[int, int], ...]
    vehicles: tuple[Vehicle, ...]
    choices: tuple[Choice, ...] = ()
    handoffs: tuple[Handoff, ...] = ()
    stop_time: int = 0
    # When > 0, a task may start after the end of its last window at this cost per second
    # late (a relaxation that lets a search move through infeasible routes towards feasible
    # ones); a solution with any lateness is not feasible.
    late_cost: int = 0


@dataclass(frozen=True)
class Visit:
    """A performed task and the second its handling starts."""

    task: int
    start: int


@dataclass(frozen=True)
class Route:
    """One vehicle's run: departure and arrival in seconds, breaks as (start, end) seconds."""

    vehicle: int
    departure: int
    visits: tuple[Visit, ...]
    arrival: int
    breaks: tuple[tuple[int, int], ...]
    distance: int


@dataclass(frozen=True)
class RoutingSolution:
    """Routes of the vehicles that perform a task (in vehicle order) and the unperformed tasks.

    `objective` is distance + costs of performed tasks + choice penalties + fixed costs (the
    penalty for a missing mandatory task is not included); `seconds` is the wall time of the
    solve, model building included.
    """

    routes: tuple[Route, ...]
    unperformed: tuple[int, ...]
    objective: int
    distance: int
    seconds: float
    mandatory: tuple[int, ...] = ()
    lateness: int = 0  # seconds after the windows, summed over tasks (see late_cost)

    def is_feasible(self) -> bool:
        """True when all mandatory tasks are performed, none of them late."""
        missing = set(self.unperformed)
        return self.lateness == 0 and not any(task in missing for task in self.mandatory)


@dataclass(frozen=True)
class SearchConfig:
    """One way to search: first solution strategy and metaheuristic, by OR-Tools enum name."""

    name: str
    first_solution: str
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    iterated: bool = False


# Worker i runs SEARCH_CONFIGS[i]; measured on Li & Lim 100, see benchmarks/pdptw_bench.py.
SEARCH_CONFIGS: tuple[SearchConfig, ...] = (
    SearchConfig("parallel-insertion+gls", "PARALLEL_CHEAPEST_INSERTION"),
    SearchConfig("all-unperformed+tabu", "ALL_UNPERFORMED", "TABU_SEARCH"),
    SearchConfig("local-insertion+gls", "LOCAL_CHEAPEST_INSERTION"),
)

# Seconds kept back from the limit for reading the solution and joining the worker process.
_MARGIN = 0.15


def solve(
    problem: RoutingProblem,
    *,
    seconds: float,
    seed: int = 0,
    workers: int = 1,
    solution_limit: int | None = None,
    configs: Sequence[SearchConfig] = SEARCH_CONFIGS,
    initial_routes: Sequence[Sequence[int]] | None = None,
) -> RoutingSolution:
    """Route `problem` within `seconds` of wall time (model building included).

    `workers` processes each run `configs[i]`; the best objective wins, ties to the lower
    index. `seed` renumbers the tasks inside the model (0 keeps their order), which changes the
    path of the search. `solution_limit` stops each search after that many solutions.
    `initial_routes` (task indices per vehicle, in vehicle order; tasks left out start
    unperformed) starts the local search from those routes instead of a first solution; they
    must satisfy every constraint, or the search falls back to the configured first solution.
    """
    started = time.monotonic()
    _validate(problem)
    if workers < 1 or workers > len(configs):
        raise RoutingProblemError(f"workers={workers}: must be between 1 and {len(configs)}")
    deadline = started + seconds
    start = None if initial_routes is None else tuple(tuple(r) for r in initial_routes)
    if start is not None and len(start) > len(problem.vehicles):
        raise RoutingProblemError(
            f"initial_routes: {len(start)} routes for {len(problem.vehicles)} vehicles"
        )
    if workers == 1:
        outcome = _search(problem, configs[0], seed, deadline, solution_limit, start)
    else:
        # spawn: safe even when the caller has threads (the API server); monotonic is system-wide.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers - 1, mp_context=context) as pool:
            futures = [
                pool.submit(_search, problem, configs[i], seed, deadline, solution_limit, start)
                for i in range(1, workers)
            ]
            outcomes = [_search(problem, configs[0], seed, deadline, solution_limit, start)]
            outcomes += [future.result() for future in futures]
        outcome = min(outcomes, key=lambda found: found[0])
    return _with_seconds(outcome[1], time.monotonic() - started)


def _with_seconds(solution: RoutingSolution, seconds: float) -> RoutingSolution:
    return dataclasses.replace(solution, seconds=seconds)


def _validate(problem: RoutingProblem) -> None:
    """Raise RoutingProblemError on the first malformed field."""
    size = len(problem.distance)
    for name, matrix in (("distance", problem.distance), ("duration", problem.duration)):
        if len(matrix) != size or any(len(row) != size for row in matrix):
            raise RoutingProblemError(f"{name} matrix is not {size} x {size}")
    n_tasks = len(problem.tasks)
    for t, task in enumerate(problem.tasks):
        if not 0 <= task.location < size:
            raise RoutingProblemError(f"task {t}: location {task.location} outside 0..{size - 1}")
        if task.service < 0:
            raise RoutingProblemError(f"task {t}: negative service {task.service}")
        if not task.windows:
            raise RoutingProblemError(f"task {t}: no time window")
        previous_end = -math.inf
        for lo, hi in task.windows:
            if lo > hi or lo <= previous_end:
                raise RoutingProblemError(f"task {t}: window ({lo}, {hi}) not sorted or disjoint")
            previous_end = hi
    for v, vehicle in enumerate(problem.vehicles):
        for where in (vehicle.start_location, vehicle.end_location):
            if not 0 <= where < size:
                raise RoutingProblemError(f"vehicle {v}: location {where} outside 0..{size - 1}")
        if vehicle.shift[0] > vehicle.shift[1]:
            raise RoutingProblemError(f"vehicle {v}: shift {vehicle.shift} ends before it starts")
        if vehicle.capacity < 0:
            raise RoutingProblemError(f"vehicle {v}: negative capacity {vehicle.capacity}")
        if vehicle.break_after is not None and vehicle.break_after <= 0:
            raise RoutingProblemError(f"vehicle {v}: break_after {vehicle.break_after} <= 0")
    referenced = [t for pair in problem.pairs for t in pair]
    referenced += [t for choice in problem.choices for t in choice.tasks]
    referenced += [t for handoff in problem.handoffs for t in (handoff.drop, handoff.pick)]
    for t in referenced:
        if not 0 <= t < n_tasks:
            raise RoutingProblemError(f"task index {t} outside 0..{n_tasks - 1}")
    for choice in problem.choices:
        if choice.penalty < 0 or choice.max_active < 1:
            raise RoutingProblemError(f"choice {choice.tasks}: penalty < 0 or max_active < 1")
    if problem.stop_time < 0:
        raise RoutingProblemError(f"stop_time {problem.stop_time} < 0")


def mandatory_tasks(problem: RoutingProblem) -> tuple[int, ...]:
    """Tasks that must be performed: in no choice, and not tied by pairs or handoffs to one that is.

    A delivery paired with an optional pickup is as optional as the pickup, and so is anything
    handed off from or to it: otherwise a choice between alternative pickups could never skip one.
    """
    parent = list(range(len(problem.tasks)))

    def root(t: int) -> int:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    links = list(problem.pairs) + [(h.drop, h.pick) for h in problem.handoffs]
    for a, b in links:
        parent[root(a)] = root(b)
    optional_roots = {root(t) for choice in problem.choices for t in choice.tasks}
    return tuple(t for t in range(len(problem.tasks)) if root(t) not in optional_roots)


def break_count(vehicle: Vehicle) -> int:
    """How many breaks a route spanning the whole shift needs at most."""
    if vehicle.break_after is None or vehicle.break_duration <= 0:
        return 0
    length = vehicle.shift[1] - vehicle.shift[0]
    if length <= vehicle.break_after:
        return 0
    return math.ceil(
        (length - vehicle.break_after) / (vehicle.break_after + vehicle.break_duration)
    )


@dataclass
class _Model:
    """The OR-Tools objects of one built model and how tasks map to its nodes."""

    manager: Any
    routing: Any
    time: Any
    node_of_task: list[int]
    breaks: dict[int, list[Any]]
    big: int


def _build(problem: RoutingProblem, seed: int) -> _Model:
    """Build the routing model; nodes are tasks (renumbered by seed), then start/end per vehicle."""
    n_tasks = len(problem.tasks)
    n_vehicles = len(problem.vehicles)
    node_of_task = list(range(n_tasks))
    if seed:
        random.Random(seed).shuffle(node_of_task)
    task_of_node = [0] * n_tasks
    for t, node in enumerate(node_of_task):
        task_of_node[node] = t
    n_nodes = n_tasks + 2 * n_vehicles
    tasks = [problem.tasks[task_of_node[node]] for node in range(n_tasks)]
    location = np.array(
        [task.location for task in tasks]
        + [where for v in problem.vehicles for where in (v.start_location, v.end_location)],
        dtype=np.int64,
    )
    is_task = np.arange(n_nodes) < n_tasks
    is_end = np.zeros(n_nodes, dtype=bool)
    is_end[n_tasks + 1 :: 2] = True
    service = np.zeros(n_nodes, dtype=np.int64)
    service[:n_tasks] = [task.service for task in tasks]
    task_cost = np.zeros(n_nodes, dtype=np.int64)
    task_cost[:n_tasks] = [task.cost for task in tasks]
    distance = np.asarray(problem.distance, dtype=np.int64)[np.ix_(location, location)]
    duration = np.asarray(problem.duration, dtype=np.int64)[np.ix_(location, location)]
    leaves_stop = is_task[:, None] & ((location[:, None] != location[None, :]) | is_end[None, :])
    transit = service[:, None] + duration + problem.stop_time * leaves_stop
    # A task's cost rides on the one arc that leaves it.
    arc_cost = distance + task_cost[:, None]

    starts = [n_tasks + 2 * v for v in range(n_vehicles)]
    ends = [n_tasks + 2 * v + 1 for v in range(n_vehicles)]
    manager = pywrapcp.RoutingIndexManager(n_nodes, n_vehicles, starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(arc_cost.tolist()))
    for v, vehicle in enumerate(problem.vehicles):
        routing.SetFixedCostOfVehicle(vehicle.fixed_cost, v)

    horizon = max(
        [v.shift[1] for v in problem.vehicles] + [t.windows[-1][1] for t in problem.tasks] + [0]
    )
    horizon += int(transit.max(initial=0)) + 1
    if problem.late_cost:
        horizon *= 2  # room for lateness
    routing.AddDimension(
        routing.RegisterTransitMatrix(transit.tolist()), horizon, horizon, False, "time"
    )
    time_dimension = routing.GetDimensionOrDie("time")

    demand = [task.demand for task in tasks] + [0] * (2 * n_vehicles)
    routing.AddDimensionWithVehicleCapacity(
        routing.RegisterUnaryTransitVector(demand),
        0,
        [v.capacity for v in problem.vehicles],
        True,
        "load",
    )

    def index(t: int) -> int:
        return int(manager.NodeToIndex(node_of_task[t]))

    for v, vehicle in enumerate(problem.vehicles):
        time_dimension.CumulVar(routing.Start(v)).SetRange(*vehicle.shift)
        time_dimension.CumulVar(routing.End(v)).SetRange(*vehicle.shift)
    for t, task in enumerate(problem.tasks):
        cumul = time_dimension.CumulVar(index(t))
        latest = task.windows[-1][1]
        if problem.late_cost:
            time_dimension.SetCumulVarSoftUpperBound(index(t), latest, problem.late_cost)
            latest = horizon
        cumul.SetRange(task.windows[0][0], latest)
        for (_, gap_start), (gap_end, _) in zip(task.windows, task.windows[1:], strict=False):
            cumul.RemoveInterval(gap_start + 1, gap_end - 1)

    for pickup, delivery in problem.pairs:
        p, d = index(pickup), index(delivery)
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        # Conditional so that an unperformed pair's windows cannot clash.
        solver.Add(
            time_dimension.CumulVar(p)
            <= time_dimension.CumulVar(d) + horizon * (1 - routing.ActiveVar(p))
        )
    for handoff in problem.handoffs:
        drop, pick = index(handoff.drop), index(handoff.pick)
        solver.Add(routing.ActiveVar(pick) <= routing.ActiveVar(drop))
        ready = time_dimension.CumulVar(drop) + problem.tasks[handoff.drop].service
        solver.Add(
            ready <= time_dimension.CumulVar(pick) + 2 * horizon * (1 - routing.ActiveVar(pick))
        )

    # Larger than any objective without a missing mandatory task.
    big = (
        int(np.abs(arc_cost).max(initial=0)) * (n_nodes + 1)
        + sum(v.fixed_cost for v in problem.vehicles)
        + sum(abs(t.cost) for t in problem.tasks)
        + sum(c.penalty * c.max_active for c in problem.choices)
        + problem.late_cost * horizon * n_tasks
        + 1
    )
    in_choice: set[int] = set()
    for choice in problem.choices:
        routing.AddDisjunction(
            [index(t) for t in choice.tasks],
            choice.penalty,
            choice.max_active,
            routing.PENALIZE_PER_INACTIVE,
        )
        in_choice.update(choice.tasks)
    mandatory = set(mandatory_tasks(problem))
    for t in range(n_tasks):
        if t in mandatory:
            routing.AddDisjunction([index(t)], big)
        elif t not in in_choice:
            routing.AddDisjunction([index(t)], 0)

    node_visit_transits = [0] * (routing.Size() + n_vehicles)
    for t, task in enumerate(problem.tasks):
        node_visit_transits[index(t)] = task.service
    breaks: dict[int, list[Any]] = {}
    for v, vehicle in enumerate(problem.vehicles):
        count = break_count(vehicle)
        if count == 0 or vehicle.break_after is None:
            continue
        intervals = [
            solver.FixedDurationIntervalVar(
                vehicle.shift[0],
                vehicle.shift[1] - vehicle.break_duration,
                vehicle.break_duration,
                True,
                f"break {v}.{k}",
            )
            for k in range(count)
        ]
        # Measured on 9.15: with a free start cumul, SetBreakDistanceDurationOfVehicle makes every
        # insertion fail once a route needs two breaks; a fixed start works.
        time_dimension.CumulVar(routing.Start(v)).SetValue(vehicle.shift[0])
        time_dimension.SetBreakIntervalsOfVehicle(intervals, v, node_visit_transits)
        time_dimension.SetBreakDistanceDurationOfVehicle(
            vehicle.break_after, vehicle.break_duration, v
        )
        breaks[v] = intervals

    # Finish as early as possible, then leave as late as possible: no needless waiting.
    for v in range(n_vehicles):
        routing.AddVariableMinimizedByFinalizer(time_dimension.CumulVar(routing.End(v)))
    for v in range(n_vehicles):
        routing.AddVariableMaximizedByFinalizer(time_dimension.CumulVar(routing.Start(v)))
    return _Model(manager, routing, time_dimension, node_of_task, breaks, big)


def _search(
    problem: RoutingProblem,
    config: SearchConfig,
    seed: int,
    deadline: float,
    solution_limit: int | None,
    initial_routes: tuple[tuple[int, ...], ...] | None = None,
) -> tuple[tuple[int, int], RoutingSolution]:
    """Build and search one configuration until `deadline` (time.monotonic seconds).

    Returns ((missing mandatory tasks, objective), solution) so outcomes compare directly.
    """
    started = time.monotonic()
    model = _build(problem, seed)
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, config.first_solution
    )
    parameters.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, config.metaheuristic
    )
    if config.iterated:
        _use_ruin_and_recreate(parameters)
    remaining = max(deadline - time.monotonic() - _MARGIN, 0.01)
    parameters.time_limit.FromMilliseconds(max(int(remaining * 1000), 1))
    if solution_limit is not None:
        parameters.solution_limit = solution_limit
    assignment = None
    if initial_routes is not None:
        manager = model.manager
        routes = [
            [int(manager.NodeToIndex(model.node_of_task[t])) for t in route]
            for route in initial_routes
        ]
        routes += [[] for _ in range(len(problem.vehicles) - len(routes))]
        model.routing.CloseModelWithParameters(parameters)
        start = model.routing.ReadAssignmentFromRoutes(routes, True)
        if start is not None:
            assignment = model.routing.SolveFromAssignmentWithParameters(start, parameters)
        if assignment is None:
            remaining = max(deadline - time.monotonic() - _MARGIN, 0.01)
            parameters.time_limit.FromMilliseconds(max(int(remaining * 1000), 1))
    if assignment is None:
        assignment = model.routing.SolveWithParameters(parameters)
    solution = _read(problem, model, assignment, time.monotonic() - started)
    missing = len(set(solution.unperformed) & set(solution.mandatory))
    return (missing, solution.objective), solution


def _use_ruin_and_recreate(parameters: Any) -> None:
    """Iterated local search: SISR ruin, local cheapest insertion recreate, annealed acceptance."""
    parameters.use_iterated_local_search = True
    ils = parameters.iterated_local_search_parameters
    ils.perturbation_strategy = routing_ils_pb2.PerturbationStrategy.RUIN_AND_RECREATE
    ruin = ils.ruin_recreate_parameters.ruin_strategies.add()
    ruin.sisr.max_removed_sequence_size = 10
    ruin.sisr.avg_num_removed_visits = 10
    ruin.sisr.bypass_factor = 0.01
    ils.ruin_recreate_parameters.recreate_strategy.heuristic = (
        routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    )
    ils.improve_perturbed_solution = True
    annealing = ils.reference_solution_acceptance_strategy.simulated_annealing
    annealing.cooling_schedule_strategy = routing_ils_pb2.CoolingScheduleStrategy.EXPONENTIAL
    annealing.automatic_temperatures = True


def _read(
    problem: RoutingProblem, model: _Model, assignment: Any, seconds: float
) -> RoutingSolution:
    """Turn an OR-Tools assignment (or None) into a RoutingSolution with our own objective."""
    mandatory = mandatory_tasks(problem)
    routes: list[Route] = []
    performed: set[int] = set()
    task_of_index = {
        int(model.manager.NodeToIndex(node)): t for t, node in enumerate(model.node_of_task)
    }
    if assignment is not None:
        routing, time_dimension = model.routing, model.time
        for v, vehicle in enumerate(problem.vehicles):
            index = assignment.Value(routing.NextVar(routing.Start(v)))
            visits: list[Visit] = []
            while not routing.IsEnd(index):
                t = task_of_index[index]
                visits.append(Visit(t, int(assignment.Value(time_dimension.CumulVar(index)))))
                index = assignment.Value(routing.NextVar(index))
            if not visits:
                continue
            performed.update(visit.task for visit in visits)
            taken = [
                (int(assignment.StartValue(b)), int(assignment.EndValue(b)))
                for b in model.breaks.get(v, [])
                if assignment.PerformedValue(b)
            ]
            path = [vehicle.start_location]
            path += [problem.tasks[visit.task].location for visit in visits]
            path.append(vehicle.end_location)
            routes.append(
                Route(
                    vehicle=v,
                    departure=int(assignment.Value(time_dimension.CumulVar(routing.Start(v)))),
                    visits=tuple(visits),
                    arrival=int(assignment.Value(time_dimension.CumulVar(routing.End(v)))),
                    breaks=tuple(sorted(taken)),
                    distance=sum(problem.distance[a][b] for a, b in itertools.pairwise(path)),
                )
            )
    unperformed = tuple(t for t in range(len(problem.tasks)) if t not in performed)
    distance = sum(route.distance for route in routes)
    lateness = sum(
        max(0, visit.start - problem.tasks[visit.task].windows[-1][1])
        for route in routes
        for visit in route.visits
    )
    objective = distance + problem.late_cost * lateness
    objective += sum(problem.tasks[t].cost for t in performed)
    objective += sum(problem.vehicles[route.vehicle].fixed_cost for route in routes)
    for choice in problem.choices:
        active = sum(1 for t in choice.tasks if t in performed)
        objective += choice.penalty * max(choice.max_active - active, 0)
    return RoutingSolution(
        routes=tuple(routes),
        unperformed=unperformed,
        objective=objective,
        distance=distance,
        seconds=seconds,
        mandatory=mandatory,
        lateness=lateness,
    )
