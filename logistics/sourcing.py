"""Which copy fills each reservation, when it is ready to travel, and when it will be on the shelf.

Two methods, `choose_copies(method=...)`:

- **joint** (default): one optimisation decides, for all reservations placed before the horizon
  ends, which available copy fills which reservation. Its cost is lexicographic, as exact
  integer weights: first as few reservations without a copy as possible; then the patrons'
  waiting, in working days from placing to the estimate (the day the copy is on the pickup
  shelf, per `arrival`; a reservation without a copy counts as waiting until after every
  estimate); then km between the copy's branch and the pickup (0 for a copy already there).
  A copy at the pickup branch is ready soonest and travels 0 km, so it wins unless another
  reservation needs it more. Crates are not counted: km per item stands for transport.
  Reservations and copies only meet within a title, so the problem falls apart into small
  independent pieces, unless a branch's daily sending limit ties titles together. The pieces
  without a limit that can bind are one min-cost flow (OR-Tools SimpleMinCostFlow: exact, a
  tenth of a second for the bundled week). Each piece with one is a 0-1 program through
  OR-Tools (linear program GLOP, then SCIP; see `_mip`), in which the limit holds exactly and a
  copy may also be pulled on a later staffed day of the horizon, or the first one after it,
  when the earlier days' limit is used up (days after the horizon are the next plan's to
  limit). Both are deterministic. Between equally good solutions, an earlier reservation of a
  title gets the copy rather than a later one (`_earlier_first`).
- **greedy**: today's practice (Koha's transport cost matrix): one reservation at a time in queue
  order (placed_at, reservation_id), a copy at the pickup branch, else the candidate copy at the
  branch with the fewest km to the pickup, ties by item_id; a copy whose branch has sent its
  daily limit on its pull day already is skipped. It keeps the same rules and gives estimates
  the same way, so the two methods can be compared on the same data. No fairness beyond queue
  order, as in Koha.

Rules of a consortium (both methods): a candidate copy is available, not in transfers.csv, and
allowed to go to the pickup branch: a copy at the pickup needs no travel; any other copy must
have may_travel and its branch must not be barred from sending to the pickup (no_transfer.csv).
A branch with max_sent_per_day sends at most that many copies pulled on one day to other
branches (copies filling a reservation at the branch itself do not count). A copy is ready at
`pull_moment` at its branch.

Queue fairness (joint): for one title and pickup branch, an earlier reservation (placed_at, then
reservation_id) never gets a later date than a later one. After the optimisation, the copies of
such a group are handed out again in queue order, each reservation taking the one that reaches
it first, pulled at its own pull moment (or, with the branch's daily limit used up that day, its
next staffed day with room). When the reservations of the group share their pull moments (all
placed before the horizon, say), this only permutes the optimiser's (copy, estimate) pairs: the
cost is unchanged. Otherwise a copy handed to a later-placed reservation cannot leave before
that reservation exists, and its date gets later. When that hand-out tells the group's patrons
more working days of waiting in total than keeping the optimiser's copies and raising each later
reservation's date to the latest earlier one (the copy is then on the shelf sooner than the date
told), the latter is kept. Either way the copies fill the group's earliest reservations; those
left without one wait for a return and come after them in the queue, and an estimate still
earlier than an earlier reservation's (the uncertain ones come from other branches' returns) is
raised to it. A reservation without any date is not compared.

Promises (joint): a reservation whose patron was told a date (promises.csv) counts a choice
that would not reach the shelf by that date, or no copy, as BROKEN_PROMISE_DAYS more working
days of waiting, so the copy it was promised with is not given to another reservation unless
that keeps as many promises.

Reservations without a copy wait for a return: the on-loan copies of the title with a due date
(overdue: due at the start) that may come to the pickup, earliest first; the k-th waiting
reservation of the title in queue order gets the k-th earliest due date, and beyond the number
of copies a copy comes back again settings.loan_days later. The copy is assumed returned at its
home branch on that day (or the next day it is staffed), ready at the pull moment there; the
estimate is `arrival` from there, marked uncertain. These reservations stay unplanned in the
horizon (nothing moves), with the reason why no copy could be sent. A reservation whose copy is
already on its way (a transfer naming it) is not sourced again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.linear_solver import pywraplp

from logistics.calendar import Calendar
from logistics.model import Item, ItemStatus, Reservation, Scenario, Transfer
from logistics.plan import Delivery, Unplanned

# (source branch, ready date, ready minute, pickup branch) -> the date the item is on the pickup
# branch's shelf (checked in), or None when it cannot get there in the estimate horizon. For
# source == pickup it returns the ready date's shelf date.
Arrival = Callable[[str, date, int, str], date | None]

# Working days of waiting a broken promise counts as in the joint choice (about a month).
BROKEN_PROMISE_DAYS = 20

METHODS = ("joint", "greedy")

# A copy's branch must have staffed hours within this many days to be pulled (as pull_moment).
_SEARCH_DAYS = 28
# Safety limit of each solve of the program with daily limits (seconds); on the bundled data
# with a limit at every branch, the whole choice takes about a second.
_MIP_SECONDS = 60
# Tolerance on values, reduced costs and duals of the linear program (its data are integers).
_EPS = 1e-6


@dataclass(frozen=True)
class Move:
    """An item that must travel: ready at `from_branch_id` on `ready_date` from `ready_minute`."""

    item_id: str
    reservation_id: str  # empty for a transfer
    from_branch_id: str
    to_branch_id: str
    ready_date: date
    ready_minute: int


@dataclass(frozen=True)
class Assignment:
    """The copy chosen for one reservation placed before the horizon ends, and its estimate."""

    reservation_id: str
    title_id: str
    pickup_branch_id: str
    item_id: str  # "" when no copy is available now
    source_branch_id: str  # where the copy is / will be returned; "" when unknown
    ready_date: date | None  # when the copy is pulled (or returned) and ready to travel
    ready_minute: int
    estimate: date | None  # on the pickup shelf, per `arrival`
    uncertain: bool  # True when it waits for a return (estimate from due dates)


@dataclass(frozen=True)
class Sourcing:
    """The outcome: items to move, reservations filled on the spot, what cannot be done, and
    the copy and estimated date of every reservation placed before the horizon ends."""

    moves: tuple[Move, ...]
    on_the_spot: tuple[Delivery, ...]
    unplanned: tuple[Unplanned, ...]
    assignments: tuple[Assignment, ...] = ()


def pull_moment(
    scenario: Scenario, calendar: Calendar, branch_id: str, placed: datetime, start: date
) -> tuple[date, int] | None:
    """When a copy reserved at `placed` is pulled at `branch_id` and ready to travel.

    It goes on the pull list of the first staffed day that is not before `start`, and not
    before the placing day — on the placing day only if placed before the pull list is printed
    (settings.pull_list_at). It is ready settings.pull_minutes after the branch opens that day.
    """
    return _first_pull(scenario, calendar, branch_id, _first_list(scenario, placed, start))


def _first_list(scenario: Scenario, placed: datetime, start: date) -> date:
    """The first day a reservation placed at `placed` can be on a pull list, from `start` on."""
    first = placed.date()
    if placed.hour * 60 + placed.minute > scenario.settings.pull_list_at:
        first += timedelta(days=1)
    return max(first, start)


def _first_pull(
    scenario: Scenario, calendar: Calendar, branch_id: str, day: date
) -> tuple[date, int] | None:
    """The pull moment of the first staffed day of a branch from `day` on."""
    for _ in range(_SEARCH_DAYS):
        windows = calendar.windows(branch_id, day)
        if windows:
            return day, windows[0][0] + scenario.settings.pull_minutes
        day += timedelta(days=1)
    return None


def ready_moment(
    calendar: Calendar, branch_id: str, ready_at: datetime, start: date
) -> tuple[date, int] | None:
    """When a transfer is ready: ready_at, or the next staffed moment, not before `start`."""
    day, minute = ready_at.date(), ready_at.hour * 60 + ready_at.minute
    if day < start:
        day, minute = start, 0
    return calendar.next_open(branch_id, day, minute)


def choose_copies(
    scenario: Scenario,
    calendar: Calendar,
    start: date,
    days: int,
    *,
    method: str = "joint",
    arrival: Arrival | None = None,
) -> Sourcing:
    """Source every reservation placed before the horizon ends, and ready every transfer.

    `method` is "joint" (one optimisation for all reservations) or "greedy" (today's practice);
    `arrival` gives shelf dates (default: the regular schedule, `eta.Timetable.on_shelf`).
    """
    if method not in METHODS:
        raise ValueError(
            f"unknown sourcing method {method!r}; expected one of {', '.join(METHODS)}"
        )
    if arrival is None:
        from logistics.eta import Timetable  # eta imports this module

        arrival = Timetable(scenario, calendar, start).on_shelf
    end = start + timedelta(days=days)
    rules = _Rules(scenario, calendar, start, end, arrival)
    queue = sorted(scenario.reservations, key=_queue_key)
    waiting = [r for r in queue if r.placed_at.date() < end]
    # A reservation whose copy is already on its way (transfers.csv) needs no other copy.
    ids = {r.reservation_id for r in waiting}
    on_way = {t.reservation_id: t for t in scenario.transfers if t.reservation_id in ids}
    to_source = [r for r in waiting if r.reservation_id not in on_way]
    options = {r.reservation_id: rules.options(r) for r in to_source}
    if method == "joint":
        chosen = rules.fair(to_source, _joint(rules, to_source, options))
    else:
        chosen = _greedy(rules, to_source, options)
    returns = rules.awaiting_returns([r for r in to_source if r.reservation_id not in chosen])

    assignments: list[Assignment] = []
    for r in waiting:
        o = chosen.get(r.reservation_id)
        if r.reservation_id in on_way:
            assignments.append(rules.on_its_way(r, on_way[r.reservation_id]))
        elif o is None:
            assignments.append(returns[r.reservation_id])
        else:
            assignments.append(
                Assignment(
                    r.reservation_id, r.title_id, r.pickup_branch_id, o.item.item_id,
                    o.item.current_branch_id, o.ready_date, o.ready_minute, o.estimate, False,
                )
            )  # fmt: skip
    if method == "joint":
        assignments = _no_earlier_than_earlier(assignments)

    moves: list[Move] = []
    on_spot: list[Delivery] = []
    unplanned: list[Unplanned] = []
    holders = {o.item.item_id: rid for rid, o in chosen.items()}
    by_id = {r.reservation_id: r for r in waiting}
    for a in assignments:
        r = by_id[a.reservation_id]
        if r.reservation_id in on_way:
            continue  # moves as its transfer, below
        if not a.item_id:
            unplanned.append(Unplanned("", a.reservation_id, rules.why_no_copy(r, holders, by_id)))
        elif a.ready_date is None or a.ready_date >= end:
            reason = f"copy at {a.source_branch_id} cannot be pulled before the horizon ends"
            unplanned.append(Unplanned(a.item_id, a.reservation_id, reason))
        elif a.source_branch_id == a.pickup_branch_id:
            on_spot.append(
                Delivery(
                    a.item_id, a.reservation_id, a.pickup_branch_id, a.pickup_branch_id, "",
                    a.ready_date, a.ready_date, a.ready_minute, 0,
                )
            )  # fmt: skip
        else:
            moves.append(
                Move(a.item_id, a.reservation_id, a.source_branch_id, a.pickup_branch_id,
                     a.ready_date, a.ready_minute)
            )  # fmt: skip
    for r in queue:
        if r.placed_at.date() >= end:
            unplanned.append(Unplanned("", r.reservation_id, "placed after the planning horizon"))

    for t in sorted(scenario.transfers, key=lambda t: (t.ready_at, t.item_id)):
        moment = ready_moment(calendar, t.from_branch_id, t.ready_at, start)
        why = _transfer_problem(t, moment, end)
        if why or moment is None:
            unplanned.append(Unplanned(t.item_id, t.reservation_id, why, t.from_branch_id))
            continue
        moves.append(Move(t.item_id, t.reservation_id, t.from_branch_id, t.to_branch_id, *moment))
    return Sourcing(tuple(moves), tuple(on_spot), tuple(unplanned), tuple(assignments))


def _queue_key(r: Reservation) -> tuple[datetime, str]:
    return r.placed_at, r.reservation_id


@dataclass(frozen=True)
class _Option:
    """A copy that can fill a reservation: when it is ready and on the pickup shelf."""

    item: Item
    ready_date: date
    ready_minute: int
    estimate: date | None
    km: float  # between the copy's branch and the pickup; 0 at the pickup
    quota: tuple[str, date] | None  # (branch, pull day) whose max_sent_per_day it uses
    held: bool = False  # pulled after its first pull moment, for the branch's daily limit


class _Rules:
    """The consortium's rules and the dates of one sourcing run (pulls and arrivals memoised)."""

    def __init__(
        self, scenario: Scenario, calendar: Calendar, start: date, end: date, arrival: Arrival
    ) -> None:
        self.scenario, self.calendar, self.start, self.end = scenario, calendar, start, end
        self._arrival = arrival
        self.copies: dict[str, list[Item]] = defaultdict(list)
        for item in sorted(scenario.items.values(), key=lambda i: i.item_id):
            self.copies[item.title_id].append(item)
        self.moving = {t.item_id for t in scenario.transfers}
        self.limits = {
            b.branch_id: b.max_sent_per_day
            for b in scenario.branches.values()
            if b.max_sent_per_day is not None
        }
        self._barred = {(n.from_branch_id, n.to_branch_id) for n in scenario.no_transfer}
        self._pulls: dict[tuple[str, date], tuple[date, int] | None] = {}
        self._arrivals: dict[tuple[str, date, int, str], date | None] = {}
        self._waited: dict[tuple[date, date], int] = {}

    # --- dates -----------------------------------------------------------------------------

    def pull(self, branch_id: str, placed: datetime) -> tuple[date, int] | None:
        """`pull_moment` of a copy at the branch for a reservation placed at `placed`."""
        key = (branch_id, _first_list(self.scenario, placed, self.start))
        if key not in self._pulls:
            self._pulls[key] = _first_pull(self.scenario, self.calendar, *key)
        return self._pulls[key]

    def arrival(self, source: str, day: date, minute: int, pickup: str) -> date | None:
        key = (source, day, minute, pickup)
        if key not in self._arrivals:
            self._arrivals[key] = self._arrival(*key)
        return self._arrivals[key]

    def waited(self, placed: date, until: date) -> int:
        """Working days in (placed, until]."""
        key = (placed, until)
        if key not in self._waited:
            self._waited[key] = self.calendar.working_days_between(placed, until)
        return self._waited[key]

    # --- rules -----------------------------------------------------------------------------

    def may_send(self, item: Item, pickup: str) -> bool:
        """The copy may fill a reservation at `pickup`: it is there, or it may travel there."""
        src = item.current_branch_id
        if src == pickup:
            return True
        barred = self._barred
        return item.may_travel and not (
            (src, pickup) in barred
            or (src, "*") in barred
            or ("*", pickup) in barred
            or ("*", "*") in barred
        )

    def option(self, item: Item, pickup: str, moment: tuple[date, int]) -> _Option | None:
        """The copy ready at `moment` for a reservation at `pickup`; None when its branch may
        send nothing (max_sent_per_day 0)."""
        src = item.current_branch_id
        if src == pickup:
            return _Option(item, *moment, self.arrival(src, *moment, pickup), 0.0, None)
        quota = None
        if src in self.limits and moment[0] < self.end:  # the next plan limits later days
            if self.limits[src] == 0:
                return None
            quota = (src, moment[0])
        km = self.scenario.travel[(src, pickup)].km
        return _Option(item, *moment, self.arrival(src, *moment, pickup), km, quota)

    def options(self, r: Reservation) -> list[_Option]:
        """Every copy that can fill the reservation, each ready at its pull moment; a copy at a
        branch with a daily limit also on each later staffed day of the horizon and the first
        one after it (`held`), in case the limit is used up on the earlier days."""
        out = []
        for item in self.copies[r.title_id]:
            if item.status is not ItemStatus.AVAILABLE or item.item_id in self.moving:
                continue
            if not self.may_send(item, r.pickup_branch_id):
                continue
            moment = self.pull(item.current_branch_id, r.placed_at)
            option = None if moment is None else self.option(item, r.pickup_branch_id, moment)
            if option is None:
                continue
            out.append(option)
            if option.quota is None:
                continue
            day = option.ready_date
            while day < self.end:
                later = _first_pull(
                    self.scenario, self.calendar, item.current_branch_id, day + timedelta(days=1)
                )
                held = None if later is None else self.option(item, r.pickup_branch_id, later)
                if later is None or held is None:
                    break
                out.append(replace(held, held=True))
                day = later[0]
        return out

    # --- queue fairness (joint) ------------------------------------------------------------

    def fair(self, waiting: list[Reservation], chosen: dict[str, _Option]) -> dict[str, _Option]:
        """Hand each (title, pickup) group's copies out again in queue order, each reservation
        taking the copy that reaches it first (see the module docstring)."""
        groups: dict[tuple[str, str], list[Reservation]] = defaultdict(list)
        for r in waiting:  # in queue order
            groups[(r.title_id, r.pickup_branch_id)].append(r)
        used = Counter(o.quota for o in chosen.values() if o.quota is not None)
        out = dict(chosen)
        for members in groups.values():
            slots = [chosen[r.reservation_id] for r in members if r.reservation_id in chosen]
            if not slots or len(members) < 2:
                continue
            kept = [chosen.get(r.reservation_id) for r in members]
            _count(used, slots, -1)
            handed = self._hand_out(members, slots, used)
            prefix = all(kept[: len(slots)])  # the copies fill the earliest reservations
            if prefix and self._told(members, kept) < self._told(members, handed):
                _count(used, [o for o in handed if o is not None], -1)
                _count(used, slots, +1)
                continue
            _count(used, [o for o in handed if o is not None], +1)
            for r, o in zip(members, handed, strict=True):
                out.pop(r.reservation_id, None)
                if o is not None:
                    out[r.reservation_id] = o
        return out

    def _hand_out(
        self, members: list[Reservation], slots: list[_Option], used: Counter[tuple[str, date]]
    ) -> list[_Option | None]:
        """The group's copies for its reservations in queue order, each taking the one that
        reaches it first (re-timed where needed); `used` without the slots, not changed."""
        taken = Counter(used)
        free = list(slots)
        out: list[_Option | None] = []
        for r in members:
            best: tuple[tuple[bool, date, float, str], int, _Option] | None = None
            for k, slot in enumerate(free):
                o = self._retimed(slot, r, taken)
                if o is None:
                    continue
                key = (o.estimate is None, o.estimate or date.max, o.km, o.item.item_id)
                if best is None or key < best[0]:
                    best = (key, k, o)
            if best is None:
                out.append(None)
                continue
            _, k, o = best
            free.pop(k)
            out.append(o)
            _count(taken, [o], +1)
        return out

    def _told(self, members: list[Reservation], options: list[_Option | None]) -> tuple[int, int]:
        """Reservations of the group without a copy, and working days of waiting its patrons
        are told, each date no earlier than an earlier reservation's (as
        `_no_earlier_than_earlier` does)."""
        total, latest = 0, date.min
        for r, o in zip(members, options, strict=True):
            if o is not None and o.estimate is not None:
                latest = max(latest, o.estimate)
                total += self.waited(r.placed_at.date(), latest)
        return options.count(None), total

    def _retimed(
        self, slot: _Option, r: Reservation, used: Counter[tuple[str, date]]
    ) -> _Option | None:
        """The slot's copy for reservation r: pulled at r's own pull moment, or on the next
        staffed day with room while its branch's daily limit is used up."""
        src = slot.item.current_branch_id
        moment = self.pull(src, r.placed_at)
        if moment is None:
            return None
        if src != r.pickup_branch_id and src in self.limits:
            # the days after the horizon are the next plan's to limit
            while moment[0] < self.end and used[(src, moment[0])] >= self.limits[src]:
                after = _first_pull(self.scenario, self.calendar, src, moment[0] + timedelta(1))
                if after is None:
                    return None
                moment = after
        if moment == (slot.ready_date, slot.ready_minute):
            return slot
        return self.option(slot.item, r.pickup_branch_id, moment)

    # --- reservations with a copy on its way, or without a copy -------------------------

    def on_its_way(self, r: Reservation, t: Transfer) -> Assignment:
        """A reservation filled by a copy already on its way (a transfer naming it)."""
        moment = ready_moment(self.calendar, t.from_branch_id, t.ready_at, self.start)
        if moment is None:
            ready, minute, estimate = None, 0, None
        else:
            ready, minute = moment
            estimate = self.arrival(t.from_branch_id, ready, minute, t.to_branch_id)
        return Assignment(
            r.reservation_id, r.title_id, r.pickup_branch_id, t.item_id, t.from_branch_id,
            ready, minute, estimate, False,
        )  # fmt: skip

    def awaiting_returns(self, waiting: list[Reservation]) -> dict[str, Assignment]:
        """Estimates from due dates for reservations (in queue order) left without a copy."""
        loan_days = self.scenario.settings.loan_days
        seen: Counter[str] = Counter()
        out: dict[str, Assignment] = {}
        for r in waiting:
            k = seen[r.title_id]
            seen[r.title_id] += 1
            lent = sorted(
                (
                    (max(i.due_date, self.start), i.item_id, i)
                    for i in self.copies[r.title_id]
                    if i.status is ItemStatus.ON_LOAN
                    and i.due_date is not None
                    and self._may_send_from(i, i.home_branch_id, r.pickup_branch_id)
                ),
                key=lambda t: (t[0], t[1]),
            )
            if not lent:
                out[r.reservation_id] = Assignment(
                    r.reservation_id, r.title_id, r.pickup_branch_id, "", "", None, 0, None, False
                )
                continue
            due, _, item = lent[k % len(lent)]
            back = due + timedelta(days=loan_days * (k // len(lent)))
            home = item.home_branch_id
            moment = self.pull(home, max(datetime.combine(back, time()), r.placed_at))
            ready, minute = moment if moment is not None else (None, 0)
            estimate = None if moment is None else self.arrival(home, *moment, r.pickup_branch_id)
            out[r.reservation_id] = Assignment(
                r.reservation_id, r.title_id, r.pickup_branch_id, "", home, ready, minute,
                estimate, True,
            )  # fmt: skip
        return out

    def _may_send_from(self, item: Item, branch_id: str, pickup: str) -> bool:
        return self.may_send(_at(item, branch_id), pickup)

    def why_no_copy(
        self, r: Reservation, holders: dict[str, str], by_id: dict[str, Reservation]
    ) -> str:
        """Why no copy of the title is sent to the reservation: where all its copies are."""
        counts: Counter[str] = Counter()
        items = self.copies[r.title_id]
        for i in items:
            holder = holders.get(i.item_id)
            if i.item_id in self.moving:
                counts["on the way home or to other reservations"] += 1
            elif i.status is not ItemStatus.AVAILABLE:
                counts[i.status.value.replace("_", " ")] += 1
            elif not i.may_travel and i.current_branch_id != r.pickup_branch_id:
                counts["may not travel"] += 1
            elif not self.may_send(i, r.pickup_branch_id):
                counts[f"at branches that may not send to {r.pickup_branch_id}"] += 1
            elif holder is not None:
                earlier = _queue_key(by_id[holder]) < _queue_key(r)
                counts[f"filling {'earlier' if earlier else 'later'} reservations"] += 1
            elif self.pull(i.current_branch_id, r.placed_at) is None:
                counts[f"at branches without staffed hours in {_SEARCH_DAYS} days"] += 1
            else:
                counts["held back by their branch's daily sending limit"] += 1
        parts = [f"{n} {what}" for what, n in sorted(counts.items())]
        due = sorted(i.due_date for i in items if i.due_date is not None)
        first_due = f"; first due back {due[0].isoformat()}" if due else ""
        return f"no available copy ({', '.join(parts)}{first_due})"


def _count(used: Counter[tuple[str, date]], options: list[_Option], sign: int) -> None:
    """Add (sign +1) or take back (-1) the daily-limit use of the options."""
    for o in options:
        if o.quota is not None:
            used[o.quota] += sign


def _at(item: Item, branch_id: str) -> Item:
    """The item as if it were at another branch (a returned copy at its home branch)."""
    return replace(item, current_branch_id=branch_id)


def _no_earlier_than_earlier(assignments: list[Assignment]) -> list[Assignment]:
    """Raise any estimate earlier than an earlier reservation's of the same title and pickup
    (assignments in queue order); reservations without an estimate are not compared."""
    latest: dict[tuple[str, str], date] = {}
    out = []
    for a in assignments:
        group = (a.title_id, a.pickup_branch_id)
        before = latest.get(group)
        if a.estimate is not None and before is not None and a.estimate < before:
            a = replace(a, estimate=before)
        if a.estimate is not None:
            latest[group] = a.estimate
        out.append(a)
    return out


# --- the joint optimisation --------------------------------------------------------------------


def _joint(
    rules: _Rules, waiting: list[Reservation], options: dict[str, list[_Option]]
) -> dict[str, _Option]:
    """The best assignment of copies to reservations (see the module docstring): the pieces
    that no daily sending limit ties together in one min-cost flow, each other piece a MIP."""
    n = len(waiting)
    copy_node: dict[str, int] = {}
    arcs: list[_Arc] = []
    for k, r in enumerate(waiting):
        for o in options[r.reservation_id]:
            arcs.append(_Arc(k, copy_node.setdefault(o.item.item_id, len(copy_node)), o))
    m = len(copy_node)
    # A limit ties titles together only where more copies could use it than it allows; a copy
    # is worth pulling later only when the limit of its first pull day may bind.
    first = {(arc.reservation, arc.copy): arc.option.quota for arc in arcs if not arc.option.held}
    tight = _tight(rules, [arc for arc in arcs if not arc.option.held])
    arcs = [a for a in arcs if not a.option.held or first[(a.reservation, a.copy)] in tight]
    tight = _tight(rules, arcs)
    quota_node = {q: n + m + x for x, q in enumerate(tight)}
    parent = list(range(n + m + len(tight)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for arc in arcs:
        tied = [n + arc.copy]
        if arc.option.quota in quota_node:
            tied.append(quota_node[arc.option.quota])
        for other in tied:
            a, b = find(arc.reservation), find(other)
            parent[max(a, b)] = min(a, b)
    limited = {find(x) for x in quota_node.values()}

    # Levels of the cost: waiting (working days from placing to the estimate; a copy without
    # an estimate, or no copy, counts as waiting until the day after the latest estimate) and
    # km (whole km).
    finite = [arc.option.estimate for arc in arcs if arc.option.estimate is not None]
    late = max(finite, default=rules.start) + timedelta(days=1)
    late_wait = [rules.waited(r.placed_at.date(), late) for r in waiting]
    for arc in arcs:
        placed = waiting[arc.reservation].placed_at.date()
        estimate = arc.option.estimate
        arc.wait = (
            late_wait[arc.reservation] if estimate is None else rules.waited(placed, estimate)
        )
        arc.km = round(arc.option.km)

    # A promise told to the patron (promises.csv) that a choice would break counts as
    # BROKEN_PROMISE_DAYS more working days of waiting, so promises are kept first.
    for k, r in enumerate(waiting):
        if r.reservation_id in rules.scenario.promises:
            late_wait[k] += BROKEN_PROMISE_DAYS
    for arc in arcs:
        promise = rules.scenario.promises.get(waiting[arc.reservation].reservation_id)
        estimate = arc.option.estimate
        if promise is not None and (estimate is None or estimate > promise):
            arc.wait += BROKEN_PROMISE_DAYS

    flow_reservations = [k for k in range(n) if find(k) not in limited]
    flow_arcs = [arc for arc in arcs if find(arc.reservation) not in limited]
    chosen = _min_cost_flow(n, m, flow_reservations, flow_arcs, late_wait)
    pieces: dict[int, list[_Arc]] = defaultdict(list)
    for arc in arcs:
        if find(arc.reservation) in limited:
            pieces[find(arc.reservation)].append(arc)
    for root in sorted(pieces):
        limits = {q: rules.limits[q[0]] for q in tight if find(quota_node[q]) == root}
        chosen += _mip(pieces[root], late_wait, limits)
    out = {waiting[arc.reservation].reservation_id: arc.option for arc in chosen}
    return _earlier_first(waiting, options, out)


def _tight(rules: _Rules, arcs: list[_Arc]) -> list[tuple[str, date]]:
    """The (branch, day) limits that more copies could use than they allow."""
    users: dict[tuple[str, date], set[int]] = defaultdict(set)
    for arc in arcs:
        if arc.option.quota is not None:
            users[arc.option.quota].add(arc.copy)
    return sorted(q for q, js in users.items() if len(js) > rules.limits[q[0]])


@dataclass
class _Arc:
    """A reservation (index in the queue) that a copy (index) can fill, with its cost levels."""

    reservation: int
    copy: int
    option: _Option
    wait: int = 0  # working days
    km: int = 0


def _min_cost_flow(
    n: int, m: int, reservations: list[int], arcs: list[_Arc], late_wait: list[int]
) -> list[_Arc]:
    """Each reservation k sends one unit to the sink (node n + m), through one copy (node
    n + j, capacity 1) or directly, left without a copy. Exact integer weights make the cost
    lexicographic: reservations left without a copy, then waiting, then km (each weight exceeds
    the largest possible difference of everything below it)."""
    if not reservations:
        return []
    most_km: Counter[int] = Counter()
    for arc in arcs:
        most_km[arc.reservation] = max(most_km[arc.reservation], arc.km)
    w_wait = sum(most_km.values()) + 1
    w_fill = w_wait * (sum(late_wait[k] for k in reservations) + 1)
    sink = n + m
    copies = sorted({arc.copy for arc in arcs})
    tails = [arc.reservation for arc in arcs] + reservations + [n + j for j in copies]
    heads = [n + arc.copy for arc in arcs] + [sink] * (len(reservations) + len(copies))
    costs = (
        [w_wait * arc.wait + arc.km for arc in arcs]
        + [w_fill + w_wait * late_wait[k] for k in reservations]
        + [0] * len(copies)
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int32),
        np.array(heads, dtype=np.int32),
        np.ones(len(tails), dtype=np.int64),
        np.array(costs, dtype=np.int64),
    )
    supplies = [1] * len(reservations) + [-len(reservations)]
    flow.set_nodes_supplies(
        np.array([*reservations, sink], dtype=np.int32), np.array(supplies, dtype=np.int64)
    )
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"the min-cost flow of the copy choice ended with status {status}")
    used = flow.flows(np.arange(len(arcs), dtype=np.int32))
    return [arc for arc, f in zip(arcs, used, strict=True) if f > 0]


def _mip(arcs: list[_Arc], late_wait: list[int], limits: dict[tuple[str, date], int]) -> list[_Arc]:
    """One piece with daily sending limits, as a 0-1 program through OR-Tools in two stages:
    fewest reservations without a copy and least waiting (exact integer weights), then least
    km among those solutions.

    The first stage is solved as a linear program (GLOP); when its solution is integral (as
    it mostly is), it is optimal, and the second stage only needs the solutions that keep
    complementary slackness with its duals (arcs with a positive reduced cost unused, with a
    negative one used, rows with a dual at their limit): exactly the optimal ones of the first
    stage, a much smaller 0-1 program for SCIP. Otherwise SCIP solves the first stage, and the
    second keeps its optimum as a constraint, with the arcs whose reduced cost exceeds the gap
    between the two first-stage optima fixed."""
    rows: dict[tuple[str, object], tuple[list[int], int]] = {}
    for a, arc in enumerate(arcs):
        keys: list[tuple[tuple[str, object], int]] = [
            (("reservation", arc.reservation), 1),
            (("copy", arc.copy), 1),
        ]
        if arc.option.quota in limits:
            keys.append((("limit", arc.option.quota), limits[arc.option.quota]))
        for key, limit in keys:
            rows.setdefault(key, ([], limit))[0].append(a)
    program = list(rows.values())
    # Filling reservation k saves w_fill + its waiting without a copy, and costs its waiting.
    w_fill = sum(late_wait[k] for k in {arc.reservation for arc in arcs}) + 1
    first = [arc.wait - w_fill - late_wait[arc.reservation] for arc in arcs]
    km = [arc.km for arc in arcs]
    lp = _solve("GLOP", program, first)
    if lp is not None and all(min(v, 1 - v) < _EPS for v in lp.values):
        best = sum(c for c, v in zip(first, lp.values, strict=True) if v > 0.5)
        fixed = {a: int(rc < 0) for a, rc in enumerate(lp.reduced) if abs(rc) > _EPS}
        tight = {r for r, dual in enumerate(lp.duals) if abs(dual) > _EPS}
        second = _solve("SCIP", program, km, fixed=fixed, tight=tight)
        if (
            second is not None
            and sum(c for c, v in zip(first, second.values, strict=True) if v > 0.5) == best
        ):
            return [arc for arc, v in zip(arcs, second.values, strict=True) if v > 0.5]
    one = _solve("SCIP", program, first)
    if one is None:
        raise RuntimeError("the copy choice with daily limits found no solution")
    best = sum(c for c, v in zip(first, one.values, strict=True) if v > 0.5)
    fixed = {}
    if lp is not None:  # an arc whose reduced cost exceeds the gap is the same in every optimum
        gap = best - sum(c * v for c, v in zip(first, lp.values, strict=True))
        fixed = {a: int(rc < 0) for a, rc in enumerate(lp.reduced) if abs(rc) > gap + _EPS}
    two = _solve("SCIP", program, km, fixed=fixed, bound=(first, best))
    chosen = one if two is None else two
    return [arc for arc, v in zip(arcs, chosen.values, strict=True) if v > 0.5]


@dataclass(frozen=True)
class _Solution:
    """Values of a 0-1 (or linear) program; reduced costs and row duals for a linear one."""

    values: list[float]
    reduced: list[float]
    duals: list[float]


def _solve(
    backend: str,
    rows: list[tuple[list[int], int]],
    objective: list[int],
    *,
    fixed: dict[int, int] | None = None,
    tight: set[int] | None = None,
    bound: tuple[list[int], int] | None = None,
) -> _Solution | None:
    """Minimise objective·x over x in {0, 1} ("SCIP") or [0, 1] ("GLOP") with, for each row,
    the sum of its variables at most (in `tight`: exactly) its limit; `fixed` variables take
    their value; `bound` adds coefficients·x <= value. None unless solved to optimality (or,
    for SCIP at the time limit, a solution found)."""
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:  # pragma: no cover - both ship with the ortools wheel
        raise RuntimeError(f"OR-Tools has no {backend} solver")
    solver.SetTimeLimit(_MIP_SECONDS * 1000)
    linear = backend == "GLOP"
    x = [solver.NumVar(0, 1, "") if linear else solver.BoolVar("") for _ in objective]
    for a, value in (fixed or {}).items():
        x[a].SetBounds(value, value)
    constraints = []
    for r, (group, limit) in enumerate(rows):
        total = solver.Sum([x[a] for a in group])
        constraints.append(solver.Add(total == limit if r in (tight or ()) else total <= limit))
    if bound is not None:
        solver.Add(solver.Sum([c * v for c, v in zip(bound[0], x, strict=True)]) <= bound[1])
    solver.Minimize(solver.Sum([c * v for c, v in zip(objective, x, strict=True)]))
    exact = pywraplp.MPSolverParameters()
    if not linear:
        exact.SetDoubleParam(exact.RELATIVE_MIP_GAP, 0.0)
    status = solver.Solve(exact)
    good = (
        (pywraplp.Solver.OPTIMAL,)
        if linear
        else (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)
    )
    if status not in good:
        return None
    return _Solution(
        [v.solution_value() for v in x],
        [v.reduced_cost() for v in x] if linear else [],
        [c.dual_value() for c in constraints] if linear else [],
    )


def _earlier_first(
    waiting: list[Reservation], options: dict[str, list[_Option]], chosen: dict[str, _Option]
) -> dict[str, _Option]:
    """Between equally good solutions, the earlier reservation of a title gets the copy: a
    reservation without a copy takes the copy of a later one of its title when that gives it
    the same estimate, km and pull day."""
    position = {r.reservation_id: k for k, r in enumerate(waiting)}
    holder = {o.item.item_id: rid for rid, o in chosen.items()}
    out = dict(chosen)
    for r in waiting:  # in queue order: a reservation that loses its copy looks later
        if r.reservation_id in out:
            continue
        for o in options[r.reservation_id]:
            other = holder.get(o.item.item_id)
            if other is None or position[other] < position[r.reservation_id]:
                continue
            theirs = out[other]
            if (o.estimate, round(o.km), o.quota) == (
                theirs.estimate,
                round(theirs.km),
                theirs.quota,
            ):
                del out[other]
                out[r.reservation_id] = o
                holder[o.item.item_id] = r.reservation_id
                break
    return out


def _greedy(
    rules: _Rules, waiting: list[Reservation], options: dict[str, list[_Option]]
) -> dict[str, _Option]:
    """Koha's rule: in queue order, a copy at the pickup, else the nearest by km (then item id);
    a copy whose branch has sent its daily limit already is skipped."""
    taken: set[str] = set()
    used: Counter[tuple[str, date]] = Counter()
    out: dict[str, _Option] = {}
    for r in waiting:
        best: tuple[tuple[bool, float, str], _Option] | None = None
        for o in options[r.reservation_id]:
            if o.held or o.item.item_id in taken:
                continue
            if o.quota is not None and used[o.quota] >= rules.limits[o.quota[0]]:
                continue
            key = (o.item.current_branch_id != r.pickup_branch_id, o.km, o.item.item_id)
            if best is None or key < best[0]:
                best = (key, o)
        if best is None:
            continue
        o = best[1]
        taken.add(o.item.item_id)
        if o.quota is not None:
            used[o.quota] += 1
        out[r.reservation_id] = o
    return out


def _transfer_problem(t: Transfer, moment: tuple[date, int] | None, end: date) -> str:
    if moment is None:
        return f"{t.from_branch_id} has no staffed hours in the 4 weeks after {t.ready_at:%Y-%m-%d}"
    if moment[0] >= end:
        return "ready only after the planning horizon"
    return ""
