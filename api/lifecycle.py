"""A reservation's life, driven by scans: its status, where its copy is, and its dates.

    placed ──pulled──▶ pulled ──packed──▶ packed ──collected──▶ in_transit ──at_hub──▶ at_hub
                                                                    ▲                   │
                                                                    └────collected──────┘
    in_transit / at_hub ──delivered──▶ delivered ──checked_in──▶ ready ──picked_up──▶ picked_up

A missed scan may be skipped where the next one proves what happened: a crate of the plan
collected, unloaded or delivered without pulled or packed scans of the items its packing list
puts in it; a copy delivered without a collected scan, or checked in without a delivered
scan; a copy found at its pickup branch checked in straight from placed or pulled. A scan
that cannot follow the reservation's status (picked up before it is on the shelf, pulled
twice, delivered elsewhere than its pickup branch) is refused (409) and not stored — except a
crate's late scan finding its items further on already (checked in one by one before the
crate's delivered scan came): it is stored and changes nothing for them.

Place: a copy is collected only where it was last scanned, or (never scanned yet) where the
plan sources it, so a crate of the packing list leaves only from its branch. Who: a staff key
moves only reservations sourced, kept or picked up at its branch (`Scope`); a scan about none
of those is refused (403). A refusal names a reservation by its id only to a key that may read
it (a planner; staff of its pickup or source branch), otherwise by the item or crate scanned.

`not_on_shelf` marks the copy missing and chooses another available copy for the reservation
with `logistics.sourcing` (it keeps its placed_at, so its place in the queue); without one it
waits again: status placed with no copy and no date, as before its first plan.

Dates: a copy collected or unloaded at a hub gets a new expected date from the vans' regular
timetable (`logistics.eta.Timetable`), one delivered gets the date it can be checked in, one
checked in is ready that day. The patron's promise stays unless the new expected date is past
it; then it is promised anew (`Timetable.promise`).

Every function here works in the caller's transaction; the reservations a scan moves are
locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers), so
concurrent scans of the same reservations apply one after the other.
"""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api import models as m
from api.schemas_events import EventKind, ScanIn
from api.store import CLOSED, current_plan_id, export_folder, now
from logistics import model as lm
from logistics.calendar import Calendar
from logistics.eta import Timetable
from logistics.load import load_scenario
from logistics.sourcing import choose_copies

STATUSES = (
    "placed", "pulled", "packed", "in_transit", "at_hub", "delivered", "ready", "picked_up",
)  # fmt: skip
# Statuses a crate is travelling in (its reservations are found by crate_id).
IN_CRATE = ("packed", "in_transit", "at_hub", "delivered")

# kind -> (statuses it may follow, status it leads to)
TRANSITIONS: dict[EventKind, tuple[frozenset[str], str]] = {
    EventKind.PULLED: (frozenset({"placed"}), "pulled"),
    EventKind.NOT_ON_SHELF: (frozenset({"placed"}), "placed"),
    EventKind.PACKED: (frozenset({"placed", "pulled"}), "packed"),
    EventKind.COLLECTED: (frozenset({"pulled", "packed", "at_hub"}), "in_transit"),
    EventKind.AT_HUB: (frozenset({"packed", "in_transit"}), "at_hub"),
    EventKind.DELIVERED: (frozenset({"packed", "in_transit", "at_hub"}), "delivered"),
    # also from placed / pulled when the copy is at the pickup branch already (on the spot)
    EventKind.CHECKED_IN: (frozenset({"in_transit", "at_hub", "delivered"}), "ready"),
    EventKind.PICKED_UP_BY_PATRON: (frozenset({"ready"}), "picked_up"),
}
ITEM_KINDS = frozenset(
    {EventKind.PULLED, EventKind.NOT_ON_SHELF, EventKind.CHECKED_IN, EventKind.PICKED_UP_BY_PATRON}
)
CRATE_OR_ITEM_KINDS = frozenset({EventKind.COLLECTED, EventKind.AT_HUB, EventKind.DELIVERED})
# Kinds whose dates need the timetable (built once per data version, see Timetables).
TIMED_KINDS = frozenset(
    {
        EventKind.NOT_ON_SHELF,
        EventKind.COLLECTED,
        EventKind.AT_HUB,
        EventKind.DELIVERED,
        EventKind.CHECKED_IN,
        EventKind.PICKED_UP_BY_PATRON,
    }
)
# Days of van timetable after the Monday of a scan's week.
TIMETABLE_DAYS = 120


class ScanError(Exception):
    """A scan that cannot be taken: `status` 409 (it cannot follow what is known) or 422 (it
    names something unknown, or misses a field); `field` is the body field concerned."""

    def __init__(self, status: int, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.field = status, reason, field


@dataclass
class ScanResult:
    event_id: int
    duplicate: bool
    reservations: list[m.Reservation]
    skipped: list[m.Reservation] = field(default_factory=list)


@dataclass(frozen=True)
class Scope:
    """Who scans, for what a scan may move and what its answers may name. A planner moves and
    reads every reservation; a driver moves any (the place rules still apply) but reads none;
    staff move only reservations sourced, kept or picked up at their branch, and read those
    picked up or sourced there (as GET /reservations)."""

    role: str = "planner"
    branch_id: str | None = None

    def moves(self, r: m.Reservation) -> bool:
        if self.role != "staff":
            return True
        mine = self.branch_id
        return mine is not None and mine in (
            r.source_branch_id,
            r.location_branch_id,
            r.pickup_branch_id,
        )

    def reads(self, r: m.Reservation) -> bool:
        if self.role == "planner":
            return True
        mine = self.branch_id
        return (
            self.role == "staff"
            and mine is not None
            and mine in (r.pickup_branch_id, r.source_branch_id)
        )


PLANNER = Scope()


# -- the timetable, once per consortium data version ----------------------------------------


class Timetables:
    """The regular van timetable (costly: the consortium exported and loaded, a time-expanded
    network built) per data version and week, a few kept. The version is the Meta values
    consortium, current_plan and data_version (when something sets it) with the identity of
    the opening hours and closures, which every load of a folder renews."""

    KEEP = 4

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[object, ...], Timetable] = OrderedDict()
        self.builds = 0

    def get(self, session: Session, day: date) -> Timetable:
        start = day - timedelta(days=day.weekday())
        key = (*version(session), start)
        with self._lock:
            timetable = self._cache.get(key)
            if timetable is None:
                timetable = build_timetable(session, start)
                self.builds += 1
                self._cache[key] = timetable
                while len(self._cache) > self.KEEP:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
            return timetable


def version(session: Session) -> tuple[object, ...]:
    metas = dict(
        session.execute(
            select(m.Meta.key, m.Meta.value).where(
                m.Meta.key.in_(("consortium", "current_plan", "data_version"))
            )
        ).all()
    )
    hours = session.execute(select(func.count(), func.max(m.OpeningHours.id))).one()
    closures = session.execute(select(func.count(), func.max(m.Closure.id))).one()
    return (
        metas.get("consortium"),
        metas.get("current_plan"),
        metas.get("data_version"),
        *hours,
        *closures,
    )


def build_timetable(session: Session, start: date) -> Timetable:
    """The consortium's branches, hours, vans, closures, travel and settings as a scenario
    (without items and reservations, which the timetable does not use) and its timetable."""
    with tempfile.TemporaryDirectory(prefix="bokflyt-timetable-") as tmp:
        folder = export_folder(session, Path(tmp))
        for name in ("items.csv", "reservations.csv", "transfers.csv"):
            text = (folder / name).read_text("utf-8")
            (folder / name).write_text(text.splitlines()[0] + "\n", "utf-8")
        (folder / "promises.csv").unlink(missing_ok=True)
        scenario = load_scenario(folder)
    timetable = Timetable(scenario, Calendar.of(scenario), start, TIMETABLE_DAYS)
    # Its earliest dates are worked out on first use, for all places at once, and not
    # thread-safely: here, before any other thread can see it.
    branches = sorted(scenario.branches)
    if len(branches) > 1:
        timetable.on_shelf(branches[0], start, 0, branches[1])
    return timetable


# -- a scan ----------------------------------------------------------------------------------


def check_fields(scan: ScanIn) -> None:
    """The ids a kind of scan needs (422 otherwise)."""
    kind = scan.kind
    if kind is EventKind.PACKED:
        if not scan.item_id:
            raise ScanError(422, "a packed scan needs the item", "item_id")
        if not scan.crate_id:
            raise ScanError(422, "a packed scan needs the crate", "crate_id")
    elif kind in ITEM_KINDS:
        if not scan.item_id:
            raise ScanError(422, f"a {kind.value} scan needs the item", "item_id")
        if scan.crate_id:
            raise ScanError(422, f"a {kind.value} scan is of an item, not a crate", "crate_id")
    elif not scan.item_id and not scan.crate_id:
        raise ScanError(422, f"a {kind.value} scan needs a crate or an item", "crate_id")


def apply_scan(
    session: Session,
    scan: ScanIn,
    key_id: str,
    timetable: Callable[[], Timetable],
    scope: Scope = PLANNER,
) -> ScanResult:
    """Store a scan once and move its reservations on (in the caller's transaction).

    Raises ScanError: 422 for an unknown branch, item or crate, 409 when the scan cannot
    follow, 403 when every reservation it is about is beyond `scope` (another branch's for a
    staff key); the caller rolls back: nothing is stored. Reservations beyond the scope in a
    crate with others are not moved (and not named). A reason never names a reservation the
    scope does not read. A scan stored before answers duplicate=True and changes nothing."""
    check_fields(scan)
    branch = session.get(m.Branch, scan.branch_id)
    if branch is None:
        raise ScanError(422, f"unknown branch {scan.branch_id!r}", "branch_id")
    item = None
    if scan.item_id:
        item = session.get(m.Item, scan.item_id)
        if item is None:
            raise ScanError(422, f"unknown item {scan.item_id!r}", "item_id")

    event_id = _insert_event(session, scan, key_id)
    if event_id is None:
        existing = session.scalar(
            select(m.Event.id).where(*_same_scan(scan)).order_by(m.Event.id).limit(1)
        )
        assert existing is not None  # the conflicting row is committed
        return ScanResult(existing, True, _members(session, scan, lock=False))

    members = _members(session, scan, lock=True)
    if item is not None:  # as a scan of its reservation, committed while we waited, left it
        session.refresh(item, with_for_update=True)
    if not members:
        if scan.kind is EventKind.NOT_ON_SHELF and item is not None:
            _check_at(item, scan.branch_id)
            item.status = lm.ItemStatus.MISSING.value
            return ScanResult(event_id, False, [])
        if scan.item_id:
            raise ScanError(409, f"no open reservation has item {scan.item_id!r}")
        if not _known_crate(session, scan.crate_id or "", current_plan_id(session)):
            raise ScanError(422, f"unknown crate {scan.crate_id!r}", "crate_id")
        return ScanResult(event_id, False, [])  # a late scan of a crate all picked up

    skipped = [r for r in members if not scope.moves(r)]
    if len(skipped) == len(members):
        raise ScanError(
            403,
            f"a staff key of {scope.branch_id} scans only reservations sourced, kept or picked "
            f"up at {scope.branch_id}",
        )
    moved: list[m.Reservation] = []
    first_problem = ""
    target = STATUSES.index(TRANSITIONS[scan.kind][1])
    for r in members:
        if not scope.moves(r):
            continue
        problem = _cannot(scan, r, item, _name(scan, r, scope))
        if problem:
            skipped.append(r)
            # A crate's items may overtake it (checked in before the crate's delivered scan
            # came): a late crate scan finding them further on is stored, changing nothing.
            further = not scan.item_id and STATUSES.index(r.status) >= target
            if not further:
                first_problem = first_problem or problem
            continue
        _move(session, scan, r, timetable)
        moved.append(r)
    if not moved and first_problem:
        raise ScanError(409, first_problem)
    return ScanResult(event_id, False, moved, skipped)


def _same_scan(scan: ScanIn) -> list[ColumnElement[bool]]:
    return [
        m.Event.kind == scan.kind.value,
        m.Event.branch_id == scan.branch_id,
        m.Event.at == scan.at,
        m.Event.crate_id == (scan.crate_id or ""),
        m.Event.item_id == (scan.item_id or ""),
    ]


def _insert_event(session: Session, scan: ScanIn, key_id: str) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new event's id, None when the same
    scan is stored already (on PostgreSQL this waits for a concurrent insert of the same scan
    to commit or roll back)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(m.Event)
        .values(
            kind=scan.kind.value,
            branch_id=scan.branch_id,
            at=scan.at,
            crate_id=scan.crate_id or "",
            item_id=scan.item_id or "",
            key_id=key_id,
            received_at=now(),
        )
        .on_conflict_do_nothing(index_elements=["kind", "branch_id", "at", "crate_id", "item_id"])
        .returning(m.Event.id)
    )
    value: int | None = session.execute(statement).scalar_one_or_none()
    return value


def _members(session: Session, scan: ScanIn, *, lock: bool) -> list[m.Reservation]:
    """The open reservations a scan is about, locked, in reservation_id order: the one(s)
    whose copy is the item, or those travelling in the crate (packed into it by a scan, or by
    the current plan's packing list and not packed elsewhere)."""
    query = select(m.Reservation).where(m.Reservation.status.not_in(CLOSED))
    if scan.item_id:
        query = query.where(m.Reservation.item_id == scan.item_id)
    else:
        crate = scan.crate_id or ""
        plan_id = current_plan_id(session)
        planned = (
            select(m.PlanPacking.item_id).where(
                m.PlanPacking.plan_id == plan_id, m.PlanPacking.crate_id == crate
            )
            if plan_id is not None
            else None
        )
        scanned = m.Reservation.status.in_(IN_CRATE) & (m.Reservation.crate_id == crate)
        if planned is None:
            query = query.where(scanned)
        else:
            query = query.where(
                or_(
                    scanned,
                    m.Reservation.item_id.in_(planned)
                    & or_(m.Reservation.crate_id.is_(None), m.Reservation.crate_id == crate),
                )
            )
    query = query.order_by(m.Reservation.reservation_id)
    if lock:  # and read again what a concurrent scan committed while we waited
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(query))


def _known_crate(session: Session, crate: str, plan_id: int | None) -> bool:
    """A crate of a plan, or one a packed scan named."""
    checks = [
        select(m.PlanCrate.id).where(m.PlanCrate.crate_id == crate),
        select(m.Event.id).where(m.Event.kind == EventKind.PACKED.value, m.Event.crate_id == crate),
    ]
    if plan_id is not None:
        checks.insert(
            0,
            select(m.PlanPacking.id).where(
                m.PlanPacking.plan_id == plan_id, m.PlanPacking.crate_id == crate
            ),
        )
    return any(session.scalar(select(c.exists())) for c in checks)


def _check_at(item: m.Item, branch_id: str) -> None:
    if item.current_branch_id != branch_id:
        raise ScanError(
            409, f"item {item.item_id} is at {item.current_branch_id}, not at {branch_id}"
        )


def _name(scan: ScanIn, r: m.Reservation, scope: Scope) -> str:
    """The reservation as a reason names it: by its id only when the scope may read it."""
    if scope.reads(r):
        return f"reservation {r.reservation_id}"
    if scan.item_id:
        return f"the reservation of item {scan.item_id}"
    return f"a reservation in crate {scan.crate_id}"


def _cannot(scan: ScanIn, r: m.Reservation, item: m.Item | None, name: str) -> str:
    """Why the scan cannot move the reservation on ("" when it can); `name` is how the reason
    names the reservation."""
    kind, branch = scan.kind, scan.branch_id
    allowed = TRANSITIONS[kind][0]
    at_pickup = r.source_branch_id == r.pickup_branch_id and r.status in ("placed", "pulled")
    if kind is EventKind.CHECKED_IN and at_pickup:
        allowed = allowed | {"placed", "pulled"}
    if not scan.item_id and "packed" in allowed:
        # in a crate by its packing list: packed, though its pulled or packed scan is missing
        allowed = allowed | {"placed", "pulled"}
    if r.status not in allowed:
        return (
            f"{name} is {r.status}: a {kind.value} scan cannot follow "
            f"(it needs {' or '.join(sorted(allowed))})"
        )
    if kind in (EventKind.PULLED, EventKind.NOT_ON_SHELF, EventKind.PACKED) and (
        item is not None and item.current_branch_id != branch
    ):
        return f"item {item.item_id} is at {item.current_branch_id}, not at {branch}"
    if kind is EventKind.COLLECTED:
        # where the copy was last scanned, else where the plan sources it (a crate of the
        # packing list leaves from there), else where the scanned item is
        where = r.location_branch_id or r.source_branch_id
        if where is None and item is not None:
            where = item.current_branch_id
        if where != branch:
            return f"the copy of {name} is at {where or 'no known branch'}, not at {branch}"
    if (
        kind in (EventKind.DELIVERED, EventKind.CHECKED_IN, EventKind.PICKED_UP_BY_PATRON)
        and branch != r.pickup_branch_id
    ):
        return f"{name} is picked up at {r.pickup_branch_id}, not at {branch}"
    return ""


def _move(
    session: Session, scan: ScanIn, r: m.Reservation, timetable: Callable[[], Timetable]
) -> None:
    """Apply a scan to one reservation (checked by `_cannot`) and to its copy."""
    kind, branch, at = scan.kind, scan.branch_id, scan.at
    day, minute = at.date(), at.hour * 60 + at.minute
    copy = session.get(m.Item, r.item_id) if r.item_id else None
    r.updated_at = now()
    if kind is EventKind.NOT_ON_SHELF:
        if copy is not None:
            copy.status = lm.ItemStatus.MISSING.value
        session.flush()
        choose_again(session, r, at, timetable())
        return
    r.status = TRANSITIONS[kind][1]
    r.location_branch_id = branch
    if scan.crate_id:
        r.crate_id = scan.crate_id
    if kind is EventKind.COLLECTED:
        if copy is not None:
            copy.status = lm.ItemStatus.IN_TRANSIT.value
        t = timetable()
        _new_dates(r, t, t.on_shelf(branch, day, 0, r.pickup_branch_id), day)
    elif kind is EventKind.AT_HUB:
        t = timetable()
        _new_dates(r, t, t.on_shelf(branch, day, minute, r.pickup_branch_id), day)
    elif kind in (EventKind.DELIVERED, EventKind.CHECKED_IN):
        if copy is not None:
            _arrived(session, copy, branch)
        t = timetable()
        ready = day if kind is EventKind.CHECKED_IN else t.shelf_date(branch, day, minute)
        _new_dates(r, t, ready, day)
    elif kind is EventKind.PICKED_UP_BY_PATRON and copy is not None:
        copy.status = lm.ItemStatus.ON_LOAN.value
        copy.due_date = day + timedelta(days=timetable().scenario.settings.loan_days)


def _arrived(session: Session, copy: m.Item, branch: str) -> None:
    """The copy is at its pickup branch: there, available to its reservation; a transfer
    that carried it is done."""
    copy.current_branch_id = branch
    copy.status = lm.ItemStatus.AVAILABLE.value
    session.execute(
        update(m.Transfer)
        .where(m.Transfer.item_id == copy.item_id, m.Transfer.cancelled.is_(False))
        .values(cancelled=True)
    )


def _new_dates(r: m.Reservation, t: Timetable, expected: date | None, today: date) -> None:
    """A new expected date; the promise stays unless the new date is past it."""
    if expected is None:  # beyond the timetable: keep what the patron was told
        return
    r.expected_date = expected
    if r.promise_date is None or expected > r.promise_date:
        r.promise_date = t.promise(r.pickup_branch_id, expected, today)


def choose_again(session: Session, r: m.Reservation, at: datetime, t: Timetable) -> None:
    """A new copy for a reservation whose copy was not found, with the joint copy choice of
    `logistics.sourcing` over the title's available copies that no other open reservation
    holds (the reservation keeps its placed_at, so its place in the queue). Without one it
    waits again: no copy, no date."""
    scenario = t.scenario
    rows = session.scalars(
        select(m.Item)
        .where(m.Item.title_id == r.title_id)
        .order_by(m.Item.item_id)
        .with_for_update()
    ).all()
    ids = [i.item_id for i in rows]
    held = set(
        session.scalars(
            select(m.Reservation.item_id).where(
                m.Reservation.item_id.in_(ids),
                m.Reservation.status.not_in(CLOSED),
                m.Reservation.reservation_id != r.reservation_id,
            )
        )
    )
    moving = set(
        session.scalars(
            select(m.Transfer.item_id).where(
                m.Transfer.item_id.in_(ids), m.Transfer.cancelled.is_(False)
            )
        )
    )
    items = {
        i.item_id: lm.Item(
            i.item_id,
            i.title_id,
            i.title,
            i.call_number,
            i.home_branch_id,
            i.current_branch_id,
            lm.ItemStatus(i.status),
            i.due_date,
            i.may_travel,
        )
        for i in rows
        if i.item_id not in held
        and i.item_id not in moving
        and i.current_branch_id in scenario.branches
        and i.home_branch_id in scenario.branches
    }
    # Today's pull list is printed at settings.pull_list_at: a later choice is pulled tomorrow.
    start = at.date()
    if at.hour * 60 + at.minute > scenario.settings.pull_list_at:
        start += timedelta(days=1)
    start = max(start, t.start)
    one = replace(
        scenario,
        items=items,
        reservations=(
            lm.Reservation(r.reservation_id, r.title_id, r.pickup_branch_id, r.placed_at),
        ),
        transfers=(),
        promises={} if r.promise_date is None else {r.reservation_id: r.promise_date},
    )
    # A horizon that reaches the placing day, so that the reservation is sourced at all.
    days = max(1, (r.placed_at.date() - start).days + 1)
    sourcing = choose_copies(one, t.calendar, start, days, arrival=t.on_shelf)
    chosen = [a for a in sourcing.assignments if a.reservation_id == r.reservation_id]
    r.status, r.crate_id, r.location_branch_id = "placed", None, None
    if not chosen or not chosen[0].item_id:
        r.item_id = r.source_branch_id = None
        r.expected_date = r.promise_date = None
        return
    a = chosen[0]
    r.item_id, r.source_branch_id = a.item_id, a.source_branch_id
    if a.estimate is None:
        r.expected_date = None
        return
    _new_dates(r, t, a.estimate, at.date())


def state_of(rows: Sequence[m.Reservation]) -> list[dict[str, object]]:
    return [
        {
            "reservation_id": r.reservation_id,
            "status": r.status,
            "item_id": r.item_id,
            "source_branch_id": r.source_branch_id,
            "crate_id": r.crate_id,
            "location_branch_id": r.location_branch_id,
            "expected_date": r.expected_date,
            "promise_date": r.promise_date,
        }
        for r in rows
    ]
