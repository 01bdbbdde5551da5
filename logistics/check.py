"""The independent checker: re-derive every rule of a plan from the scenario, without the solver.

Every test that plans runs it, so it is strict (it reports every violation it finds) and exact
(it reports nothing a valid plan does). It reads only the scenario and the plan files; it shares
no code with the planner beyond the file readers, so a planner bug cannot hide itself.

Times are minutes after midnight, distances km, loads crates. H(n), the handling time of n
crates at one row, is stop_minutes + n * crate_minutes if n > 0 else 0. Travel minutes between
two branches are the scenario's minutes rounded up to whole minutes.

Each violation carries a stable rule code, listed with its meaning in `RULES`.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from logistics.calendar import Calendar
from logistics.errors import BokflytError, PlanFileError
from logistics.load import format_hhmm, load_scenario
from logistics.model import WEEKDAYS, BranchKind, ItemStatus, Reservation, Scenario, Van
from logistics.plan import CrateLeg, Delivery, Plan, RouteRow, read_plan

START, STOP, BREAK, END = "start", "stop", "break", "end"
KINDS = (START, STOP, BREAK, END)
KM_TOLERANCE = 0.05  # km_from_prev is written with one decimal
SUMMARY_KM_TOLERANCE = 0.5
EPSILON = 1e-9

RULES: dict[str, str] = {
    # 1. runs
    "run-sequence": "a run's seq is 1..n without gaps, starts with 'start', ends with 'end'",
    "run-depot": "a run starts and ends at its van's depot",
    "unknown-van": "the run's van is not in vans.csv",
    "van-weekday": "the van does not run on that weekday",
    "closed-day": "the run is on a date closed for all branches",
    "public-holiday": "the run is on a public holiday and vans_on_holidays is off",
    "horizon": "the run's date lies outside the planned days",
    "unknown-branch": "a route row names a branch that is not in branches.csv",
    # 2. shift and row times
    "shift": "work (handling at start and end included) lies outside the van's shift",
    "times": "a row lacks a time it needs, has one it must not have, or departs before arriving",
    # 3. stops
    "stop-duration": "a stop is shorter than its handling time",
    "empty-stop": "a stop hands over no crate",
    "opening-hours": "a handover lies outside one staffed window of the branch on that date",
    # 4. travel
    "travel-time": "a van arrives sooner than driving (and breaks) since its last stop allow",
    "km": "km_from_prev differs from the travel km between the two branches",
    "break-row": "a break row has a branch, km, crates, or lies out of time order",
    # 5. breaks
    "break-needed": "work goes on longer than break_after_minutes without a break",
    "break-length": "a break is shorter than break_minutes",
    # 6. loads
    "load": "load_after does not follow from crates_on/off, goes negative, or is not 0 at the end",
    "capacity": "more crates on board than the van holds",
    # 7. crates
    "crate-leg": "a crate leg has no run, or no unambiguous rows where it is loaded and unloaded",
    "crate-count": "a row's crates_on/crates_off differ from the crate legs loaded/unloaded there",
    "crate-chain": "a crate's legs are not numbered 1..k, disagree, or do not join up in time",
    "crate-items": "a crate holds no item or more than items_per_crate",
    "crate-wait": "a crate waits between legs at a branch that is neither a hub nor a depot",
    "crate-relay": "a crate changes vans on the same day although same_day_relay is off",
    "crate-cycle": "a crate visits a branch twice",
    # 8. items
    "item-duplicate": "an item is delivered twice, or delivered and also unplanned",
    "delivery-crate": "a delivery disagrees with its crate (missing, route, date or time)",
    "crate-contents": "the number of deliveries in a crate differs from its items",
    "ready-date": "an item travels before its ready_date",
    "transit-days": "transit_days differs from the working days between ready and delivered",
    "on-the-spot": "a delivery without crate is not a reservation filled at its own branch",
    # 9. reservations and transfers
    "reservation-missing": "a reservation is neither delivered nor unplanned",
    "reservation-duplicate": "a reservation appears more than once",
    "reservation-item": "the item filling a reservation is of another title, not available, "
    "elsewhere, sent elsewhere, or fills two reservations",
    "placed-at": "a reserved item leaves before the reservation was placed",
    "may-not-travel": "a copy that may not travel (items.csv may_travel) goes to another branch",
    "no-transfer": "a reserved copy goes between branches that no_transfer.csv bars",
    "max-sent": "a branch sends more copies pulled on one day than its max_sent_per_day",
    "transfer-missing": "a transfer is neither delivered nor unplanned",
    "transfer-duplicate": "a transfer appears more than once",
    "transfer-mismatch": "a transfer is delivered between other branches than transfers.csv says",
    "ready-at": "a transferred item leaves before it is ready",
    "unknown-ref": "a delivery or unplanned row names an item or reservation not in the scenario",
    "unplanned-reason": "an unplanned row gives no reason",
    # 10. summary
    "summary": "summary.json disagrees with the plan files (km, runs or crates)",
}


@dataclass(frozen=True)
class Violation:
    """One broken rule: its stable code, the plan row it is about, and what is wrong."""

    rule: str  # a key of RULES
    where: str  # e.g. "routes.csv 2026-11-30 V1 seq 4" or "deliveries.csv item 300001"
    message: str  # one line a planner can act on

    def __str__(self) -> str:
        return f"{self.rule}: {self.where}: {self.message}"


RunKey = tuple[date, str]


def handling_minutes(scenario: Scenario, crates: int) -> int:
    """H(n): minutes to hand over n crates at one row; 0 when nothing is handed over."""
    s = scenario.settings
    return s.stop_minutes + crates * s.crate_minutes if crates > 0 else 0


def _hhmm(minutes: int | None) -> str:
    return "--:--" if minutes is None else format_hhmm(minutes)


def _at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time()) + timedelta(minutes=minutes)


def _row_where(row: RouteRow) -> str:
    return f"routes.csv {row.day.isoformat()} {row.van_id} seq {row.seq}"


def _run_where(key: RunKey) -> str:
    return f"routes.csv {key[0].isoformat()} {key[1]}"


def _delivery_where(d: Delivery) -> str:
    return f"deliveries.csv item {d.item_id or '(empty)'}" + (
        f" reservation {d.reservation_id}" if d.reservation_id else ""
    )


def _group_runs(plan: Plan) -> dict[RunKey, list[RouteRow]]:
    runs: dict[RunKey, list[RouteRow]] = defaultdict(list)
    for row in plan.routes:
        runs[(row.day, row.van_id)].append(row)
    return {key: sorted(rows, key=lambda r: r.seq) for key, rows in sorted(runs.items())}


def _group_legs(plan: Plan) -> dict[str, list[CrateLeg]]:
    legs: dict[str, list[CrateLeg]] = defaultdict(list)
    for leg in plan.crates:
        legs[leg.crate_id].append(leg)
    return {
        cid: sorted(group, key=lambda c: (c.leg, c.day, c.departure)) for cid, group in legs.items()
    }


class _Checker:
    """Collects the violations of one plan against one scenario."""

    def __init__(self, scenario: Scenario, plan: Plan) -> None:
        self.scenario = scenario
        self.settings = scenario.settings
        self.plan = plan
        self.calendar = Calendar.of(scenario)
        self.transfers_by_item = {t.item_id: t for t in scenario.transfers}
        self.vans: dict[str, Van] = {v.van_id: v for v in scenario.vans}
        self.depots = {v.depot_branch_id for v in scenario.vans}
        self.closed_for_all = {c.day for c in scenario.closures if c.branch_id == "*"}
        self.runs = _group_runs(plan)
        self.legs = _group_legs(plan)
        self.found: list[Violation] = []

    def add(self, rule: str, where: str, message: str) -> None:
        if rule not in RULES:  # pragma: no cover - a typo in this module
            raise ValueError(f"unknown rule code {rule!r}")
        self.found.append(Violation(rule, where, message))

    def check(self) -> list[Violation]:
        for key, rows in self.runs.items():
            self._check_run(key, rows)
        self._check_legs()
        for crate_id, legs in self.legs.items():
            self._check_chain(crate_id, legs)
        self._check_deliveries()
        self._check_reservations()
        self._check_sent_per_day()
        self._check_transfers()
        self._check_unplanned()
        return self.found

    # --- rules 1-6: runs -------------------------------------------------------------------

    def _check_run(self, key: RunKey, rows: list[RouteRow]) -> None:
        day, van_id = key
        where = _run_where(key)
        van = self.vans.get(van_id)
        if van is None:
            self.add("unknown-van", where, f"van {van_id} is not in vans.csv")
        elif day.weekday() not in van.weekdays:
            runs_on = ";".join(WEEKDAYS[d] for d in sorted(van.weekdays))
            self.add(
                "van-weekday",
                where,
                f"van {van_id} does not run on {WEEKDAYS[day.weekday()]} (it runs {runs_on})",
            )
        if day in self.closed_for_all:
            self.add("closed-day", where, f"{day} is closed for all branches in closures.csv")
        if self.calendar.is_holiday(day) and not self.settings.vans_on_holidays:
            self.add(
                "public-holiday",
                where,
                f"{day} is a public holiday ({self.calendar.holiday_name(day)}, "
                f"{self.settings.holidays_country}) and vans_on_holidays is false",
            )
        last_day = self.plan.start + timedelta(days=self.plan.days - 1)
        if not self.plan.start <= day <= last_day:
            self.add("horizon", where, f"{day} is outside the plan's {self.plan.start}..{last_day}")
        self._check_shape(key, van, rows)
        for row in rows:
            self._check_row(row)
        start = rows[0] if rows[0].kind == START else None
        end = rows[-1] if rows[-1].kind == END and len(rows) > 1 else None
        if van is not None:
            self._check_shift(van, start, end)
        self._check_travel(rows)
        self._check_break_rule(key, rows, start, end)
        self._check_loads(van, rows)

    def _check_shape(self, key: RunKey, van: Van | None, rows: list[RouteRow]) -> None:
        where = _run_where(key)
        seqs = [r.seq for r in rows]
        if seqs != list(range(1, len(rows) + 1)):
            shown = ", ".join(str(s) for s in seqs)
            self.add("run-sequence", where, f"seq is {shown}; expected 1..{len(rows)} without gaps")
        if rows[0].kind != START:
            self.add(
                "run-sequence", _row_where(rows[0]), f"first row is a {rows[0].kind!r}, not a start"
            )
        if len(rows) < 2 or rows[-1].kind != END:
            self.add(
                "run-sequence", _row_where(rows[-1]), f"last row is a {rows[-1].kind!r}, not an end"
            )
        for i, row in enumerate(rows):
            if row.kind not in KINDS:
                self.add("run-sequence", _row_where(row), f"kind {row.kind!r} is none of {KINDS}")
            elif row.kind in (START, END) and 0 < i < len(rows) - 1:
                self.add("run-sequence", _row_where(row), f"a {row.kind} in the middle of a run")
        if van is None:
            return
        for row in (rows[0], rows[-1]):
            if row.kind in (START, END) and row.branch_id != van.depot_branch_id:
                self.add(
                    "run-depot",
                    _row_where(row),
                    f"{row.kind} at {row.branch_id}, but van {van.van_id}'s depot is "
                    f"{van.depot_branch_id}",
                )

    def _check_row(self, row: RouteRow) -> None:
        where = _row_where(row)
        if row.kind == START:
            if row.arrival is not None:
                self.add("times", where, "a start has no arrival; leave it empty")
            if row.departure is None:
                self.add("times", where, "a start needs a departure")
            if row.crates_off:
                self.add(
                    "load", where, f"a start unloads nothing, but crates_off is {row.crates_off}"
                )
        elif row.kind == END:
            if row.departure is not None:
                self.add("times", where, "an end has no departure; leave it empty")
            if row.arrival is None:
                self.add("times", where, "an end needs an arrival")
            if row.crates_on:
                self.add("load", where, f"an end loads nothing, but crates_on is {row.crates_on}")
        elif row.kind in (STOP, BREAK):
            if row.arrival is None or row.departure is None:
                self.add("times", where, f"a {row.kind} needs both arrival and departure")
            elif row.departure < row.arrival:
                self.add(
                    "times",
                    where,
                    f"departs {_hhmm(row.departure)} before it arrives {_hhmm(row.arrival)}",
                )
        if row.kind == BREAK:
            self._check_break_row(row)
            return
        if row.branch_id not in self.scenario.branches:
            self.add("unknown-branch", where, f"branch {row.branch_id!r} is not in branches.csv")
            return
        handled = row.crates_off + row.crates_on
        if row.kind == STOP:
            if handled == 0:
                self.add(
                    "empty-stop",
                    where,
                    f"stop at {row.branch_id} hands over no crate; branches with nothing to hand "
                    "over are not visited",
                )
            if row.arrival is not None and row.departure is not None:
                need = self.settings.stop_minutes + handled * self.settings.crate_minutes
                if row.departure - row.arrival < need:
                    self.add(
                        "stop-duration",
                        where,
                        f"stop at {row.branch_id} lasts {row.departure - row.arrival} min, but "
                        f"handing over {handled} crate(s) takes {need} min",
                    )
                self._check_window(row, row.arrival, row.departure)
        elif row.kind == START and row.crates_on > 0 and row.departure is not None:
            self._check_window(
                row, row.departure - handling_minutes(self.scenario, row.crates_on), row.departure
            )
        elif row.kind == END and row.crates_off > 0 and row.arrival is not None:
            self._check_window(
                row, row.arrival, row.arrival + handling_minutes(self.scenario, row.crates_off)
            )

    def _check_break_row(self, row: RouteRow) -> None:
        where = _row_where(row)
        if row.branch_id:
            self.add("break-row", where, f"a break has no branch, but names {row.branch_id!r}")
        if abs(row.km_from_prev) > EPSILON:
            self.add("break-row", where, f"a break has km_from_prev 0, not {row.km_from_prev}")
        if row.crates_off or row.crates_on:
            self.add(
                "break-row",
                where,
                f"a break hands over no crates (crates_off {row.crates_off}, "
                f"crates_on {row.crates_on})",
            )

    def _check_window(self, row: RouteRow, begin: int, finish: int) -> None:
        windows = self.calendar.windows(row.branch_id, row.day)
        if any(opens <= begin and finish <= closes for opens, closes in windows):
            return
        staffed = ", ".join(f"{_hhmm(o)}-{_hhmm(c)}" for o, c in windows) or "closed"
        self.add(
            "opening-hours",
            _row_where(row),
            f"handover {_hhmm(begin)}-{_hhmm(finish)} at {row.branch_id} is not within one "
            f"staffed window on {row.day} ({staffed})",
        )

    def _work_span(
        self, start: RouteRow | None, end: RouteRow | None
    ) -> tuple[int | None, int | None]:
        """Minutes when work begins (handling at the start) and ends (handling at the end)."""
        begin = finish = None
        if start is not None and start.departure is not None:
            begin = start.departure - handling_minutes(self.scenario, start.crates_on)
        if end is not None and end.arrival is not None:
            finish = end.arrival + handling_minutes(self.scenario, end.crates_off)
        return begin, finish

    def _check_shift(self, van: Van, start: RouteRow | None, end: RouteRow | None) -> None:
        begin, finish = self._work_span(start, end)
        if start is not None and begin is not None and begin < van.shift_start:
            self.add(
                "shift",
                _row_where(start),
                f"work begins {_hhmm(begin)}, before van {van.van_id}'s shift starts "
                f"{_hhmm(van.shift_start)}",
            )
        if end is not None and finish is not None and finish > van.shift_end:
            self.add(
                "shift",
                _row_where(end),
                f"work ends {_hhmm(finish)}, after van {van.van_id}'s shift ends "
                f"{_hhmm(van.shift_end)}",
            )

    def _check_travel(self, rows: list[RouteRow]) -> None:
        if abs(rows[0].km_from_prev) > EPSILON:
            self.add(
                "km",
                _row_where(rows[0]),
                f"the first row has km_from_prev 0, not {rows[0].km_from_prev}",
            )
        for i, row in enumerate(rows):
            if row.kind != BREAK or not 0 < i < len(rows) - 1:
                continue
            before, after = rows[i - 1], rows[i + 1]
            if (
                row.arrival is not None
                and before.departure is not None
                and row.arrival < before.departure
            ):
                self.add(
                    "break-row",
                    _row_where(row),
                    f"break begins {_hhmm(row.arrival)}, before the previous row departs "
                    f"{_hhmm(before.departure)}",
                )
            if (
                row.departure is not None
                and after.arrival is not None
                and row.departure > after.arrival
            ):
                self.add(
                    "break-row",
                    _row_where(row),
                    f"break ends {_hhmm(row.departure)}, after the next row arrives "
                    f"{_hhmm(after.arrival)}",
                )
        driving = [i for i, r in enumerate(rows) if r.kind != BREAK]
        for i, j in itertools.pairwise(driving):
            self._check_drive(rows[i], rows[j], rows[i + 1 : j])

    def _check_drive(self, a: RouteRow, b: RouteRow, breaks: Sequence[RouteRow]) -> None:
        leg = self.scenario.travel.get((a.branch_id, b.branch_id))
        if leg is None:
            return  # an unknown branch, reported as such
        if abs(b.km_from_prev - leg.km) > KM_TOLERANCE + EPSILON:
            self.add(
                "km",
                _row_where(b),
                f"km_from_prev is {b.km_from_prev}, but {a.branch_id} to {b.branch_id} is "
                f"{leg.km:.1f} km",
            )
        if a.departure is None or b.arrival is None:
            return
        if any(r.arrival is None or r.departure is None for r in breaks):
            return
        drive = math.ceil(leg.minutes - EPSILON)
        paused = sum((r.departure or 0) - (r.arrival or 0) for r in breaks)
        earliest = a.departure + drive + paused
        if b.arrival < earliest:
            pause = f" plus {paused} min of breaks" if breaks else ""
            self.add(
                "travel-time",
                _row_where(b),
                f"arrives {_hhmm(b.arrival)}, but leaving {a.branch_id} at {_hhmm(a.departure)} "
                f"takes {drive} min{pause} to {b.branch_id}: earliest {_hhmm(earliest)}",
            )

    def _check_break_rule(
        self, key: RunKey, rows: list[RouteRow], start: RouteRow | None, end: RouteRow | None
    ) -> None:
        limit, least = self.settings.break_after_minutes, self.settings.break_minutes
        breaks = [r for r in rows if r.kind == BREAK]
        if least > 0:
            for r in breaks:
                if (
                    r.arrival is not None
                    and r.departure is not None
                    and r.departure - r.arrival < least
                ):
                    self.add(
                        "break-length",
                        _row_where(r),
                        f"break lasts {r.departure - r.arrival} min; at least {least} min",
                    )
        if limit <= 0 or least <= 0:
            return  # no break rule (as in routing: a break of 0 minutes is no rule)
        begin, finish = self._work_span(start, end)
        if begin is None or finish is None:
            return
        if any(r.arrival is None or r.departure is None for r in breaks):
            return
        cursor = begin
        for pause_begin, pause_end in [(r.arrival or 0, r.departure or 0) for r in breaks] + [
            (finish, finish)
        ]:
            if pause_begin - cursor > limit:
                self.add(
                    "break-needed",
                    _run_where(key),
                    f"{pause_begin - cursor} min of work from {_hhmm(cursor)} to "
                    f"{_hhmm(pause_begin)} without a break; at most {limit} min",
                )
            cursor = pause_end

    def _check_loads(self, van: Van | None, rows: list[RouteRow]) -> None:
        load = 0  # crates on board, from crates_on and crates_off
        written = 0  # load_after of the previous row
        for row in rows:
            delta = row.crates_on - row.crates_off
            load += delta
            if row.load_after != written + delta:
                self.add(
                    "load",
                    _row_where(row),
                    f"load_after is {row.load_after}, but {written} + {row.crates_on} on - "
                    f"{row.crates_off} off = {written + delta}",
                )
            if load < 0:
                self.add("load", _row_where(row), f"{-load} more crate(s) unloaded than on board")
            if van is not None and load > van.capacity_crates:
                self.add(
                    "capacity",
                    _row_where(row),
                    f"{load} crates on board; van {van.van_id} holds {van.capacity_crates}",
                )
            written = row.load_after
        if load != 0:
            self.add("load", _row_where(rows[-1]), f"{load} crate(s) still on board at the end")

    # --- rule 7: crates ---------------------------------------------------------------------

    def _check_legs(self) -> None:
        loaded: Counter[tuple[RunKey, int]] = Counter()
        unloaded: Counter[tuple[RunKey, int]] = Counter()
        for leg in self.plan.crates:
            where = f"crates.csv crate {leg.crate_id} leg {leg.leg}"
            key = (leg.day, leg.van_id)
            rows = self.runs.get(key)
            if rows is None:
                self.add("crate-leg", where, f"van {leg.van_id} has no run on {leg.day}")
                continue
            on = [
                r
                for r in rows
                if r.kind in (START, STOP)
                and r.branch_id == leg.leg_from_branch_id
                and r.departure == leg.departure
            ]
            off = [
                r
                for r in rows
                if r.kind in (STOP, END)
                and r.branch_id == leg.leg_to_branch_id
                and r.arrival == leg.arrival
            ]
            if len(on) == 1:
                loaded[(key, on[0].seq)] += 1
            else:
                self._unmatched(
                    where,
                    "start or stop",
                    "departing",
                    leg.leg_from_branch_id,
                    leg.departure,
                    len(on),
                )
            if len(on) == 1:
                later = [r for r in off if r.seq > on[0].seq]
                if off and not later:
                    self.add(
                        "crate-leg",
                        where,
                        f"unloaded at {leg.leg_to_branch_id} (seq {off[0].seq}) before it is "
                        f"loaded at {leg.leg_from_branch_id} (seq {on[0].seq})",
                    )
                    continue
                off = later
            if len(off) == 1:
                unloaded[(key, off[0].seq)] += 1
            else:
                self._unmatched(
                    where, "stop or end", "arriving", leg.leg_to_branch_id, leg.arrival, len(off)
                )
        for key, rows in self.runs.items():
            for row in rows:
                if row.kind == BREAK:
                    continue  # a break's crates are break-row's concern
                for column, written, counted in (
                    ("crates_on", row.crates_on, loaded[(key, row.seq)]),
                    ("crates_off", row.crates_off, unloaded[(key, row.seq)]),
                ):
                    if written != counted:
                        verb = "loaded" if column == "crates_on" else "unloaded"
                        self.add(
                            "crate-count",
                            _row_where(row),
                            f"{column} is {written}, but crates.csv has {counted} leg(s) {verb} "
                            "here",
                        )

    def _unmatched(
        self, where: str, kinds: str, verb: str, branch: str, minute: int, found: int
    ) -> None:
        if found == 0:
            message = f"the run has no {kinds} at {branch} {verb} {_hhmm(minute)}"
        else:
            message = f"{found} rows of the run are a {kinds} at {branch} {verb} {_hhmm(minute)}"
        self.add("crate-leg", where, message)

    def _may_wait_at(self, branch_id: str) -> bool:
        """Crates wait between legs only at a hub or a van's depot."""
        branch = self.scenario.branches.get(branch_id)
        return branch_id in self.depots or (branch is not None and branch.kind is BranchKind.HUB)

    def _parked(self, crate_id: str) -> bool:
        """A crate still on its way when the plan ends: its last leg ends at a hub or depot
        short of its destination (its items are then in unplanned.csv, never in deliveries)."""
        last = self.legs[crate_id][-1]
        return last.leg_to_branch_id != last.to_branch_id and self._may_wait_at(
            last.leg_to_branch_id
        )

    def _check_chain(self, crate_id: str, legs: list[CrateLeg]) -> None:
        where = f"crates.csv crate {crate_id}"
        first, last = legs[0], legs[-1]
        numbers = [c.leg for c in legs]
        if numbers != list(range(1, len(legs) + 1)):
            shown = ", ".join(str(n) for n in numbers)
            self.add("crate-chain", where, f"legs are numbered {shown}; expected 1..{len(legs)}")
        for c in legs[1:]:
            if (c.from_branch_id, c.to_branch_id, c.items) != (
                first.from_branch_id,
                first.to_branch_id,
                first.items,
            ):
                self.add(
                    "crate-chain",
                    f"{where} leg {c.leg}",
                    f"from/to/items {c.from_branch_id}/{c.to_branch_id}/{c.items} differ from "
                    f"leg {first.leg}'s {first.from_branch_id}/{first.to_branch_id}/{first.items}",
                )
        if not 1 <= first.items <= self.settings.items_per_crate:
            self.add(
                "crate-items",
                where,
                f"{first.items} items; a crate holds 1..{self.settings.items_per_crate}",
            )
        if first.leg_from_branch_id != first.from_branch_id:
            self.add(
                "crate-chain",
                f"{where} leg {first.leg}",
                f"starts at {first.leg_from_branch_id}, but the crate is packed at "
                f"{first.from_branch_id}",
            )
        for prev, nxt in itertools.pairwise(legs):
            at = f"{where} leg {nxt.leg}"
            if nxt.leg_from_branch_id != prev.leg_to_branch_id:
                self.add(
                    "crate-chain",
                    at,
                    f"starts at {nxt.leg_from_branch_id}, but leg {prev.leg} ended at "
                    f"{prev.leg_to_branch_id}",
                )
            if _at(nxt.day, nxt.departure) < _at(prev.day, prev.arrival):
                self.add(
                    "crate-chain",
                    at,
                    f"leaves {nxt.day} {_hhmm(nxt.departure)}, before leg {prev.leg} arrived "
                    f"{prev.day} {_hhmm(prev.arrival)}",
                )
            wait = prev.leg_to_branch_id
            if not self._may_wait_at(wait):
                self.add(
                    "crate-wait",
                    at,
                    f"waits at {wait} between legs {prev.leg} and {nxt.leg}; crates wait only at "
                    "a hub or a depot",
                )
            if (
                not self.settings.same_day_relay
                and nxt.day == prev.day
                and nxt.van_id != prev.van_id
            ):
                self.add(
                    "crate-relay",
                    at,
                    f"changes from van {prev.van_id} to {nxt.van_id} on {nxt.day}, but "
                    "same_day_relay is off",
                )
        if last.leg_to_branch_id != first.to_branch_id and not self._parked(crate_id):
            self.add(
                "crate-chain",
                f"{where} leg {last.leg}",
                f"the last leg ends at {last.leg_to_branch_id}, not at the crate's destination "
                f"{first.to_branch_id}, nor waiting at a hub or depot",
            )
        points = [first.leg_from_branch_id, *(c.leg_to_branch_id for c in legs)]
        twice = sorted(b for b, n in Counter(points).items() if n > 1)
        if twice:
            self.add(
                "crate-cycle",
                where,
                f"visits {', '.join(twice)} more than once ({' -> '.join(points)})",
            )

    # --- rule 8: items ----------------------------------------------------------------------

    def _check_deliveries(self) -> None:
        deliveries = self.plan.deliveries
        delivered = Counter(d.item_id for d in deliveries if d.item_id)
        unplanned_items = {u.item_id for u in self.plan.unplanned if u.item_id}
        for item_id, n in delivered.items():
            where = f"deliveries.csv item {item_id}"
            if n > 1:
                self.add("item-duplicate", where, f"item {item_id} is delivered {n} times")
            if item_id in unplanned_items:
                self.add("item-duplicate", where, f"item {item_id} is also in unplanned.csv")
        in_crate = Counter(d.crate_id for d in deliveries if d.crate_id)
        for crate_id, legs in self.legs.items():
            if self._parked(crate_id):
                if in_crate[crate_id]:
                    self.add(
                        "crate-contents",
                        f"crates.csv crate {crate_id}",
                        f"crate waits at {legs[-1].leg_to_branch_id} at the end of the plan, but "
                        f"deliveries.csv delivers {in_crate[crate_id]} item(s) from it",
                    )
            elif in_crate[crate_id] != legs[0].items:
                self.add(
                    "crate-contents",
                    f"crates.csv crate {crate_id}",
                    f"crate holds {legs[0].items} items, but deliveries.csv has "
                    f"{in_crate[crate_id]} in it",
                )
        for d in deliveries:
            where = _delivery_where(d)
            if not d.item_id:
                self.add("unknown-ref", where, "a delivery without item_id")
            elif d.item_id not in self.scenario.items:
                self.add("unknown-ref", where, f"item {d.item_id} is not in items.csv")
            if d.crate_id:
                self._check_crate_delivery(d, where)
            else:
                self._check_on_the_spot(d, where)

    def _check_crate_delivery(self, d: Delivery, where: str) -> None:
        legs = self.legs.get(d.crate_id)
        if legs is None:
            self.add("delivery-crate", where, f"crate {d.crate_id} is not in crates.csv")
        else:
            first, last = legs[0], legs[-1]
            if (d.from_branch_id, d.to_branch_id) != (first.from_branch_id, first.to_branch_id):
                self.add(
                    "delivery-crate",
                    where,
                    f"goes {d.from_branch_id} to {d.to_branch_id}, but crate {d.crate_id} goes "
                    f"{first.from_branch_id} to {first.to_branch_id}",
                )
            if (d.delivered_date, d.delivered_time) != (last.day, last.arrival):
                self.add(
                    "delivery-crate",
                    where,
                    f"delivered {d.delivered_date} {_hhmm(d.delivered_time)}, but crate "
                    f"{d.crate_id} arrives {last.day} {_hhmm(last.arrival)}",
                )
            if d.ready_date > first.day:
                self.add(
                    "ready-date",
                    where,
                    f"ready {d.ready_date}, but crate {d.crate_id} leaves {first.day}",
                )
        expected = self.calendar.working_days_between(d.ready_date, d.delivered_date)
        if d.transit_days != expected:
            self.add(
                "transit-days",
                where,
                f"transit_days is {d.transit_days}, but {d.ready_date} to {d.delivered_date} is "
                f"{expected} working day(s)",
            )

    def _check_on_the_spot(self, d: Delivery, where: str) -> None:
        if d.from_branch_id != d.to_branch_id:
            self.add(
                "on-the-spot",
                where,
                f"no crate, but it goes {d.from_branch_id} to {d.to_branch_id}",
            )
        if not d.reservation_id:
            self.add("on-the-spot", where, "no crate and no reservation_id")
        if d.delivered_date < d.ready_date:
            self.add(
                "on-the-spot",
                where,
                f"delivered {d.delivered_date}, before it is ready {d.ready_date}",
            )
        if d.transit_days != 0:
            self.add(
                "transit-days",
                where,
                f"filled on the spot, transit_days {d.transit_days}; expected 0",
            )

    def _first_departure(self, d: Delivery) -> datetime | None:
        legs = self.legs.get(d.crate_id) if d.crate_id else None
        return _at(legs[0].day, legs[0].departure) if legs else None

    # --- rule 9: reservations, transfers, unplanned -----------------------------------------

    def _check_reservations(self) -> None:
        by_id: dict[str, Reservation] = {r.reservation_id: r for r in self.scenario.reservations}
        seen = Counter(d.reservation_id for d in self.plan.deliveries if d.reservation_id)
        seen.update(u.reservation_id for u in self.plan.unplanned if u.reservation_id)
        for r in self.scenario.reservations:
            where = f"reservations.csv reservation {r.reservation_id}"
            n = seen[r.reservation_id]
            if n == 0:
                self.add(
                    "reservation-missing",
                    where,
                    "neither in deliveries.csv nor in unplanned.csv",
                )
            elif n > 1:
                self.add("reservation-duplicate", where, f"appears {n} times in the plan")
        holds: dict[str, set[str]] = defaultdict(set)
        for d in self.plan.deliveries:
            if not d.reservation_id:
                continue
            where = _delivery_where(d)
            if d.item_id:
                holds[d.item_id].add(d.reservation_id)
            if self._carried(d.item_id, d.reservation_id):
                continue  # a copy already on its way: checked as a transfer
            reservation = by_id.get(d.reservation_id)
            if reservation is None:
                self.add(
                    "unknown-ref",
                    where,
                    f"reservation {d.reservation_id} is not in reservations.csv",
                )
                continue
            self._check_reserved_item(d, reservation, where)
            departs = self._first_departure(d)
            if departs is not None and not departs > reservation.placed_at:
                self.add(
                    "placed-at",
                    where,
                    f"leaves {departs:%Y-%m-%d %H:%M}, not after the reservation was placed "
                    f"{reservation.placed_at:%Y-%m-%d %H:%M}",
                )
        for u in self.plan.unplanned:
            if u.item_id and u.reservation_id:
                holds[u.item_id].add(u.reservation_id)
        for item_id, reservations in sorted(holds.items()):
            if len(reservations) > 1:
                self.add(
                    "reservation-item",
                    f"deliveries.csv item {item_id}",
                    f"item {item_id} is placed on {len(reservations)} reservations: "
                    f"{', '.join(sorted(reservations))}",
                )

    def _check_reserved_item(self, d: Delivery, reservation: Reservation, where: str) -> None:
        item = self.scenario.items.get(d.item_id)
        if item is None:
            return  # reported as unknown-ref
        problems = []
        if item.title_id != reservation.title_id:
            problems.append(
                f"item is title {item.title_id}, reservation {reservation.reservation_id} is for "
                f"{reservation.title_id}"
            )
        if item.status is not ItemStatus.AVAILABLE:
            problems.append(f"item is {item.status.value} in items.csv, not available")
        if item.current_branch_id != d.from_branch_id:
            problems.append(
                f"item is at {item.current_branch_id} in items.csv, not at {d.from_branch_id}"
            )
        if d.to_branch_id != reservation.pickup_branch_id:
            problems.append(
                f"goes to {d.to_branch_id}, but the pickup branch is {reservation.pickup_branch_id}"
            )
        for problem in problems:
            self.add("reservation-item", where, problem)
        if d.from_branch_id == d.to_branch_id:
            return
        if not item.may_travel:
            self.add("may-not-travel", where, f"item {item.item_id} may not travel (items.csv)")
        barred = {(n.from_branch_id, n.to_branch_id) for n in self.scenario.no_transfer}
        pairs = [(a, b) for a in (d.from_branch_id, "*") for b in (d.to_branch_id, "*")]
        if any(pair in barred for pair in pairs):
            self.add(
                "no-transfer",
                where,
                f"no_transfer.csv bars sending from {d.from_branch_id} to {d.to_branch_id}",
            )

    def _check_sent_per_day(self) -> None:
        """Copies pulled for reservations at a branch and sent elsewhere, per ready day."""
        moving = {t.item_id for t in self.scenario.transfers}
        sent = Counter(
            (d.from_branch_id, d.ready_date)
            for d in self.plan.deliveries
            if d.reservation_id and d.from_branch_id != d.to_branch_id and d.item_id not in moving
        )
        for (branch_id, day), n in sorted(sent.items()):
            branch = self.scenario.branches.get(branch_id)
            limit = None if branch is None else branch.max_sent_per_day
            if limit is not None and n > limit:
                self.add(
                    "max-sent",
                    f"deliveries.csv {branch_id} {day.isoformat()}",
                    f"{n} copies pulled that day are sent elsewhere; max_sent_per_day is {limit}",
                )

    def _carried(self, item_id: str, reservation_id: str) -> bool:
        """The item is in transfers.csv on its way to fill this reservation."""
        t = self.transfers_by_item.get(item_id)
        return bool(reservation_id) and t is not None and t.reservation_id == reservation_id

    def _check_transfers(self) -> None:
        by_item = self.transfers_by_item
        seen = Counter(
            d.item_id
            for d in self.plan.deliveries
            if not d.reservation_id or self._carried(d.item_id, d.reservation_id)
        )
        seen.update(
            u.item_id
            for u in self.plan.unplanned
            if u.item_id and (not u.reservation_id or self._carried(u.item_id, u.reservation_id))
        )
        for t in self.scenario.transfers:
            where = f"transfers.csv item {t.item_id}"
            n = seen[t.item_id]
            if n == 0:
                self.add(
                    "transfer-missing", where, "neither in deliveries.csv nor in unplanned.csv"
                )
            elif n > 1:
                self.add("transfer-duplicate", where, f"appears {n} times in the plan")
        for d in self.plan.deliveries:
            if d.reservation_id and not self._carried(d.item_id, d.reservation_id):
                continue
            where = _delivery_where(d)
            transfer = by_item.get(d.item_id)
            if transfer is None:
                self.add(
                    "unknown-ref",
                    where,
                    f"no reservation_id, and item {d.item_id} has no transfer in transfers.csv",
                )
                continue
            if (d.from_branch_id, d.to_branch_id) != (
                transfer.from_branch_id,
                transfer.to_branch_id,
            ):
                self.add(
                    "transfer-mismatch",
                    where,
                    f"goes {d.from_branch_id} to {d.to_branch_id}, but the transfer is "
                    f"{transfer.from_branch_id} to {transfer.to_branch_id}",
                )
            departs = self._first_departure(d)
            if departs is not None and departs < transfer.ready_at:
                self.add(
                    "ready-at",
                    where,
                    f"leaves {departs:%Y-%m-%d %H:%M}, before it is ready "
                    f"{transfer.ready_at:%Y-%m-%d %H:%M}",
                )

    def _check_unplanned(self) -> None:
        reservations = {r.reservation_id for r in self.scenario.reservations}
        reservations |= {t.reservation_id for t in self.scenario.transfers if t.reservation_id}
        transfers = {t.item_id for t in self.scenario.transfers}
        for n, u in enumerate(self.plan.unplanned, start=2):
            where = f"unplanned.csv row {n}"
            if not u.reason.strip():
                self.add("unplanned-reason", where, "give the reason it could not be planned")
            if u.reservation_id and u.reservation_id not in reservations:
                self.add(
                    "unknown-ref",
                    where,
                    f"reservation {u.reservation_id} is not in reservations.csv",
                )
            if u.item_id and u.item_id not in self.scenario.items:
                self.add("unknown-ref", where, f"item {u.item_id} is not in items.csv")
            elif u.item_id and not u.reservation_id and u.item_id not in transfers:
                self.add(
                    "unknown-ref",
                    where,
                    f"no reservation_id, and item {u.item_id} has no transfer in transfers.csv",
                )
            if not u.item_id and not u.reservation_id:
                self.add("unknown-ref", where, "names neither an item nor a reservation")


def check_plan(scenario: Scenario, plan: Plan) -> list[Violation]:
    """Every violation of the plan against the scenario (rules 1-9); [] for a valid plan."""
    return _Checker(scenario, plan).check()


def _true_km(scenario: Scenario, plan: Plan) -> float:
    """km of the routes re-derived from the travel data, consecutive non-break rows."""
    total = 0.0
    for rows in _group_runs(plan).values():
        driving = [r for r in rows if r.kind != BREAK]
        for a, b in itertools.pairwise(driving):
            leg = scenario.travel.get((a.branch_id, b.branch_id))
            total += leg.km if leg is not None else b.km_from_prev
    return total


def check_summary(scenario: Scenario, plan: Plan, summary: Mapping[str, Any]) -> list[Violation]:
    """Rule 10: summary.json's km, runs and crates agree with the plan files."""
    found: list[Violation] = []
    written = sum(r.km_from_prev for r in plan.routes)
    true = _true_km(scenario, plan)
    km = summary.get("km")
    if not isinstance(km, int | float) or isinstance(km, bool):
        found.append(Violation("summary", "summary.json km", f"km is {km!r}, not a number"))
    elif min(abs(km - written), abs(km - true)) > SUMMARY_KM_TOLERANCE + EPSILON:
        found.append(
            Violation(
                "summary",
                "summary.json km",
                f"km is {km}, but routes.csv's km_from_prev add up to {written:.1f}",
            )
        )
    counts = {
        "runs": len({(r.day, r.van_id) for r in plan.routes}),
        "crates": len({c.crate_id for c in plan.crates}),
    }
    for name, count in counts.items():
        if summary.get(name) != count:
            found.append(
                Violation(
                    "summary",
                    f"summary.json {name}",
                    f"{name} is {summary.get(name)!r}, but the plan files have {count}",
                )
            )
    return found


def read_summary(plan_dir: Path) -> dict[str, Any]:
    """summary.json of a plan folder as a dict; PlanFileError if missing or not a JSON object."""
    path = plan_dir / "summary.json"
    try:
        summary = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise PlanFileError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(summary, dict):
        raise PlanFileError(f"{path}: not a JSON object")
    return summary


def check_plan_folder(scenario: Scenario, plan_dir: Path) -> tuple[Plan, list[Violation]]:
    """Read a plan folder and check all ten rules; PlanFileError if it cannot be read."""
    plan = read_plan(plan_dir)
    found = check_plan(scenario, plan)
    found += check_summary(scenario, plan, read_summary(plan_dir))
    return plan, found


def main_check(data: Path, plan_dir: Path) -> int:
    """`bokflyt check`: print 'plan is valid ...' and return 0, or print each violation and 1."""
    try:
        scenario = load_scenario(data)
        plan, found = check_plan_folder(scenario, Path(plan_dir))
    except BokflytError as exc:
        print(exc)
        return 1
    if found:
        for violation in found:
            print(violation)
        print(f"{len(found)} violation(s) in {plan_dir}")
        return 1
    runs = len({(r.day, r.van_id) for r in plan.routes})
    crates = len({c.crate_id for c in plan.crates})
    print(f"plan is valid: {runs} runs, {crates} crates, {len(plan.deliveries)} items")
    return 0
