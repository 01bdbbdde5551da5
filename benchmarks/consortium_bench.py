"""Bergslagsbibblan week: our planner against two VROOM (pyvroom) baselines on the same demand.

Run on purpose, not in CI:

    .venv/bin/python benchmarks/consortium_bench.py --seconds 50 [--seeds 2 3] [--scale 1.0]

For the bundled week (and each generated week of `--seeds`) and for each vans file, it plans
the week three ways and prints one Markdown table per scenario (also written to
benchmarks/results/consortium.md):

- bokflyt: `logistics.planner.plan` with `--seconds` for the whole week, checked by check_plan.
- vroom-direct: the same sourcing (`choose_copies`) and the same packing rule as the planner
  (one crate per (source, destination) of at most items_per_crate items of what is ready at the
  source that day); each day with van runs, every pending crate is one VROOM shipment source ->
  destination. What VROOM leaves unassigned is unpacked and waits for the next day.
- vroom-hub: each day, every pending crate at a library is collected to the hub (shipment
  source -> hub) and the crates that reached the hub on an earlier day (or were packed at the
  hub) are delivered (shipment hub -> destination). What is unassigned waits.

Both baselines use: time windows = the branch's staffed windows that day (seconds after
midnight), the pickup window starting no earlier than the crate is ready, each window ending
stop_minutes + crate_minutes before the branch closes (as the planner does, so one crate's
handling ends while staffed); setup = stop_minutes (VROOM charges it once per stop),
service = crate_minutes per crate; vans that run that day from and to their depot with their
capacity in crates and shift as time window; one break of break_minutes that starts between
shift start + 1 h and shift start + break_after_minutes; durations = travel minutes x 60 rounded
up, distances and costs in metres (VROOM minimises km among the plans that assign the most
shipments). Shipments carry a VROOM priority growing with the working days their oldest item
has waited (10 per day, at most 100), so old crates go first when capacity is short.

Figures: km along the routes (scenario.travel), runs, van hours (end arrival - start
departure), crates moved (picked up at least once), items delivered by crate, share of those
within 1 working day and mean transit (Calendar.working_days_between(ready, delivered)),
items still undelivered at the end of the week, all unplanned items (unsourced + undelivered),
checker violations (bokflyt only) and solver seconds.

For experiments: `--vans FILE...` plans only those fleets, `--no-vroom` only bokflyt, and
`--set 'key = value'` (repeatable) adds a settings.toml line to every scenario (validated by
load_scenario like any consortium's), e.g. `--set 'direct_in_model = true'`.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import itertools
import math
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import vroom

from logistics.calendar import Calendar, runs_on
from logistics.check import check_plan
from logistics.generate import generate_demand
from logistics.load import load_scenario
from logistics.model import Scenario, Van
from logistics.planner import Crate, pack_crates, plan
from logistics.sourcing import Sourcing, choose_copies

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "bergslagen"
VANS_FILES = ("vans.csv", "vans_two_daily.csv")
RESULTS = ROOT / "benchmarks" / "results" / "consortium.md"
START = date(2026, 11, 30)
DAYS = 5
HUB = "ORE"
PROFILE = "car"
PRIORITY_PER_DAY = 10

COLUMNS = (
    "method", "km", "runs", "van h", "crates", "items moved", "≤1 wd", "mean transit (wd)",
    "undelivered", "unplanned (all)", "violations", "solve s",
)  # fmt: skip


@dataclass(frozen=True)
class Row:
    """One method's figures for one scenario."""

    method: str
    km: float
    runs: int
    van_hours: float
    crates: int
    items_moved: int
    within1: float | None
    mean_transit: float | None
    undelivered: int
    unplanned: int
    violations: int | None
    seconds: float

    def cells(self) -> list[str]:
        share = "–" if self.within1 is None else f"{100 * self.within1:.1f} %"
        mean = "–" if self.mean_transit is None else f"{self.mean_transit:.2f}"
        violations = "n/a" if self.violations is None else str(self.violations)
        return [
            self.method, f"{self.km:.1f}", str(self.runs), f"{self.van_hours:.1f}",
            str(self.crates), str(self.items_moved), share, mean, str(self.undelivered),
            str(self.unplanned), violations, f"{self.seconds:.1f}",
        ]  # fmt: skip


@dataclass(frozen=True)
class Task:
    """One VROOM shipment of one crate: from `src` (not before `after`, minutes) to `dst`."""

    crate: Crate
    src: str
    dst: str
    after: int
    priority: int


@dataclass
class DayResult:
    """What VROOM did on one day: the tasks done (indices), km, runs, van seconds, solve s."""

    done: set[int] = field(default_factory=set)
    km: float = 0.0
    runs: int = 0
    van_seconds: int = 0
    seconds: float = 0.0


@dataclass
class Tally:
    """Running totals of a baseline over the week."""

    delivered: dict[str, date] = field(default_factory=dict)
    crates: set[str] = field(default_factory=set)
    km: float = 0.0
    runs: int = 0
    van_seconds: int = 0
    seconds: float = 0.0

    def add(self, day: DayResult) -> None:
        self.km += day.km
        self.runs += day.runs
        self.van_seconds += day.van_seconds
        self.seconds += day.seconds


def priority(calendar: Calendar, crate: Crate, day: date) -> int:
    """VROOM priority (0..100): PRIORITY_PER_DAY per working day the oldest item has waited."""
    waited = max(calendar.working_days_between(m.ready_date, day) for m in crate.moves)
    return min(100, PRIORITY_PER_DAY * waited)


def step_windows(
    calendar: Calendar, branch: str, day: date, after: int, handling: int
) -> list[vroom.TimeWindow]:
    """Staffed windows of a branch (seconds), from `after`, ending `handling` minutes early."""
    out = []
    for opens, closes in calendar.windows(branch, day):
        lo, hi = max(opens, after), closes - handling
        if lo <= hi:
            out.append(vroom.TimeWindow(lo * 60, hi * 60))
    return out


def solve_day(
    scenario: Scenario,
    calendar: Calendar,
    day: date,
    vans: Sequence[Van],
    tasks: Sequence[Task],
    timeout: float | None,
) -> DayResult:
    """Route the day's vans over the tasks as VROOM shipments of one crate each."""
    s = scenario.settings
    places = sorted(scenario.branches)
    index = {b: k for k, b in enumerate(places)}
    metres = [[round(scenario.travel[(a, b)].km * 1000) for b in places] for a in places]
    seconds = [
        [math.ceil(scenario.travel[(a, b)].minutes * 60 - 1e-9) for b in places] for a in places
    ]
    problem = vroom.Input()
    problem.set_durations_matrix(PROFILE, seconds)
    problem.set_distances_matrix(PROFILE, metres)
    problem.set_costs_matrix(PROFILE, metres)
    for k, van in enumerate(vans):
        rest = vroom.Break(
            1,
            time_windows=[
                vroom.TimeWindow(
                    (van.shift_start + 60) * 60, (van.shift_start + s.break_after_minutes) * 60
                )
            ],
            service=s.break_minutes * 60,
        )
        problem.add_vehicle(
            vroom.Vehicle(
                k + 1,
                start=index[van.depot_branch_id],
                end=index[van.depot_branch_id],
                profile=PROFILE,
                capacity=[van.capacity_crates],
                time_window=vroom.TimeWindow(van.shift_start * 60, van.shift_end * 60),
                breaks=[rest],
            )
        )
    handling = s.stop_minutes + s.crate_minutes
    added = 0
    for i, task in enumerate(tasks):
        pick = step_windows(calendar, task.src, day, task.after, handling)
        drop = step_windows(calendar, task.dst, day, 0, handling)
        if not pick or not drop:
            continue  # cannot be handed over today: waits
        steps = [
            vroom.ShipmentStep(
                2 * i + offset,
                location=index[branch],
                default_setup=s.stop_minutes * 60,
                default_service=s.crate_minutes * 60,
                time_windows=windows,
            )
            for offset, branch, windows in ((1, task.src, pick), (2, task.dst, drop))
        ]
        problem.add_shipment(steps[0], steps[1], amount=vroom.Amount([1]), priority=task.priority)
        added += 1
    result = DayResult()
    if not added:
        return result
    started = time.monotonic()
    limit = None if timeout is None else timedelta(seconds=timeout)
    solution: dict[str, Any] = problem.solve(
        exploration_level=5, nb_threads=2, timeout=limit
    ).to_dict()
    result.seconds = time.monotonic() - started
    for route in solution["routes"]:
        steps = route["steps"]
        if not any(st["type"] in ("pickup", "delivery") for st in steps):
            continue
        result.runs += 1
        result.van_seconds += steps[-1]["arrival"] - steps[0]["arrival"]
        where = [places[st["location_index"]] for st in steps if st["type"] != "break"]
        result.km += sum(scenario.travel[(a, b)].km for a, b in itertools.pairwise(where))
        for st in steps:
            if st["violations"]:
                raise RuntimeError(f"VROOM route with violations on {day}: {st['violations']}")
            if st["type"] == "delivery":
                result.done.add((st["id"] - 2) // 2)
    return result


def run_direct(
    scenario: Scenario, calendar: Calendar, sourcing: Sourcing, timeout: float | None
) -> Row:
    """Every pending crate source -> destination, day by day; unassigned crates wait."""
    tally = Tally()
    pending = sorted(sourcing.moves, key=lambda m: (m.ready_date, m.ready_minute, m.item_id))
    for day in (START + timedelta(days=k) for k in range(DAYS)):
        vans = [v for v in scenario.vans if runs_on(v, day, calendar)]
        if not vans:
            continue
        crates = pack_crates(scenario, calendar, day, [m for m in pending if m.ready_date <= day])
        tasks = [
            Task(c, c.origin, c.destination, c.ready_minute, priority(calendar, c, day))
            for c in crates
        ]
        result = solve_day(scenario, calendar, day, vans, tasks, timeout)
        tally.add(result)
        for i in result.done:
            tally.crates.add(tasks[i].crate.crate_id)
            for m in tasks[i].crate.moves:
                tally.delivered[m.item_id] = day
        pending = [m for m in pending if m.item_id not in tally.delivered]
    return _row("vroom-direct", scenario, calendar, sourcing, tally)


def run_hub(
    scenario: Scenario, calendar: Calendar, sourcing: Sourcing, timeout: float | None
) -> Row:
    """Collect every pending crate to the hub; deliver from the hub what arrived before today."""
    tally = Tally()
    pending = sorted(sourcing.moves, key=lambda m: (m.ready_date, m.ready_minute, m.item_id))
    at_hub: list[tuple[Crate, date]] = []  # crate, day it reached the hub
    for day in (START + timedelta(days=k) for k in range(DAYS)):
        vans = [v for v in scenario.vans if runs_on(v, day, calendar)]
        if not vans:
            continue
        tasks: list[Task] = []
        for c in pack_crates(scenario, calendar, day, [m for m in pending if m.ready_date <= day]):
            dst = c.destination if c.origin == HUB else HUB  # packed at the hub: deliver
            tasks.append(Task(c, c.origin, dst, c.ready_minute, priority(calendar, c, day)))
        for c, since in at_hub:
            if since < day:
                tasks.append(Task(c, HUB, c.destination, 0, priority(calendar, c, day)))
        result = solve_day(scenario, calendar, day, vans, tasks, timeout)
        tally.add(result)
        moved = {tasks[i].crate.crate_id: tasks[i] for i in result.done}
        at_hub = [(c, since) for c, since in at_hub if c.crate_id not in moved]
        for task in moved.values():
            tally.crates.add(task.crate.crate_id)
            if task.dst == task.crate.destination:
                for m in task.crate.moves:
                    tally.delivered[m.item_id] = day
            else:
                at_hub.append((task.crate, day))
        gone = {m.item_id for t in moved.values() for m in t.crate.moves}
        pending = [m for m in pending if m.item_id not in gone]
    return _row("vroom-hub", scenario, calendar, sourcing, tally)


def _row(
    method: str, scenario: Scenario, calendar: Calendar, sourcing: Sourcing, tally: Tally
) -> Row:
    transit = [
        calendar.working_days_between(m.ready_date, tally.delivered[m.item_id])
        for m in sourcing.moves
        if m.item_id in tally.delivered
    ]
    undelivered = len(sourcing.moves) - len(transit)
    return Row(
        method=method,
        km=tally.km,
        runs=tally.runs,
        van_hours=tally.van_seconds / 3600,
        crates=len(tally.crates),
        items_moved=len(transit),
        within1=sum(1 for t in transit if t <= 1) / len(transit) if transit else None,
        mean_transit=sum(transit) / len(transit) if transit else None,
        undelivered=undelivered,
        unplanned=len(sourcing.unplanned) + undelivered,
        violations=None,
        seconds=tally.seconds,
    )


def run_bokflyt(scenario: Scenario, sourcing: Sourcing, seconds: float) -> Row:
    """Our planner with `seconds` for the week, checked by the independent checker."""
    result = plan(scenario, START, DAYS, seconds=seconds)
    violations = check_plan(scenario, result)
    for v in violations[:10]:
        print(f"  violation: {v}", file=sys.stderr)
    summary = result.summary()
    moved = [d for d in result.deliveries if d.crate_id]
    transit = [d.transit_days for d in moved]
    return Row(
        method="bokflyt",
        km=float(summary["km"]),
        runs=int(summary["runs"]),
        van_hours=int(summary["drive_minutes"]) / 60,
        crates=int(summary["crates"]),
        items_moved=len(moved),
        within1=sum(1 for t in transit if t <= 1) / len(transit) if transit else None,
        mean_transit=sum(transit) / len(transit) if transit else None,
        undelivered=len(sourcing.moves) - len(moved),
        unplanned=len(result.unplanned),
        violations=len(violations),
        seconds=result.solve_seconds,
    )


def table(title: str, sourcing: Sourcing, rows: Sequence[Row]) -> str:
    lines = [
        f"### {title}",
        "",
        f"{len(sourcing.moves)} items to move, {len(sourcing.on_the_spot)} filled on the spot, "
        f"{len(sourcing.unplanned)} not sourced.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" if c == "method" else "---:" for c in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def scenario_folder(
    tmp: Path, vans_file: str, seed: int | None, scale: float, overrides: Sequence[str] = ()
) -> Path:
    """A copy of the bundled folder (or a generated week) with `vans_file` as vans.csv and the
    settings.toml lines `overrides` (`key = value`) added."""
    folder = tmp / (f"seed{seed}-{vans_file}" if seed is not None else f"bundled-{vans_file}")
    if seed is None:
        shutil.copytree(BUNDLED, folder)
    else:
        generate_demand(BUNDLED, folder, START, DAYS, seed, scale)
    shutil.copyfile(BUNDLED / vans_file, folder / "vans.csv")
    if overrides:
        settings = folder / "settings.toml"
        text = settings.read_text(encoding="utf-8") if settings.exists() else ""
        settings.write_text(text + "\n" + "\n".join(overrides) + "\n", encoding="utf-8")
    return folder


def revision() -> str:
    """The checkout's commit, marked when logistics/ has uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" + uncommitted changes" if git("status", "--porcelain", "logistics") else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=50.0, help="bokflyt budget per week")
    parser.add_argument("--seeds", type=int, nargs="*", default=[], help="generated weeks")
    parser.add_argument("--scale", type=float, default=1.0, help="demand scale of those weeks")
    parser.add_argument("--vroom-seconds", type=float, help="VROOM time limit per day (none)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="Markdown results file")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a settings.toml line for every scenario, e.g. --set 'direct_in_model = true'",
    )
    parser.add_argument(
        "--vans", nargs="*", default=list(VANS_FILES), help=f"vans files (default {VANS_FILES})"
    )
    parser.add_argument("--no-vroom", action="store_true", help="plan with bokflyt only")
    args = parser.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    command = f"python benchmarks/consortium_bench.py {shlex.join(given)}".strip()

    sections = [
        "# Bergslagsbibblan week: bokflyt against VROOM baselines",
        "",
        f"Command: `{command}` (bokflyt at {revision()})",
        "",
        f"Week {START.isoformat()} + {DAYS} days. pyvroom {importlib.metadata.version('pyvroom')}, "
        "exploration_level=5, nb_threads=2.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bokflyt-bench-") as name:
        for seed in [None, *args.seeds]:
            for vans_file in args.vans:
                folder = scenario_folder(Path(name), vans_file, seed, args.scale, args.set)
                scenario = load_scenario(folder)
                calendar = Calendar.of(scenario)
                sourcing = choose_copies(scenario, calendar, START, DAYS)
                week = "bundled week" if seed is None else f"generated week seed {seed}"
                if seed is not None and args.scale != 1.0:
                    week += f" scale {args.scale}"
                title = f"{week}, {vans_file}"
                print(f"{title}: bokflyt ...", file=sys.stderr, flush=True)
                rows = [run_bokflyt(scenario, sourcing, args.seconds)]
                if not args.no_vroom:
                    print(f"{title}: vroom ...", file=sys.stderr, flush=True)
                    rows.append(run_direct(scenario, calendar, sourcing, args.vroom_seconds))
                    rows.append(run_hub(scenario, calendar, sourcing, args.vroom_seconds))
                text = table(title, sourcing, rows)
                print(text, flush=True)
                sections.append(text)
                args.out.write_text("\n".join(sections), encoding="utf-8")
    print(f"Command: `{command}`")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
