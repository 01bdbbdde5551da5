"""Times of a run: given its stops in order and what is handed over at each, the earliest
schedule that keeps every rule (staffed windows, handling time, shift, breaks, capacity).

The planner uses it to re-time runs after it changes where crates are handed over (a crate
delivered directly instead of via the hub, or relayed to another van at the hub). Breaks are
placed greedily: during a long enough wait, or right before a leg that would otherwise make
the stretch of work too long.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import date

from logistics.calendar import Calendar
from logistics.model import Scenario, Van
from logistics.plan import RouteRow


@dataclass(eq=False)
class Stop:
    """A visit of a run before timing: what is loaded and unloaded there (crate ids)."""

    kind: str  # start, stop, end
    branch: str
    loads: list[str] = field(default_factory=list)
    unloads: list[str] = field(default_factory=list)
    ready: int = 0  # minute: handovers here start no earlier (crates ready, relays dropped)
    arrival: int | None = None  # set by time_run
    departure: int | None = None

    @property
    def handled(self) -> int:
        return len(self.loads) + len(self.unloads)


def handling(scenario: Scenario, crates: int) -> int:
    """Minutes at a stop handing over `crates` crates (0 when none)."""
    s = scenario.settings
    return s.stop_minutes + crates * s.crate_minutes if crates else 0


@dataclass(frozen=True)
class _State:
    """A partial schedule: when the van leaves its last visit and since when it has worked
    without a break; `steps` holds (break start or None, handover start) per visit so far."""

    leave: int
    stretch: int
    steps: tuple[tuple[int | None, int], ...]


def time_run(
    scenario: Scenario,
    calendar: Calendar,
    day: date,
    van: Van,
    stops: list[Stop],
) -> list[RouteRow] | None:
    """Earliest feasible times of a run (start, stops, end), written into the stops; the
    routes.csv rows with breaks; None when no schedule keeps every rule. Stops other than start
    and end that hand over nothing are skipped (they are not visited).

    Each visit is reached either directly or after a break taken on leaving the previous one;
    both are followed, keeping only schedules not worse in both leaving time and stretch.
    """
    s = scenario.settings
    visits = [st for st in stops if st.kind != "stop" or st.handled]
    if len(visits) < 2 or visits[0].kind != "start" or visits[-1].kind != "end":
        return None
    loads = [0]
    for visit in visits[1:]:
        loads.append(loads[-1] + len(visit.loads) - len(visit.unloads))
    loads[0] = len(visits[0].loads)
    for k in range(1, len(visits)):
        loads[k] = loads[k - 1] + len(visits[k].loads) - len(visits[k].unloads)
    if any(not 0 <= x <= van.capacity_crates for x in loads) or loads[-1] != 0:
        return None

    start, first = visits[0], visits[1]
    h = handling(scenario, len(start.loads))
    if start.loads:
        begin = _handover_start(calendar, start.branch, day, max(van.shift_start, start.ready), h)
        if begin is None:
            return None
        departure, work_start = begin + h, begin
    else:
        # Leave as late as the first visit allows: waiting at the depot is no work.
        travel = _minutes(scenario, start.branch, first.branch)
        earliest = max(van.shift_start + travel, first.ready)
        at = _at_visit(calendar, day, first, earliest, handling(scenario, first.handled))
        departure = van.shift_start if at is None else max(van.shift_start, at - travel)
        work_start = departure
    limit = s.break_after_minutes if s.break_minutes > 0 else 10**9
    states = [_State(departure, work_start, ())]
    for previous, visit in itertools.pairwise(visits):
        travel = _minutes(scenario, previous.branch, visit.branch)
        h = handling(scenario, visit.handled)
        found: list[_State] = []
        for state in states:
            for pause in (False, True):
                if pause and s.break_minutes == 0:
                    continue
                # A break ends as late as it can: just when the handover starts.
                delay = s.break_minutes if pause else 0
                at = _at_visit(calendar, day, visit, state.leave + delay + travel, h)
                if at is None:
                    continue
                if pause and at - s.break_minutes - state.stretch > limit:
                    continue  # the work before this break was already too long
                stretch = at if pause else state.stretch
                if at + h - stretch > limit:
                    continue
                if visit.kind == "end" and at + h > van.shift_end:
                    continue
                step = (at - s.break_minutes if pause else None, at)
                found.append(_State(at + h, stretch, (*state.steps, step)))
        states = _pareto(found)
        if not states:
            return None
    best = min(states, key=lambda st: (st.leave, _breaks(st), -st.stretch))

    start.arrival, start.departure = None, departure
    rows = [_row(day, van, 1, start, None, departure, loads[0], 0.0)]
    for k, (visit, (pause_at, at)) in enumerate(zip(visits[1:], best.steps, strict=True), 1):
        if pause_at is not None:
            rows.append(_break(day, van, len(rows) + 1, pause_at, s.break_minutes, loads[k - 1]))
        km = scenario.travel[(visits[k - 1].branch, visit.branch)].km
        leave = None if visit.kind == "end" else at + handling(scenario, visit.handled)
        visit.arrival, visit.departure = at, leave
        rows.append(_row(day, van, len(rows) + 1, visit, at, leave, loads[k], km))
    return rows


def _pareto(states: list[_State]) -> list[_State]:
    """Schedules no other one beats in both leaving earlier and a later stretch start (on a
    tie, the one with fewer breaks)."""
    states.sort(key=lambda st: (st.leave, -st.stretch, _breaks(st)))
    kept: list[_State] = []
    for st in states:
        if not kept or st.stretch > kept[-1].stretch:
            kept.append(st)
    return kept


def _breaks(state: _State) -> int:
    return sum(1 for pause, _ in state.steps if pause is not None)


def _at_visit(calendar: Calendar, day: date, visit: Stop, arrive: int, h: int) -> int | None:
    """When the handover at a visit starts, given the van arrives at `arrive`."""
    if visit.kind == "end" and not visit.unloads:
        return arrive
    return _handover_start(calendar, visit.branch, day, max(arrive, visit.ready), h)


def _handover_start(
    calendar: Calendar, branch: str, day: date, earliest: int, minutes: int
) -> int | None:
    """First minute >= earliest at which `minutes` of handover fit in one staffed window."""
    for opens, closes in calendar.windows(branch, day):
        begin = max(earliest, opens)
        if begin + minutes <= closes:
            return begin
    return None


def _minutes(scenario: Scenario, a: str, b: str) -> int:
    """Travel minutes, rounded up to whole minutes."""
    return math.ceil(scenario.travel[(a, b)].minutes - 1e-9) if a != b else 0


def _row(
    day: date,
    van: Van,
    seq: int,
    stop: Stop,
    arrival: int | None,
    departure: int | None,
    load: int,
    km: float,
) -> RouteRow:
    return RouteRow(
        day,
        van.van_id,
        seq,
        stop.kind,
        stop.branch,
        arrival,
        departure,
        len(stop.unloads),
        len(stop.loads),
        load,
        round(km, 1),
    )


def _break(day: date, van: Van, seq: int, start: int, minutes: int, load: int) -> RouteRow:
    return RouteRow(day, van.van_id, seq, "break", "", start, start + minutes, 0, 0, load, 0.0)
