"""Tests for logistics.routing: tiny instances whose right answer is known by hand."""

from __future__ import annotations

import dataclasses
import itertools
import random

import pytest

from logistics.routing import (
    Choice,
    Handoff,
    RoutingProblem,
    RoutingProblemError,
    RoutingSolution,
    SearchConfig,
    Task,
    Vehicle,
    mandatory_tasks,
    solve,
)

ALWAYS = ((0, 100_000),)


def line_matrix(positions: list[int]) -> tuple[tuple[int, ...], ...]:
    """Distances between points on a line (also used as seconds)."""
    return tuple(tuple(abs(a - b) for b in positions) for a in positions)


def check(problem: RoutingProblem, solution: RoutingSolution) -> None:
    """Independent checker: every rule of the RoutingProblem contract, recomputed by hand."""
    seen: dict[int, tuple[int, int]] = {}
    start_of: dict[int, int] = {}
    for route in solution.routes:
        vehicle = problem.vehicles[route.vehicle]
        assert route.visits, "a route without visits is reported"
        assert vehicle.shift[0] <= route.departure <= route.arrival <= vehicle.shift[1]
        for position, visit in enumerate(route.visits):
            assert visit.task not in seen, f"task {visit.task} performed twice"
            seen[visit.task] = (route.vehicle, position)
            start_of[visit.task] = visit.start
            task = problem.tasks[visit.task]
            assert any(lo <= visit.start <= hi for lo, hi in task.windows), visit
        # Time: each leg needs service + duration + stop_time (when leaving a stop) + breaks in it.
        loads = 0
        previous_location, previous_time, previous_is_task = (
            vehicle.start_location,
            route.departure,
            False,
        )
        for visit in route.visits:
            task = problem.tasks[visit.task]
            stop = (
                problem.stop_time if previous_is_task and previous_location != task.location else 0
            )
            need = previous_time + stop + problem.duration[previous_location][task.location]
            inside = sum(e - s for s, e in route.breaks if previous_time <= s and e <= visit.start)
            assert visit.start >= need + inside, (visit, need, inside)
            previous_location, previous_time, previous_is_task = (
                task.location,
                visit.start + task.service,
                True,
            )
            loads += task.demand
            assert 0 <= loads <= vehicle.capacity, f"load {loads} on vehicle {route.vehicle}"
        assert loads == 0
        stop = problem.stop_time
        need = previous_time + stop + problem.duration[previous_location][vehicle.end_location]
        inside = sum(e - s for s, e in route.breaks if previous_time <= s and e <= route.arrival)
        assert route.arrival >= need + inside
        # Breaks never overlap a task's handling.
        for s, e in route.breaks:
            for visit in route.visits:
                service_end = visit.start + problem.tasks[visit.task].service
                assert e <= visit.start or s >= service_end, ((s, e), visit)
        if vehicle.break_after is not None and vehicle.break_duration > 0:
            marks = [route.departure]
            for (_, e1), (s2, _) in itertools.pairwise(route.breaks):
                assert e1 <= s2, f"breaks overlap: {route.breaks}"
            for s, e in sorted(route.breaks):
                assert s - marks[-1] <= vehicle.break_after, (marks, (s, e))
                marks.append(e)
            assert route.arrival - marks[-1] <= vehicle.break_after
        path = [vehicle.start_location]
        path += [problem.tasks[v.task].location for v in route.visits] + [vehicle.end_location]
        assert route.distance == sum(problem.distance[a][b] for a, b in itertools.pairwise(path))
    for pickup, delivery in problem.pairs:
        assert (pickup in seen) == (delivery in seen), (pickup, delivery)
        if pickup in seen:
            assert seen[pickup][0] == seen[delivery][0]
            assert seen[pickup][1] < seen[delivery][1]
    for handoff in problem.handoffs:
        if handoff.pick in seen:
            assert handoff.drop in seen
            ready = start_of[handoff.drop] + problem.tasks[handoff.drop].service
            assert start_of[handoff.pick] >= ready
    for choice in problem.choices:
        assert sum(t in seen for t in choice.tasks) <= choice.max_active
    assert solution.unperformed == tuple(t for t in range(len(problem.tasks)) if t not in seen)
    mandatory = mandatory_tasks(problem)
    assert solution.is_feasible() == all(t in seen for t in mandatory)
    objective = sum(route.distance for route in solution.routes)
    objective += sum(problem.tasks[t].cost for t in seen)
    objective += sum(problem.vehicles[r.vehicle].fixed_cost for r in solution.routes)
    for choice in problem.choices:
        active = sum(t in seen for t in choice.tasks)
        objective += choice.penalty * max(choice.max_active - active, 0)
    assert solution.objective == objective
    assert solution.distance == sum(route.distance for route in solution.routes)


def test_capacity_forces_pickup_delivery_order() -> None:
    """With room for one crate lot, the van must deliver the first lot before picking the second."""
    # Locations on a line: 0 depot, 1 and 2 pickups, 3 and 4 deliveries.
    matrix = line_matrix([0, 10, 20, 30, 40])
    tasks = (
        Task(1, 10, 0, ALWAYS),
        Task(3, -10, 0, ALWAYS),
        Task(2, 10, 0, ALWAYS),
        Task(4, -10, 0, ALWAYS),
    )
    problem = RoutingProblem(
        matrix, matrix, tasks, ((0, 1), (2, 3)), (Vehicle(0, 0, 10, (0, 100_000)),)
    )
    solution = solve(problem, seconds=0.5)
    check(problem, solution)
    assert solution.is_feasible()
    order = [visit.task for visit in solution.routes[0].visits]
    # Without the capacity the best order is 0, 2, 1, 3; with it pickups and deliveries alternate.
    assert order in ([0, 1, 2, 3], [2, 3, 0, 1])


def test_window_gap_forces_waiting() -> None:
    """A delivery whose first window is missed waits for the start of its second window."""
    matrix = line_matrix([0, 100, 300])
    tasks = (Task(1, 1, 10, ALWAYS), Task(2, -1, 10, ((0, 150), (500, 600))))
    problem = RoutingProblem(matrix, matrix, tasks, ((0, 1),), (Vehicle(0, 0, 5, (0, 10_000)),))
    solution = solve(problem, seconds=0.5)
    check(problem, solution)
    visits = solution.routes[0].visits
    assert [v.task for v in visits] == [0, 1]
    assert visits[1].start == 500
    assert solution.routes[0].arrival == 500 + 10 + 300


def test_departure_is_as_late_as_possible() -> None:
    """The van leaves just in time for a late window instead of leaving early and waiting."""
    matrix = line_matrix([0, 100, 200])
    tasks = (Task(1, 1, 0, ((1_000, 2_000),)), Task(2, -1, 0, ALWAYS))
    problem = RoutingProblem(matrix, matrix, tasks, ((0, 1),), (Vehicle(0, 0, 5, (0, 10_000)),))
    solution = solve(problem, seconds=0.5)
    route = solution.routes[0]
    assert route.departure == 900
    assert route.arrival == 1_000 + 100 + 200


def test_stop_time_paid_once_per_location() -> None:
    """Two tasks at one location pay stop_time once, when the van leaves that location."""
    matrix = line_matrix([0, 100, 200])
    tasks = (
        Task(1, 1, 10, ALWAYS),
        Task(1, 1, 10, ALWAYS),
        Task(2, -1, 10, ALWAYS),
        Task(2, -1, 10, ALWAYS),
    )
    problem = RoutingProblem(
        matrix, matrix, tasks, ((0, 2), (1, 3)), (Vehicle(0, 0, 5, (0, 10_000)),), stop_time=60
    )
    solution = solve(problem, seconds=0.5)
    check(problem, solution)
    route = solution.routes[0]
    starts = [visit.start - route.departure for visit in route.visits]
    # 100 driving, 10 + 10 handling, 60 stop, 100 driving, 10 + 10 handling, 60 stop, 200 home.
    assert starts == [100, 110, 280, 290]
    assert route.arrival - route.departure == 560


def test_long_route_takes_breaks() -> None:
    """A 2.4-hour run with break_after 1 h gets breaks, none in handling, no stretch too long."""
    # Each leg is shorter than 2 x break_after: OR-Tools 9.15 fits at most one break per leg.
    matrix = line_matrix([0, 2_000, 4_000])
    tasks = (Task(1, 1, 300, ALWAYS), Task(2, -1, 300, ALWAYS))
    van = Vehicle(0, 0, 5, (0, 50_000), break_after=3_600, break_duration=900)
    problem = RoutingProblem(matrix, matrix, tasks, ((0, 1),), (van,))
    solution = solve(problem, seconds=0.5)
    check(problem, solution)
    assert solution.is_feasible()
    route = solution.routes[0]
    # 8,600 s of work needs at least two breaks of 900 s.
    assert len(route.breaks) >= 2
    assert all(end - start == 900 for start, end in route.breaks)
    assert route.arrival - route.departure >= 8_600 + 900 * len(route.breaks)


def test_short_route_takes_no_break() -> None:
    """A route shorter than break_after takes no break even though the shift is long."""
    matrix = line_matrix([0, 100, 200])
    tasks = (Task(1, 1, 10, ALWAYS), Task(2, -1, 10, ALWAYS))
    van = Vehicle(0, 0, 5, (0, 50_000), break_after=3_600, break_duration=900)
    problem = RoutingProblem(matrix, matrix, tasks, ((0, 1),), (van, van))
    solution = solve(problem, seconds=0.5)
    check(problem, solution)
    assert len(solution.routes) == 1
    assert solution.routes[0].breaks == ()


def test_break_cannot_fit_makes_task_unperformed() -> None:
    """A task reachable only by driving past break_after without a break is reported unperformed."""
    matrix = line_matrix([0, 1_000, 6_000])
    tasks = (Task(1, 1, 0, ALWAYS), Task(2, -1, 0, ((0, 5_000),)))
    van = Vehicle(0, 0, 5, (0, 50_000), break_after=3_600, break_duration=900)
    problem = RoutingProblem(matrix, matrix, tasks, ((0, 1),), (van,))
    solution = solve(problem, seconds=0.5)
    check(problem, solution)
    # 6000 s of driving to the delivery: a break is needed, which pushes it past 5000 s.
    assert not solution.is_feasible()
    assert solution.unperformed == (0, 1)


def test_handoff_between_two_vans_at_transfer_point() -> None:
    """The second van picks the crate up at the transfer point only after the first dropped it."""
    # 0: van A home, 1: origin branch, 2: transfer hub, 3: destination branch, 4: van B home.
    positions = [0, 100, 1_000, 1_800, 1_900]
    matrix = line_matrix(positions)
    tasks = (
        Task(1, 1, 30, ALWAYS),  # A picks up at the origin
        Task(2, -1, 30, ALWAYS),  # A drops at the hub
        Task(2, 1, 30, ALWAYS),  # B picks up at the hub
        Task(3, -1, 30, ALWAYS),  # B delivers
    )
    van_a = Vehicle(0, 2, 1, (0, 1_200))  # ends at the hub, too early to reach the destination
    van_b = Vehicle(4, 4, 1, (0, 2_500))  # too short a shift to reach the origin
    problem = RoutingProblem(
        matrix,
        matrix,
        tasks,
        ((0, 1), (2, 3)),
        (van_a, van_b),
        handoffs=(Handoff(drop=1, pick=2),),
    )
    solution = solve(problem, seconds=0.5)
    check(problem, solution)
    assert solution.is_feasible()
    by_task = {v.task: (r.vehicle, v.start) for r in solution.routes for v in r.visits}
    assert by_task[0][0] == by_task[1][0] == 0
    assert by_task[2][0] == by_task[3][0] == 1
    assert by_task[2][1] >= by_task[1][1] + 30


def test_handoff_pick_needs_its_drop() -> None:
    """When the drop cannot happen, the pick at the transfer point is not performed either."""
    matrix = line_matrix([0, 100, 1_000, 1_800])
    tasks = (
        Task(1, 1, 0, ALWAYS),
        Task(2, -1, 0, ((0, 5),)),  # unreachable drop
        Task(2, 1, 0, ALWAYS),
        Task(3, -1, 0, ALWAYS),
    )
    problem = RoutingProblem(
        matrix,
        matrix,
        tasks,
        ((0, 1), (2, 3)),
        (Vehicle(0, 0, 1, (0, 10_000)),),
        choices=(Choice((0,), penalty=1_000),),
        handoffs=(Handoff(drop=1, pick=2),),
    )
    solution = solve(problem, seconds=0.5)
    check(problem, solution)
    assert solution.unperformed == (0, 1, 2, 3)
    assert solution.is_feasible()
    assert solution.objective == 1_000


def test_infeasible_mandatory_task_is_reported() -> None:
    """A mandatory pair whose window cannot be reached is unperformed and the answer infeasible."""
    matrix = line_matrix([0, 100, 200, 5_000])
    tasks = (
        Task(1, 1, 0, ALWAYS),
        Task(2, -1, 0, ALWAYS),
        Task(1, 1, 0, ALWAYS),
        Task(3, -1, 0, ((0, 10),)),
    )
    problem = RoutingProblem(
        matrix, matrix, tasks, ((0, 1), (2, 3)), (Vehicle(0, 0, 5, (0, 100_000)),)
    )
    solution = solve(problem, seconds=0.5)
    check(problem, solution)
    assert not solution.is_feasible()
    assert solution.unperformed == (2, 3)
    assert [v.task for v in solution.routes[0].visits] == [0, 1]


def test_choice_takes_the_cheaper_source() -> None:
    """Of two branches holding the item, the nearer is used and the other pair is skipped."""
    matrix = line_matrix([0, 100, 900, 200])
    tasks = (
        Task(1, 1, 0, ALWAYS),  # near copy
        Task(3, -1, 0, ALWAYS),
        Task(2, 1, 0, ALWAYS),  # far copy
        Task(3, -1, 0, ALWAYS),
    )
    problem = RoutingProblem(
        matrix,
        matrix,
        tasks,
        ((0, 1), (2, 3)),
        (Vehicle(0, 0, 5, (0, 100_000)),),
        choices=(Choice((0, 2), penalty=100_000),),
    )
    assert mandatory_tasks(problem) == ()
    solution = solve(problem, seconds=0.5)
    check(problem, solution)
    assert solution.is_feasible()
    assert solution.unperformed == (2, 3)
    assert solution.objective == 400


def test_choice_penalty_cheaper_than_serving() -> None:
    """A task whose penalty is below its detour is skipped and the penalty is in the objective."""
    matrix = line_matrix([0, 5_000, 5_100])
    tasks = (Task(1, 1, 0, ALWAYS), Task(2, -1, 0, ALWAYS))
    problem = RoutingProblem(
        matrix,
        matrix,
        tasks,
        ((0, 1),),
        (Vehicle(0, 0, 5, (0, 100_000), fixed_cost=10),),
        choices=(Choice((0,), penalty=50),),
    )
    solution = solve(problem, seconds=0.5)
    check(problem, solution)
    assert solution.routes == ()
    assert solution.objective == 50


def random_problem(seed: int, pairs: int = 15, vehicles: int = 4) -> RoutingProblem:
    """A random PDPTW on a 1000 x 1000 square with loose windows (seconds = metres)."""
    rng = random.Random(seed)
    points = [(500, 500)] + [(rng.randrange(1000), rng.randrange(1000)) for _ in range(2 * pairs)]
    matrix = tuple(
        tuple(round(((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5) for bx, by in points)
        for ax, ay in points
    )
    tasks: list[Task] = []
    for k in range(pairs):
        lo = rng.randrange(0, 4_000)
        tasks.append(Task(1 + 2 * k, 3, 60, ((lo, lo + 2_000),)))
        tasks.append(Task(2 + 2 * k, -3, 60, ((lo, lo + 6_000),)))
    return RoutingProblem(
        matrix,
        matrix,
        tuple(tasks),
        tuple((2 * k, 2 * k + 1) for k in range(pairs)),
        tuple(Vehicle(0, 0, 9, (0, 20_000), fixed_cost=10_000) for _ in range(vehicles)),
        stop_time=30,
    )


def test_random_instance_passes_checker() -> None:
    """A random 15-pair instance is solved feasibly and every rule holds (two workers)."""
    problem = random_problem(7)
    solution = solve(problem, seconds=1, workers=2)
    check(problem, solution)
    assert solution.is_feasible()


def test_same_seed_same_answer() -> None:
    """Same problem, seed and solution limit give the same routes; both runs are valid."""
    problem = random_problem(3)
    first = solve(problem, seconds=5, seed=1, solution_limit=50)
    second = solve(problem, seconds=5, seed=1, solution_limit=50)
    check(problem, first)
    assert first.routes == second.routes
    assert first.objective == second.objective


def test_time_limit_respected() -> None:
    """A half-second solve with two workers returns within a generous margin of its limit."""
    problem = random_problem(11, pairs=40, vehicles=10)
    solution = solve(problem, seconds=0.5, workers=2)
    check(problem, solution)
    assert solution.seconds < 1.5


def test_malformed_problem_is_rejected() -> None:
    """A task at a location outside the matrix raises RoutingProblemError naming the task."""
    matrix = line_matrix([0, 1])
    problem = RoutingProblem(
        matrix, matrix, (Task(5, 0, 0, ALWAYS),), (), (Vehicle(0, 0, 1, (0, 10)),)
    )
    with pytest.raises(RoutingProblemError, match="task 0"):
        solve(problem, seconds=0.5)


def test_initial_routes_warm_start_keeps_or_improves() -> None:
    """Started from given routes (one pair left out), the search returns valid routes that
    perform everything and cost no more than the start plus the left-out pair's insertion."""
    problem = random_problem(5)
    descent = (SearchConfig("descent", "PATH_CHEAPEST_ARC", "GREEDY_DESCENT"),)
    start = solve(problem, seconds=5, configs=descent)
    check(problem, start)
    assert start.is_feasible()
    left_out = set(problem.pairs[0])
    routes = [tuple(v.task for v in r.visits if v.task not in left_out) for r in start.routes]
    routes = [route for route in routes if route]
    warm = solve(problem, seconds=5, configs=descent, initial_routes=routes)
    check(problem, warm)
    assert warm.is_feasible()
    full = [tuple(v.task for v in r.visits) for r in start.routes]
    again = solve(problem, seconds=5, configs=descent, initial_routes=full)
    check(problem, again)
    assert again.objective <= start.objective


def test_initial_routes_more_than_vehicles_rejected() -> None:
    """More initial routes than vehicles raises RoutingProblemError."""
    problem = random_problem(5)
    routes = [(p, d) for p, d in problem.pairs[: len(problem.vehicles) + 1]]
    with pytest.raises(RoutingProblemError, match="initial_routes"):
        solve(problem, seconds=0.5, initial_routes=routes)


def test_late_cost_lets_a_task_start_late_and_reports_it() -> None:
    """Two tasks 100 either side of the depot, both due by 100: one van reaches only one in
    time. With hard windows the other is left out; with late_cost it starts 200 late (either
    order), the solution says so and is not feasible, and the objective charges it."""
    matrix = line_matrix([0, 100, -100])
    tasks = (Task(1, 0, 0, ((0, 100),)), Task(2, 0, 0, ((0, 100),)))
    hard = RoutingProblem(matrix, matrix, tasks, (), (Vehicle(0, 0, 5, (0, 10_000)),))
    strict = solve(hard, seconds=0.5)
    assert len(strict.unperformed) == 1 and not strict.is_feasible()
    assert strict.lateness == 0
    soft = dataclasses.replace(hard, late_cost=3)
    relaxed = solve(soft, seconds=0.5)
    assert relaxed.unperformed == ()
    assert relaxed.lateness == 200
    assert not relaxed.is_feasible()
    assert relaxed.distance == 400
    assert relaxed.objective == 400 + 3 * 200
