"""Which copy fills each reservation, and when each item is ready to travel.

The rule here is today's simple one: a copy already at the pickup branch, else the copy that can
reach it first (earliest pull day, then shortest travel), one reservation at a time in the order
they were placed. Items move as `Move`s; what cannot move is `Unplanned` with a reason.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from logistics.calendar import Calendar
from logistics.model import Item, ItemStatus, Reservation, Scenario, Transfer
from logistics.plan import Delivery, Unplanned


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
class Sourcing:
    """The outcome: items to move, reservations filled on the spot, and what cannot be done."""

    moves: tuple[Move, ...]
    on_the_spot: tuple[Delivery, ...]
    unplanned: tuple[Unplanned, ...]


def pull_moment(
    scenario: Scenario, calendar: Calendar, branch_id: str, placed: datetime, start: date
) -> tuple[date, int] | None:
    """When a copy reserved at `placed` is pulled at `branch_id` and ready to travel.

    It goes on the pull list of the first staffed day that is not before `start`, and not
    before the placing day — on the placing day only if placed before the pull list is printed
    (settings.pull_list_at). It is ready settings.pull_minutes after the branch opens that day.
    """
    s = scenario.settings
    first = placed.date()
    minute_placed = placed.hour * 60 + placed.minute
    if minute_placed > s.pull_list_at:
        first += timedelta(days=1)
    day = max(first, start)
    for _ in range(28):
        windows = calendar.windows(branch_id, day)
        if windows:
            return day, windows[0][0] + s.pull_minutes
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


def choose_copies(scenario: Scenario, calendar: Calendar, start: date, days: int) -> Sourcing:
    """Source every reservation placed before the horizon ends, and ready every transfer."""
    end = start + timedelta(days=days)
    moves: list[Move] = []
    on_spot: list[Delivery] = []
    unplanned: list[Unplanned] = []
    moving = {t.item_id for t in scenario.transfers}
    copies: dict[str, list[Item]] = defaultdict(list)
    for item in scenario.items.values():
        copies[item.title_id].append(item)
    taken: set[str] = set()

    for r in sorted(scenario.reservations, key=lambda r: (r.placed_at, r.reservation_id)):
        if r.placed_at.date() >= end:
            unplanned.append(Unplanned("", r.reservation_id, "placed after the planning horizon"))
            continue
        candidates = [
            i
            for i in copies[r.title_id]
            if i.status is ItemStatus.AVAILABLE
            and i.item_id not in moving
            and i.item_id not in taken
        ]
        best = _first_to_arrive(scenario, calendar, r, candidates, start)
        if best is None:
            why = _why_no_copy(copies[r.title_id], taken, moving)
            unplanned.append(Unplanned("", r.reservation_id, why))
            continue
        item, (day, minute) = best
        taken.add(item.item_id)
        if day >= end:
            reason = f"copy at {item.current_branch_id} cannot be pulled before the horizon ends"
            unplanned.append(Unplanned(item.item_id, r.reservation_id, reason))
        elif item.current_branch_id == r.pickup_branch_id:
            on_spot.append(
                Delivery(
                    item.item_id,
                    r.reservation_id,
                    r.pickup_branch_id,
                    r.pickup_branch_id,
                    "",
                    day,
                    day,
                    minute,
                    0,
                )
            )
        else:
            moves.append(
                Move(item.item_id, r.reservation_id, item.current_branch_id,
                     r.pickup_branch_id, day, minute)
            )  # fmt: skip

    for t in sorted(scenario.transfers, key=lambda t: (t.ready_at, t.item_id)):
        moment = ready_moment(calendar, t.from_branch_id, t.ready_at, start)
        why = _transfer_problem(t, moment, end)
        if why or moment is None:
            unplanned.append(Unplanned(t.item_id, "", why))
            continue
        moves.append(Move(t.item_id, "", t.from_branch_id, t.to_branch_id, *moment))
    return Sourcing(tuple(moves), tuple(on_spot), tuple(unplanned))


def _first_to_arrive(
    scenario: Scenario,
    calendar: Calendar,
    reservation: Reservation,
    candidates: list[Item],
    start: date,
) -> tuple[Item, tuple[date, int]] | None:
    best: tuple[tuple[int, date, float, str], Item, tuple[date, int]] | None = None
    for item in candidates:
        moment = pull_moment(
            scenario, calendar, item.current_branch_id, reservation.placed_at, start
        )
        if moment is None:
            continue
        here = 0 if item.current_branch_id == reservation.pickup_branch_id else 1
        minutes = scenario.travel[(item.current_branch_id, reservation.pickup_branch_id)].minutes
        key = (here, moment[0], minutes, item.item_id)
        if best is None or key < best[0]:
            best = (key, item, moment)
    return None if best is None else (best[1], best[2])


def _why_no_copy(items: list[Item], taken: set[str], moving: set[str]) -> str:
    """Why no copy of a title can be sent: where all its copies are."""
    counts: dict[str, int] = defaultdict(int)
    for i in items:
        if i.item_id in taken:
            counts["filling earlier reservations"] += 1
        elif i.item_id in moving:
            counts["on the way home"] += 1
        else:
            counts[i.status.value.replace("_", " ")] += 1
    parts = [f"{n} {what}" for what, n in sorted(counts.items())]
    due = sorted(i.due_date for i in items if i.due_date is not None)
    first_due = f"; first due back {due[0].isoformat()}" if due else ""
    return f"no available copy ({', '.join(parts)}{first_due})"


def _transfer_problem(t: Transfer, moment: tuple[date, int] | None, end: date) -> str:
    if moment is None:
        return f"{t.from_branch_id} has no staffed hours in the 4 weeks after {t.ready_at:%Y-%m-%d}"
    if moment[0] >= end:
        return "ready only after the planning horizon"
    return ""
