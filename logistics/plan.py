"""A plan and its files: routes.csv, crates.csv, deliveries.csv, unplanned.csv, packing.csv,
reservations.csv, summary.json.

Times in files are local HH:MM, dates ISO. In memory, times are minutes after midnight.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from logistics.errors import PlanFileError
from logistics.load import format_hhmm, parse_hhmm

ROUTE_COLUMNS = (
    "date", "van_id", "seq", "kind", "branch_id", "arrival", "departure",
    "crates_off", "crates_on", "load_after", "km_from_prev",
)  # fmt: skip
CRATE_COLUMNS = (
    "crate_id", "from_branch_id", "to_branch_id", "items", "leg", "date", "van_id",
    "leg_from_branch_id", "leg_to_branch_id", "departure", "arrival",
)  # fmt: skip
DELIVERY_COLUMNS = (
    "item_id", "reservation_id", "from_branch_id", "to_branch_id", "crate_id",
    "ready_date", "delivered_date", "delivered_time", "transit_days",
)  # fmt: skip
UNPLANNED_COLUMNS = ("item_id", "reservation_id", "reason")
# Added by the planner; plans written before them read back without.
DELIVERY_DATE_COLUMNS = ("expected_ready_date", "promise_date")
UNPLANNED_AT_COLUMN = "at_branch_id"
PACKING_COLUMNS = ("crate_id", "item_id")
RESERVATION_COLUMNS = (
    "reservation_id", "item_id", "source_branch_id", "pickup_branch_id",
    "expected_ready_date", "promise_date", "status", "message_sv", "message_en",
)  # fmt: skip
# Added for the pull lists; plans written before it read back without.
PULL_DATE_COLUMN = "pull_date"


@dataclass(frozen=True)
class RouteRow:
    """One row of a van's run: its start, a stop, a break or its end (times in minutes)."""

    day: date
    van_id: str
    seq: int
    kind: str  # start, stop, break, end
    branch_id: str  # empty for a break
    arrival: int | None  # None on 'start'
    departure: int | None  # None on 'end'
    crates_off: int
    crates_on: int
    load_after: int
    km_from_prev: float


@dataclass(frozen=True)
class CrateLeg:
    """One crate carried by one van between two of its stops."""

    crate_id: str
    from_branch_id: str  # where the crate was packed
    to_branch_id: str  # its destination
    items: int
    leg: int  # 1, 2, ...
    day: date
    van_id: str
    leg_from_branch_id: str
    leg_to_branch_id: str
    departure: int  # minutes: when the van leaves leg_from
    arrival: int  # minutes: when the van arrives at leg_to


@dataclass(frozen=True)
class Delivery:
    """An item that reached its destination (or a reservation filled on the spot)."""

    item_id: str
    reservation_id: str  # empty for a transfer
    from_branch_id: str
    to_branch_id: str
    crate_id: str  # empty when from == to
    ready_date: date
    delivered_date: date
    delivered_time: int
    transit_days: int


@dataclass(frozen=True)
class Unplanned:
    """Something the plan could not do, and why. item_id is empty when no copy was found."""

    item_id: str
    reservation_id: str
    reason: str
    at_branch_id: str = ""  # where the item is at the end of the horizon, when known


@dataclass(frozen=True)
class PatronDate:
    """A reservation's dates as told to the patron (reservations.csv).

    status: `delivered` (on the pickup shelf within the planned days), `in_transit` (on its
    way, beyond the planned days), `sourced` (a copy is chosen, pulled after the planned
    days), `awaiting_return` (no copy now: estimated from due dates, uncertain) or `no_date`.
    """

    reservation_id: str
    item_id: str
    source_branch_id: str
    pickup_branch_id: str
    expected_ready_date: date | None
    promise_date: date | None
    status: str
    message_sv: str
    message_en: str
    # The day staff pull the copy from the shelf at source_branch_id (None when the copy is
    # not on a shelf there: on loan, or already on its way).
    pull_date: date | None = None


@dataclass(frozen=True)
class Plan:
    """The outcome of planning a horizon."""

    start: date
    days: int
    routes: tuple[RouteRow, ...]
    crates: tuple[CrateLeg, ...]
    deliveries: tuple[Delivery, ...]
    unplanned: tuple[Unplanned, ...]
    solve_seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    reservations: tuple[PatronDate, ...] = ()
    contents: tuple[tuple[str, str], ...] = ()  # (crate_id, item_id) of every crate moved

    def summary(self) -> dict[str, Any]:
        """The figures of summary.json."""
        km = sum(r.km_from_prev for r in self.routes)
        runs = {(r.day, r.van_id) for r in self.routes}
        drive = 0
        by_run: dict[tuple[date, str], list[RouteRow]] = {}
        for r in self.routes:
            by_run.setdefault((r.day, r.van_id), []).append(r)
        for rows in by_run.values():
            rows.sort(key=lambda r: r.seq)
            start = rows[0].departure or 0
            end = rows[-1].arrival or start
            drive += end - start
        moved = [d for d in self.deliveries if d.crate_id]
        histogram = Counter(d.transit_days for d in moved)
        within1 = sum(1 for d in moved if d.transit_days <= 1)
        return {
            "start": self.start.isoformat(),
            "days": self.days,
            "km": round(km, 1),
            "drive_minutes": drive,
            "runs": len(runs),
            "crates": len({c.crate_id for c in self.crates}),
            "items_moved": len(moved),
            "items_filled_on_the_spot": len(self.deliveries) - len(moved),
            "items_unplanned": len(self.unplanned),
            "transit_days": {str(k): histogram[k] for k in sorted(histogram)},
            "share_within_1_working_day": round(within1 / len(moved), 4) if moved else None,
            "solve_seconds": round(self.solve_seconds, 2),
        }


def _time(value: int | None) -> str:
    return "" if value is None else format_hhmm(value)


def _iso(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def write_plan(plan: Plan, out: Path) -> None:
    """Write the plan's seven files into `out` (created if needed)."""
    dates = {p.reservation_id: p for p in plan.reservations}

    def promised(reservation_id: str) -> tuple[str, str]:
        p = dates.get(reservation_id) if reservation_id else None
        return ("", "") if p is None else (_iso(p.expected_ready_date), _iso(p.promise_date))

    out.mkdir(parents=True, exist_ok=True)
    _write(out / "routes.csv", ROUTE_COLUMNS, (
        (r.day.isoformat(), r.van_id, r.seq, r.kind, r.branch_id, _time(r.arrival),
         _time(r.departure), r.crates_off, r.crates_on, r.load_after, f"{r.km_from_prev:.1f}")
        for r in plan.routes
    ))  # fmt: skip
    _write(out / "crates.csv", CRATE_COLUMNS, (
        (c.crate_id, c.from_branch_id, c.to_branch_id, c.items, c.leg, c.day.isoformat(),
         c.van_id, c.leg_from_branch_id, c.leg_to_branch_id, _time(c.departure),
         _time(c.arrival))
        for c in plan.crates
    ))  # fmt: skip
    _write(out / "deliveries.csv", DELIVERY_COLUMNS + DELIVERY_DATE_COLUMNS, (
        (d.item_id, d.reservation_id, d.from_branch_id, d.to_branch_id, d.crate_id,
         d.ready_date.isoformat(), d.delivered_date.isoformat(), _time(d.delivered_time),
         d.transit_days, *promised(d.reservation_id))
        for d in plan.deliveries
    ))  # fmt: skip
    _write(out / "unplanned.csv", (*UNPLANNED_COLUMNS, UNPLANNED_AT_COLUMN), (
        (u.item_id, u.reservation_id, u.reason, u.at_branch_id) for u in plan.unplanned
    ))  # fmt: skip
    _write(out / "packing.csv", PACKING_COLUMNS, plan.contents)
    _write(out / "reservations.csv", (*RESERVATION_COLUMNS, PULL_DATE_COLUMN), (
        (p.reservation_id, p.item_id, p.source_branch_id, p.pickup_branch_id,
         _iso(p.expected_ready_date), _iso(p.promise_date), p.status, p.message_sv,
         p.message_en, _iso(p.pull_date))
        for p in plan.reservations
    ))  # fmt: skip
    (out / "summary.json").write_text(json.dumps(plan.summary(), indent=2) + "\n", "utf-8")


def _write(path: Path, columns: tuple[str, ...], rows: Any) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)


def read_rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows of a plan file as dicts; PlanFileError if it or a column is missing."""
    if not path.exists():
        raise PlanFileError(f"{path}: file is missing")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise PlanFileError(f"{path.name}: missing column(s) {', '.join(missing)}")
        return list(reader)


def read_plan(folder: Path) -> Plan:
    """Read a plan folder back (the checker's and the printouts' entry point)."""

    def opt_time(text: str) -> int | None:
        return parse_hhmm(text) if text else None

    try:
        routes = tuple(
            RouteRow(
                date.fromisoformat(r["date"]),
                r["van_id"],
                int(r["seq"]),
                r["kind"],
                r["branch_id"],
                opt_time(r["arrival"]),
                opt_time(r["departure"]),
                int(r["crates_off"]),
                int(r["crates_on"]),
                int(r["load_after"]),
                float(r["km_from_prev"]),
            )
            for r in read_rows(folder / "routes.csv", ROUTE_COLUMNS)
        )
        crates = tuple(
            CrateLeg(
                c["crate_id"],
                c["from_branch_id"],
                c["to_branch_id"],
                int(c["items"]),
                int(c["leg"]),
                date.fromisoformat(c["date"]),
                c["van_id"],
                c["leg_from_branch_id"],
                c["leg_to_branch_id"],
                parse_hhmm(c["departure"]),
                parse_hhmm(c["arrival"]),
            )
            for c in read_rows(folder / "crates.csv", CRATE_COLUMNS)
        )
        deliveries = tuple(
            Delivery(
                d["item_id"],
                d["reservation_id"],
                d["from_branch_id"],
                d["to_branch_id"],
                d["crate_id"],
                date.fromisoformat(d["ready_date"]),
                date.fromisoformat(d["delivered_date"]),
                parse_hhmm(d["delivered_time"]),
                int(d["transit_days"]),
            )
            for d in read_rows(folder / "deliveries.csv", DELIVERY_COLUMNS)
        )
        unplanned = tuple(
            Unplanned(u["item_id"], u["reservation_id"], u["reason"], u.get("at_branch_id") or "")
            for u in read_rows(folder / "unplanned.csv", UNPLANNED_COLUMNS)
        )
        contents: tuple[tuple[str, str], ...] = ()
        if (folder / "packing.csv").exists():
            contents = tuple(
                (c["crate_id"], c["item_id"])
                for c in read_rows(folder / "packing.csv", PACKING_COLUMNS)
            )
        reservations: tuple[PatronDate, ...] = ()
        if (folder / "reservations.csv").exists():
            reservations = tuple(
                PatronDate(
                    p["reservation_id"],
                    p["item_id"],
                    p["source_branch_id"],
                    p["pickup_branch_id"],
                    _opt_date(p["expected_ready_date"]),
                    _opt_date(p["promise_date"]),
                    p["status"],
                    p["message_sv"],
                    p["message_en"],
                    _opt_date(p.get(PULL_DATE_COLUMN) or ""),
                )
                for p in read_rows(folder / "reservations.csv", RESERVATION_COLUMNS)
            )
        summary = json.loads((folder / "summary.json").read_text("utf-8"))
    except (ValueError, KeyError, OSError) as exc:
        raise PlanFileError(f"{folder}: unreadable plan file: {exc}") from exc
    return Plan(
        start=date.fromisoformat(summary["start"]),
        days=int(summary["days"]),
        routes=routes,
        crates=crates,
        deliveries=deliveries,
        unplanned=unplanned,
        solve_seconds=float(summary.get("solve_seconds", 0.0)),
        reservations=reservations,
        contents=contents,
    )


def _opt_date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None
