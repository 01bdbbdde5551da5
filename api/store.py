"""Between the database and `logistics`: a scenario folder in and out, plans in and out.

A consortium's data is validated by `logistics.load` on its way in (a folder is loaded only if
all of it is valid) and exported back to a folder for planning, so the planner sees in the
database exactly what it would see in the CSV files.
"""

from __future__ import annotations

import csv
import hashlib
import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import networkx as nx
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api import models as m
from logistics import model as lm
from logistics import network
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
# promises.csv is not among them: a load sets the reservations' promise_date from it, and an
# export writes it from the open reservations' promise_date.
VERBATIM = (
    "settings.toml", "travel.csv", "roads.csv", "junctions.csv", "no_transfer.csv",
    "outlines.geojson",
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
                promise_date=scenario.promises.get(r.reservation_id),
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
    bump_data_version(session)
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


def bump_data_version(session: Session) -> str:
    """Mark the consortium's data as changed (Meta data_version: a new unique value), in the
    caller's transaction: what is cached per data version (the scan timetable,
    api.lifecycle.Timetables) is built again. Every write to the consortium calls it."""
    value = f"{now().isoformat()}-{uuid.uuid4().hex[:12]}"
    set_meta(session, "data_version", value)
    return value


# -- a folder out --------------------------------------------------------------------------


def _minutes(value: datetime) -> str:
    """A local date-time as the CSV files write it: YYYY-MM-DDTHH:MM (four-digit year)."""
    return value.isoformat(timespec="minutes")


def export_folder(session: Session, folder: Path, *, open_only: bool = True) -> Path:
    """Write the consortium as a scenario folder (the CSV contract) that `load_scenario` reads.
    With open_only, reservations that are cancelled or picked up are left out. promises.csv
    holds the promise_date of the exported reservations that have a certain one (see
    `_promise`)."""
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
    planned = [r for r in reservations if r.status == "placed" or r.reservation_id in on_the_way]
    _csv(
        root / "reservations.csv",
        ("reservation_id", "title_id", "pickup_branch_id", "placed_at"),
        ((r.reservation_id, r.title_id, r.pickup_branch_id, _minutes(r.placed_at))
         for r in planned),
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
        ((item, src, dst, _minutes(ready), rid) for item, src, dst, ready, rid in transfers),
    )
    for f in session.scalars(select(m.ScenarioFile)):
        if f.name != "promises.csv":  # (stored verbatim by older versions: written below)
            (root / f.name).write_text(f.text, "utf-8")
    _fit_network(
        root,
        {b.branch_id: (b.lat, b.lon) for b in session.scalars(select(m.Branch))},
    )
    exported = {r.reservation_id for r in planned} | {rid for *_, rid in transfers if rid}
    promises = [
        (r.reservation_id, _promise(r)) for r in reservations if r.reservation_id in exported
    ]
    _csv(
        root / "promises.csv",
        ("reservation_id", "promise_date"),
        ((rid, day.isoformat()) for rid, day in promises if day is not None),
    )
    return root


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or ()), rows


def _write_rows(path: Path, columns: list[str], rows: Iterable[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _fit_network(root: Path, branches: dict[str, tuple[float, float]]) -> None:
    """Fit the verbatim travel files to the branches as they are now, so that the folder
    loads after branches were added or removed through the API: rows naming a branch that is
    gone are dropped (travel.csv, roads.csv, no_transfer.csv); a pair of branches travel.csv
    cannot connect gets a row as the crow flies (great-circle km x 1.3 at 60 km/h, as without
    travel data), and a branch the roads do not reach a straight road to the nearest place
    they do. A folder the API never changed is written as it was stored."""
    if not branches:
        return
    travel, roads = root / "travel.csv", root / "roads.csv"
    if travel.exists():
        _fit_travel(travel, branches)
    elif roads.exists():
        _fit_roads(roads, root / "junctions.csv", branches)
    blocked = root / "no_transfer.csv"
    if blocked.exists():
        columns, rows = _read_rows(blocked)
        keep = [
            r
            for r in rows
            if all(r.get(c, "") == "*" or r.get(c, "") in branches
                   for c in ("from_branch_id", "to_branch_id"))
        ]  # fmt: skip
        if len(keep) != len(rows):
            _write_rows(blocked, columns, keep)


def _crow_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return round(network.great_circle_km(*a, *b) * network.DETOUR_FACTOR, 2)


def _fit_travel(path: Path, branches: dict[str, tuple[float, float]]) -> None:
    columns, rows = _read_rows(path)
    keep = [
        r for r in rows if r.get("from_branch_id") in branches and r.get("to_branch_id") in branches
    ]
    graph = nx.DiGraph()
    graph.add_nodes_from(branches)
    graph.add_edges_from((r["from_branch_id"], r["to_branch_id"]) for r in keep)
    added = []
    for a in sorted(branches):
        reached = nx.descendants(graph, a)
        for b in sorted(branches):
            if b != a and b not in reached:
                km = _crow_km(branches[a], branches[b])
                minutes = round(km / network.FALLBACK_KMH * 60.0, 1)
                added.append({"from_branch_id": a, "to_branch_id": b, "km": str(km),
                              "minutes": str(minutes)})  # fmt: skip
    if added or len(keep) != len(rows):
        _write_rows(path, columns, keep + added)


def _fit_roads(path: Path, junctions_path: Path, branches: dict[str, tuple[float, float]]) -> None:
    where = dict(branches)
    if junctions_path.exists():
        jcolumns, junctions = _read_rows(junctions_path)
        kept = [j for j in junctions if j.get("id") not in branches]
        if len(kept) != len(junctions):  # a junction id that is now a branch's
            _write_rows(junctions_path, jcolumns, kept)
        for j in kept:
            try:
                where.setdefault(j["id"], (float(j["lat"]), float(j["lon"])))
            except (KeyError, TypeError, ValueError):
                continue  # the loader reports it
    columns, rows = _read_rows(path)
    keep = [r for r in rows if r.get("from") in where and r.get("to") in where]
    graph = nx.Graph()
    graph.add_nodes_from(branches)
    graph.add_edges_from((r["from"], r["to"]) for r in keep)
    # the part of the network with the most branches is the road network; others join it
    main = max(nx.connected_components(graph), key=lambda c: (len(c & branches.keys()), min(c)))
    reached = [n for n in main if n in where]
    added = []
    for b in sorted(branches.keys() - main):
        if graph.has_node(b) and nx.node_connected_component(graph, b) & main:
            continue
        near = min(reached, key=lambda n: (_crow_km(branches[b], where[n]), n))
        added.append({"from": b, "to": near, "km": str(max(_crow_km(branches[b], where[near]),
                      0.01)), "speed_kmh": str(network.FALLBACK_KMH)})  # fmt: skip
        main = main | {b}
        reached.append(b)
    if added or len(keep) != len(rows):
        _write_rows(path, columns, keep + added)


def _promise(r: m.Reservation) -> date | None:
    """The reservation's promise the planner should treat as a deadline: its promise_date, but
    not one estimated without a copy (awaiting a return: uncertain; docs/data.md). A promise
    loaded from promises.csv, before any plan, has no expected date yet and counts."""
    if r.item_id is None and r.expected_date is not None:
        return None
    return r.promise_date


CLOSED = ("cancelled", "picked_up")
# Statuses of a reservation whose copy is pulled and not yet at the pickup branch.
MOVING = ("pulled", "packed", "in_transit", "at_hub")


def _csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)


# -- plans ---------------------------------------------------------------------------------


def save_plan(
    session: Session,
    plan: Plan,
    job_id: str | None = None,
    *,
    exported_at: datetime | None = None,
) -> int:
    """Store a plan and make it current, in the caller's transaction (all or nothing).
    Reservations take the plan's copy and dates unless they moved on while it was made (see
    `_update_reservations`); `exported_at` is when the export it was planned from began
    (None: every placed reservation takes the plan's copy and dates)."""
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
    _update_reservations(session, plan, exported_at)
    set_meta(session, "current_plan", str(pid))
    session.flush()
    return pid


def _update_reservations(session: Session, plan: Plan, exported_at: datetime | None) -> None:
    """Give the placed reservations the plan's copy and dates, except those that moved on
    since the export the plan was made from (`exported_at`): changed after it (a scan, a new
    copy), or whose copy in the plan is now missing, gone, or held by another open reservation
    or a transfer. Those keep what they have; the next plan sees them.

    A stored promise is kept while the plan's expected date is not after it (never moved
    earlier); only a plan that cannot keep it (later, or no date) makes it anew."""
    dates = {p.reservation_id: p for p in plan.reservations}
    placed = select(m.Reservation).where(m.Reservation.status == "placed").with_for_update()
    update: dict[str, tuple[m.Reservation, PatronDate]] = {}
    for r in session.scalars(placed):
        p = dates.get(r.reservation_id)
        if p is None:
            continue
        if exported_at is not None and r.updated_at > exported_at:
            continue  # changed while the plan was made
        update[r.reservation_id] = (r, p)
    wanted = {p.item_id for _, p in update.values() if p.item_id}
    if wanted:
        gone = wanted - set(
            session.scalars(
                select(m.Item.item_id).where(m.Item.item_id.in_(wanted), m.Item.status != "missing")
            )
        )
        holders = session.execute(
            select(m.Reservation.reservation_id, m.Reservation.item_id).where(
                m.Reservation.item_id.in_(wanted), m.Reservation.status.not_in(CLOSED)
            )
        ).all()
        carried = session.execute(
            select(m.Transfer.item_id, m.Transfer.reservation_id).where(
                m.Transfer.item_id.in_(wanted), m.Transfer.cancelled.is_(False)
            )
        ).all()
        carriers: dict[str, set[str]] = {}
        for item, other in carried:
            carriers.setdefault(item, set()).add(other or "")
        for rid, (_, p) in list(update.items()):
            if p.item_id in gone or carriers.get(p.item_id, set()) - {rid}:
                del update[rid]
        # Held: the copy of an open reservation this plan does not re-assign (one skipped
        # keeps its copy, which may hold another's: repeat until nothing changes).
        while True:
            held = {item for rid, item in holders if rid not in update}
            dropped = [rid for rid, (_, p) in update.items() if p.item_id and p.item_id in held]
            if not dropped:
                break
            for rid in dropped:
                del update[rid]
    stamp = now()
    for r, p in update.values():
        r.item_id = p.item_id or None
        r.source_branch_id = p.source_branch_id or None
        r.expected_date = p.expected_ready_date
        kept = (
            r.promise_date is not None
            and p.expected_ready_date is not None
            and p.expected_ready_date <= r.promise_date
        )
        if not kept:
            r.promise_date = p.promise_date
        r.updated_at = stamp


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
