"""When a reserved item will be on the pickup shelf: expected and promised dates.

Beyond the planned days the estimate comes from the vans' regular schedule, as the earliest
arrival over a time-expanded network of scheduled runs (networkx):

- ("at", branch, day): the item is at the branch and can be collected that day;
- a van that runs that day and can reach a staffed branch within its shift collects there and
  brings the item to its depot, from where it can travel on the next day: ("at", branch, d) ->
  ("at", depot, d + 1); it delivers from its depot the same way: ("at", depot, d) ->
  ("shelf", branch, d);
- an item waits where it is: ("at", branch, d) -> ("at", branch, d + 1).

A crate collected and delivered on the same run, or relayed at the hub the same day, is faster
than this network says; the network is the regular service a patron can count on. On the
planned days the plan itself gives the date (deliveries.csv). An item delivered less than
settings.checkin_minutes before its branch closes is on the shelf the next day it is staffed.

The promise adds settings.promise_margin_days working days on which the pickup branch is
staffed to the expected date: enough for the usual disturbances (a late pull, a slow run, one
missed run), see `bokflyt simulate` and BENCHMARKS.md. It is told once the copy is in hand
(`told`): a copy still on a shelf has a preliminary date until it is pulled, so a copy that
is not on the shelf (about 3 in 100) changes a preliminary date, not a promise.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

import networkx as nx

from logistics.calendar import Calendar, day_en, day_sv, runs_on
from logistics.model import Scenario, Van
from logistics.plan import CrateLeg, Delivery, PatronDate, Unplanned
from logistics.sourcing import Assignment

Node = tuple[str, str, date]


class Timetable:
    """Earliest shelf dates over the regular schedule, from `start` for `days_ahead` days."""

    def __init__(
        self, scenario: Scenario, calendar: Calendar, start: date, days_ahead: int = 60
    ) -> None:
        self.scenario, self.calendar = scenario, calendar
        self.start, self.end = start, start + timedelta(days=days_ahead)
        self.graph: nx.DiGraph = nx.DiGraph()
        # latest minute an item may be ready at a branch on a day and still be collected
        self._cutoff: dict[tuple[str, date], int] = {}
        self._cache: dict[Node, dict[str, date]] = {}
        self._van_days: list[date] = []  # days on which a van runs, in order
        branches = sorted(scenario.branches)
        day = start
        while day < self.end:
            after = day + timedelta(days=1)
            for b in branches:
                self.graph.add_edge(("at", b, day), ("at", b, after), days=1)
            for van in scenario.vans:
                if not runs_on(van, day, calendar):
                    continue
                if not self._van_days or self._van_days[-1] != day:
                    self._van_days.append(day)
                depot = van.depot_branch_id
                # Ready at the depot by the van's start: it may leave with the van today.
                key = (depot, day)
                self._cutoff[key] = max(self._cutoff.get(key, van.shift_start), van.shift_start)
                for b in branches:
                    cutoff = None if b == depot else self._reach(van, b, day)
                    if cutoff is not None:
                        key = (b, day)
                        self._cutoff[key] = max(self._cutoff.get(key, cutoff), cutoff)
                        self.graph.add_edge(("at", b, day), ("at", depot, after), days=1)
                    if self._reach(van, b, day, scenario.settings.checkin_minutes) is not None:
                        self.graph.add_edge(("at", depot, day), ("shelf", b, day), days=0)
            day = after

    def _reach(self, van: Van, branch: str, day: date, lag: int = 0) -> int | None:
        """The latest minute the van can start handing over at the branch that day and still
        be back at its depot at the end of its shift, with `lag` minutes of the branch's
        staffed hours left after the handover (check-in); None when it cannot."""
        s = self.scenario.settings
        travel, depot = self.scenario.travel, van.depot_branch_id
        there = travel[(depot, branch)].minutes if branch != depot else 0
        back = travel[(branch, depot)].minutes if branch != depot else 0
        handling = s.stop_minutes + s.crate_minutes
        best: int | None = None
        for opens, closes in self.calendar.windows(branch, day):
            lo = max(opens, van.shift_start + there)
            hi = min(closes - handling - lag, van.shift_end - back - handling)
            if lo <= hi:
                best = int(hi) if best is None else max(best, int(hi))
        return best

    def on_shelf(self, source: str, ready: date, minute: int, pickup: str) -> date | None:
        """The date an item ready at `source` on `ready` from `minute` is on the pickup shelf;
        None when it cannot get there before the end of the timetable."""
        if source == pickup:
            return self.shelf_date(pickup, ready, minute)
        day = max(ready, self.start)
        if day == ready and self._cutoff.get((source, day), -1) < minute:
            day += timedelta(days=1)
        if day >= self.end:
            return None
        return self._reached(("at", source, day)).get(pickup)

    def shelf_date(self, branch: str, day: date, minute: int) -> date | None:
        return shelf_date(self.scenario, self.calendar, branch, day, minute)

    def _reached(self, node: Node) -> dict[str, date]:
        """Earliest shelf date per branch from a node: the earliest over its successors,
        computed once for all nodes, latest day first (every edge goes forward in time)."""
        if not self._cache:
            for other in sorted(self.graph, key=lambda n: (n[2], n[0]), reverse=True):
                best: dict[str, date] = {}
                if other[0] == "shelf":
                    best[other[1]] = other[2]
                for nxt in self.graph.successors(other):
                    for branch, day in self._cache[nxt].items():
                        if branch not in best or day < best[branch]:
                            best[branch] = day
                self._cache[other] = best
        return self._cache.get(node, {})

    def van_days_after(self, day: date, count: int) -> date:
        """The first day on or after `day` on which a van runs, then `count` such days later
        (the end of the timetable when there are no more)."""
        k = bisect.bisect_left(self._van_days, day) + count
        return self._van_days[k] if k < len(self._van_days) else self.end

    def promise(self, pickup: str, expected: date, today: date | None = None) -> date:
        """The date told to the patron: settings.promise_margin_days working days on which the
        pickup branch is staffed after the expected date; one fewer when the expected date is
        settings.promise_far_days or more working days after `today` (the far days of a plan
        are already pessimistic: re-planned daily, items arrive earlier than first planned)."""
        s = self.scenario.settings
        margin = s.promise_margin_days
        if today is not None and self.calendar.working_days_between(today, expected) >= (
            s.promise_far_days
        ):
            margin = max(0, margin - 1)
        day = expected
        for _ in range(margin):
            day = self._next_staffed_working_day(pickup, day)
        return day

    def _next_staffed_working_day(self, branch: str, day: date) -> date:
        nxt = day + timedelta(days=1)
        for _ in range(366):
            if self.calendar.is_working_day(nxt) and self.calendar.windows(branch, nxt):
                return nxt
            nxt += timedelta(days=1)
        return nxt


def shelf_date(
    scenario: Scenario, calendar: Calendar, branch: str, day: date, minute: int
) -> date | None:
    """When an item that is at `branch` at `minute` on `day` is checked in: that day when the
    branch is staffed for settings.checkin_minutes more, else its next staffed day."""
    lag = scenario.settings.checkin_minutes
    for opens, closes in calendar.windows(branch, day):
        if max(opens, minute) + lag <= closes:
            return day
    nxt = calendar.next_open(branch, day + timedelta(days=1), 0)
    return None if nxt is None else nxt[0]


def patron_dates(
    scenario: Scenario,
    timetable: Timetable,
    assignments: Iterable[Assignment],
    deliveries: Iterable[Delivery],
    unplanned: Iterable[Unplanned],
    after: date,
    today: date | None = None,
    legs: Iterable[CrateLeg] = (),
    contents: Iterable[tuple[str, str]] = (),
) -> tuple[PatronDate, ...]:
    """Expected and promised dates of every sourced reservation: from the plan when it
    delivers the item, else from the timetable, starting on `after` (the first day after the
    planned days) where the plan leaves the item — later by the days the queue there needs
    at the pace the plan moved reserved items out of that place (`_queue_days`)."""
    assignments = list(assignments)
    deliveries = list(deliveries)
    unplanned = list(unplanned)
    delivered = {d.reservation_id: d for d in deliveries if d.reservation_id}
    left_at = {u.reservation_id: u.at_branch_id for u in unplanned if u.at_branch_id}
    reserved = {d.item_id for d in deliveries if d.reservation_id}
    reserved |= {u.item_id for u in unplanned if u.reservation_id and u.item_id}
    queued = sorted(
        (a for a in assignments if a.reservation_id in left_at),
        key=lambda a: (a.ready_date or after, a.reservation_id),
    )
    delay = _queue_days(left_at, [a.reservation_id for a in queued], legs, contents, reserved)
    out: list[PatronDate] = []
    for a in assignments:
        rid, pickup = a.reservation_id, a.pickup_branch_id
        d = delivered.get(rid)
        expected: date | None
        if d is not None:
            expected = timetable.shelf_date(pickup, d.delivered_date, d.delivered_time)
            status = "delivered"
        elif rid in left_at:
            start = timetable.van_days_after(after, delay.get(rid, 0))
            expected = timetable.on_shelf(left_at[rid], start, 0, pickup)
            status = "in_transit"
        elif a.item_id:
            expected, status = a.estimate, "sourced"
        elif a.uncertain:
            expected, status = a.estimate, "awaiting_return"
        else:
            expected, status = None, "no_date"
        if expected is None:
            status = "no_date" if not a.uncertain else status
        promise = None if expected is None else timetable.promise(pickup, expected, today)
        pulled = a.ready_date if scenario.on_shelf(a.item_id, a.source_branch_id) else None
        sv, en = patron_messages(
            status, scenario.branches[pickup].name, promise, preliminary=pulled is not None
        )
        out.append(
            PatronDate(
                rid,
                a.item_id,
                a.source_branch_id,
                pickup,
                expected,
                promise,
                status,
                sv,
                en,
                pulled,
            )
        )
    return tuple(sorted(out, key=lambda p: p.reservation_id))


def _queue_days(
    left_at: dict[str, str],
    queue: list[str],
    legs: Iterable[CrateLeg],
    contents: Iterable[tuple[str, str]],
    reserved: set[str],
) -> dict[str, int]:
    """Van days a reservation left waiting at a place must still queue there: its place in
    the queue (`queue`, first served first) divided by the reserved items the plan took away
    from that place per day it took any. A place the plan took nothing from gets no delay
    (nothing to measure the pace by)."""
    per_crate: Counter[str] = Counter(c for c, item in contents if item in reserved)
    taken: Counter[str] = Counter()
    days: dict[str, set[date]] = defaultdict(set)
    for leg in legs:
        if per_crate[leg.crate_id]:
            taken[leg.leg_from_branch_id] += per_crate[leg.crate_id]
            days[leg.leg_from_branch_id].add(leg.day)
    seen: Counter[str] = Counter()
    out: dict[str, int] = {}
    for rid in queue:
        place = left_at[rid]
        pace = taken[place] / len(days[place]) if days[place] else 0.0
        out[rid] = int(seen[place] // pace) if pace > 0 else 0
        seen[place] += 1
    return out


def told(d: PatronDate, day: date) -> bool:
    """Whether the patron has been told `d`'s promise by `day`, after that day's pull: a
    certain date (not one awaiting a return) of a copy in hand, that is on its way, or pulled
    from the shelf on or before `day`. A copy still on a shelf is promised once it is pulled,
    so a copy that is not there (missing) breaks no promise; until then the date is preliminary
    (`patron_messages`)."""
    return certain(d) and (d.pull_date is None or d.pull_date <= day)


def certain(d: PatronDate) -> bool:
    """A promise date that does not wait for a return."""
    return d.promise_date is not None and d.status not in ("awaiting_return", "no_date")


def patron_messages(
    status: str, branch_name: str, promise: date | None, preliminary: bool = False
) -> tuple[str, str]:
    """The sentences told to the patron, Swedish and English, for a reservation's promise;
    `preliminary` while its copy is still to be pulled from the shelf (see `told`)."""
    if promise is None:
        return (
            f"Din reservation har ännu inget beräknat datum; du får ett meddelande när den "
            f"finns att hämta på {branch_name}.",
            f"Your reservation has no estimated date yet; you will be notified when it is "
            f"ready for pickup at {branch_name}.",
        )
    if status == "awaiting_return":
        return (
            f"Din reservation väntar på att ett utlånat exemplar lämnas tillbaka; preliminärt "
            f"finns den att hämta på {branch_name} {day_sv(promise)}.",
            f"Your reservation is waiting for a borrowed copy to be returned; it should be "
            f"ready for pickup at {branch_name} on {day_en(promise)}, but this is not certain.",
        )
    if preliminary:
        return (
            f"Din reservation beräknas finnas att hämta på {branch_name} {day_sv(promise)}; "
            f"datumet bekräftas när exemplaret har plockats från hyllan.",
            f"Your reservation is expected to be ready for pickup at {branch_name} "
            f"on {day_en(promise)}; the date is confirmed once the copy is taken from the shelf.",
        )
    return (
        f"Din reservation beräknas finnas att hämta på {branch_name} {day_sv(promise)}.",
        f"Your reservation is expected to be ready for pickup at {branch_name} "
        f"on {day_en(promise)}.",
    )
