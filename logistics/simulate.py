"""Proving the promises: run the planner day after day over generated weeks, with disturbances,
and compare what happened with what patrons were promised.

Each morning the planner plans the coming days (the lookahead) from the state left by the day
before (which copies are where, which are on their way, which reservations are open), exactly
as it would be run each morning; patrons are told that plan's dates (see below). Its first day
is then carried out with disturbances drawn from a seeded generator:

- a pulled copy is not on the shelf (`missing`): the reservation waits for another copy;
- staff pull late at a branch (`late_pull`): a crate whose van comes before the items are
  ready stays there;
- a van run is cancelled (`cancelled_runs_per_month`), known in the morning (a sick driver,
  a van that does not start): the day is planned without that van, as a planner would, so
  its crates wait or go with another van; the dates told to patrons that morning come from
  the same fleet (one van short for the whole lookahead: a little pessimistic);
- a run is slower than planned (`slow_run`, `slow_factor`): a stop reached after its branch
  closes fails; a crate not handed over rides back to the van's depot;
- a branch closes unexpectedly (`closed_branch`): nothing is handed over there.

A delivered copy is on the shelf after the check-in lag, collected by the patron and lent for
settings.loan_days; then it is returned at the pickup branch and travels home. Draws depend
only on the seed, the day and what they concern, so two sourcing methods meet the same
disturbances.

The promise of a reservation is the date its patron sees once its copy is in hand
(`logistics.eta.told`, see `_World.promises`): patrons see a date from the first plan made
after they placed the reservation, preliminary while the copy is on a shelf and kept as the
service keeps it, and promised after the pull, so a copy found missing then breaks no promise;
the next copy is promised. The real ready date is the day the copy was on the shelf. Promises
and preliminary dates are given back to the planner every day (as promises.csv would), so it
keeps them first.

Each late promise is put down to the disturbances that touched its reservation after the
promise was made (`SimulationReport.late_causes`): its copy was missing (which only a promise
told before the pull could meet), a crate holding it stayed behind because of a late pull or a
failed stop (the branch closed, or a slow run came after closing time), a slow run brought it
in later than planned (checked in a day later, say), or a run that the day before's plan had
carrying it was cancelled. A late promise that none touched is counted as `replanned`: a later
plan moved the copy later than the plan that gave the date (a fleet that cannot move
everything, say), or it waited in a queue.

Simplifications: each day's plan starts from items, not crates, so what waits at a hub
overnight is packed again there the next morning (re-sorted, as Örebro does), and `crates`
counts crates per day they move; reservations placed during a day are planned that morning
(their copies are pulled from the next pull list on), though told only by the next morning's
plan; a slow run is checked against opening hours stop by stop, not against the relays it
feeds.
"""

from __future__ import annotations

import statistics
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from logistics.calendar import Calendar, runs_on
from logistics.check import check_plan
from logistics.eta import certain, shelf_date, told
from logistics.generate import generate_demand
from logistics.load import load_scenario
from logistics.model import Item, ItemStatus, Reservation, Scenario, Transfer
from logistics.plan import Plan, RouteRow, Unplanned
from logistics.planner import plan

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Disturbances:
    """Probabilities of what goes wrong (see the module docstring)."""

    missing: float = 0.03  # per pulled copy
    late_pull: float = 0.05  # per branch and day
    late_pull_minutes: int = 120
    cancelled_runs_per_month: float = 1.0  # over all vans
    slow_run: float = 0.10  # per run
    slow_factor: float = 1.25
    closed_branch: float = 0.01  # per branch and day

    @classmethod
    def none(cls) -> Disturbances:
        return cls(0.0, 0.0, 0, 0.0, 0.0, 1.0, 0.0)


@dataclass
class Outcome:
    """One reservation: when placed, what was promised, when it really was on the shelf."""

    placed: date
    pickup: str
    expected: date | None = None
    promise: date | None = None
    ready: date | None = None
    told: date | None = None  # the day the promise was told
    # The date the patron sees (preliminary until told, then the promise), as the service
    # keeps it: a plan's, kept while later plans' expected dates are not after it; and the
    # first one a plan gave, and the day it did.
    dated: date | None = None
    first_date: date | None = None
    first_dated: date | None = None
    causes: set[str] = field(default_factory=set)  # disturbances that touched it once promised


@dataclass
class SimulationReport:
    """What `simulate` measured."""

    start: date
    days: int
    method: str
    reservations: int  # placed in the simulated days
    promised: int  # with a certain promise
    kept: int  # ready on or before the promise
    late: int
    open_at_end: int  # promised, not ready yet, promise after the end: not judged
    # judged promises at most 1 working day after the real ready date (a late one is before it)
    tight: int
    waiting: list[int] = field(default_factory=list)  # working days placed -> ready
    km: float = 0.0
    runs: int = 0
    crates: int = 0
    events: dict[str, int] = field(default_factory=dict)
    violations: int = 0  # of the daily plans, when checked
    # late promises per cause (see the module docstring; one late promise may have several)
    late_causes: dict[str, int] = field(default_factory=dict)
    late_never_ready: int = 0  # late promises whose reservation was not ready by the end
    # Had patrons been told the first certain date at once, before the pull: kept and late
    # over those judged, and working days a promise was told after that first date.
    first_kept: int = 0
    first_late: int = 0
    told_later: list[int] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return self.kept + self.late

    def figures(self) -> dict[str, float | int | None]:
        w = sorted(self.waiting)
        return {
            "reservations": self.reservations,
            "promised": self.promised,
            "judged": self.judged,
            "kept_share": round(self.kept / self.judged, 4) if self.judged else None,
            "tight_share": round(self.tight / self.judged, 4) if self.judged else None,
            "ready": len(w),
            "waiting_mean": round(statistics.fmean(w), 3) if w else None,
            "waiting_median": statistics.median(w) if w else None,
            "waiting_p90": w[min(len(w) - 1, int(0.9 * len(w)))] if w else None,
            "km": round(self.km, 1),
            "runs": self.runs,
            "crates": self.crates,
            **{f"events_{k}": v for k, v in sorted(self.events.items())},
            "late_never_ready": self.late_never_ready,
            **{f"late_{k}": v for k, v in sorted(self.late_causes.items())},
            "first_date_kept_share": (
                round(self.first_kept / (self.first_kept + self.first_late), 4)
                if self.first_kept + self.first_late
                else None
            ),
            "told_later_share": (
                round(sum(x > 0 for x in self.told_later) / len(self.told_later), 4)
                if self.told_later
                else None
            ),
            "told_later_mean": (
                round(statistics.fmean(self.told_later), 3) if self.told_later else None
            ),
        }


def simulate(
    data: Path,
    start: date,
    weeks: int,
    seed: int,
    *,
    method: str = "joint",
    seconds_per_day: float = 2.0,
    scale: float = 1.0,
    disturbances: Disturbances | None = None,
    progress: Progress | None = None,
    check: bool = False,
    lookahead_days: int = 5,
) -> SimulationReport:
    """Simulate `weeks` weeks from `start` on the scenario folder `data` with generated demand
    (seeded by `seed`, volume `scale`). With `check`, every day's plan goes through the
    independent checker and the violations are counted in the report.

    Each morning the planner plans that day, which is carried out, and also the coming
    `lookahead_days` days (as `bokflyt plan --days N` does), whose dates are what patrons are
    told; the day carried out is the first day of that same plan (`first_day`), so what
    patrons are told and what the vans do come from one plan, as in the service."""
    with tempfile.TemporaryDirectory() as tmp:
        generate_demand(data, Path(tmp), start, days=7 * weeks, seed=seed, scale=scale)
        base = load_scenario(Path(tmp))
    world = _World(base, seed, disturbances or Disturbances())
    days = 7 * weeks
    report = SimulationReport(start, days, method, 0, 0, 0, 0, 0, 0)
    for k in range(days):
        day = start + timedelta(days=k)
        world.returns(day)
        scenario = world.scenario(day)
        days_planned = max(1, lookahead_days)
        ahead = plan(
            scenario,
            day,
            days_planned,
            seconds=seconds_per_day * days_planned,
            seed=seed,
            sourcing_method=method,
        )
        p = first_day(ahead)
        if check:
            report.violations += len(check_plan(scenario, p))
        world.promises(ahead, day)
        world.remember_runs(ahead)
        world.carry_out(p, day)
        report.km += sum(r.km_from_prev for r in p.routes)
        report.runs += len({(r.day, r.van_id) for r in p.routes})
        report.crates += len({c.crate_id for c in p.crates if c.leg == 1})
        if progress:
            progress(k + 1, days, f"{day.isoformat()}: {len(world.open)} open reservations")
    end = start + timedelta(days=days)
    for o in world.outcomes.values():
        if o.placed >= end:
            continue
        report.reservations += 1
        if o.ready is not None:
            report.waiting.append(world.calendar.working_days_between(o.placed, o.ready))
        first = _judge(o.first_date, o.ready, end)
        report.first_kept += first == "kept"
        report.first_late += first == "late"
        if o.promise is None:
            continue
        report.promised += 1
        if o.told is not None and o.first_dated is not None:
            report.told_later.append(world.calendar.working_days_between(o.first_dated, o.told))
        verdict = _judge(o.promise, o.ready, end)
        if verdict == "kept":
            report.kept += 1
        elif verdict == "late":
            report.late += 1
            report.late_never_ready += o.ready is None
            for cause in o.causes or {"replanned"}:
                report.late_causes[cause] = report.late_causes.get(cause, 0) + 1
        else:
            report.open_at_end += 1
            continue
        if o.ready is None or world.calendar.working_days_between(o.ready, o.promise) <= 1:
            report.tight += 1
    report.events = dict(world.events)
    return report


def _judge(promise: date | None, ready: date | None, end: date) -> str:
    """`kept` (ready on or before the promise), `late` (ready after it, or not ready and the
    promise before `end`), else `open` (not judged) or `none` (no promise)."""
    if promise is None:
        return "none"
    if ready is not None and ready <= promise:
        return "kept"
    return "late" if ready is not None or promise < end else "open"


def first_day(p: Plan) -> Plan:
    """The plan of its first day alone, as a plan with a horizon of one day would say it: that
    day's runs, crate legs and deliveries; every other item in unplanned where that day leaves
    it (after a crate's last leg that day, else where it was), with a one-day plan's reason."""
    day = p.start
    legs = tuple(c for c in p.crates if c.day == day)
    last = {c.crate_id: c for c in sorted(legs, key=lambda c: c.leg)}
    origin = {c.crate_id: c.from_branch_id for c in p.crates}
    crate_of = {item: crate for crate, item in p.contents}
    pull_date = {r.reservation_id: r.pull_date for r in p.reservations}

    def left(item: str, rid: str, where: str, ready: date | None) -> Unplanned:
        crate = crate_of.get(item, "")
        if crate in last:
            at = last[crate].leg_to_branch_id
            return Unplanned(
                item, rid, f"in crate {crate} waiting at {at} at the end of the day", at
            )
        where = origin.get(crate, where)
        if ready is not None and ready > day:
            if rid:  # not pulled yet: it stays on the shelf
                return Unplanned(item, rid, f"copy at {where} is pulled after the first day")
            return Unplanned(item, rid, "ready only after the first day", where)
        return Unplanned(item, rid, f"still waiting at {where} at the end of the day", where)

    unplanned = [
        u if not (u.item_id and u.at_branch_id)
        else left(u.item_id, u.reservation_id, u.at_branch_id, pull_date.get(u.reservation_id))
        for u in p.unplanned
    ]  # fmt: skip
    unplanned += [
        left(d.item_id, d.reservation_id, d.from_branch_id, d.ready_date)
        for d in p.deliveries
        if d.delivered_date != day
    ]
    return replace(
        p,
        days=1,
        routes=tuple(r for r in p.routes if r.day == day),
        crates=legs,
        deliveries=tuple(d for d in p.deliveries if d.delivered_date == day),
        unplanned=tuple(sorted(unplanned, key=lambda u: (u.reservation_id, u.item_id))),
        contents=tuple((c, i) for c, i in p.contents if c in last),
    )


def _items_of(p: Plan) -> dict[str, list[str]]:
    """The items of each crate of a plan."""
    out: dict[str, list[str]] = {}
    for crate_id, iid in p.contents:
        out.setdefault(crate_id, []).append(iid)
    return out


def _reservation_of(p: Plan) -> dict[str, str]:
    """The reservation (or "" for a transfer) of each item the plan moves or leaves."""
    out = {d.item_id: d.reservation_id for d in p.deliveries}
    out.update({u.item_id: u.reservation_id for u in p.unplanned if u.item_id})
    return out


class _World:
    """The consortium's state between days: copies, transfers, open reservations, outcomes."""

    def __init__(self, base: Scenario, seed: int, disturbances: Disturbances) -> None:
        self.base, self.seed, self.d = base, seed, disturbances
        self.calendar = Calendar.of(base)
        self.items: dict[str, Item] = dict(base.items)
        self.transfers: dict[str, Transfer] = {t.item_id: t for t in base.transfers}
        self.open: dict[str, Reservation] = {r.reservation_id: r for r in base.reservations}
        self.outcomes: dict[str, Outcome] = {
            r.reservation_id: Outcome(r.placed_at.date(), r.pickup_branch_id)
            for r in base.reservations
        }
        self.lent: list[tuple[date, str, str]] = []  # (due, item, where it is returned)
        # (day, van) of the legs the latest plan has each open reservation's copy on
        self.planned: dict[str, set[tuple[date, str]]] = {}
        for i in base.items.values():
            if i.status is ItemStatus.ON_LOAN and i.due_date is not None:
                self.lent.append((i.due_date, i.item_id, i.home_branch_id))
        self.events: dict[str, int] = {}
        runs_a_month = sum(len(v.weekdays) for v in base.vans) * 52 / 12
        self.cancel_p = disturbances.cancelled_runs_per_month / runs_a_month if runs_a_month else 0

    def draw(self, day: date, kind: str, key: str) -> float:
        """A uniform draw that depends only on the seed, the day, the kind and the key."""
        entropy = [self.seed, day.toordinal(), zlib.crc32(kind.encode()), zlib.crc32(key.encode())]
        return float(np.random.default_rng(entropy).random())

    def happens(self, p: float, day: date, kind: str, key: str) -> bool:
        hit = p > 0 and self.draw(day, kind, key) < p
        if hit:
            self.events[kind] = self.events.get(kind, 0) + 1
        return hit

    def returns(self, day: date) -> None:
        """Copies due today come back where they were lent and travel home when needed."""
        due, self.lent = [x for x in self.lent if x[0] <= day], [x for x in self.lent if x[0] > day]
        for _, iid, where in due:
            item = self.items[iid]
            self.items[iid] = replace(
                item, status=ItemStatus.AVAILABLE, current_branch_id=where, due_date=None
            )
            if where != item.home_branch_id:
                ready = datetime.combine(day, time(12, 0))
                self.transfers[iid] = Transfer(iid, where, item.home_branch_id, ready)

    def blame(self, rid: str, cause: str) -> None:
        """Put a disturbance down to a reservation that has a promise and is not ready yet."""
        o = self.outcomes.get(rid)
        if o is not None and o.promise is not None and o.ready is None:
            o.causes.add(cause)

    def scenario(self, day: date) -> Scenario:
        """The state as the planner sees it in the morning of `day`: a van whose run is
        cancelled that day is not there (and the reservations the day before's plan had on
        that run are blamed on the cancellation)."""
        end = datetime.combine(day + timedelta(days=1), time(0, 0))
        cancelled = {
            v.van_id
            for v in self.base.vans
            if runs_on(v, day, self.calendar)
            and self.happens(self.cancel_p, day, "cancelled_run", v.van_id)
        }
        for rid, legs in self.planned.items():
            if any((day, van) in legs for van in cancelled):
                self.blame(rid, "cancelled_run")
        vans = tuple(v for v in self.base.vans if v.van_id not in cancelled)
        return replace(
            self.base,
            vans=vans,
            items=self.items,
            reservations=tuple(r for r in self.open.values() if r.placed_at < end),
            transfers=tuple(self.transfers.values()),
            promises={  # the dates seen, told or preliminary, as the service exports them
                rid: o.dated
                for rid, o in self.outcomes.items()
                if o.dated is not None and o.ready is None
            },
        )

    def remember_runs(self, p: Plan) -> None:
        """Which van days the plan has each reservation's copy on (to blame a cancellation)."""
        reservation_of = _reservation_of(p)
        items_of = _items_of(p)
        self.planned = {}
        for c in p.crates:
            for iid in items_of.get(c.crate_id, []):
                if reservation_of.get(iid):
                    self.planned.setdefault(reservation_of[iid], set()).add((c.day, c.van_id))

    def promises(self, p: Plan, day: date) -> None:
        """The dates patrons see, from the first plan made after they placed the reservation:
        preliminary while the copy is on a shelf, kept as the service keeps them (a later
        plan's date only when its expected date is after the one seen), and the promise once
        the copy is in hand (`logistics.eta.told`): on its pull day, after the pull, so
        `carry_out` takes the promise back when that pull finds the copy missing. A date that
        waits for a return is none (nor is it a deadline for the planner)."""
        for d in p.reservations:
            o = self.outcomes.get(d.reservation_id)
            # placed during the day: planned that morning, but told by the next morning's plan
            if o is None or o.promise is not None or o.placed >= day:
                continue
            if not certain(d):
                o.dated = None
                continue
            if o.first_date is None:
                o.first_date, o.first_dated = d.promise_date, day
            expected = d.expected_ready_date
            if o.dated is None or (expected is not None and expected > o.dated):
                o.dated = d.promise_date
            if told(d, day):
                o.expected, o.promise, o.told = expected, o.dated, day

    def carry_out(self, p: Plan, day: date) -> None:
        """Do the day's plan with disturbances and update the state."""
        runs: dict[str, list[RouteRow]] = {}
        for r in p.routes:
            runs.setdefault(r.van_id, []).append(r)
        arrivals = self._arrivals(runs, day)
        failed_stops = self._failed_stops(runs, arrivals, day)
        late = {
            b for b in self.base.branches if self.happens(self.d.late_pull, day, "late_pull", b)
        }
        depot = {v.van_id: v.depot_branch_id for v in self.base.vans}
        items_of = _items_of(p)
        handled = {d.item_id for d in p.deliveries} | {iid for _, iid in p.contents}
        reservation_of = _reservation_of(p)
        destination = {d.item_id: d.to_branch_id for d in p.deliveries}

        # Copies pulled today: some are not on the shelf.
        pulled = {d.item_id for d in p.deliveries if d.ready_date == day}
        pulled |= {u.item_id for u in p.unplanned if u.at_branch_id and u.item_id}
        pulled = {i for i in pulled if i not in self.transfers and reservation_of.get(i)}
        missing = {i for i in sorted(pulled) if self.happens(self.d.missing, day, "missing", i)}
        for iid in missing:
            self.items[iid] = replace(self.items[iid], status=ItemStatus.MISSING)
            o = self.outcomes.get(reservation_of.get(iid, ""))
            if o is not None and o.told == day:  # told after the pull, so not told
                o.expected = o.promise = o.told = None
            self.blame(reservation_of.get(iid, ""), "missing")  # a promise told on an earlier day

        # Filled on the spot.
        for d in p.deliveries:
            if not d.crate_id and d.item_id not in missing:
                self._on_shelf(d.item_id, d.reservation_id, d.to_branch_id, day, d.delivered_time)

        # Crates: follow their legs while they succeed.
        legs_of: dict[str, list[tuple[str, str, str, int, int]]] = {}
        for c in p.crates:
            legs_of.setdefault(c.crate_id, []).append(
                (c.van_id, c.leg_from_branch_id, c.leg_to_branch_id, c.departure, c.arrival)
            )
            destination.update({i: c.to_branch_id for i in items_of.get(c.crate_id, [])})
        for crate_id, legs in legs_of.items():
            contents = [i for i in items_of.get(crate_id, []) if i not in missing]
            if not contents:
                continue
            fresh = any(i in pulled for i in contents)  # pulled today: may be pulled late
            at, when = legs[0][1], -1
            cause = ""
            for van, frm, to, dep, arr in legs:
                if (van, frm, dep) in failed_stops:
                    cause = failed_stops[(van, frm, dep)]
                    break
                if fresh and frm == legs[0][1] and frm in late and dep < self._pull_ready(frm, day):
                    cause = "late_pull"
                    break
                if (van, to, arr) in failed_stops:
                    at, when = depot[van], -1
                    cause = failed_stops[(van, to, arr)]
                    break
                at, when = to, arrivals.get((van, to, arr), arr)
                cause = "slow_run" if when != arr else ""  # a slow run checks in later
            for iid in contents:
                if cause:
                    self.blame(reservation_of.get(iid, ""), cause)
                self._after_day(iid, reservation_of.get(iid, ""), destination[iid], at, day, when)

        # Pulled today but not collected, or waiting at a transfer point: on their way.
        for u in p.unplanned:
            if u.at_branch_id and u.item_id and u.item_id not in missing:
                if u.item_id in handled:
                    continue
                target = self._target(u.item_id, u.reservation_id)
                if target:
                    self._after_day(u.item_id, u.reservation_id, target, u.at_branch_id, day, -1)

    def _target(self, iid: str, rid: str) -> str:
        if rid:
            return self.outcomes[rid].pickup if rid in self.outcomes else ""
        t = self.transfers.get(iid)
        return "" if t is None else t.to_branch_id

    def _after_day(self, iid: str, rid: str, dest: str, at: str, day: date, minute: int) -> None:
        """Where a moving copy is at the end of the day: on the shelf, or on its way. (A crate
        that rode back to its van's depot, which is its destination, is checked in there at
        the end of the day: on the shelf the next staffed day.)"""
        if at == dest:
            minute = minute if minute >= 0 else 24 * 60
            self.transfers.pop(iid, None)
            if rid:
                self._on_shelf(iid, rid, dest, day, minute)
            else:
                self.items[iid] = replace(self.items[iid], current_branch_id=dest)
            return
        self.items[iid] = replace(self.items[iid], current_branch_id=at)
        ready = datetime.combine(day + timedelta(days=1), time(0, 0))
        if rid:
            self.open.pop(rid, None)
        self.transfers[iid] = Transfer(iid, at, dest, ready, rid)

    def _on_shelf(self, iid: str, rid: str, branch: str, day: date, minute: int) -> None:
        """The copy is checked in for its reservation; the patron borrows it."""
        o = self.outcomes.get(rid)
        ready = shelf_date(self.base, self.calendar, branch, day, minute)
        if o is not None and o.ready is None:
            o.ready = ready
        self.open.pop(rid, None)
        due = (ready or day) + timedelta(days=self.base.settings.loan_days)
        self.items[iid] = replace(
            self.items[iid], status=ItemStatus.ON_LOAN, current_branch_id=branch, due_date=due
        )
        self.lent.append((due, iid, branch))

    def _pull_ready(self, branch: str, day: date) -> int:
        windows = self.calendar.windows(branch, day)
        opens = windows[0][0] if windows else 0
        return opens + self.base.settings.pull_minutes + self.d.late_pull_minutes

    def _failed_stops(
        self,
        runs: dict[str, list[RouteRow]],
        arrivals: dict[tuple[str, str, int], int],
        day: date,
    ) -> dict[tuple[str, str, int], str]:
        """(van, branch, minute) of stops where nothing can be handed over, and why: the branch
        closed unexpectedly (`closed_branch`), or a slow run reached it after it closed
        (`slow_run`); `outside_hours` for a planned arrival outside the branch's hours, which
        the checker rejects, so never in a checked plan. Minute: arrival and departure."""
        closed = {
            b
            for b in self.base.branches
            if self.happens(self.d.closed_branch, day, "closed_branch", b)
        }
        out: dict[tuple[str, str, int], str] = {}
        for van, rows in runs.items():
            for r in rows:
                if r.kind == "break" or not r.branch_id:
                    continue
                key = (van, r.branch_id, r.arrival or -1)
                slow = key in arrivals
                arrive = arrivals.get(key, r.arrival)
                why = "closed_branch" if r.branch_id in closed else ""
                if not why and arrive is not None and r.kind == "stop":
                    windows = self.calendar.windows(r.branch_id, day)
                    if not any(o <= arrive <= c for o, c in windows):
                        why = "slow_run" if slow else "outside_hours"
                if why:
                    for minute in (r.arrival, r.departure):
                        if minute is not None:
                            out[(van, r.branch_id, minute)] = why
        return out

    def _arrivals(
        self, runs: dict[str, list[RouteRow]], day: date
    ) -> dict[tuple[str, str, int], int]:
        """Real arrival minutes of slow runs: the time since the start stretched."""
        out: dict[tuple[str, str, int], int] = {}
        for van, rows in runs.items():
            if not self.happens(self.d.slow_run, day, "slow_run", van):
                continue
            begin = rows[0].departure or 0
            for r in rows:
                if r.arrival is not None and r.branch_id:
                    late = begin + round((r.arrival - begin) * self.d.slow_factor)
                    out[(van, r.branch_id, r.arrival)] = late
        return out
