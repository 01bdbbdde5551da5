"""Plan a horizon day by day: pack ready items in crates, route the day's vans, move crates.

Each day with van runs is one routing problem (see `routing`), built from bundles of crates
(packed per source, destination and collection cut-off, see `pack_crates`):
- collect: the crates of a library, ready by a given time, go to the nearest transfer point
  (a hub or a van depot) where they wait for a later run;
- deliver: the crates waiting at a transfer point for a library go there.
(With settings.direct_in_model, a crate that has waited also gets the option to go straight to
its destination inside the model.) Leaving a bundle behind costs far more than any detour
(patrons first), and more for every working day its items have waited (settings.wait_cost_km)
and for every promise in promises.csv that waiting would break (settings.promise_cost_km,
judged by the regular service of the timetable, `eta.Timetable`); after that the solver
minimises km.

After routing, each crate bound for a transfer point, most urgent first, is handed over at its
destination the same day where the re-timed runs (`schedule.time_run`) still keep every rule:
at a later stop of the same van, relayed at the transfer point to a van that calls there after
the drop and goes on to the destination, or at a new stop whose detour is worth the crate's day
of waiting.

Time unit of the routing problems built here: whole minutes after midnight of the day (travel
minutes rounded up), distances in metres.
"""

from __future__ import annotations

import bisect
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from logistics import routing
from logistics.calendar import Calendar, runs_on
from logistics.eta import Timetable, patron_dates
from logistics.model import BranchKind, Scenario, Van
from logistics.plan import CrateLeg, Delivery, Plan, RouteRow, Unplanned
from logistics.schedule import Stop, handling, time_run
from logistics.sourcing import Move, choose_copies

Progress = Callable[[str], None]

# Days after the planned ones covered by the timetable of patron dates (returns included).
TIMETABLE_DAYS = 120

# Leaving a crate behind costs this much (km) on top of its patrons' waiting cost.
LEAVE_CRATE_KM = 500.0


@dataclass
class Crate:
    """A crate while planning: where it is, from when it can leave, and its legs so far."""

    crate_id: str
    origin: str
    destination: str
    moves: list[Move]
    location: str
    ready_minute: int
    legs: list[CrateLeg] = field(default_factory=list)


@dataclass(frozen=True)
class _Bundle:
    """Crates handed over together: collected at a branch, or taken from a transfer point."""

    crates: tuple[Crate, ...]
    pick: int  # task ids in the day's routing problem
    drop: int


def transfer_points(scenario: Scenario) -> frozenset[str]:
    """Where a crate may wait between runs: hubs and van depots."""
    hubs = {b.branch_id for b in scenario.branches.values() if b.kind is BranchKind.HUB}
    return frozenset(hubs | {v.depot_branch_id for v in scenario.vans})


def plan(
    scenario: Scenario,
    start: date,
    days: int,
    *,
    seconds: float | None = None,
    seed: int | None = None,
    progress: Progress | None = None,
    sourcing_method: str = "joint",
) -> Plan:
    """Plan `days` days from `start`. `seconds` is the solver budget for the whole horizon
    (default: settings.solver_seconds per day with van runs). `sourcing_method` is `joint`
    (all reservations at once) or `greedy` (today's practice); see `sourcing`."""
    calendar = Calendar.of(scenario)
    settings = scenario.settings
    seed = settings.seed if seed is None else seed
    say = progress or (lambda _: None)
    timetable = Timetable(scenario, calendar, start, days + TIMETABLE_DAYS)
    sourcing = choose_copies(
        scenario, calendar, start, days, method=sourcing_method, arrival=timetable.on_shelf
    )
    horizon = [start + timedelta(days=k) for k in range(days)]
    van_days = [d for d in horizon if any(runs_on(v, d, calendar) for v in scenario.vans)]
    budget = settings.solver_seconds * len(van_days) if seconds is None else seconds
    per_day = budget / len(van_days) if van_days else 0.0

    pending: list[Move] = sorted(
        sourcing.moves, key=lambda m: (m.ready_date, m.ready_minute, m.item_id)
    )
    waiting: list[Crate] = []  # crates at transfer points
    routes: list[RouteRow] = []
    legs: list[CrateLeg] = []
    contents: list[tuple[str, str]] = []  # (crate, item) of every crate that moved
    deliveries: list[Delivery] = list(sourcing.on_the_spot)
    solve_seconds = 0.0
    started = time.monotonic()

    for number, day in enumerate(horizon, start=1):
        vans = [v for v in scenario.vans if runs_on(v, day, calendar)]
        if not vans:
            continue
        fresh = pack_crates(scenario, calendar, day, [m for m in pending if m.ready_date <= day])
        crates = fresh + waiting
        if not crates:
            continue
        say(
            f"day {number}/{days} {day.isoformat()}: {len(crates)} crates, "
            f"{len(vans)} van(s), solving up to {per_day:.0f} s"
        )
        day_plan = _plan_day(scenario, calendar, timetable, day, vans, crates, per_day, seed)
        solve_seconds += day_plan.seconds
        routes.extend(day_plan.routes)
        delivered_ids: set[str] = set()
        waiting = []
        for crate in crates:
            if not crate.moves:
                continue  # merged into another crate of its pair at collection
            if crate.legs and crate.legs[-1].day == day:
                if crate.legs[0].day == day:
                    contents.extend((crate.crate_id, m.item_id) for m in crate.moves)
                legs.extend(leg for leg in crate.legs if leg.day == day)
            if crate.location == crate.destination:
                last = crate.legs[-1]
                for m in crate.moves:
                    delivered_ids.add(m.item_id)
                    deliveries.append(
                        Delivery(
                            m.item_id,
                            m.reservation_id,
                            m.from_branch_id,
                            m.to_branch_id,
                            crate.crate_id,
                            m.ready_date,
                            day,
                            last.arrival,
                            calendar.working_days_between(m.ready_date, day),
                        )
                    )
            elif crate.legs:
                crate.ready_minute = 0  # at a transfer point from the next morning on
                waiting.append(crate)
                delivered_ids.update(m.item_id for m in crate.moves)  # no longer pending
        pending = [m for m in pending if m.item_id not in delivered_ids]
        say(f"  {day_plan.summary} ({time.monotonic() - started:.0f} s so far)")

    unplanned = list(sourcing.unplanned)
    end = horizon[-1] if horizon else start
    for m in pending:
        if m.ready_date > end:
            reason = "ready only after the planning horizon"
        else:
            reason = f"still waiting at {m.from_branch_id} at the end of the horizon"
        unplanned.append(Unplanned(m.item_id, m.reservation_id, reason, m.from_branch_id))
    for crate in waiting:
        reason = f"in crate {crate.crate_id} waiting at {crate.location} at the end of the horizon"
        unplanned.extend(
            Unplanned(m.item_id, m.reservation_id, reason, crate.location) for m in crate.moves
        )
    dates = patron_dates(
        scenario,
        timetable,
        sourcing.assignments,
        deliveries,
        unplanned,
        end + timedelta(days=1),
        today=start,
        legs=legs,
        contents=contents,
    )
    return Plan(
        start=start,
        days=days,
        routes=tuple(routes),
        crates=tuple(sorted(legs, key=lambda c: (c.day, c.crate_id, c.leg))),
        deliveries=tuple(sorted(deliveries, key=lambda d: d.item_id)),
        unplanned=tuple(sorted(unplanned, key=lambda u: (u.reservation_id, u.item_id))),
        solve_seconds=solve_seconds,
        reservations=dates,
        contents=tuple(sorted(contents)),
    )


def pack_crates(
    scenario: Scenario, calendar: Calendar, day: date, ready: list[Move]
) -> list[Crate]:
    """Crates per (source, destination) of items_per_crate items, earliest ready first, one
    set per collection cut-off of the source (`collection_cuts`): an item pulled in the
    afternoon does not hold back the ones ready in the morning. Crates of one pair that the
    same van collects at the same stop and hands over together are merged after routing
    (`_merge_crates`)."""
    per = scenario.settings.items_per_crate
    groups: dict[tuple[str, str], list[Move]] = defaultdict(list)
    for m in ready:
        groups[(m.from_branch_id, m.to_branch_id)].append(m)
    cuts: dict[str, list[int]] = {}
    crates: list[Crate] = []
    for (src, dst), moves in sorted(groups.items()):
        if src not in cuts:
            cuts[src] = collection_cuts(calendar.windows(src, day), scenario.settings.pull_minutes)
        slices: dict[int, list[Move]] = defaultdict(list)
        for m in moves:
            minute = m.ready_minute if m.ready_date == day else 0
            slices[bisect.bisect_left(cuts[src], minute)].append(m)
        number = 0
        for _, part in sorted(slices.items()):
            part.sort(key=lambda m: (m.ready_date, m.ready_minute, m.item_id))
            for k in range(0, len(part), per):
                chunk = part[k : k + per]
                ready_minute = max(m.ready_minute if m.ready_date == day else 0 for m in chunk)
                number += 1
                crate_id = f"{day:%y%m%d}-{src}-{dst}-{number}"
                crates.append(Crate(crate_id, src, dst, chunk, src, ready_minute))
    return crates


# Collections after the morning pull come in bundles of the crates ready every this many hours.
BUNDLE_HOURS = 2


def collection_cuts(windows: tuple[tuple[int, int], ...], pull_minutes: int) -> list[int]:
    """The minutes by which a branch's crates are bundled for collection: after the morning
    pull (with what waited from an earlier day; at the latest when it closes), then every
    BUNDLE_HOURS while it is staffed. What is ready after the last cut waits for the next day.
    (A separate cut at opening for what waited made more, smaller bundles and measured worse.)"""
    if not windows:
        return [0]
    opens, closes = windows[0][0], windows[-1][1]
    cuts = [min(opens + pull_minutes, closes)]  # what waited from an earlier day goes too
    cut = cuts[0] + BUNDLE_HOURS * 60
    while cut < closes:
        cuts.append(cut)
        cut += BUNDLE_HOURS * 60
    return cuts


@dataclass(frozen=True)
class _DayPlan:
    routes: tuple[RouteRow, ...]
    seconds: float
    summary: str


def _windows(
    calendar: Calendar, branch: str, day: date, after: int, service: int
) -> tuple[tuple[int, int], ...]:
    """Allowed handling starts at a branch: staffed, from `after`, leaving time to finish."""
    out = []
    for opens, closes in calendar.windows(branch, day):
        lo, hi = max(opens, after), closes - service
        if lo <= hi:
            out.append((lo, hi))
    return tuple(out)


def _plan_day(
    scenario: Scenario,
    calendar: Calendar,
    timetable: Timetable,
    day: date,
    vans: list[Van],
    crates: list[Crate],
    seconds: float,
    seed: int,
) -> _DayPlan:
    """Route the day's vans: collect every library's crates to a transfer point and deliver the
    crates waiting there; a crate whose destination the same van visits later goes direct."""
    s = scenario.settings
    places = sorted(scenario.branches)
    index = {b: k for k, b in enumerate(places)}
    distance = tuple(
        tuple(round(scenario.travel[(a, b)].km * 1000) for b in places) for a in places
    )
    duration = tuple(
        tuple(math.ceil(scenario.travel[(a, b)].minutes - 1e-9) for b in places) for a in places
    )
    points = transfer_points(scenario)
    cm, stop = s.crate_minutes, s.stop_minutes
    chunk = max(1, min(v.capacity_crates for v in vans))

    tasks: list[routing.Task] = []
    pairs: list[tuple[int, int]] = []
    choices: list[routing.Choice] = []
    bundles: list[_Bundle] = []

    def add_pair(group: list[Crate], src: str, dst: str, cost: int = 0) -> int:
        """A pickup-and-delivery of the group; its pickup task, or -1 when it cannot be."""
        n = len(group)
        after = max(c.ready_minute for c in group)
        pick = _windows(calendar, src, day, after, n * cm + stop)
        drop = _windows(calendar, dst, day, 0, n * cm + stop)
        if not pick or not drop:
            return -1
        p, d = len(tasks), len(tasks) + 1
        tasks.append(routing.Task(index[src], n, n * cm, pick, cost))
        tasks.append(routing.Task(index[dst], -n, n * cm, drop))
        pairs.append((p, d))
        bundles.append(_Bundle(tuple(group), p, d))
        return p

    def add_bundle(group: list[Crate], src: str, dst: str) -> None:
        p = add_pair(group, src, dst)
        if p >= 0:
            penalty = sum(_priority(scenario, calendar, timetable, c, day) for c in group)
            choices.append(routing.Choice((p,), penalty))

    def add_crate(crate: Crate, hub: str) -> None:
        """A collected crate goes straight to its destination, or to the hub at the cost of
        its items waiting another day."""
        late = _waiting_cost(scenario, calendar, timetable, crate, day, hub)
        options = [add_pair([crate], crate.location, crate.destination)]
        if hub:
            options.append(add_pair([crate], crate.location, hub, cost=late))
        performed = tuple(p for p in options if p >= 0)
        if performed:
            choices.append(
                routing.Choice(performed, _priority(scenario, calendar, timetable, crate, day))
            )

    by_place: dict[tuple[str, str], list[Crate]] = defaultdict(list)
    for c in crates:
        if c.location in points:
            by_place[(c.location, c.destination)].append(c)  # deliver from the transfer point
            continue
        hub = _nearest_point(scenario, points, c.location, day, calendar)
        if s.direct_in_model and _waited(calendar, c, day) >= s.direct_after_days:
            add_crate(c, hub)
        elif hub:
            by_place[(c.location, hub)].append(c)
    for (src, dst), group in sorted(by_place.items()):
        cuts = collection_cuts(calendar.windows(src, day), s.pull_minutes)
        for part in _by_ready_time(group, cuts):
            for k in range(0, len(part), chunk):
                if part[k : k + chunk]:
                    add_bundle(part[k : k + chunk], src, dst)

    if not tasks:
        return _DayPlan((), 0.0, "nothing can be handed over today")
    vehicles = tuple(
        routing.Vehicle(
            start_location=index[v.depot_branch_id],
            end_location=index[v.depot_branch_id],
            capacity=v.capacity_crates,
            # Minutes kept in hand for crates handed over directly or relayed after routing.
            shift=(v.shift_start, max(v.shift_start, v.shift_end - s.slack_minutes)),
            # A little stricter than the rule, so that `schedule.time_run`, which places
            # the breaks itself, can nearly always keep the solver's runs.
            break_after=max(1, s.break_after_minutes - s.stop_minutes),
            break_duration=s.break_minutes,
        )
        for v in vans
    )
    problem = routing.RoutingProblem(
        distance=distance,
        duration=duration,
        tasks=tuple(tasks),
        pairs=tuple(pairs),
        vehicles=vehicles,
        choices=tuple(choices),
        stop_time=stop,
    )
    solution = routing.solve(
        problem,
        seconds=seconds,
        seed=seed,
        workers=s.workers,
        solution_limit=s.solution_limit or None,
    )
    crates_by_id = {c.crate_id: c for c in crates}
    runs, legs = _runs(scenario, day, vans, problem, solution, bundles, calendar)
    _merge_crates(s.items_per_crate, crates_by_id, legs)
    order = {van.van_id: van for van in vans}
    timing = _Timing(scenario, calendar, timetable, day, order, runs)
    dropped = timing.settle(legs)
    for crate in sorted(
        (crates_by_id[cid] for cid, path in legs.items() if _via_point(crates_by_id[cid], path)),
        key=lambda c: (-_priority(scenario, calendar, timetable, c, day), c.crate_id),
    ):
        timing.improve(crate, legs)
    rows = timing.rows()
    for cid, path in legs.items():
        crate = crates_by_id[cid]
        for van_id, load_at, unload_at in path:
            assert load_at.departure is not None and unload_at.arrival is not None
            crate.legs.append(
                CrateLeg(
                    crate.crate_id,
                    crate.origin,
                    crate.destination,
                    len(crate.moves),
                    len(crate.legs) + 1,
                    day,
                    van_id,
                    load_at.branch,
                    unload_at.branch,
                    load_at.departure,
                    unload_at.arrival,
                )
            )
            crate.location = unload_at.branch
    if dropped:
        say_dropped = f", {dropped} crate(s) left for a schedule the solver's times did not keep"
    else:
        say_dropped = ""
    km = sum(r.km_from_prev for r in rows)
    packed = [c for c in crates if c.moves]  # not merged into another
    delivered = sum(1 for c in packed if c.location == c.destination)
    summary = (
        f"{len({r.van_id for r in rows})} run(s), {km:.0f} km, {delivered}/{len(packed)} "
        f"crates delivered, {solution.seconds:.1f} s{say_dropped}"
    )
    return _DayPlan(tuple(rows), solution.seconds, summary)


def _by_ready_time(group: list[Crate], cuts: list[int]) -> list[list[Crate]]:
    """Crates of one branch in bundles by the collection cut-off they are ready by; crates
    ready after the last one wait for tomorrow."""
    parts: dict[int, list[Crate]] = defaultdict(list)
    for c in sorted(group, key=lambda c: (c.ready_minute, c.crate_id)):
        k = bisect.bisect_left(cuts, c.ready_minute)
        if k < len(cuts):
            parts[k].append(c)
    return [parts[k] for k in sorted(parts)]


def _waited(calendar: Calendar, crate: Crate, day: date) -> int:
    """Working days the crate's longest-waiting item has waited by `day`."""
    return max(calendar.working_days_between(m.ready_date, day) for m in crate.moves)


def _waiting_cost(
    scenario: Scenario,
    calendar: Calendar,
    timetable: Timetable,
    crate: Crate,
    day: date,
    at: str,
) -> int:
    """Cost (metres) of the crate's items waiting at `at` for a later run: patrons first, so it
    grows with the days they have waited already (settings.wait_cost_km), and
    settings.promise_cost_km more for each item whose promise to the patron waiting breaks:
    the promise is at most one working day away, or the regular service from `at` from
    tomorrow (`Timetable`) reaches the shelf after it (a van that runs Mon/Wed/Fri, say: a
    crate left at a library on Monday is on the shelf on Friday at the earliest)."""
    s = scenario.settings
    total = 0.0
    later: date | None = None
    for m in crate.moves:
        waited = calendar.working_days_between(m.ready_date, day)
        weight = 1.0 if m.reservation_id else s.transfer_weight
        total += weight * s.wait_cost(waited)
        promise = scenario.promises.get(m.reservation_id) if m.reservation_id else None
        if promise is None:
            continue
        if later is None:
            tomorrow = day + timedelta(days=1)
            later = timetable.on_shelf(at, tomorrow, 0, crate.destination) or date.max
        if calendar.working_days_between(day, promise) <= 1 or later > promise:
            total += s.promise_cost_km
    return round(total * 1000)


def _priority(
    scenario: Scenario, calendar: Calendar, timetable: Timetable, crate: Crate, day: date
) -> int:
    """Penalty (metres) for leaving a crate where it is today: patrons first, so far above any
    detour, plus its items' waiting cost."""
    waiting = _waiting_cost(scenario, calendar, timetable, crate, day, crate.location)
    return round(LEAVE_CRATE_KM * 1000) + waiting


def _nearest_point(
    scenario: Scenario, points: frozenset[str], branch: str, day: date, calendar: Calendar
) -> str:
    """The transfer point open today that is nearest (km) to a branch."""
    best: tuple[float, str] | None = None
    for p in sorted(points - {branch}):
        if not calendar.windows(p, day):
            continue
        key = (scenario.travel[(branch, p)].km, p)
        if best is None or key < best:
            best = key
    return "" if best is None else best[1]


_Leg = tuple[str, Stop, Stop]  # van, where loaded, where unloaded


def _runs(
    scenario: Scenario,
    day: date,
    vans: list[Van],
    problem: routing.RoutingProblem,
    solution: routing.RoutingSolution,
    bundles: list[_Bundle],
    calendar: Calendar,
) -> tuple[dict[str, list[Stop]], dict[str, list[_Leg]]]:
    """The solver's routes as stops per van, and each moved crate's legs."""
    places = sorted(scenario.branches)
    stop_of_task: dict[int, tuple[str, Stop]] = {}
    runs: dict[str, list[Stop]] = {}
    for route in solution.routes:
        van = vans[route.vehicle]
        depot = van.depot_branch_id
        groups = _stop_groups(calendar, day, problem, route, places)
        stops = [Stop("stop", branch) for branch, _ in groups]
        # Handovers at the depot at either end belong to the start and the end of the run.
        if groups and groups[0][0] == depot:
            stops[0].kind = "start"
        else:
            stops.insert(0, Stop("start", depot))
            groups.insert(0, (depot, []))
        if len(stops) > 1 and groups[-1][0] == depot:
            stops[-1].kind = "end"
        else:
            stops.append(Stop("end", depot))
            groups.append((depot, []))
        for stop, (_, task_ids) in zip(stops, groups, strict=True):
            for t in task_ids:
                stop_of_task[t] = (van.van_id, stop)
        runs[van.van_id] = stops
    legs: dict[str, list[_Leg]] = {}
    for bundle in bundles:
        if bundle.pick not in stop_of_task:
            continue
        van_id, load_at = stop_of_task[bundle.pick]
        _, unload_at = stop_of_task[bundle.drop]
        for crate in bundle.crates:
            load_at.loads.append(crate.crate_id)
            load_at.ready = max(load_at.ready, crate.ready_minute)
            unload_at.unloads.append(crate.crate_id)
            legs[crate.crate_id] = [(van_id, load_at, unload_at)]
    return runs, legs


def _merge_crates(per: int, crates: dict[str, Crate], legs: dict[str, list[_Leg]]) -> None:
    """Crates of one (source, destination) packed for different collection cut-offs that
    leave the source at the same stop for the same stop go as one crate where they fit: the
    later crate's items join the earlier one (as staff fill the crate that is there when the
    van comes) and the emptied crate is not handed over."""
    together: dict[tuple[str, int, int], list[Crate]] = defaultdict(list)
    for cid, path in legs.items():
        crate = crates[cid]
        if not crate.legs and len(path) == 1:
            _, load_at, unload_at = path[0]
            together[(crate.destination, id(load_at), id(unload_at))].append(crate)
    for group in together.values():
        kept: list[Crate] = []
        for crate in sorted(group, key=lambda c: c.ready_minute):  # earlier cut-offs first
            into = next((k for k in kept if len(k.moves) + len(crate.moves) <= per), None)
            if into is None:
                kept.append(crate)
                continue
            into.moves.extend(crate.moves)
            into.ready_minute = max(into.ready_minute, crate.ready_minute)
            crate.moves = []
            _, load_at, unload_at = legs.pop(crate.crate_id)[0]
            load_at.loads.remove(crate.crate_id)
            unload_at.unloads.remove(crate.crate_id)


def _via_point(crate: Crate, path: list[_Leg]) -> bool:
    """The crate's day ends at a transfer point, not at its destination."""
    return path[-1][2].branch != crate.destination


class _Timing:
    """Times the day's runs and tries shorter ways for crates going via a transfer point."""

    def __init__(
        self,
        scenario: Scenario,
        calendar: Calendar,
        timetable: Timetable,
        day: date,
        vans: dict[str, Van],
        runs: dict[str, list[Stop]],
    ) -> None:
        self.scenario, self.calendar, self.day = scenario, calendar, day
        self.timetable = timetable
        self.vans, self.runs = vans, runs
        self.base_ready = {id(st): st.ready for run in runs.values() for st in run}
        self.relays: list[tuple[Stop, Stop]] = []  # (dropped at, loaded at)
        self.timed: dict[str, list[RouteRow]] = {}

    def settle(self, legs: dict[str, list[_Leg]]) -> int:
        """Time every run; where no schedule keeps the solver's run, leave the crates of its
        latest collections behind until one does. Returns how many crates were left."""
        left = 0
        for van_id, run in self.runs.items():
            while self._time(van_id) is None:
                victims = [cid for st in run for cid in st.loads]
                if not victims:
                    break
                cid = victims[-1]
                for st in run:
                    for bucket in (st.loads, st.unloads):
                        if cid in bucket:
                            bucket.remove(cid)
                legs.pop(cid, None)
                left += 1
        return left

    def improve(self, crate: Crate, legs: dict[str, list[_Leg]]) -> None:
        """Hand the crate over at its destination today: later on the same run, or relayed at
        the transfer point to another van that goes there afterwards."""
        cid = crate.crate_id
        van_id, load_at, unload_at = legs[cid][0]
        run = self.runs[van_id]
        after = run[run.index(load_at) + 1 :]
        for stop in after:
            if stop.branch == crate.destination and stop.kind != "start":
                unload_at.unloads.remove(cid)
                stop.unloads.append(cid)
                if self._time_all():
                    legs[cid] = [(van_id, load_at, stop)]
                    return
                stop.unloads.remove(cid)
                unload_at.unloads.append(cid)
        self._time_all()
        if not self.scenario.settings.same_day_relay:
            return
        for other, other_run in self.runs.items():
            if other == van_id:
                continue
            for k, pick in enumerate(other_run):
                if pick.branch != unload_at.branch or pick.kind == "end":
                    continue
                for stop in other_run[k + 1 :]:
                    if stop.branch != crate.destination or stop.kind == "start":
                        continue
                    pick.loads.append(cid)
                    stop.unloads.append(cid)
                    self.relays.append((unload_at, pick))
                    if self._time_all():
                        legs[cid] = [(van_id, load_at, unload_at), (other, pick, stop)]
                        return
                    self.relays.pop()
                    pick.loads.remove(cid)
                    stop.unloads.remove(cid)
        self._time_all()
        self._detour(crate, legs)

    def _detour(self, crate: Crate, legs: dict[str, list[_Leg]]) -> None:
        """A new stop at the crate's destination, after it was loaded, where the extra km are
        worth less than its items' day of waiting (the cheapest such place first)."""
        cid = crate.crate_id
        van_id, load_at, unload_at = legs[cid][0]
        run = self.runs[van_id]
        worth_km = (
            _waiting_cost(
                self.scenario, self.calendar, self.timetable, crate, self.day, unload_at.branch
            )
            / 1000
        )
        travel = self.scenario.travel
        visited = [st for st in run if st.kind != "stop" or st.handled]
        places: list[tuple[float, int]] = []
        first = visited.index(load_at) if load_at in visited else len(visited)
        for k in range(first, len(visited) - 1):
            a, b = visited[k].branch, visited[k + 1].branch
            extra = (
                travel[(a, crate.destination)].km
                + travel[(crate.destination, b)].km
                - travel[(a, b)].km
            )
            if extra <= worth_km:
                places.append((extra, k))
        for _, k in sorted(places)[:3]:
            stop = Stop("stop", crate.destination, unloads=[cid])
            self.base_ready[id(stop)] = 0
            run.insert(run.index(visited[k]) + 1, stop)
            unload_at.unloads.remove(cid)
            if self._time_all():
                legs[cid] = [(van_id, load_at, stop)]
                return
            unload_at.unloads.append(cid)
            run.remove(stop)
        self._time_all()

    def rows(self) -> list[RouteRow]:
        """routes.csv rows of every run that hands over something."""
        out: list[RouteRow] = []
        for van_id in self.runs:
            rows = self.timed.get(van_id) or []
            if any(r.crates_on or r.crates_off for r in rows):
                out.extend(rows)
        return out

    def _time(self, van_id: str) -> list[RouteRow] | None:
        rows = time_run(
            self.scenario, self.calendar, self.day, self.vans[van_id], self.runs[van_id]
        )
        if rows is not None:
            self.timed[van_id] = rows
        return rows

    def _time_all(self) -> bool:
        """Time all runs so that every relayed crate is loaded after it was dropped."""
        for run in self.runs.values():
            for st in run:
                st.ready = self.base_ready[id(st)]
        for _ in range(8):
            if any(self._time(v) is None for v in self.runs):
                return False
            wanted = {id(pick): self.base_ready[id(pick)] for _, pick in self.relays}
            for drop, pick in self.relays:
                if drop.departure is not None:
                    dropped = drop.departure
                else:
                    assert drop.arrival is not None
                    dropped = drop.arrival + handling(self.scenario, drop.handled)
                wanted[id(pick)] = max(wanted[id(pick)], dropped)
            changed = False
            for _, pick in self.relays:
                if pick.ready != wanted[id(pick)]:
                    pick.ready = wanted[id(pick)]
                    changed = True
            if not changed:
                return True
        return False


def _stop_groups(
    calendar: Calendar,
    day: date,
    problem: routing.RoutingProblem,
    route: routing.Route,
    places: list[str],
) -> list[tuple[str, list[int]]]:
    """The solver's visits as stops: consecutive tasks at one branch within one staffed window,
    split where the solver put a break between them. (branch, tasks); times come later from
    `schedule.time_run`."""
    groups: list[tuple[str, list[int]]] = []
    previous: routing.Visit | None = None
    for visit in route.visits:
        branch = places[problem.tasks[visit.task].location]
        if previous is not None and groups[-1][0] == branch:
            windows = calendar.windows(branch, day)
            end = previous.start + problem.tasks[previous.task].service
            same_window = _window_index(windows, previous.start) == _window_index(
                windows, visit.start
            )
            pause = any(end <= a < visit.start for a, _ in route.breaks)
            if same_window and not pause:
                groups[-1][1].append(visit.task)
                previous = visit
                continue
        groups.append((branch, [visit.task]))
        previous = visit
    return groups


def _window_index(windows: tuple[tuple[int, int], ...], minute: int) -> int:
    for k, (opens, closes) in enumerate(windows):
        if opens <= minute <= closes:
            return k
    return -1
