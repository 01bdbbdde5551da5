"""Load and validate a scenario folder (the CSV contract in docs/data.md).

Every problem is collected with its file, row, column and value; if there is any, nothing is
returned and `DataErrors` lists them all. Row numbers count the header as row 1, like a
spreadsheet.
"""

from __future__ import annotations

import csv
import itertools
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from logistics import network
from logistics.calendar import holiday_countries
from logistics.errors import DataError, DataErrors
from logistics.model import (
    WEEKDAYS,
    Branch,
    BranchKind,
    Closure,
    Item,
    ItemStatus,
    Leg,
    NoTransfer,
    OpeningInterval,
    Reservation,
    Scenario,
    Settings,
    Transfer,
    Van,
)

T = TypeVar("T")

REQUIRED_FILES = (
    "branches.csv",
    "opening_hours.csv",
    "vans.csv",
    "items.csv",
    "reservations.csv",
)


def parse_hhmm(text: str) -> int:
    """'HH:MM' to minutes after midnight; '24:00' allowed as the end of a day."""
    hh, sep, mm = text.strip().partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
        raise ValueError("expected a time HH:MM")
    h, m = int(hh), int(mm)
    if m > 59 or h > 24 or (h == 24 and m != 0):
        raise ValueError("expected a time between 00:00 and 24:00")
    return h * 60 + m


def format_hhmm(minutes: int) -> str:
    """Minutes after midnight to 'HH:MM'."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class _Table:
    """Rows of one CSV file and the problems found in them."""

    def __init__(self, path: Path, errors: list[DataError]) -> None:
        self.path = path
        self.name = path.name
        self.errors = errors

    def rows(self, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number, row) for each data row; a missing column is one error, no rows."""
        try:
            handle = self.path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            self.errors.append(DataError(self.name, f"cannot be read: {exc.strerror}"))
            return
        with handle:
            try:
                reader = csv.DictReader(handle)
                header = [h.strip() for h in (reader.fieldnames or [])]
                missing = [c for c in required if c not in header]
                if missing:
                    self.errors.append(
                        DataError(
                            self.name,
                            f"missing column(s) {', '.join(missing)}; header is {header}",
                            row=1,
                        )
                    )
                    return
                reader.fieldnames = header
                for number, raw in enumerate(reader, start=2):
                    if None in raw:
                        self.error(number, None, None, "more values than header columns")
                        continue
                    row = {k: (v or "").strip() for k, v in raw.items()}
                    if not any(row.values()):
                        continue  # a blank line is no row
                    yield number, row
            except (csv.Error, UnicodeDecodeError) as exc:
                self.errors.append(DataError(self.name, f"not a readable UTF-8 CSV file: {exc}"))

    def error(self, row: int, column: str | None, value: object, reason: str) -> None:
        self.errors.append(DataError(self.name, reason, row=row, column=column, value=value))

    def parse(
        self, row: int, data: dict[str, str], column: str, parser: Callable[[str], T]
    ) -> T | None:
        """The column's value parsed, or None after recording why it is wrong."""
        value = data.get(column, "")
        if value == "":
            self.error(row, column, value, "is empty")
            return None
        try:
            return parser(value)
        except ValueError as exc:
            self.error(row, column, value, str(exc))
            return None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number") from None
    if value != value or value < 0:
        raise ValueError("must be a number >= 0")
    return value


def _positive_float(text: str) -> float:
    value = _non_negative_float(text)
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("expected a whole number >= 0 (empty: no limit)") from None
    if value < 0:
        raise ValueError("must be 0 or more (empty: no limit)")
    return value


_YES = ("true", "yes", "1")
_NO = ("false", "no", "0")


def _yes_no(text: str) -> bool:
    key = text.strip().lower()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(f"expected one of {', '.join(_YES + _NO)} (empty: true)")


def _latitude(text: str) -> float:
    value = float(text)
    if not -90 <= value <= 90:
        raise ValueError("latitude must be between -90 and 90")
    return value


def _longitude(text: str) -> float:
    value = float(text)
    if not -180 <= value <= 180:
        raise ValueError("longitude must be between -180 and 180")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("expected a date YYYY-MM-DD") from None


def parse_iso_datetime(text: str) -> datetime:
    """'YYYY-MM-DDTHH:MM' (local, no time zone) to a datetime."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("expected a local date and time YYYY-MM-DDTHH:MM") from None
    if value.tzinfo is not None:
        raise ValueError("expected a local time without a time zone")
    return value


FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_weekday(text: str) -> int:
    """'mon'..'sun' (or the full English name) to 0..6."""
    key = text.strip().lower()
    if key in FULL_WEEKDAYS:
        return FULL_WEEKDAYS.index(key)
    if key not in WEEKDAYS:
        raise ValueError(f"expected one of {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(key)


def _weekdays(text: str) -> frozenset[int]:
    parts = [p for p in text.replace(",", ";").split(";") if p.strip()]
    if not parts:
        raise ValueError("expected weekdays such as mon;wed;fri")
    return frozenset(parse_weekday(p) for p in parts)


def _enum(kind: type[T]) -> Callable[[str], T]:
    def parse(text: str) -> T:
        try:
            return kind(text.strip().lower())  # type: ignore[call-arg]
        except ValueError:
            allowed = ", ".join(m.value for m in kind)  # type: ignore[attr-defined]
            raise ValueError(f"expected one of {allowed}") from None

    return parse


def _unique(table: _Table, seen: dict[str, int], row: int, column: str, value: str) -> bool:
    if value in seen:
        table.error(row, column, value, f"duplicate id (first on row {seen[value]})")
        return False
    seen[value] = row
    return True


def _known(table: _Table, known: dict[str, Any], row: int, column: str, value: str) -> bool:
    if value not in known:
        table.error(row, column, value, "unknown branch")
        return False
    return True


def load_settings(path: Path, errors: list[DataError]) -> Settings:
    """settings.toml (optional): flat keys, each a field of Settings; unknown keys are errors."""
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        errors.append(DataError(path.name, f"not valid TOML: {exc}"))
        return Settings()
    defaults = Settings()
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            errors.append(
                DataError(
                    path.name,
                    f"unknown setting; known: {', '.join(sorted(known))}",
                    column=key,
                    value=value,
                )
            )
            continue
        default = getattr(defaults, key)
        try:
            values[key] = _setting_value(key, value, default)
        except ValueError as exc:
            errors.append(DataError(path.name, str(exc), column=key, value=value))
    return Settings(**values)


def _setting_value(key: str, value: object, default: object) -> object:
    if key == "pull_list_at":
        if not isinstance(value, str):
            raise ValueError("expected a time 'HH:MM'")
        return parse_hhmm(value)
    if key == "holidays_country":
        if not isinstance(value, str):
            raise ValueError('expected a country code in quotes, such as "SE"')
        if value and value not in holiday_countries():
            raise ValueError(
                "unknown country code for public holidays; expected an ISO 3166-1 code the "
                'holidays package knows, in capitals (such as "SE"), or "" for none'
            )
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if isinstance(default, int):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError("expected a whole number >= 0")
        if key in ("items_per_crate", "loan_days") and value == 0:
            raise ValueError("must be greater than 0")
        return value
    if isinstance(default, float):
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ValueError("expected a number >= 0")
        return float(value)
    if isinstance(default, tuple):
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, int | float) and v >= 0 for v in value)
        ):
            raise ValueError("expected a non-empty list of numbers >= 0")
        return tuple(float(v) for v in value)
    raise ValueError("unsupported setting")  # pragma: no cover


def load_scenario(folder: Path | str) -> Scenario:
    """Read and validate every file of a scenario folder; raise DataErrors listing all problems."""
    root = Path(folder)
    errors: list[DataError] = []
    if not root.is_dir():
        raise DataErrors([DataError(str(root), "is not a folder")])
    for name in REQUIRED_FILES:
        if not (root / name).exists():
            errors.append(DataError(name, f"required file is missing in {root}"))
    if errors:
        raise DataErrors(errors)

    settings = load_settings(root / "settings.toml", errors)
    branches = _load_branches(_Table(root / "branches.csv", errors))
    opening = _load_opening(_Table(root / "opening_hours.csv", errors), branches)
    vans = _load_vans(_Table(root / "vans.csv", errors), branches)
    items = _load_items(_Table(root / "items.csv", errors), branches)
    reservations = _load_reservations(_Table(root / "reservations.csv", errors), branches, items)
    transfers: tuple[Transfer, ...] = ()
    if (root / "transfers.csv").exists():
        by_id = {r.reservation_id: r for r in reservations}
        transfers = _load_transfers(_Table(root / "transfers.csv", errors), branches, items, by_id)
    closures: tuple[Closure, ...] = ()
    if (root / "closures.csv").exists():
        closures = _load_closures(_Table(root / "closures.csv", errors), branches)
    no_transfer: tuple[NoTransfer, ...] = ()
    if (root / "no_transfer.csv").exists():
        no_transfer = _load_no_transfer(_Table(root / "no_transfer.csv", errors), branches)
    promises: dict[str, date] = {}
    if (root / "promises.csv").exists():
        known = {r.reservation_id for r in reservations}
        known |= {t.reservation_id for t in transfers if t.reservation_id}
        promises = _load_promises(_Table(root / "promises.csv", errors), known)
    travel, source = _load_travel(root, branches, errors)
    if errors:
        raise DataErrors(errors)
    return Scenario(
        name=root.name,
        branches=branches,
        opening=opening,
        vans=vans,
        items=items,
        reservations=reservations,
        transfers=transfers,
        closures=closures,
        settings=settings,
        travel=travel,
        travel_source=source,
        no_transfer=no_transfer,
        promises=promises,
    )


def _load_branches(t: _Table) -> dict[str, Branch]:
    branches: dict[str, Branch] = {}
    seen: dict[str, int] = {}
    cols = ("branch_id", "name", "municipality", "lat", "lon", "kind")
    for n, row in t.rows(cols):
        bid = row["branch_id"]
        if not bid:
            t.error(n, "branch_id", bid, "is empty")
            continue
        if bid == "*":
            t.error(
                n, "branch_id", bid,
                "'*' is reserved for 'all branches' in closures.csv and no_transfer.csv",
            )  # fmt: skip
            continue
        if not _unique(t, seen, n, "branch_id", bid):
            continue
        lat = t.parse(n, row, "lat", _latitude)
        lon = t.parse(n, row, "lon", _longitude)
        kind = t.parse(n, row, "kind", _enum(BranchKind))
        limit: int | None = None
        if row.get("max_sent_per_day", ""):  # a bad value is reported; the branch stays known
            limit = t.parse(n, row, "max_sent_per_day", _limit)
        if lat is None or lon is None or kind is None:
            continue
        branches[bid] = Branch(bid, row["name"], row["municipality"], lat, lon, kind, limit)
    if not branches and not t.errors:
        t.error(2, None, None, "no branches")
    return branches


def _load_opening(t: _Table, branches: dict[str, Branch]) -> tuple[OpeningInterval, ...]:
    out: list[OpeningInterval] = []
    for n, row in t.rows(("branch_id", "weekday", "opens", "closes")):
        if not _known(t, branches, n, "branch_id", row["branch_id"]):
            continue
        day = t.parse(n, row, "weekday", parse_weekday)
        opens = t.parse(n, row, "opens", parse_hhmm)
        closes = t.parse(n, row, "closes", parse_hhmm)
        if day is None or opens is None or closes is None:
            continue
        if closes <= opens:
            t.error(n, "closes", row["closes"], f"must be later than opens {row['opens']}")
            continue
        out.append(OpeningInterval(row["branch_id"], day, opens, closes))
    by_day: dict[tuple[str, int], list[OpeningInterval]] = {}
    for o in out:
        by_day.setdefault((o.branch_id, o.weekday), []).append(o)
    for (bid, day), spans in by_day.items():
        spans.sort(key=lambda o: o.opens)
        for a, b in itertools.pairwise(spans):
            if b.opens < a.closes:
                t.error(0, "opens", f"{bid} {WEEKDAYS[day]}", "opening hours overlap on that day")
    return tuple(sorted(out, key=lambda o: (o.branch_id, o.weekday, o.opens)))


def _load_vans(t: _Table, branches: dict[str, Branch]) -> tuple[Van, ...]:
    vans: list[Van] = []
    seen: dict[str, int] = {}
    cols = ("van_id", "depot_branch_id", "capacity_crates", "shift_start", "shift_end", "weekdays")
    for n, row in t.rows(cols):
        vid = row["van_id"]
        if not vid:
            t.error(n, "van_id", vid, "is empty")
            continue
        if not _unique(t, seen, n, "van_id", vid):
            continue
        if not _known(t, branches, n, "depot_branch_id", row["depot_branch_id"]):
            continue
        cap = t.parse(n, row, "capacity_crates", _positive_int)
        start = t.parse(n, row, "shift_start", parse_hhmm)
        end = t.parse(n, row, "shift_end", parse_hhmm)
        days = t.parse(n, row, "weekdays", _weekdays)
        if cap is None or start is None or end is None or days is None:
            continue
        if end <= start:
            t.error(n, "shift_end", row["shift_end"], "must be later than shift_start")
            continue
        vans.append(Van(vid, row["depot_branch_id"], cap, start, end, days))
    return tuple(vans)


def _load_items(t: _Table, branches: dict[str, Branch]) -> dict[str, Item]:
    items: dict[str, Item] = {}
    seen: dict[str, int] = {}
    cols = (
        "item_id", "title_id", "title", "call_number", "home_branch_id",
        "current_branch_id", "status", "due_date",
    )  # fmt: skip
    for n, row in t.rows(cols):
        iid = row["item_id"]
        if not iid:
            t.error(n, "item_id", iid, "is empty")
            continue
        if not _unique(t, seen, n, "item_id", iid):
            continue
        if not row["title_id"]:
            t.error(n, "title_id", "", "is empty")
            continue
        ok = _known(t, branches, n, "home_branch_id", row["home_branch_id"])
        ok = _known(t, branches, n, "current_branch_id", row["current_branch_id"]) and ok
        status = t.parse(n, row, "status", _enum(ItemStatus))
        if not ok or status is None:
            continue
        due: date | None = None
        if row["due_date"]:
            due = t.parse(n, row, "due_date", _iso_date)
            if due is None:
                continue
        may_travel = True
        if row.get("may_travel", ""):  # a bad value is reported; the item stays known
            may_travel = t.parse(n, row, "may_travel", _yes_no) is not False
        items[iid] = Item(
            iid, row["title_id"], row["title"], row["call_number"], row["home_branch_id"],
            row["current_branch_id"], status, due, may_travel,
        )  # fmt: skip
    return items


def _load_reservations(
    t: _Table, branches: dict[str, Branch], items: dict[str, Item]
) -> tuple[Reservation, ...]:
    out: list[Reservation] = []
    seen: dict[str, int] = {}
    titles = {i.title_id for i in items.values()}
    for n, row in t.rows(("reservation_id", "title_id", "pickup_branch_id", "placed_at")):
        rid = row["reservation_id"]
        if not rid:
            t.error(n, "reservation_id", rid, "is empty")
            continue
        if not _unique(t, seen, n, "reservation_id", rid):
            continue
        if not _known(t, branches, n, "pickup_branch_id", row["pickup_branch_id"]):
            continue
        if branches[row["pickup_branch_id"]].kind is not BranchKind.LIBRARY:
            t.error(n, "pickup_branch_id", row["pickup_branch_id"], "a hub is no pickup branch")
            continue
        if row["title_id"] not in titles:
            t.error(n, "title_id", row["title_id"], "no item in items.csv has this title")
            continue
        placed = t.parse(n, row, "placed_at", parse_iso_datetime)
        if placed is None:
            continue
        out.append(Reservation(rid, row["title_id"], row["pickup_branch_id"], placed))
    return tuple(out)


def _carries(
    t: _Table,
    n: int,
    rid: str,
    item: Item,
    to_branch: str,
    reservations: dict[str, Reservation],
    carried: set[str],
) -> bool:
    """A transfer's reservation_id: one copy on its way per reservation, of the reservation's
    title, to its pickup branch (when the reservation is still in reservations.csv)."""
    if rid in carried:
        t.error(n, "reservation_id", rid, "another transfer already carries this reservation")
        return False
    carried.add(rid)
    r = reservations.get(rid)
    if r is not None and r.title_id != item.title_id:
        t.error(n, "reservation_id", rid, f"is for title {r.title_id}, item {item.item_id} is "
                f"title {item.title_id}")  # fmt: skip
        return False
    if r is not None and r.pickup_branch_id != to_branch:
        t.error(n, "to_branch_id", to_branch, f"reservation {rid} is picked up at "
                f"{r.pickup_branch_id}")  # fmt: skip
        return False
    return True


def _load_transfers(
    t: _Table,
    branches: dict[str, Branch],
    items: dict[str, Item],
    reservations: dict[str, Reservation],
) -> tuple[Transfer, ...]:
    carried: set[str] = set()
    out: list[Transfer] = []
    seen: dict[str, int] = {}
    for n, row in t.rows(("item_id", "from_branch_id", "to_branch_id", "ready_at")):
        iid = row["item_id"]
        if iid not in items:
            t.error(n, "item_id", iid, "unknown item (not in items.csv)")
            continue
        if not _unique(t, seen, n, "item_id", iid):
            continue
        ok = _known(t, branches, n, "from_branch_id", row["from_branch_id"])
        ok = _known(t, branches, n, "to_branch_id", row["to_branch_id"]) and ok
        ready = t.parse(n, row, "ready_at", parse_iso_datetime)
        if not ok or ready is None:
            continue
        if row["from_branch_id"] == row["to_branch_id"]:
            t.error(n, "to_branch_id", row["to_branch_id"], "same as from_branch_id")
            continue
        if items[iid].current_branch_id != row["from_branch_id"]:
            t.error(
                n, "from_branch_id", row["from_branch_id"],
                f"item {iid} is at {items[iid].current_branch_id} in items.csv",
            )  # fmt: skip
            continue
        rid = (row.get("reservation_id") or "").strip()
        if rid and not _carries(t, n, rid, items[iid], row["to_branch_id"], reservations, carried):
            continue
        out.append(Transfer(iid, row["from_branch_id"], row["to_branch_id"], ready, rid))
    return tuple(out)


def _load_promises(t: _Table, known: set[str]) -> dict[str, date]:
    """promises.csv: reservation_id, promise_date — the dates patrons were told."""
    out: dict[str, date] = {}
    for n, row in t.rows(("reservation_id", "promise_date")):
        rid = row["reservation_id"]
        if rid not in known:
            t.error(n, "reservation_id", rid, "unknown reservation (not in reservations.csv "
                    "or transfers.csv)")  # fmt: skip
            continue
        if rid in out:
            t.error(n, "reservation_id", rid, "duplicate reservation_id")
            continue
        day = t.parse(n, row, "promise_date", _iso_date)
        if day is not None:
            out[rid] = day
    return out


def _load_closures(t: _Table, branches: dict[str, Branch]) -> tuple[Closure, ...]:
    out: list[Closure] = []
    for n, row in t.rows(("branch_id", "date", "reason")):
        bid = row["branch_id"]
        if bid != "*" and not _known(t, branches, n, "branch_id", bid):
            continue
        day = t.parse(n, row, "date", _iso_date)
        if day is None:
            continue
        out.append(Closure(bid, day, row["reason"]))
    return tuple(out)


def _load_no_transfer(t: _Table, branches: dict[str, Branch]) -> tuple[NoTransfer, ...]:
    out: list[NoTransfer] = []
    for n, row in t.rows(("from_branch_id", "to_branch_id")):
        ok = True
        for column in ("from_branch_id", "to_branch_id"):
            if row[column] != "*":
                ok = _known(t, branches, n, column, row[column]) and ok
        if not ok:
            continue
        if row["from_branch_id"] == row["to_branch_id"] != "*":
            t.error(n, "to_branch_id", row["to_branch_id"], "same as from_branch_id")
            continue
        out.append(NoTransfer(row["from_branch_id"], row["to_branch_id"]))
    return tuple(out)


def _load_travel(
    root: Path, branches: dict[str, Branch], errors: list[DataError]
) -> tuple[dict[tuple[str, str], Leg], str]:
    if not branches:
        return {}, "none"
    travel = root / "travel.csv"
    if travel.exists():
        t = _Table(travel, errors)
        rows: list[tuple[str, str, float, float]] = []
        for n, row in t.rows(("from_branch_id", "to_branch_id", "km", "minutes")):
            ok = _known(t, branches, n, "from_branch_id", row["from_branch_id"])
            ok = _known(t, branches, n, "to_branch_id", row["to_branch_id"]) and ok
            km = t.parse(n, row, "km", _non_negative_float)
            minutes = t.parse(n, row, "minutes", _non_negative_float)
            if ok and km is not None and minutes is not None:
                rows.append((row["from_branch_id"], row["to_branch_id"], km, minutes))
        try:
            return network.legs_from_table(rows, branches), "travel.csv"
        except KeyError as exc:
            errors.append(
                DataError("travel.csv", "no travel to or from this branch", value=exc.args[0])
            )
            return {}, "travel.csv"
    roads = root / "roads.csv"
    if roads.exists():
        nodes: set[str] = set(branches)
        if (root / "junctions.csv").exists():
            jt = _Table(root / "junctions.csv", errors)
            seen: dict[str, int] = {}
            for n, row in jt.rows(("id", "lat", "lon")):
                if row["id"] in branches:
                    jt.error(n, "id", row["id"], "a junction id may not be a branch id")
                    continue
                if _unique(jt, seen, n, "id", row["id"]):
                    jt.parse(n, row, "lat", _latitude)
                    jt.parse(n, row, "lon", _longitude)
                    nodes.add(row["id"])
        rt = _Table(roads, errors)
        segments: list[tuple[str, str, float, float]] = []
        for n, row in rt.rows(("from", "to", "km", "speed_kmh")):
            ok = True
            for col in ("from", "to"):
                if row[col] not in nodes:
                    rt.error(n, col, row[col], "unknown branch or junction")
                    ok = False
            km = rt.parse(n, row, "km", _positive_float)
            speed = rt.parse(n, row, "speed_kmh", _positive_float)
            if ok and km is not None and speed is not None:
                segments.append((row["from"], row["to"], km, speed))
        try:
            return network.legs_from_graph(network.road_graph(segments), branches), "roads"
        except KeyError as exc:
            errors.append(DataError("roads.csv", "no road reaches this branch", value=exc.args[0]))
            return {}, "roads"
    return network.legs_as_the_crow_flies(branches), "great-circle"
