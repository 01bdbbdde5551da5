"""Between the database and `logistics`: a scenario folder in and out, plans in and out.

A consortium's data is validated by `logistics.load` on its way in (a folder is loaded only if
all of it is valid) and exported back to a folder for planning, so the planner sees in the
database exactly what it would see in the CSV files.
"""

from __future__ import annotations

import csv
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api import models as m
from logistics import model as lm
from logistics.load import format_hhmm, load_scenario
from logistics.model import WEEKDAYS
from logistics.plan import (
    CrateLeg,
    Delivery,
    PatronDate,
    Plan,
    RouteRow,
    Unplanned,
)

# Files of a scenario folder kept verbatim (ScenarioFile) rather than as tables
# (outlines.geojson: municipality outlines for the maps of the web pages; planning ignores it).
VERBATIM = (
    "settings.toml", "travel.csv", "roads.csv", "junctions.csv", "no_transfer.csv",
    "promises.csv", "outlines.geojson",
)  # fmt: skip
# Tables replaced by a load, children first.
CONSORTIUM_TABLES: tuple[type[m.Base], ...] = (
    m.Transfer, m.Reservation, m.Item, m.Closure, m.Van, m.OpeningHours, m.Branch,
    m.ScenarioFile,
)  # fmt: skip


def new_code() -> str:
    """A pickup code for a patron: 16 characters, 96 bits from the OS's random source."""
    return secrets.token_urlsafe(12)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def now() -> datetime:
    """Local time without zone (the consortium's clock, as in the CSV files)."""
    return datetime.now().replace(microsecond=0)


# -- a folder in ---------------------------------------------------------------------------


def load_folder(
    session: Session, folder: Path, codes: dict[str, str] | None = None
) -> dict[str, int]:
    """Replace the consortium in the database with a scenario folder's (validated first:
    DataErrors and nothing changed when any of it is bad). Each reservation gets a new pickup
    code, put in `codes` (reservation_id -> code) when given: only its hash is stored.
    Returns the counts loaded. Plans, jobs, events, keys and the audit log stay."""
    scenario = load_scenario(folder)
    for table in CONSORTIUM_TABLES:
        session.execute(delete(table))
    session.flush()
    session.add_all(branch_rows(scenario.branches.values()))
    session.flush()
    session.add_all(
        m.OpeningHours(
            branch_id=o.branch_id,
            weekday=WEEKDAYS[o.weekday],
            opens=format_hhmm(o.opens),
            closes=format_hhmm(o.closes),
        )
        for o in scenario.opening
    )
    session.add_all(
        m.Van(
            van_id=v.van_id,
            depot_branch_id=v.depot_branch_id,
            capacity_crates=v.capacity_crates,
            shift_start=format_hhmm(v.shift_start),
            shift_end=format_hhmm(v.shift_end),
            weekdays=";".join(WEEKDAYS[d] for d in sorted(v.weekdays)),
        )
        for v in scenario.vans
    )
    session.add_all(
        m.Closure(branch_id=c.branch_id, day=c.day, reason=c.reason) for c in scenario.closures
    )
    session.add_all(
        m.Item(
            item_id=i.item_id,
            title_id=i.title_id,
            title=i.title,
            call_number=i.call_number,
            home_branch_id=i.home_branch_id,
            current_branch_id=i.current_branch_id,
            status=i.status.value,
            due_date=i.due_date,
            may_travel=i.may_travel,
        )
        for i in scenario.items.values()
    )
    session.flush()
    stamp = now()
    for r in scenario.reservations:
        code = new_code()
        if codes is not None:
            codes[r.reservation_id] = code
        session.add(
            m.Reservation(
                reservation_id=r.reservation_id,
                title_id=r.title_id,
                pickup_branch_id=r.pickup_branch_id,
                placed_at=r.placed_at,
                code_hash=code_hash(code),
                status="placed",
                updated_at=stamp,
            )
        )
    session.add_all(
        m.Transfer(
            item_id=t.item_id,
            from_branch_id=t.from_branch_id,
            to_branch_id=t.to_branch_id,
            ready_at=t.ready_at,
            reservation_id=t.reservation_id,
        )
        for t in scenario.transfers
    )
    for name in VERBATIM:
        path = Path(folder) / name
        if path.exists():
            session.add(m.ScenarioFile(name=name, text=path.read_text("utf-8")))
    set_meta(session, "consortium", scenario.name)
    session.flush()
    return {
        "branches": len(scenario.branches),
        "vans": len(scenario.vans),
        "items": len(scenario.items),
        "reservations": len(scenario.reservations),
        "transfers": len(scenario.transfers),
        "closures": len(scenario.closures),
    }


def branch_rows(branches: Iterable[lm.Branch]) -> list[m.Branch]:
    return [
        m.Branch(
            branch_id=b.branch_id,
            name=b.name,
            municipality=b.municipality,
            lat=b.lat,
            lon=b.lon,
            kind=b.kind.value,
            max_sent_per_day=b.max_sent_per_day,
        )
        for b in branches
    ]


def get_meta(session: Session, key: str) -> str | None:
    row = session.get(m.Meta, key)
    return None if row is None else row.value


def set_meta(session: Session, key: str, value: str) -> None:
    row = session.get(m.Meta, key)
    if row is None:
        session.add(m.Meta(key=key, value=value))
    else:
        row.value = value


# -- a folder out --------------------------------------------------------------------------


def export_folder(session: Session, folder: Path, *, open_only: bool = True) -> Path:
    """Write the consortium as a scenario folder (the CSV contract) that `load_scenario` reads.
    With open_only, reservations that are cancelled or picked up are left out."""
    name = get_meta(session, "consortium") or "consortium"
    root = folder / name
    root.mkdir(parents=True, exist_ok=True)
    _csv(
        root / "branches.csv",
        ("branch_id", "name", "municipality", "lat", "lon", "kind", "max_sent_per_day"),
        (
            (b.branch_id, b.name, b.municipality, b.lat, b.lon, b.kind,
             "" if b.max_sent_per_day is None else b.max_sent_per_day)
            for b in session.scalars(select(m.Branch).order_by(m.Branch.branch_id))
        ),
    )  # fmt: skip
    _csv(
        root / "opening_hours.csv",
        ("branch_id", "weekday", "opens", "closes"),
        (
            (o.branch_id, o.weekday, o.opens, o.closes)
            for o in session.scalars(select(m.OpeningHours).order_by(m.OpeningHours.id))
        ),
    )
    _csv(
        root / "vans.csv",
        ("van_id", "depot_branch_id", "capacity_crates", "shift_start", "shift_end", "weekdays"),
        (
            (v.van_id, v.depot_branch_id, v.capacity_crates, v.shift_start, v.shift_end,
             v.weekdays)
            for v in session.scalars(select(m.Van).order_by(m.Van.van_id))
        ),
    )  # fmt: skip
    _csv(
        root / "closures.csv",
        ("branch_id", "date", "reason"),
        (
            (c.branch_id, c.day.isoformat(), c.reason)
            for c in session.scalars(select(m.Closure).order_by(m.Closure.id))
        ),
    )
    # A reservation whose copy is pulled or on its way leaves as a transfer carrying it, from
    # where the copy was last scanned: the planner moves that copy rather than choose another.
    query = select(m.Reservation).order_by(m.Reservation.reservation_id)
    if open_only:
        query = query.where(m.Reservation.status.not_in(CLOSED))
    reservations = list(session.scalars(query))
    carried = {r.item_id: r for r in reservations if r.status in MOVING and r.item_id is not None}
    items = list(session.scalars(select(m.Item).order_by(m.Item.item_id)))
    where = {i.item_id: i.current_branch_id for i in items}
    for item_id, r in carried.items():
        where[item_id] = r.location_branch_id or where.get(item_id, "")
    _csv(
        root / "items.csv",
        ("item_id", "title_id", "title", "call_number", "home_branch_id", "current_branch_id",
         "status", "due_date", "may_travel"),
        (
            (i.item_id, i.title_id, i.title, i.call_number, i.home_branch_id,
             where[i.item_id], "in_transit" if i.item_id in carried else i.status,
             i.due_date.isoformat() if i.due_date else "", "yes" if i.may_travel else "no")
            for i in items
        ),
    )  # fmt: skip
    # (a copy pulled at its own pickup branch has arrived: nothing left to plan for it)
    on_the_way = {r.reservation_id for i, r in carried.items() if where[i] != r.pickup_branch_id}
    _csv(
        root / "reservations.csv",
        ("reservation_id", "title_id", "pickup_branch_id", "placed_at"),
        (
            (r.reservation_id, r.title_id, r.pickup_branch_id,
             r.placed_at.strftime("%Y-%m-%dT%H:%M"))
            for r in reservations
            if r.status == "placed" or r.reservation_id in on_the_way
        ),
    )  # fmt: skip
    transfers = [
        (t.item_id, t.from_branch_id, t.to_branch_id, t.ready_at, t.reservation_id)
        for t in session.scalars(
            select(m.Transfer).where(m.Transfer.cancelled.is_(False)).order_by(m.Transfer.id)
        )
        if t.item_id not in carried
    ]
    transfers += [
        (item_id, where[item_id], r.pickup_branch_id, r.updated_at, r.reservation_id)
        for item_id, r in carried.items()
        if r.reservation_id in on_the_way
    ]
    _csv(
        root / "transfers.csv",
        ("item_id", "from_branch_id", "to_branch_id", "ready_at", "reservation_id"),
        (
            (item, src, dst, ready.strftime("%Y-%m-%dT%H:%M"), rid)
            for item, src, dst, ready, rid in transfers
        ),
    )
    for f in session.scalars(select(m.ScenarioFile)):
        (root / f.name).write_text(f.text, "utf-8")
    return root


CLOSED = ("cancelled", "picked_up")
# Statuses of a reservation whose copy is pulled and not yet at the pickup branch.
MOVING = ("pulled", "packed", "in_transit", "at_hub")


def _csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)


# -- plans ---------------------------------------------------------------------------------


def save_plan(session: Session, plan: Plan, job_id: str | None = None) -> int:
    """Store a plan and make it current, in the caller's transaction (all or nothing).
    Reservations take the plan's copy and dates unless scans have moved them on."""
    record = m.PlanRecord(
        job_id=job_id, start=plan.start, days=plan.days, created_at=now(), summary=plan.summary()
    )
    session.add(record)
    session.flush()
    pid = record.plan_id
    session.add_all(
        m.PlanRoute(plan_id=pid, day=r.day, van_id=r.van_id, seq=r.seq, kind=r.kind,
                    branch_id=r.branch_id, arrival=r.arrival, departure=r.departure,
                    crates_off=r.crates_off, crates_on=r.crates_on, load_after=r.load_after,
                    km_from_prev=r.km_from_prev)
        for r in plan.routes
    )  # fmt: skip
    session.add_all(
        m.PlanCrate(plan_id=pid, crate_id=c.crate_id, from_branch_id=c.from_branch_id,
                    to_branch_id=c.to_branch_id, items=c.items, leg=c.leg, day=c.day,
                    van_id=c.van_id, leg_from_branch_id=c.leg_from_branch_id,
                    leg_to_branch_id=c.leg_to_branch_id, departure=c.departure,
                    arrival=c.arrival)
        for c in plan.crates
    )  # fmt: skip
    session.add_all(
        m.PlanDelivery(plan_id=pid, item_id=d.item_id, reservation_id=d.reservation_id,
                       from_branch_id=d.from_branch_id, to_branch_id=d.to_branch_id,
                       crate_id=d.crate_id, ready_date=d.ready_date,
                       delivered_date=d.delivered_date, delivered_time=d.delivered_time,
                       transit_days=d.transit_days)
        for d in plan.deliveries
    )  # fmt: skip
    session.add_all(
        m.PlanUnplanned(plan_id=pid, item_id=u.item_id, reservation_id=u.reservation_id,
                        reason=u.reason, at_branch_id=u.at_branch_id)
        for u in plan.unplanned
    )  # fmt: skip
    session.add_all(m.PlanPacking(plan_id=pid, crate_id=c, item_id=i) for c, i in plan.contents)
    session.add_all(
        m.PlanReservation(plan_id=pid, reservation_id=p.reservation_id, item_id=p.item_id,
                          source_branch_id=p.source_branch_id,
                          pickup_branch_id=p.pickup_branch_id,
                          expected_ready_date=p.expected_ready_date,
                          promise_date=p.promise_date, status=p.status,
                          message_sv=p.message_sv, message_en=p.message_en,
                          pull_date=p.pull_date)
        for p in plan.reservations
    )  # fmt: skip
    dates = {p.reservation_id: p for p in plan.reservations}
    stamp = now()
    placed = select(m.Reservation).where(m.Reservation.status == "placed").with_for_update()
    for r in session.scalars(placed):
        p = dates.get(r.reservation_id)
        if p is None:
            continue
        r.item_id = p.item_id or None
        r.source_branch_id = p.source_branch_id or None
        r.expected_date = p.expected_ready_date
        r.promise_date = p.promise_date
        r.updated_at = stamp
    set_meta(session, "current_plan", str(pid))
    session.flush()
    return pid


def current_plan_id(session: Session) -> int | None:
    value = get_meta(session, "current_plan")
    return None if value is None else int(value)


def read_plan(session: Session, plan_id: int) -> Plan:
    """A stored plan as `logistics.plan.Plan` (for the documents and the checker)."""
    record = session.get(m.PlanRecord, plan_id)
    if record is None:
        raise KeyError(plan_id)

    def rows(table: Any) -> Any:
        return session.scalars(select(table).where(table.plan_id == plan_id).order_by(table.id))

    return Plan(
        start=record.start,
        days=record.days,
        routes=tuple(
            RouteRow(
                r.day,
                r.van_id,
                r.seq,
                r.kind,
                r.branch_id,
                r.arrival,
                r.departure,
                r.crates_off,
                r.crates_on,
                r.load_after,
                r.km_from_prev,
            )
            for r in rows(m.PlanRoute)
        ),
        crates=tuple(
            CrateLeg(
                c.crate_id,
                c.from_branch_id,
                c.to_branch_id,
                c.items,
                c.leg,
                c.day,
                c.van_id,
                c.leg_from_branch_id,
                c.leg_to_branch_id,
                c.departure,
                c.arrival,
            )
            for c in rows(m.PlanCrate)
        ),
        deliveries=tuple(
            Delivery(
                d.item_id,
                d.reservation_id,
                d.from_branch_id,
                d.to_branch_id,
                d.crate_id,
                d.ready_date,
                d.delivered_date,
                d.delivered_time,
                d.transit_days,
            )
            for d in rows(m.PlanDelivery)
        ),
        unplanned=tuple(
            Unplanned(u.item_id, u.reservation_id, u.reason, u.at_branch_id)
            for u in rows(m.PlanUnplanned)
        ),
        solve_seconds=float(record.summary.get("solve_seconds", 0.0) or 0.0),  # type: ignore[arg-type]
        reservations=tuple(
            PatronDate(
                p.reservation_id,
                p.item_id,
                p.source_branch_id,
                p.pickup_branch_id,
                p.expected_ready_date,
                p.promise_date,
                p.status,
                p.message_sv,
                p.message_en,
                p.pull_date,
            )
            for p in rows(m.PlanReservation)
        ),
        contents=tuple((c.crate_id, c.item_id) for c in rows(m.PlanPacking)),
    )
