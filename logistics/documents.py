"""The papers staff and drivers work from each morning, for one day of a plan: pull lists,
packing lists, crate labels, route sheets and arrivals.

This module says what is on them (`Document`: blocks of rows, in Swedish or English, and the
same content as CSV rows with English column names); `pdf` lays them out on A4.

- pull: per branch, the reserved copies to take from the shelf that day (pull_date of
  reservations.csv), in shelf order; copies for the branch's own patrons apart (hold shelf).
- packing: per branch and van, the crates the branch hands to the van, with their items.
- labels: per branch, one label for each crate it packs that day (its first leg).
- route: per van, the stops in order with the crates dropped and collected, the break, km and
  driving time, and a place to sign.
- arrivals: per branch, the crates the vans bring, their items and the reservations they fill.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from logistics.calendar import long_day
from logistics.errors import BokflytError
from logistics.load import format_hhmm
from logistics.model import Scenario
from logistics.plan import CrateLeg, Plan, RouteRow

KINDS = ("pull", "packing", "labels", "route", "arrivals")
# `all`: every kind that applies, in the order of the working day.
ALL_FOR_BRANCH = ("pull", "packing", "labels", "arrivals")
ALL_FOR_VAN = ("route", "packing")
LANGS = ("sv", "en")

TEXT: dict[str, dict[str, str]] = {
    "sv": {
        "pull": "Plocklista",
        "packing": "Packlista",
        "labels": "Lådetiketter",
        "route": "Körlista",
        "arrivals": "Ankomster",
        "to_send": "Att skicka",
        "hold_shelf": "Till reserverathyllan (hämtas här)",
        "call_number": "Hylla",
        "title": "Titel",
        "item": "Streckkod",
        "destination": "Till",
        "reservation": "Reservation",
        "crate": "Låda",
        "items": "ex",
        "from": "Från",
        "van": "Bil",
        "departs": "avg",
        "arrives": "ank",
        "return": "återlämning",
        "send_on": "skickas vidare till",
        "drop": "Lämna",
        "collect": "Hämta",
        "start": "Start",
        "end": "Slut",
        "break": "Rast",
        "km": "km",
        "drive": "körtid",
        "nothing": "Inget denna dag.",
        "total": "Totalt",
        "stops": "stopp",
        "crates": "lådor",
        "shift": "arbetstid",
        "sign_driver": "Förare",
        "sign_date": "Datum och tid",
        "page": "Sida",
        "cut": "klipp här",
        "action": "Åtgärd",
        "pulled": "plockas",
        "held": "till reserverathyllan",
    },
    "en": {
        "pull": "Pull list",
        "packing": "Packing list",
        "labels": "Crate labels",
        "route": "Route sheet",
        "arrivals": "Arrivals",
        "to_send": "To send",
        "hold_shelf": "To the hold shelf (collected here)",
        "call_number": "Shelf",
        "title": "Title",
        "item": "Barcode",
        "destination": "To",
        "reservation": "Reservation",
        "crate": "Crate",
        "items": "items",
        "from": "From",
        "van": "Van",
        "departs": "dep",
        "arrives": "arr",
        "return": "return",
        "send_on": "send on to",
        "drop": "Drop",
        "collect": "Collect",
        "start": "Start",
        "end": "End",
        "break": "Break",
        "km": "km",
        "drive": "driving",
        "nothing": "Nothing on this day.",
        "total": "Total",
        "stops": "stops",
        "crates": "crates",
        "shift": "shift",
        "sign_driver": "Driver",
        "sign_date": "Date and time",
        "page": "Page",
        "cut": "cut here",
        "action": "Action",
        "pulled": "pulled",
        "held": "to the hold shelf",
    },
}

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "pull": (
        "date", "branch_id", "section", "call_number", "title", "item_id", "reservation_id",
        "destination_branch_id",
    ),
    "packing": (
        "date", "branch_id", "van_id", "departure", "crate_id", "destination_branch_id",
        "item_id", "title", "call_number", "reservation_id",
    ),
    "labels": (
        "date", "from_branch_id", "crate_id", "destination_branch_id", "destination_name",
        "van_id", "departure", "items",
    ),
    "route": (
        "date", "van_id", "seq", "kind", "branch_id", "branch_name", "arrival", "departure",
        "km_from_prev", "drive_minutes_from_prev", "action", "crate_id",
        "destination_branch_id", "items",
    ),
    "arrivals": (
        "date", "branch_id", "van_id", "arrival", "crate_id", "from_branch_id",
        "destination_branch_id", "item_id", "title", "call_number", "reservation_id",
    ),
}  # fmt: skip


class PrintError(BokflytError):
    """A printout that cannot be made as asked (a date outside the plan, an unknown branch)."""


@dataclass(frozen=True)
class Block:
    """A heading and a table. A block with keep=True (a crate, a stop) is never split over
    two pages; a long list (keep=False) flows, its column heads repeated on each page."""

    heading: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # shares of the text width, one per column
    barcode: str = ""  # printed as Code 128 beside the heading (a crate id)
    barcode_column: int | None = None  # this column's values are printed as Code 128 too
    keep: bool = True
    note: str = ""  # printed instead of an empty table


@dataclass(frozen=True)
class Label:
    """One crate label."""

    crate_id: str
    destination_id: str
    destination_name: str
    from_id: str
    from_name: str
    day: date
    van_id: str
    departure: str
    items: int


@dataclass(frozen=True)
class Document:
    """One printout for one branch (or van) and day, in one language."""

    kind: str
    title: str
    subject: str  # the branch or van it is for, as printed in the page header
    day: date
    lang: str
    blocks: tuple[Block, ...]
    csv_rows: tuple[tuple[str, ...], ...]
    labels: tuple[Label, ...] = ()
    totals: tuple[str, ...] = ()  # lines after the last block
    signature: bool = False

    @property
    def csv_columns(self) -> tuple[str, ...]:
        return CSV_COLUMNS[self.kind]

    @property
    def day_text(self) -> str:
        """The date as printed in the header: 'måndag 30 november 2026 (2026-11-30)'."""
        return f"{long_day(self.day, self.lang)} {self.day.year} ({self.day.isoformat()})"


def documents(
    kind: str,
    scenario: Scenario,
    plan: Plan,
    day: date,
    *,
    branch_id: str | None = None,
    van_id: str | None = None,
    lang: str = "sv",
) -> list[Document]:
    """The documents of one kind for one day: for `branch_id` (or `van_id` for route sheets
    and packing lists), or else for every branch or van with something to do that day.
    Kind `all` gives every kind that applies (a branch's or a van's papers, or everyone's).

    A single branch or van asked for always gets its document, saying so when it is empty."""
    if kind == "all":
        kinds = ALL_FOR_BRANCH if branch_id else ALL_FOR_VAN if van_id else KINDS
        return [
            doc
            for k in kinds
            for doc in documents(
                k, scenario, plan, day, branch_id=branch_id, van_id=van_id, lang=lang
            )
        ]
    if kind not in KINDS:
        raise PrintError(f"unknown document {kind!r}: expected one of {', '.join(KINDS)}")
    if lang not in LANGS:
        raise PrintError(f"unknown language {lang!r}: expected sv or en")
    last = plan.start + timedelta(days=plan.days - 1)
    if not plan.start <= day <= last:
        raise PrintError(
            f"{day.isoformat()} is outside the plan ({plan.start.isoformat()} to "
            f"{last.isoformat()})"
        )
    if branch_id is not None and branch_id not in scenario.branches:
        raise PrintError(f"unknown branch {branch_id!r} (not in branches.csv)")
    vans = {v.van_id for v in scenario.vans} | {r.van_id for r in plan.routes}
    if van_id is not None and van_id not in vans:
        raise PrintError(f"unknown van {van_id!r} (not in vans.csv or the plan)")
    if kind == "route" and branch_id is not None:
        raise PrintError("route sheets are per van: use --van, not --branch")
    if kind in ("pull", "labels", "arrivals") and van_id is not None:
        raise PrintError(f"{kind} documents are per branch: use --branch, not --van")
    return _Builder(scenario, plan, day, lang).build(kind, branch_id, van_id)


def write_csv(kind: str, docs: list[Document], out: Path) -> list[Path]:
    """The documents' rows as CSV (UTF-8, English column names): one file `out`, or for kind
    `all` one file per kind in the folder `out`. Returns the files written."""
    if kind == "all":
        out.mkdir(parents=True, exist_ok=True)
        kinds = dict.fromkeys(d.kind for d in docs)
        return [
            path
            for k in kinds
            for path in write_csv(k, [d for d in docs if d.kind == k], out / f"{k}.csv")
        ]
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS[kind])
        for doc in docs:
            writer.writerows(doc.csv_rows)
    return [out]


class _Builder:
    """The plan's facts for one day, indexed the ways the documents read them."""

    def __init__(self, scenario: Scenario, plan: Plan, day: date, lang: str) -> None:
        self.scenario, self.plan, self.day, self.lang = scenario, plan, day, lang
        self.t = TEXT[lang]
        self.legs = [c for c in plan.crates if c.day == day]
        self.contents: dict[str, list[str]] = defaultdict(list)
        for crate_id, item_id in plan.contents:
            self.contents[crate_id].append(item_id)
        self.reservation_of: dict[str, str] = {
            p.item_id: p.reservation_id for p in plan.reservations if p.item_id
        }
        for d in plan.deliveries:
            if d.reservation_id:
                self.reservation_of[d.item_id] = d.reservation_id
        # A plan written before reservations.csv had pull dates cannot say what to pull.
        self.stale_pulls = any(
            p.pull_date is None and p.item_id and scenario.on_shelf(p.item_id, p.source_branch_id)
            for p in plan.reservations
        )

    def build(self, kind: str, branch_id: str | None, van_id: str | None) -> list[Document]:
        if kind == "route":
            runs = sorted({r.van_id for r in self.plan.routes if r.day == self.day})
            vans = [van_id] if van_id is not None else runs
            return [self.route(v) for v in vans]
        if kind == "packing":
            pairs = sorted({(c.leg_from_branch_id, c.van_id) for c in self.legs})
            chosen = [(b, v) for b, v in pairs if branch_id in (None, b) and van_id in (None, v)]
            if not chosen and branch_id is not None:
                chosen = [(branch_id, van_id or "")]
            return [self.packing(b, v) for b, v in chosen]
        build = {"pull": self.pull, "labels": self.labels, "arrivals": self.arrivals}[kind]
        if branch_id is not None:
            return [build(branch_id)]
        docs = [build(b) for b in sorted(self.scenario.branches)]
        return [d for d in docs if d.csv_rows]

    # -- helpers -------------------------------------------------------------------------

    def branch(self, branch_id: str) -> str:
        """'Lindesbergs stadsbibliotek (LIN)'."""
        b = self.scenario.branches.get(branch_id)
        return branch_id if b is None else f"{b.name} ({branch_id})"

    def item(self, item_id: str) -> tuple[str, str]:
        """(title, call number) of an item; blanks for an item not in items.csv."""
        i = self.scenario.items.get(item_id)
        return ("", "") if i is None else (i.title, i.call_number)

    def doc(
        self,
        kind: str,
        subject: str,
        blocks: Sequence[Block],
        rows: Sequence[tuple[str, ...]],
        **more: object,
    ) -> Document:
        if not rows:
            blocks = [b for b in blocks if b.rows] or [
                Block("", (), (), (), note=self.t["nothing"])
            ]
        return Document(
            kind, self.t[kind], subject, self.day, self.lang, tuple(blocks), tuple(rows),
            **more,  # type: ignore[arg-type]
        )  # fmt: skip

    def crate_rows(self, crate_id: str) -> list[tuple[str, str, str, str]]:
        """(item_id, title, call number, reservation or 'return') of a crate's items."""
        out = []
        for item_id in sorted(self.contents.get(crate_id, ())):
            title, call = self.item(item_id)
            reservation = self.reservation_of.get(item_id) or self.t["return"]
            out.append((item_id, title, call, reservation))
        return out

    # -- the documents -------------------------------------------------------------------

    def pull(self, branch_id: str) -> Document:
        t = self.t
        picked = [
            p
            for p in self.plan.reservations
            if p.pull_date == self.day and p.source_branch_id == branch_id and p.item_id
        ]
        if self.stale_pulls:
            raise PrintError(
                "the plan's reservations.csv has no pull dates: plan again with this version"
            )
        sections: dict[str, list[tuple[str, ...]]] = {"send": [], "hold_shelf": []}
        for p in picked:
            title, call = self.item(p.item_id)
            section = "hold_shelf" if p.pickup_branch_id == branch_id else "send"
            sections[section].append(
                (call, title, p.item_id, self.branch(p.pickup_branch_id), p.reservation_id,
                 p.pickup_branch_id)
            )  # fmt: skip
        blocks, rows = [], []
        columns = (t["call_number"], t["title"], t["item"], t["destination"], t["reservation"])
        for section, key in (("send", "to_send"), ("hold_shelf", "hold_shelf")):
            listed = sorted(sections[section], key=lambda r: (shelf_key(r[0]), shelf_key(r[1]),
                                                              r[2]))  # fmt: skip
            blocks.append(
                Block(
                    f"{t[key]}: {len(listed)} {t['items']}",
                    columns,
                    tuple(r[:5] for r in listed),
                    (0.11, 0.25, 0.29, 0.23, 0.12),
                    barcode_column=2,
                    keep=False,
                )
            )
            rows += [
                (self.day.isoformat(), branch_id, section, r[0], r[1], r[2], r[4], r[5])
                for r in listed
            ]
        return self.doc("pull", self.branch(branch_id), blocks, rows)

    def packing(self, branch_id: str, van_id: str) -> Document:
        t = self.t
        legs = sorted(
            (c for c in self.legs if c.leg_from_branch_id == branch_id and c.van_id == van_id),
            key=lambda c: (c.departure, c.to_branch_id, c.crate_id),
        )
        blocks, rows = [], []
        for c in legs:
            items = self.crate_rows(c.crate_id)
            blocks.append(
                Block(
                    f"{t['crate']} {c.crate_id} \u2192 {self.branch(c.to_branch_id)} · "
                    f"{c.items} {t['items']} · {t['van']} {c.van_id} {t['departs']} "
                    f"{format_hhmm(c.departure)}"
                    + (f" · {t['from']} {self.branch(c.from_branch_id)}" if c.leg > 1 else ""),
                    (t["item"], t["title"], t["call_number"], t["reservation"]),
                    tuple(items),
                    (0.2, 0.5, 0.15, 0.15),
                    barcode=c.crate_id,
                )
            )
            rows += [
                (self.day.isoformat(), branch_id, c.van_id, format_hhmm(c.departure),
                 c.crate_id, c.to_branch_id, *item)
                for item in items
            ]  # fmt: skip
        subject = self.branch(branch_id) + (f" · {t['van']} {van_id}" if van_id else "")
        crates = len(legs)
        total = f"{t['total']}: {crates} {t['crates']}, {sum(c.items for c in legs)} {t['items']}"
        return self.doc("packing", subject, blocks, rows, totals=(total,) if legs else ())

    def labels(self, branch_id: str) -> Document:
        first = sorted(
            (c for c in self.legs if c.leg == 1 and c.from_branch_id == branch_id),
            key=lambda c: (c.departure, c.to_branch_id, c.crate_id),
        )
        labels = []
        rows = []
        for c in first:
            dest = self.scenario.branches.get(c.to_branch_id)
            origin = self.scenario.branches.get(c.from_branch_id)
            label = Label(
                c.crate_id,
                c.to_branch_id,
                dest.name if dest else c.to_branch_id,
                c.from_branch_id,
                origin.name if origin else c.from_branch_id,
                c.day,
                c.van_id,
                format_hhmm(c.departure),
                c.items,
            )
            labels.append(label)
            rows.append(
                (self.day.isoformat(), branch_id, c.crate_id, c.to_branch_id,
                 label.destination_name, c.van_id, label.departure, str(c.items))
            )  # fmt: skip
        return self.doc("labels", self.branch(branch_id), [], rows, labels=tuple(labels))

    def route(self, van_id: str) -> Document:
        t = self.t
        stops = sorted(
            (r for r in self.plan.routes if r.day == self.day and r.van_id == van_id),
            key=lambda r: r.seq,
        )
        legs = [c for c in self.legs if c.van_id == van_id]
        blocks, rows = [], []
        drive_total = 0.0
        previous = ""
        for r in stops:
            drive = 0.0
            if r.branch_id and previous and previous != r.branch_id:
                leg = self.scenario.travel.get((previous, r.branch_id))
                drive = leg.minutes if leg is not None else 0.0
            drive_total += drive
            previous = r.branch_id or previous
            off = _at(legs, r, arriving=True)
            on = _at(legs, r, arriving=False)
            actions = [(t["drop"], c) for c in off] + [(t["collect"], c) for c in on]
            times = " – ".join(
                f"{t[k]} {format_hhmm(v)}"
                for k, v in (("arrives", r.arrival), ("departs", r.departure))
                if v is not None
            )
            where = self.branch(r.branch_id) if r.branch_id else ""
            name = {"start": t["start"], "end": t["end"], "break": t["break"]}.get(r.kind, "")
            heading = f"{r.seq}. " + " · ".join(x for x in (name, where, times) if x)
            if r.kind != "start" and r.km_from_prev:
                heading += f" · {r.km_from_prev:.1f} {t['km']}, {round(drive)} min"
            blocks.append(
                Block(
                    heading,
                    (t["action"], t["crate"], t["destination"], t["items"]),
                    tuple(
                        (a, c.crate_id, self.branch(c.to_branch_id), str(c.items))
                        for a, c in actions
                    ),
                    (0.14, 0.32, 0.44, 0.1),
                )
            )
            base = (self.day.isoformat(), van_id, str(r.seq), r.kind, r.branch_id,
                    self.scenario.branches[r.branch_id].name if r.branch_id in
                    self.scenario.branches else "",
                    _hhmm(r.arrival), _hhmm(r.departure), f"{r.km_from_prev:.1f}",
                    str(round(drive)))  # fmt: skip
            kinds = ["drop"] * len(off) + ["collect"] * len(on)
            rows += [
                (*base, k, c.crate_id, c.to_branch_id, str(c.items))
                for k, (_, c) in zip(kinds, actions, strict=True)
            ] or [(*base, "", "", "", "")]
        km = sum(r.km_from_prev for r in stops)
        crates = len({c.crate_id for c in legs})
        begin = next((r.departure for r in stops if r.departure is not None), None)
        end = next((r.arrival for r in reversed(stops) if r.arrival is not None), None)
        totals: tuple[str, ...] = ()
        if stops:
            hours, minutes = divmod(round(drive_total), 60)
            totals = (
                f"{t['total']}: {km:.1f} {t['km']}, {t['drive']} {hours} h {minutes:02d} min, "
                f"{t['shift']} {_hhmm(begin)}–{_hhmm(end)}, "
                f"{sum(1 for r in stops if r.kind == 'stop')} {t['stops']}, "
                f"{crates} {t['crates']}",
            )
        doc = self.doc("route", f"{t['van']} {van_id}", blocks, rows, totals=totals, signature=True)
        return doc

    def arrivals(self, branch_id: str) -> Document:
        t = self.t
        legs = sorted(
            (c for c in self.legs if c.leg_to_branch_id == branch_id),
            key=lambda c: (c.arrival, c.van_id, c.crate_id),
        )
        blocks, rows = [], []
        for c in legs:
            items = self.crate_rows(c.crate_id)
            onward = (
                f" · {t['send_on']} {self.branch(c.to_branch_id)}"
                if c.to_branch_id != branch_id
                else ""
            )
            blocks.append(
                Block(
                    f"{t['crate']} {c.crate_id} · {t['from']} {self.branch(c.from_branch_id)} · "
                    f"{t['van']} {c.van_id} {t['arrives']} {format_hhmm(c.arrival)} · "
                    f"{c.items} {t['items']}{onward}",
                    (t["item"], t["title"], t["call_number"], t["reservation"]),
                    tuple(items),
                    (0.2, 0.5, 0.15, 0.15),
                    barcode=c.crate_id,
                )
            )
            rows += [
                (self.day.isoformat(), branch_id, c.van_id, format_hhmm(c.arrival), c.crate_id,
                 c.from_branch_id, c.to_branch_id, *item)
                for item in items
            ]  # fmt: skip
        total = (
            f"{t['total']}: {len(legs)} {t['crates']}, {sum(c.items for c in legs)} {t['items']}"
        )
        return self.doc("arrivals", self.branch(branch_id), blocks, rows,
                        totals=(total,) if legs else ())  # fmt: skip


def _at(legs: Iterable[CrateLeg], r: RouteRow, *, arriving: bool) -> list[CrateLeg]:
    """The crate legs that end (arriving) or begin at a row of the van's run."""
    if not r.branch_id:
        return []
    if arriving:
        found = [c for c in legs if c.leg_to_branch_id == r.branch_id and c.arrival == r.arrival]
    else:
        found = [
            c for c in legs if c.leg_from_branch_id == r.branch_id and c.departure == r.departure
        ]
    return sorted(found, key=lambda c: (c.to_branch_id, c.crate_id))


def _hhmm(minutes: int | None) -> str:
    return "" if minutes is None else format_hhmm(minutes)


# Swedish alphabetical order: å, ä, ö after z (and é as e, ü as y).
_SWEDISH = str.maketrans({"å": "z\u0001", "ä": "z\u0002", "ö": "z\u0003", "æ": "z\u0002",
                          "ø": "z\u0003", "é": "e", "è": "e", "ü": "y"})  # fmt: skip


def shelf_key(text: str) -> tuple[tuple[int, str], ...]:
    """Sort key for call numbers and titles as on the shelf: Swedish letter order, case
    ignored, numbers by value ('Hc 2' before 'Hc 10')."""
    out: list[tuple[int, str]] = []
    number = ""
    for ch in text.casefold().translate(_SWEDISH):
        if ch.isdigit():
            number += ch
            continue
        if number:
            out.append((0, number.zfill(12)))
            number = ""
        out.append((1, ch))
    if number:
        out.append((0, number.zfill(12)))
    return tuple(out)
