"""Seeded, deterministic generator of a week of reservation and transfer demand.

Reads a scenario folder (``branches.csv``, ``opening_hours.csv``, optionally ``closures.csv``),
copies its static files to an output folder and writes three demand files:

- ``items.csv``: a synthetic catalogue sample (copies of titles owned by the libraries);
- ``reservations.csv``: reservations placed over the period (plus a short backlog);
- ``transfers.csv``: items returned at another library that have to travel home.

Everything is drawn from ``numpy.random.default_rng(seed)`` in a fixed order, so the same
arguments always give byte-identical files. Only the standard library and numpy are used.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

GENERATED_FILES = ("items.csv", "reservations.csv", "transfers.csv")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Sizing (estimates, see data/bergslagen/README.md).
ITEMS_PER_1000_POPULATION = 30.0
MIN_ITEMS = 300
DEFAULT_POPULATION_PER_LIBRARY = 5000.0
# Reservations placed per 1,000 population_served on an average weekday.
RESERVATIONS_PER_1000_POPULATION = 3.4
BACKLOG_DAYS = 2
# Relative reservation volume by weekday (mon..sun).
WEEKDAY_WEIGHT = (1.15, 1.05, 1.0, 1.0, 0.9, 0.45, 0.35)
# Hours of the day in which reservations are placed (07..22) and their relative weight.
PLACED_HOURS = tuple(range(7, 23))
PLACED_HOUR_WEIGHT = (1, 2, 3, 4, 4, 4, 5, 5, 5, 5, 6, 7, 7, 6, 4, 2)
# Copies per title (1..6) and their probabilities.
COPIES = (1, 2, 3, 4, 5, 6)
COPIES_P = (0.30, 0.25, 0.18, 0.12, 0.09, 0.06)
STATUSES = ("available", "on_loan", "in_transit", "missing")
STATUS_P = (0.70, 0.25, 0.02, 0.03)
LOAN_DAYS = 28
# Zipf-like title popularity: weight = 1 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT.
ZIPF_EXPONENT = 1.1
ZIPF_OFFSET = 5.0
# Share of transfers (returns going home) among all moves.
TRANSFER_SHARE = 0.40
FIRST_BARCODE = 30000100000  # first item barcode (11 digits)


@dataclass(frozen=True)
class DemandSummary:
    """Counts of what :func:`generate_demand` wrote."""

    items: int
    reservations: int
    transfers: int
    reservations_needing_transport: int = 0


@dataclass(frozen=True)
class _Branch:
    branch_id: str
    is_hub: bool
    population: float


@dataclass
class _Item:
    item_id: str
    title_id: str
    title: str
    call_number: str
    home_branch_id: str
    current_branch_id: str
    status: str
    due_date: str


Hours = dict[str, dict[int, list[tuple[time, time]]]]

# --- word lists for titles and shelf marks ------------------------------------------------------

_SV_ADJ = (
    "tysta", "sista", "mörka", "gamla", "röda", "glömda", "kalla", "långa", "hemliga",
    "vita", "stilla", "förlorade", "brinnande", "första", "okända", "frusna", "ensamma",
    "svarta", "gröna", "lugna",
)  # fmt: skip
_SV_NOUN = (
    "sjön", "skogen", "vintern", "hamnen", "gruvan", "systern", "flickan", "vägen", "bron",
    "stugan", "fabriken", "natten", "kyrkan", "dottern", "kvarnen", "sommaren", "elden",
    "hyttan", "mossen", "gården", "resan", "modern", "tjärnen", "hösten", "isen",
)  # fmt: skip
_SV_PLACE = (
    "älven", "sjön", "skogsbrynet", "gruvan", "hamnen", "bruket", "vägskälet", "kanalen",
    "bergsbranten", "stationen",
)  # fmt: skip
_SV_CRIME = ("Mord", "Döden", "Skuggor", "Tystnad", "Svek", "Eld")
_SV_TOWN = (
    "Bergslagen", "Nora", "Kopparberg", "Grythyttan", "Askersund", "Hallsberg", "Laxå",
    "Fjugesta", "Kumla", "Storå", "Frövi", "Tiveden",
)  # fmt: skip
_SV_VERB = (
    "brister", "tystnar", "vaknar", "brinner", "kommer", "faller", "viskar", "försvinner",
    "sover", "minns",
)  # fmt: skip
_SV_NAME = (
    "Astrid", "Elsa", "Maja", "Greta", "Karin", "Ingrid", "Alma", "Nils", "Erik", "Olle",
    "Sven", "Hugo", "Vera", "Saga", "Leo",
)  # fmt: skip
_SV_THING = (
    "hemlighet", "dagbok", "sommar", "resa", "löfte", "arv", "brev", "val", "skatt", "cykel",
    "fotboll", "kalas",
)  # fmt: skip
_SV_ANIMAL = ("draken", "räven", "ugglan", "björnen", "katten", "hunden", "musen", "älgen")
_SV_WISH = (
    "ville flyga", "inte kunde sova", "var rädd för mörkret", "hittade en skatt",
    "ville bli stor", "gick vilse", "lärde sig simma", "fick en vän",
)  # fmt: skip
_EN_ADJ = (
    "Silent", "Last", "Hidden", "Broken", "Winter", "Lost", "Quiet", "Burning", "Northern",
    "Iron", "Glass", "Forgotten", "Secret",
)  # fmt: skip
_EN_NOUN = (
    "Lake", "House", "Garden", "Daughter", "River", "Promise", "Orchard", "Lighthouse",
    "Mine", "Harbour", "Letter", "Summer", "Forest", "Island",
)  # fmt: skip
_EN_NOUNS = ("Mirrors", "Wolves", "Stars", "Secrets", "Bones", "Rivers", "Lanterns")
_EN_NAME = ("Emma", "Grace", "Harry", "Alice", "Tom", "Clara", "Jack", "Rose", "Sam")
# Nonfiction topics and an SAB-style class for each (style, not a verified classification).
_NF_TOPIC = (
    ("svampar", "U"), ("fåglar", "U"), ("träd", "U"), ("fjärilar", "U"), ("stenar", "U"),
    ("surdeg", "Qcc"), ("soppor", "Qcc"), ("bakning", "Qcc"), ("viltkött", "Qcc"),
    ("järnbruken", "Pp.1"), ("bergsbruk", "Pp.1"), ("timmerhus", "Pp.1"),
    ("vandringsleder", "Nc"), ("kanotleder", "Nc"), ("släktforskning", "K"),
    ("torp och backstugor", "K"),
)  # fmt: skip
_NF_QUALIFIER = (
    "för nybörjare", "i Sverige", "– en handbok", "året runt", "steg för steg",
    "i Bergslagen", "för alla", "i praktiken", "förr och nu", "från grunden",
)  # fmt: skip
_NF_TOWN_QUALIFIER = (
    "– en historia", "i bilder", "förr och nu", "under 1900-talet", "genom seklerna",
    "och bruken", "i krig och fred", "på vykort",
)  # fmt: skip
_NF_LAND = ("Sverige", "Bergslagen", "Norden", "Europa")
_NF_ERA = (
    "stormaktstiden", "1800-talet", "industrialismen", "medeltiden", "1900-talet",
    "vikingatiden",
)  # fmt: skip
_NF_MEMOIR = ("Berättelser från", "Minnen från", "Ett liv i", "Röster från", "Barndom i")
_SV_SURNAME = (
    "Lindqvist", "Andersson", "Berglund", "Ekström", "Holmberg", "Nyberg", "Sundin",
    "Karlsson", "Wallin", "Åberg", "Öhman", "Sjöberg", "Falk", "Lundgren", "Nilsson", "Dahl",
    "Strand", "Hedlund", "Engström", "Forsberg", "Persson", "Mattsson", "Blom", "Hägg",
)  # fmt: skip
_EN_SURNAME = (
    "King", "Smith", "Walker", "Brooks", "Hughes", "Carter", "Morgan", "Reed", "Hayes",
    "Ward", "Moore", "Lewis",
)  # fmt: skip
_SV_NOUN_CAPITALIZED = tuple(w.capitalize() for w in _SV_NOUN)
_SV_ANIMAL_CAPITALIZED = tuple(w.capitalize() for w in _SV_ANIMAL)
# Fiction title templates per category: (format string, word lists for its fields).
_TEMPLATES: dict[str, tuple[tuple[str, tuple[Sequence[str], ...]], ...]] = {
    "sv": (
        ("Den {} {}", (_SV_ADJ, _SV_NOUN)),
        ("{} vid {}", (_SV_NOUN_CAPITALIZED, _SV_PLACE)),
        ("{} i {}", (_SV_CRIME, _SV_TOWN)),
        ("När {} {}", (_SV_NOUN, _SV_VERB)),
    ),
    "en": (
        ("The {} {}", (_EN_ADJ, _EN_NOUN)),
        ("The {} of {}", (_EN_NOUN, _EN_NOUNS)),
        ("{}'s {}", (_EN_NAME, _EN_NOUN)),
        ("A {} {}", (_EN_ADJ, _EN_NOUN)),
    ),
    "child": (
        ("{} och {}", (_SV_NAME, _SV_ANIMAL)),
        ("{} som {}", (_SV_ANIMAL_CAPITALIZED, _SV_WISH)),
        ("{}s {}", (_SV_NAME, _SV_THING)),
        ("Lilla {} och {}", (_SV_ANIMAL, _SV_NOUN)),
    ),
}
# (category, shelf marks for fiction, probability)
_CATEGORIES = (
    ("sv", ("Hc",), 0.38),
    ("en", ("Hce",), 0.20),
    ("child", ("uHc", "uHce"), 0.20),
    ("nonfiction", (), 0.22),
)


def _pick(rng: np.random.Generator, words: Sequence[str]) -> str:
    return words[int(rng.integers(len(words)))]


def _make_title(
    rng: np.random.Generator, category: str, shelf_marks: Sequence[str]
) -> tuple[str, str]:
    """Return a made-up title and the class part of its shelf mark."""
    pattern = int(rng.integers(4))
    if category == "nonfiction":
        if pattern == 0:
            return f"{_pick(rng, _SV_TOWN)} {_pick(rng, _NF_TOWN_QUALIFIER)}", "K"
        if pattern == 1:
            return f"{_pick(rng, _NF_LAND)} under {_pick(rng, _NF_ERA)}", "K"
        if pattern == 2:
            topic, topic_class = _NF_TOPIC[int(rng.integers(len(_NF_TOPIC)))]
            return f"{topic.capitalize()} {_pick(rng, _NF_QUALIFIER)}", topic_class
        return f"{_pick(rng, _NF_MEMOIR)} {_pick(rng, _SV_TOWN)}", "Dok"
    template, word_lists = _TEMPLATES[category][pattern]
    words = [_pick(rng, word_list) for word_list in word_lists]
    return template.format(*words), _pick(rng, shelf_marks)


# --- reading the scenario ----------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            {k.strip(): (v or "").strip() for k, v in row.items() if isinstance(k, str)}
            for row in csv.DictReader(fh)
        ]


def _read_branches(static_dir: Path) -> tuple[list[_Branch], float]:
    """Return the branches and the total population used for sizing."""
    rows = _read_csv(static_dir / "branches.csv")
    if not rows:
        raise ValueError(f"{static_dir / 'branches.csv'} has no branches")
    has_population = "population_served" in rows[0]
    branches = [
        _Branch(
            branch_id=row["branch_id"],
            is_hub=row.get("kind", "library").lower() == "hub",
            population=float(row["population_served"] or 0) if has_population else 0.0,
        )
        for row in rows
    ]
    libraries = [b for b in branches if not b.is_hub]
    if not libraries:
        raise ValueError("the scenario has no library (kind != hub) to own items")
    total = sum(b.population for b in libraries)
    if total <= 0:
        # No usable populations: weight libraries equally and assume a default size.
        branches = [_Branch(b.branch_id, b.is_hub, 0.0 if b.is_hub else 1.0) for b in branches]
        total = DEFAULT_POPULATION_PER_LIBRARY * len(libraries)
    return branches, total


def _parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _read_opening_hours(static_dir: Path, branch_ids: Sequence[str]) -> Hours:
    path = static_dir / "opening_hours.csv"
    hours: Hours = {b: defaultdict(list) for b in branch_ids}
    if not path.exists():
        # Assumption when a scenario has no hours: weekdays 09:00-17:00 everywhere.
        for b in branch_ids:
            for wd in range(5):
                hours[b][wd].append((time(9), time(17)))
        return hours
    for row in _read_csv(path):
        if row["branch_id"] not in hours:
            continue
        weekday = WEEKDAYS.index(row["weekday"].lower()[:3])
        opens, closes = _parse_hhmm(row["opens"]), _parse_hhmm(row["closes"])
        if closes > opens:
            hours[row["branch_id"]][weekday].append((opens, closes))
    return hours


def _read_closures(static_dir: Path) -> set[tuple[str, date]]:
    path = static_dir / "closures.csv"
    if not path.exists():
        return set()
    return {(row["branch_id"], date.fromisoformat(row["date"])) for row in _read_csv(path)}


# --- generation ---------------------------------------------------------------------------------


def _fmt_dt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _copy_static(static_dir: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    if out_dir.resolve() == static_dir.resolve():
        return
    for path in sorted(static_dir.iterdir()):
        if path.name in GENERATED_FILES:
            continue
        if path.is_dir():
            shutil.copytree(path, out_dir / path.name, dirs_exist_ok=True)
        else:
            shutil.copyfile(path, out_dir / path.name)


def _generate_items(
    rng: np.random.Generator,
    libraries: Sequence[_Branch],
    hubs: Sequence[_Branch],
    n_items: int,
    start: date,
) -> tuple[list[_Item], list[str], dict[str, int]]:
    """Return items, title ids in order, and copies per title."""
    lib_ids = [b.branch_id for b in libraries]
    weights = np.array([b.population for b in libraries], dtype=float)
    weights /= weights.sum()
    cat_p = np.array([c[2] for c in _CATEGORIES])
    cat_p /= cat_p.sum()
    # Draw everything per title and per copy in bulk (there are at most n_items titles).
    categories = rng.choice(len(_CATEGORIES), size=n_items, p=cat_p)
    copies_drawn = rng.choice(COPIES, size=n_items, p=COPIES_P)
    homes = rng.choice(len(lib_ids), size=n_items, p=weights)
    statuses = rng.choice(len(STATUSES), size=n_items, p=STATUS_P)
    barcodes = FIRST_BARCODE + np.cumsum(rng.integers(1, 40, size=n_items))
    loan_days = rng.integers(LOAN_DAYS, size=n_items)
    hub_index = rng.integers(max(len(hubs), 1), size=n_items)
    items: list[_Item] = []
    title_ids: list[str] = []
    copies_of: dict[str, int] = {}
    seen_titles: set[str] = set()
    while len(items) < n_items:
        title_id = f"T{len(title_ids) + 1:05d}"
        category, shelf_marks, _ = _CATEGORIES[int(categories[len(title_ids)])]
        title, shelf_mark = _make_title(rng, category, shelf_marks)
        for _ in range(20):
            if title not in seen_titles:
                break
            title, shelf_mark = _make_title(rng, category, shelf_marks)
        part = 2
        base_title = title
        while title in seen_titles:
            title = f"{base_title} (del {part})"
            part += 1
        seen_titles.add(title)
        surname = _pick(rng, _EN_SURNAME if category == "en" else _SV_SURNAME)
        call_number = f"{shelf_mark} {surname[:4]}"
        copies = min(int(copies_drawn[len(title_ids)]), n_items - len(items))
        title_ids.append(title_id)
        copies_of[title_id] = copies
        for k in range(len(items), len(items) + copies):
            home = lib_ids[int(homes[k])]
            status = STATUSES[int(statuses[k])]
            current = home
            due = ""
            if status == "in_transit" and hubs:
                current = hubs[int(hub_index[k])].branch_id
            elif status == "on_loan":
                due = (start + timedelta(days=int(loan_days[k]))).isoformat()
            items.append(
                _Item(str(barcodes[k]), title_id, title, call_number, home, current, status, due)
            )
    return items, title_ids, copies_of


def _generate_reservations(
    rng: np.random.Generator,
    libraries: Sequence[_Branch],
    title_ids: Sequence[str],
    copies_of: dict[str, int],
    total_population: float,
    start: date,
    days: int,
    scale: float,
) -> list[tuple[str, str, str, str]]:
    """Return (reservation_id, title_id, pickup_branch_id, placed_at) rows sorted by time."""
    # Popular titles tend to have more copies: rank by copies plus noise, then Zipf weights.
    score = np.array([copies_of[t] for t in title_ids], dtype=float)
    score += rng.random(len(title_ids)) * 4.0
    order = np.argsort(-score, kind="stable")
    ranks = np.empty(len(title_ids), dtype=float)
    ranks[order] = np.arange(len(title_ids), dtype=float)
    popularity = 1.0 / (ranks + 1.0 + ZIPF_OFFSET) ** ZIPF_EXPONENT
    popularity /= popularity.sum()
    lib_ids = [b.branch_id for b in libraries]
    lib_p = np.array([b.population for b in libraries], dtype=float)
    lib_p /= lib_p.sum()
    hour_p = np.array(PLACED_HOUR_WEIGHT, dtype=float)
    hour_p /= hour_p.sum()
    per_weekday = RESERVATIONS_PER_1000_POPULATION * total_population / 1000.0 * scale
    rows: list[tuple[str, str, str]] = []
    for offset in range(-BACKLOG_DAYS, days):
        day = start + timedelta(days=offset)
        count = int(rng.poisson(per_weekday * WEEKDAY_WEIGHT[day.weekday()]))
        titles = rng.choice(len(title_ids), size=count, p=popularity)
        pickups = rng.choice(len(lib_ids), size=count, p=lib_p)
        hours = rng.choice(PLACED_HOURS, size=count, p=hour_p)
        minutes = rng.integers(60, size=count)
        for t, p, h, m in zip(titles, pickups, hours, minutes, strict=True):
            placed = datetime.combine(day, time(int(h), int(m)))
            rows.append((_fmt_dt(placed), title_ids[int(t)], lib_ids[int(p)]))
    rows.sort()
    return [
        (f"R{i + 1:06d}", title_id, pickup, placed)
        for i, (placed, title_id, pickup) in enumerate(rows)
    ]


def _open_slots(
    branch_id: str, hours: Hours, closures: set[tuple[str, date]], start: date, days: int
) -> list[tuple[date, time, time]]:
    slots: list[tuple[date, time, time]] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        if (branch_id, day) in closures or ("*", day) in closures:
            continue
        for opens, closes in sorted(hours[branch_id].get(day.weekday(), [])):
            slots.append((day, opens, closes))
    return slots


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _weighted_index(rng: np.random.Generator, cumulative: np.ndarray) -> int:
    """Draw an index with probability proportional to the weights whose cumsum is given."""
    return int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))


def _generate_transfers(
    rng: np.random.Generator,
    items: list[_Item],
    libraries: Sequence[_Branch],
    hours: Hours,
    closures: set[tuple[str, date]],
    pickups_of: dict[str, set[str]],
    n_target: int,
    start: date,
    days: int,
) -> list[tuple[str, str, str, str]]:
    """Pick returned items and move them to the library they were returned at; mutates items.

    Items of titles nobody reserved come first. If they do not suffice, spare available copies
    of reserved titles are used too: every reserved title keeps at least one available copy
    that does not move, and a copy is never returned at a pickup branch of its title.
    """
    slots = {b.branch_id: _open_slots(b.branch_id, hours, closures, start, days) for b in libraries}
    origins = [b for b in libraries if slots[b.branch_id]]
    unreserved: list[int] = []
    spare: list[int] = []
    kept: set[str] = set()
    for index, item in enumerate(items):
        if item.status != "available":
            continue
        if item.title_id not in pickups_of:
            unreserved.append(index)
        elif item.title_id in kept:
            spare.append(index)
        else:
            kept.add(item.title_id)  # the first available copy of a reserved title stays put
    chosen: list[int] = []
    for pool in (unreserved, spare):
        n = min(n_target - len(chosen), len(pool))
        if n > 0:
            picks = rng.choice(len(pool), size=n, replace=False)
            chosen.extend(sorted(pool[int(i)] for i in picks))
    slot_cum = {
        b: np.cumsum([_minutes(c) - _minutes(o) for _, o, c in branch_slots], dtype=float)
        for b, branch_slots in slots.items()
        if branch_slots
    }
    origin_cache: dict[tuple[str, frozenset[str]], tuple[list[str], np.ndarray]] = {}
    rows: list[tuple[str, str, str, str]] = []
    for index in chosen:
        item = items[index]
        key = (item.home_branch_id, frozenset(pickups_of.get(item.title_id, ())))
        if key not in origin_cache:
            candidates = [o for o in origins if o.branch_id != key[0] and o.branch_id not in key[1]]
            weights = np.array([o.population for o in candidates], dtype=float)
            if weights.sum() <= 0:
                weights = np.ones(len(candidates))
            origin_cache[key] = ([o.branch_id for o in candidates], np.cumsum(weights))
        candidate_ids, cum = origin_cache[key]
        if not candidate_ids:
            continue
        origin = candidate_ids[_weighted_index(rng, cum)]
        day, opens, closes = slots[origin][_weighted_index(rng, slot_cum[origin])]
        minute = _minutes(opens) + int(rng.integers(_minutes(closes) - _minutes(opens)))
        ready = datetime.combine(day, time(minute // 60, minute % 60))
        item.current_branch_id = origin
        rows.append((_fmt_dt(ready), item.item_id, origin, item.home_branch_id))
    rows.sort()
    return [(item_id, origin, home, ready) for ready, item_id, origin, home in rows]


def _count_needing_transport(
    items: Sequence[_Item], reservations: Sequence[tuple[str, str, str, str]]
) -> int:
    """Reservations whose pickup branch has no available copy of the title."""
    available_at = {(i.title_id, i.current_branch_id) for i in items if i.status == "available"}
    return sum(1 for _, t, pickup, _ in reservations if (t, pickup) not in available_at)


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def generate_demand(
    static_dir: Path,
    out_dir: Path,
    start: date,
    days: int = 5,
    seed: int = 1,
    scale: float = 1.0,
) -> DemandSummary:
    """Write items.csv, reservations.csv and transfers.csv for ``days`` days from ``start``.

    The static files of ``static_dir`` (all but the three demand files) are copied to
    ``out_dir`` first unless both are the same folder. Deterministic in all arguments.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if scale <= 0:
        raise ValueError("scale must be positive")
    static_dir, out_dir = Path(static_dir), Path(out_dir)
    branches, total_population = _read_branches(static_dir)
    libraries = [b for b in branches if not b.is_hub]
    hubs = [b for b in branches if b.is_hub]
    hours = _read_opening_hours(static_dir, [b.branch_id for b in branches])
    closures = _read_closures(static_dir)
    _copy_static(static_dir, out_dir)

    rng = np.random.default_rng(seed)
    n_items = max(MIN_ITEMS, round(ITEMS_PER_1000_POPULATION * total_population / 1000 * scale))
    items, title_ids, copies_of = _generate_items(rng, libraries, hubs, n_items, start)
    reservations = _generate_reservations(
        rng, libraries, title_ids, copies_of, total_population, start, days, scale
    )
    needing = _count_needing_transport(items, reservations)
    n_transfers = round(needing * TRANSFER_SHARE / (1.0 - TRANSFER_SHARE))
    pickups_of: dict[str, set[str]] = defaultdict(set)
    for _, title_id, pickup, _ in reservations:
        pickups_of[title_id].add(pickup)
    transfers = _generate_transfers(
        rng, items, libraries, hours, closures, dict(pickups_of), n_transfers, start, days
    )
    needing = _count_needing_transport(items, reservations)

    _write_csv(
        out_dir / "items.csv",
        [f.name for f in fields(_Item)],
        [[getattr(item, f.name) for f in fields(_Item)] for item in items],
    )
    _write_csv(
        out_dir / "reservations.csv",
        ("reservation_id", "title_id", "pickup_branch_id", "placed_at"),
        reservations,
    )
    _write_csv(
        out_dir / "transfers.csv",
        ("item_id", "from_branch_id", "to_branch_id", "ready_at"),
        transfers,
    )
    return DemandSummary(
        items=len(items),
        reservations=len(reservations),
        transfers=len(transfers),
        reservations_needing_transport=needing,
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m logistics.generate --static DIR --out DIR --start DATE``."""
    parser = argparse.ArgumentParser(
        prog="python -m logistics.generate",
        description="Generate a seeded week of reservations and transfers for a scenario.",
    )
    parser.add_argument("--static", type=Path, required=True, help="scenario folder to read")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (may be same)")
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument("--days", type=int, default=5, help="number of days (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--scale", type=float, default=1.0, help="volume factor (default 1.0)")
    args = parser.parse_args(argv)
    try:
        summary = generate_demand(
            args.static, args.out, args.start, days=args.days, seed=args.seed, scale=args.scale
        )
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"wrote {summary.items} items, {summary.reservations} reservations "
        f"({summary.reservations_needing_transport} need transport), "
        f"{summary.transfers} transfers to {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
