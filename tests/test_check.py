"""The independent checker: a hand-made valid plan passes, and each broken rule is named."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from logistics.check import RULES, check_plan, check_plan_folder, check_summary, main_check
from logistics.load import load_scenario
from logistics.model import (
    Branch,
    BranchKind,
    Closure,
    ItemStatus,
    Leg,
    NoTransfer,
    OpeningInterval,
    Scenario,
    Settings,
)
from logistics.plan import CrateLeg, Delivery, Plan, RouteRow, Unplanned, read_plan

MONDAY = date(2026, 11, 30)

# MAIN is the van's depot (a library), HUB a sorting hub, A and B ordinary libraries.
SCENARIO_FILES = {
    "branches.csv": """\
branch_id,name,municipality,lat,lon,kind
MAIN,Main library,Town,59.0,15.0,library
HUB,Sorting hub,Town,59.1,15.1,hub
A,Library A,Village A,59.2,15.2,library
B,Library B,Village B,59.3,15.3,library
""",
    # A closes for lunch: a handover must fit in one window.
    "opening_hours.csv": """\
branch_id,weekday,opens,closes
MAIN,mon,07:00,17:00
MAIN,tue,07:00,17:00
HUB,mon,06:00,18:00
HUB,tue,06:00,18:00
A,mon,08:00,12:00
A,mon,13:00,17:00
A,tue,08:00,12:00
A,tue,13:00,17:00
B,mon,08:00,17:00
B,tue,08:00,17:00
""",
    "vans.csv": """\
van_id,depot_branch_id,capacity_crates,shift_start,shift_end,weekdays
V1,MAIN,3,07:00,16:00,mon;tue;wed;thu;fri
""",
    "items.csv": """\
item_id,title_id,title,call_number,home_branch_id,current_branch_id,status,due_date
I1,T1,One,Hc,A,A,available,
I2,T2,Two,Hc,A,A,available,
I3,T3,Three,Hc,B,A,available,
I4,T4,Four,Hc,B,B,available,
I5,T5,Five,Hc,A,A,on_loan,2026-12-10
I6,T6,Six,Hc,B,MAIN,available,
""",
    "reservations.csv": """\
reservation_id,title_id,pickup_branch_id,placed_at
R1,T1,MAIN,2026-11-29T12:00
R2,T2,B,2026-11-29T15:00
R3,T4,B,2026-11-30T09:00
R4,T5,B,2026-11-28T10:00
""",
    "transfers.csv": """\
item_id,from_branch_id,to_branch_id,ready_at
I3,A,B,2026-11-30T08:00
I6,MAIN,B,2026-11-30T12:00
""",
    "closures.csv": """\
branch_id,date,reason
A,2026-12-02,staff training
""",
    # A break after at most 60 minutes of work, so both runs need one.
    "settings.toml": """\
items_per_crate = 2
stop_minutes = 5
crate_minutes = 1
break_after_minutes = 60
break_minutes = 30
""",
}

# Symmetric travel; MAIN-A takes 19.5 min, i.e. 20 whole minutes.
TRAVEL = {
    ("MAIN", "HUB"): (8.0, 10.0),
    ("MAIN", "A"): (15.0, 19.5),
    ("MAIN", "B"): (25.0, 30.0),
    ("HUB", "A"): (11.0, 15.0),
    ("HUB", "B"): (16.0, 20.0),
    ("A", "B"): (12.0, 15.0),
}

# Monday: MAIN -> A (load K1, K2) -> B (drop K2) -> break -> HUB (drop K1) -> MAIN.
# Tuesday: MAIN (load K3) -> HUB (load K1) -> B (drop K3) -> break -> MAIN (drop K1).
PLAN_FILES = {
    "routes.csv": """\
date,van_id,seq,kind,branch_id,arrival,departure,crates_off,crates_on,load_after,km_from_prev
2026-11-30,V1,1,start,MAIN,,08:00,0,0,0,0.0
2026-11-30,V1,2,stop,A,08:20,08:27,0,2,2,15.0
2026-11-30,V1,3,stop,B,08:42,08:48,1,0,1,12.0
2026-11-30,V1,4,break,,08:48,09:18,0,0,1,0.0
2026-11-30,V1,5,stop,HUB,09:38,09:44,1,0,0,16.0
2026-11-30,V1,6,end,MAIN,09:54,,0,0,0,8.0
2026-12-01,V1,1,start,MAIN,,08:10,0,1,1,0.0
2026-12-01,V1,2,stop,HUB,08:20,08:26,0,1,2,8.0
2026-12-01,V1,3,stop,B,08:46,08:52,1,0,1,16.0
2026-12-01,V1,4,break,,08:52,09:22,0,0,1,0.0
2026-12-01,V1,5,end,MAIN,09:52,,1,0,0,25.0
""",
    "crates.csv": """\
crate_id,from_branch_id,to_branch_id,items,leg,date,van_id,leg_from_branch_id,leg_to_branch_id,departure,arrival
K1,A,MAIN,1,1,2026-11-30,V1,A,HUB,08:27,09:38
K1,A,MAIN,1,2,2026-12-01,V1,HUB,MAIN,08:26,09:52
K2,A,B,2,1,2026-11-30,V1,A,B,08:27,08:42
K3,MAIN,B,1,1,2026-12-01,V1,MAIN,B,08:10,08:46
""",
    "deliveries.csv": """\
item_id,reservation_id,from_branch_id,to_branch_id,crate_id,ready_date,delivered_date,delivered_time,transit_days
I1,R1,A,MAIN,K1,2026-11-30,2026-12-01,09:52,1
I2,R2,A,B,K2,2026-11-30,2026-11-30,08:42,0
I3,,A,B,K2,2026-11-30,2026-11-30,08:42,0
I4,R3,B,B,,2026-11-30,2026-11-30,10:00,0
I6,,MAIN,B,K3,2026-11-30,2026-12-01,08:46,1
""",
    "unplanned.csv": """\
item_id,reservation_id,reason
,R4,no available copy: the only one is on loan
""",
    "summary.json": json.dumps(
        {"start": "2026-11-30", "days": 2, "km": 100.0, "runs": 2, "crates": 3}
    ),
}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    rows = ["from_branch_id,to_branch_id,km,minutes"]
    for (a, b), (km, minutes) in TRAVEL.items():
        rows += [f"{a},{b},{km},{minutes}", f"{b},{a},{km},{minutes}"]
    return _write(tmp_path / "data", {**SCENARIO_FILES, "travel.csv": "\n".join(rows) + "\n"})


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    return _write(tmp_path / "plan", PLAN_FILES)


@pytest.fixture
def scenario(data_dir: Path) -> Scenario:
    return load_scenario(data_dir)


@pytest.fixture
def plan(plan_dir: Path) -> Plan:
    return read_plan(plan_dir)


def codes(scenario: Scenario, plan: Plan) -> set[str]:
    found = check_plan(scenario, plan)
    assert all(v.rule in RULES for v in found)
    return {v.rule for v in found}


def route(plan: Plan, day: int, seq: int) -> RouteRow:
    return next(
        r for r in plan.routes if r.day == MONDAY + timedelta(days=day - 1) and r.seq == seq
    )


def swap_route(plan: Plan, old: RouteRow, **changes: object) -> Plan:
    routes = tuple(replace(r, **changes) if r == old else r for r in plan.routes)  # type: ignore[arg-type]
    return replace(plan, routes=routes)


def leg(plan: Plan, crate_id: str, number: int) -> CrateLeg:
    return next(c for c in plan.crates if c.crate_id == crate_id and c.leg == number)


def swap_leg(plan: Plan, old: CrateLeg, **changes: object) -> Plan:
    crates = tuple(replace(c, **changes) if c == old else c for c in plan.crates)  # type: ignore[arg-type]
    return replace(plan, crates=crates)


def delivery(plan: Plan, item_id: str) -> Delivery:
    return next(d for d in plan.deliveries if d.item_id == item_id)


def swap_delivery(plan: Plan, item_id: str, **changes: object) -> Plan:
    deliveries = tuple(
        replace(d, **changes) if d.item_id == item_id else d  # type: ignore[arg-type]
        for d in plan.deliveries
    )
    return replace(plan, deliveries=deliveries)


def with_van(scenario: Scenario, **changes: object) -> Scenario:
    return replace(scenario, vans=(replace(scenario.vans[0], **changes),))  # type: ignore[arg-type]


def with_settings(scenario: Scenario, **changes: object) -> Scenario:
    return replace(scenario, settings=replace(scenario.settings, **changes))  # type: ignore[arg-type]


# --- the valid plan ------------------------------------------------------------------------


def test_hand_made_plan_is_valid(scenario: Scenario, plan: Plan) -> None:
    """The hand-written plan (relay via the hub, direct crates, on the spot) has no violation."""
    assert check_plan(scenario, plan) == []
    assert scenario.settings == Settings(
        items_per_crate=2, stop_minutes=5, crate_minutes=1, break_after_minutes=60, break_minutes=30
    )


def test_plan_folder_with_summary_is_valid(scenario: Scenario, plan_dir: Path) -> None:
    """Reading the folder and checking summary.json too finds nothing."""
    _, found = check_plan_folder(scenario, plan_dir)
    assert found == []


def test_main_check_prints_valid(
    data_dir: Path, plan_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`bokflyt check` on the valid plan exits 0 and says how much it checked."""
    assert main_check(data_dir, plan_dir) == 0
    assert capsys.readouterr().out.strip() == "plan is valid: 2 runs, 3 crates, 5 items"


def test_main_check_prints_violations(
    data_dir: Path, plan_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong summary.json makes `bokflyt check` exit 1 and print the violation."""
    summary = json.loads((plan_dir / "summary.json").read_text("utf-8"))
    (plan_dir / "summary.json").write_text(json.dumps({**summary, "runs": 3}), "utf-8")
    assert main_check(data_dir, plan_dir) == 1
    out = capsys.readouterr().out
    assert "summary: summary.json runs: runs is 3, but the plan files have 2" in out


def test_main_check_missing_plan_file(
    data_dir: Path, plan_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan folder without crates.csv is reported, exit 1, no traceback."""
    (plan_dir / "crates.csv").unlink()
    assert main_check(data_dir, plan_dir) == 1
    assert "crates.csv: file is missing" in capsys.readouterr().out


# --- rule 1: runs ----------------------------------------------------------------------------


def test_seq_gap(scenario: Scenario, plan: Plan) -> None:
    """A gap in seq (1, 2, 3, 5, 6) is run-sequence."""
    tuesday = [r for r in plan.routes if r.day == date(2026, 12, 1)]
    routes = tuple(r for r in plan.routes if r not in tuesday) + tuple(
        replace(r, seq=r.seq + 1) if r.seq >= 4 else r for r in tuesday
    )
    assert codes(scenario, replace(plan, routes=routes)) == {"run-sequence"}


def test_run_not_at_depot(scenario: Scenario, plan: Plan) -> None:
    """Runs that start and end away from the van's depot are run-depot."""
    assert codes(scenario, plan) == set()
    moved = replace(scenario, vans=(replace(scenario.vans[0], depot_branch_id="HUB"),))
    assert codes(moved, plan) == {"run-depot"}


def test_unknown_van(scenario: Scenario, plan: Plan) -> None:
    """A run of a van that vans.csv does not have is unknown-van."""
    assert codes(with_van(scenario, van_id="V9"), plan) == {"unknown-van"}


def test_van_on_wrong_weekday(scenario: Scenario, plan: Plan) -> None:
    """A van that does not run on Tuesdays has a Tuesday run: van-weekday."""
    assert codes(with_van(scenario, weekdays=frozenset({0, 2, 3, 4})), plan) == {"van-weekday"}


def test_run_on_day_closed_for_all(scenario: Scenario, plan: Plan) -> None:
    """A run on a '*' closure day is closed-day (its handovers and transit days fail too)."""
    closed = replace(scenario, closures=(Closure("*", date(2026, 12, 1), "strike"),))
    assert codes(closed, plan) == {"closed-day", "opening-hours", "transit-days"}


def test_run_outside_horizon(scenario: Scenario, plan: Plan) -> None:
    """A one-day plan with a run on its second day is horizon."""
    assert codes(scenario, replace(plan, days=1)) == {"horizon"}


def test_unknown_branch(scenario: Scenario, plan: Plan) -> None:
    """A stop at a branch that is not in branches.csv is unknown-branch."""
    branches = {k: v for k, v in scenario.branches.items() if k != "B"}
    travel = {k: v for k, v in scenario.travel.items() if "B" not in k}
    got = codes(replace(scenario, branches=branches, travel=travel), plan)
    assert "unknown-branch" in got
    assert "travel-time" not in got and "km" not in got


# --- rule 2: shift and times ---------------------------------------------------------------


def test_work_before_shift(scenario: Scenario, plan: Plan) -> None:
    """Loading at the depot counts as work: a shift from 08:05 is broken on both days."""
    assert codes(with_van(scenario, shift_start=8 * 60 + 5), plan) == {"shift"}
    found = check_plan(with_van(scenario, shift_start=8 * 60 + 5), plan)
    assert "work begins 08:04" in found[-1].message


def test_work_after_shift(scenario: Scenario, plan: Plan) -> None:
    """Unloading at the end counts as work: Tuesday ends 09:58, past a 09:55 shift end."""
    found = check_plan(with_van(scenario, shift_end=9 * 60 + 55), plan)
    assert [(v.rule, v.where) for v in found] == [("shift", "routes.csv 2026-12-01 V1 seq 5")]


def test_end_with_departure(scenario: Scenario, plan: Plan) -> None:
    """An end row with a departure is times."""
    assert codes(scenario, swap_route(plan, route(plan, 2, 5), departure=600)) == {"times"}


# --- rule 3: stops -------------------------------------------------------------------------


def test_stop_too_short(scenario: Scenario, plan: Plan) -> None:
    """With 10 minutes per stop, 7-minute stops are stop-duration."""
    assert codes(with_settings(scenario, stop_minutes=10), plan) == {"stop-duration"}


def test_empty_stop(scenario: Scenario, plan: Plan) -> None:
    """A stop at the depot that hands over nothing is empty-stop."""
    end = route(plan, 1, 6)
    idle = replace(end, seq=6, kind="stop", departure=9 * 60 + 59)
    last = replace(end, seq=7, arrival=9 * 60 + 59, km_from_prev=0.0)
    routes = (*(r for r in plan.routes if r != end), idle, last)
    assert codes(scenario, replace(plan, routes=routes)) == {"empty-stop"}


def test_stop_across_lunch(scenario: Scenario, plan: Plan) -> None:
    """A handover 08:20-08:27 at A when A closes 08:25-09:00 is opening-hours."""
    opening = tuple(o for o in scenario.opening if not (o.branch_id == "A" and o.weekday == 0))
    opening += (OpeningInterval("A", 0, 480, 505), OpeningInterval("A", 0, 540, 1020))
    assert codes(replace(scenario, opening=opening), plan) == {"opening-hours"}


def test_loading_at_closed_depot(scenario: Scenario, plan: Plan) -> None:
    """Loading 08:04-08:10 at the start while the depot opens 08:05 is opening-hours."""
    opening = tuple(o for o in scenario.opening if not (o.branch_id == "MAIN" and o.weekday == 1))
    opening += (OpeningInterval("MAIN", 1, 485, 1020),)
    found = check_plan(replace(scenario, opening=opening), plan)
    assert [(v.rule, v.where) for v in found] == [
        ("opening-hours", "routes.csv 2026-12-01 V1 seq 1")
    ]


# --- rule 4: travel ------------------------------------------------------------------------


def test_arrives_too_early(scenario: Scenario, plan: Plan) -> None:
    """If A to B takes 15.2 minutes (16 whole), arriving at B 15 minutes after A is travel-time."""
    travel = {**scenario.travel, ("A", "B"): Leg(km=12.0, minutes=15.2)}
    found = check_plan(replace(scenario, travel=travel), plan)
    assert [(v.rule, v.where) for v in found] == [("travel-time", "routes.csv 2026-11-30 V1 seq 3")]


def test_break_time_counts_against_travel(scenario: Scenario, plan: Plan) -> None:
    """A break between B and HUB delays the arrival at HUB: a 31-minute break is travel-time."""
    got = codes(scenario, swap_route(plan, route(plan, 1, 4), departure=9 * 60 + 19))
    assert got == {"travel-time"}


def test_km_wrong(scenario: Scenario, plan: Plan) -> None:
    """km_from_prev 12.1 where A to B is 12.0 km is km (12.04 would pass)."""
    row = route(plan, 1, 3)
    assert codes(scenario, swap_route(plan, row, km_from_prev=12.04)) == set()
    assert codes(scenario, swap_route(plan, row, km_from_prev=12.1)) == {"km"}


def test_break_with_km(scenario: Scenario, plan: Plan) -> None:
    """A break with km_from_prev is break-row."""
    assert codes(scenario, swap_route(plan, route(plan, 1, 4), km_from_prev=3.0)) == {"break-row"}


def test_break_before_leaving(scenario: Scenario, plan: Plan) -> None:
    """A break that begins before the van leaves B is break-row."""
    moved = swap_route(plan, route(plan, 1, 4), arrival=8 * 60 + 45, departure=9 * 60 + 15)
    assert codes(scenario, moved) == {"break-row"}


# --- rule 5: breaks ------------------------------------------------------------------------


def test_missing_break(scenario: Scenario, plan: Plan) -> None:
    """Without its break, Monday's run works 114 minutes straight: break-needed."""
    pause = route(plan, 1, 4)
    routes = tuple(
        replace(r, seq=r.seq - 1) if r.day == pause.day and r.seq > 4 else r
        for r in plan.routes
        if r != pause
    )
    found = check_plan(scenario, replace(plan, routes=routes))
    assert [v.rule for v in found] == ["break-needed"]
    assert "114 min of work from 08:00 to 09:54" in found[0].message


def test_break_too_short(scenario: Scenario, plan: Plan) -> None:
    """A 20-minute break where 30 are required is break-length."""
    assert codes(scenario, swap_route(plan, route(plan, 1, 4), departure=9 * 60 + 8)) == {
        "break-length"
    }


# --- rule 6: loads -------------------------------------------------------------------------


def test_over_capacity(scenario: Scenario, plan: Plan) -> None:
    """Two crates on a one-crate van is capacity."""
    assert codes(with_van(scenario, capacity_crates=1), plan) == {"capacity"}


def test_load_after_wrong(scenario: Scenario, plan: Plan) -> None:
    """A load_after that does not follow from crates on and off is load."""
    assert codes(scenario, swap_route(plan, route(plan, 1, 3), load_after=2)) == {"load"}


# --- rule 7: crates ------------------------------------------------------------------------


def test_leg_without_row(scenario: Scenario, plan: Plan) -> None:
    """A leg arriving when the van is not there is crate-leg (its row's count and delivery too)."""
    got = codes(scenario, swap_leg(plan, leg(plan, "K2", 1), arrival=8 * 60 + 43))
    assert got == {"crate-leg", "crate-count", "delivery-crate"}


def test_leg_on_missing_run(scenario: Scenario, plan: Plan) -> None:
    """A leg on a van's day without a run is crate-leg."""
    got = codes(scenario, swap_leg(plan, leg(plan, "K3", 1), van_id="V2"))
    assert "crate-leg" in got


def test_crates_on_wrong(scenario: Scenario, plan: Plan) -> None:
    """A stop that loads 1 crate where crates.csv loads 2 there is crate-count."""
    changed = swap_route(plan, route(plan, 1, 2), crates_on=1, load_after=1)
    found = check_plan(scenario, changed)
    assert [v.where for v in found if v.rule == "crate-count"] == ["routes.csv 2026-11-30 V1 seq 2"]
    assert {v.rule for v in found} == {"crate-count", "load"}  # the load goes below 0 later


def test_leg_numbers_gap(scenario: Scenario, plan: Plan) -> None:
    """Crate legs numbered 1, 3 are crate-chain."""
    assert codes(scenario, swap_leg(plan, leg(plan, "K1", 2), leg=3)) == {"crate-chain"}


def test_crate_waits_at_library(scenario: Scenario, plan: Plan) -> None:
    """If HUB were an ordinary library, K1 waiting there overnight is crate-wait."""
    hub = scenario.branches["HUB"]
    library = replace(hub, kind=BranchKind.LIBRARY)
    assert codes(replace(scenario, branches={**scenario.branches, "HUB": library}), plan) == {
        "crate-wait"
    }


def test_crate_changes_van_same_day_without_relay(scenario: Scenario, plan: Plan) -> None:
    """Without same-day relay, a crate changing vans at the hub the same day is crate-relay."""
    scenario = with_settings(scenario, same_day_relay=False)
    assert codes(scenario, plan) == set()
    v2 = replace(scenario.vans[0], van_id="V2")
    scenario = replace(scenario, vans=(*scenario.vans, v2))
    tuesday = [r for r in plan.routes if r.day == date(2026, 12, 1)]
    routes = tuple(r for r in plan.routes if r not in tuesday) + tuple(
        replace(r, day=date(2026, 11, 30), van_id="V2") for r in tuesday
    )
    crates = tuple(
        replace(c, day=date(2026, 11, 30), van_id="V2") if c.day == date(2026, 12, 1) else c
        for c in plan.crates
    )
    moved = replace(plan, routes=routes, crates=crates)
    # Monday's V2 run: K1 leaves the hub 08:26, before V1 brings it at 09:38.
    assert codes(scenario, moved) >= {"crate-relay", "crate-chain"}


def test_crate_goes_in_a_circle(scenario: Scenario, plan: Plan) -> None:
    """K2 carried on from B to HUB and back to B visits B twice: crate-cycle."""
    k2 = leg(plan, "K2", 1)
    onwards = (
        replace(k2, leg=2, leg_from_branch_id="B", leg_to_branch_id="HUB",
                departure=8 * 60 + 48, arrival=9 * 60 + 38),
        replace(k2, leg=3, day=date(2026, 12, 1), leg_from_branch_id="HUB", leg_to_branch_id="B",
                departure=8 * 60 + 26, arrival=8 * 60 + 46),
    )  # fmt: skip
    got = codes(scenario, replace(plan, crates=(*plan.crates, *onwards)))
    assert "crate-cycle" in got
    found = check_plan(scenario, replace(plan, crates=(*plan.crates, *onwards)))
    assert [v.message for v in found if v.rule == "crate-cycle"] == [
        "visits B more than once (A -> B -> HUB -> B)"
    ]


def _k1_parked_at_hub(plan: Plan) -> Plan:
    """The plan with K1 left at HUB after Monday; R1's item is unplanned instead."""
    tuesday = date(2026, 12, 1)
    rows = [
        RouteRow(tuesday, "V1", 1, "start", "MAIN", None, 8 * 60 + 10, 0, 1, 1, 0.0),
        RouteRow(tuesday, "V1", 2, "stop", "B", 8 * 60 + 46, 8 * 60 + 52, 1, 0, 0, 25.0),
        RouteRow(tuesday, "V1", 3, "break", "", 8 * 60 + 52, 9 * 60 + 22, 0, 0, 0, 0.0),
        RouteRow(tuesday, "V1", 4, "end", "MAIN", 9 * 60 + 52, None, 0, 0, 0, 25.0),
    ]
    return replace(
        plan,
        routes=(*(r for r in plan.routes if r.day != tuesday), *rows),
        crates=tuple(c for c in plan.crates if not (c.crate_id == "K1" and c.leg == 2)),
        deliveries=tuple(d for d in plan.deliveries if d.item_id != "I1"),
        unplanned=(*plan.unplanned, Unplanned("I1", "R1", "in crate K1 waiting at HUB")),
    )


def test_crate_parked_at_hub_at_end(scenario: Scenario, plan: Plan) -> None:
    """A crate still waiting at a hub when the plan ends, its item unplanned, is no violation."""
    assert check_plan(scenario, _k1_parked_at_hub(plan)) == []


def test_crate_parked_at_library_at_end(scenario: Scenario, plan: Plan) -> None:
    """A crate left at an ordinary library short of its destination is crate-chain."""
    library = replace(scenario.branches["HUB"], kind=BranchKind.LIBRARY)
    scenario = replace(scenario, branches={**scenario.branches, "HUB": library})
    assert codes(scenario, _k1_parked_at_hub(plan)) == {"crate-chain", "crate-contents"}


def test_parked_crate_with_delivery(scenario: Scenario, plan: Plan) -> None:
    """Delivering an item from a crate that never reached its destination is crate-contents."""
    parked = _k1_parked_at_hub(plan)
    parked = replace(
        parked, deliveries=(*parked.deliveries, delivery(plan, "I1")), unplanned=plan.unplanned
    )
    assert "crate-contents" in codes(scenario, parked)


def test_crate_too_full(scenario: Scenario, plan: Plan) -> None:
    """A crate of 2 items when a crate holds 1 is crate-items."""
    assert codes(with_settings(scenario, items_per_crate=1), plan) == {"crate-items"}


# --- rule 8: items -------------------------------------------------------------------------


def test_item_delivered_twice(scenario: Scenario, plan: Plan) -> None:
    """An item filling its reservation twice is item-duplicate (and reservation-duplicate)."""
    twice = replace(plan, deliveries=(*plan.deliveries, delivery(plan, "I4")))
    assert codes(scenario, twice) == {"item-duplicate", "reservation-duplicate"}


def test_wrong_transit_days(scenario: Scenario, plan: Plan) -> None:
    """Monday to Tuesday is 1 working day: transit_days 2 is transit-days."""
    assert codes(scenario, swap_delivery(plan, "I1", transit_days=2)) == {"transit-days"}


def test_transit_days_skip_closed_day(scenario: Scenario, plan: Plan) -> None:
    """A closure of one branch is still a working day; only '*' closures are skipped."""
    assert scenario.closures == (Closure("A", date(2026, 12, 2), "staff training"),)
    late = swap_delivery(plan, "I4", delivered_date=date(2026, 12, 3))
    assert codes(scenario, late) == set()


def test_delivered_time_not_crate_arrival(scenario: Scenario, plan: Plan) -> None:
    """A delivery time other than the crate's last arrival is delivery-crate."""
    assert codes(scenario, swap_delivery(plan, "I1", delivered_time=9 * 60 + 50)) == {
        "delivery-crate"
    }


def test_crate_contents(scenario: Scenario, plan: Plan) -> None:
    """A crate said to hold 2 items with one delivery in it is crate-contents."""
    crates = tuple(replace(c, items=2) if c.crate_id == "K3" else c for c in plan.crates)
    assert codes(scenario, replace(plan, crates=crates)) == {"crate-contents"}


def test_ready_after_departure(scenario: Scenario, plan: Plan) -> None:
    """An item ready on Tuesday in a crate that left on Monday is ready-date."""
    assert codes(scenario, swap_delivery(plan, "I2", ready_date=date(2026, 12, 1))) == {
        "ready-date"
    }


def test_on_the_spot_before_ready(scenario: Scenario, plan: Plan) -> None:
    """A reservation filled on the spot before the item is ready is on-the-spot."""
    early = swap_delivery(plan, "I4", delivered_date=date(2026, 11, 29))
    assert codes(scenario, early) == {"on-the-spot"}


# --- rule 9: reservations and transfers ----------------------------------------------------


def test_reservation_missing(scenario: Scenario, plan: Plan) -> None:
    """A reservation neither delivered nor unplanned is reservation-missing."""
    assert codes(scenario, replace(plan, unplanned=())) == {"reservation-missing"}


def test_reserved_item_elsewhere(scenario: Scenario, plan: Plan) -> None:
    """An item sent from A when items.csv has it at B is reservation-item."""
    items = {**scenario.items, "I2": replace(scenario.items["I2"], current_branch_id="B")}
    assert codes(replace(scenario, items=items), plan) == {"reservation-item"}


def test_reserved_item_on_loan(scenario: Scenario, plan: Plan) -> None:
    """An on-loan item filling a reservation is reservation-item."""
    items = {**scenario.items, "I4": replace(scenario.items["I4"], status=ItemStatus.ON_LOAN)}
    found = check_plan(replace(scenario, items=items), plan)
    assert [v.rule for v in found] == ["reservation-item"]


def test_item_on_two_reservations(scenario: Scenario, plan: Plan) -> None:
    """Naming the delivered item I4 also on R4's unplanned row is reservation-item."""
    unplanned = (Unplanned("I4", "R4", "no available copy"),)
    got = codes(scenario, replace(plan, unplanned=unplanned))
    assert "reservation-item" in got


def test_leaves_before_reservation_placed(scenario: Scenario, plan: Plan) -> None:
    """An item leaving Monday 08:27 for a reservation placed at 09:00 is placed-at."""
    reservations = tuple(
        replace(r, placed_at=datetime(2026, 11, 30, 9, 0)) if r.reservation_id == "R1" else r
        for r in scenario.reservations
    )
    assert codes(replace(scenario, reservations=reservations), plan) == {"placed-at"}


def test_transfer_missing(scenario: Scenario, plan: Plan) -> None:
    """A transfer of the scenario that the plan neither delivers nor lists is transfer-missing."""
    item = replace(scenario.items["I4"], item_id="I7")
    transfer = replace(scenario.transfers[0], item_id="I7", from_branch_id="B", to_branch_id="A")
    scenario = replace(
        scenario,
        items={**scenario.items, "I7": item},
        transfers=(*scenario.transfers, transfer),
    )
    found = check_plan(scenario, plan)
    assert [(v.rule, v.where) for v in found] == [("transfer-missing", "transfers.csv item I7")]


def test_transfer_leaves_before_ready(scenario: Scenario, plan: Plan) -> None:
    """A transfer ready at 09:00 that leaves 08:10 is ready-at."""
    transfers = tuple(
        replace(t, ready_at=datetime(2026, 12, 1, 9, 0)) if t.item_id == "I6" else t
        for t in scenario.transfers
    )
    assert codes(replace(scenario, transfers=transfers), plan) == {"ready-at"}


def test_transfer_to_wrong_branch(scenario: Scenario, plan: Plan) -> None:
    """A transfer whose scenario destination is HUB but is delivered to B is transfer-mismatch."""
    transfers = tuple(
        replace(t, to_branch_id="HUB") if t.item_id == "I6" else t for t in scenario.transfers
    )
    assert codes(replace(scenario, transfers=transfers), plan) == {"transfer-mismatch"}


def test_unknown_reservation(scenario: Scenario, plan: Plan) -> None:
    """An unplanned row for a reservation the scenario does not have is unknown-ref."""
    extra = (*plan.unplanned, Unplanned("", "R99", "no copy"))
    assert codes(scenario, replace(plan, unplanned=extra)) == {"unknown-ref"}


def test_unplanned_without_reason(scenario: Scenario, plan: Plan) -> None:
    """An unplanned row with an empty reason is unplanned-reason."""
    assert codes(scenario, replace(plan, unplanned=(Unplanned("", "R4", " "),))) == {
        "unplanned-reason"
    }


# --- rule 10: summary ----------------------------------------------------------------------


def test_summary_km(scenario: Scenario, plan: Plan) -> None:
    """summary.json km 100.4 passes (within 0.5 of 100.0); 100.6 is summary."""
    base = {"start": "2026-11-30", "days": 2, "runs": 2, "crates": 3}
    assert check_summary(scenario, plan, {**base, "km": 100.4}) == []
    found = check_summary(scenario, plan, {**base, "km": 100.6})
    assert [(v.rule, v.where) for v in found] == [("summary", "summary.json km")]


def test_summary_crates(scenario: Scenario, plan: Plan) -> None:
    """summary.json counting 4 crates where crates.csv has 3 is summary."""
    summary = {"start": "2026-11-30", "days": 2, "km": 100.0, "runs": 2, "crates": 4}
    assert [v.rule for v in check_summary(scenario, plan, summary)] == ["summary"]


def test_every_rule_code_is_described() -> None:
    """Rule codes are short, lower-case and each has a description."""
    assert all(code == code.lower() and " " not in code and RULES[code] for code in RULES)


def test_branch_fixture_kinds(scenario: Scenario) -> None:
    """The fixture has a hub and a library depot, as the crate tests assume."""
    assert scenario.branches["HUB"] == Branch(
        "HUB", "Sorting hub", "Town", 59.1, 15.1, BranchKind.HUB
    )
    assert scenario.vans[0].depot_branch_id == "MAIN"


# --- the consortium's rules on copies (no_transfer.csv, may_travel, max_sent_per_day) --------


def test_copy_that_may_not_travel_is_sent(scenario: Scenario, plan: Plan) -> None:
    """I1 goes from A to MAIN; with may_travel false it is may-not-travel (I4, filled on the
    spot at B, may stay a reference copy)."""
    items = {
        **scenario.items,
        "I1": replace(scenario.items["I1"], may_travel=False),
        "I4": replace(scenario.items["I4"], may_travel=False),
    }
    found = check_plan(replace(scenario, items=items), plan)
    assert [(v.rule, v.where) for v in found] == [
        ("may-not-travel", "deliveries.csv item I1 reservation R1")
    ]


@pytest.mark.parametrize(
    ("pair", "expected"),
    [(("A", "B"), {"no-transfer"}), (("*", "MAIN"), {"no-transfer"}), (("B", "A"), set())],
)
def test_barred_pair(
    scenario: Scenario, plan: Plan, pair: tuple[str, str], expected: set[str]
) -> None:
    """A reserved copy sent between barred branches is no-transfer (the return I3 from A to B
    is a transfer of the scenario, not a choice, and is not judged)."""
    barred = replace(scenario, no_transfer=(NoTransfer(*pair),))
    assert codes(barred, plan) == expected


@pytest.mark.parametrize(("limit", "expected"), [(1, {"max-sent"}), (2, set()), (None, set())])
def test_sent_per_day(
    scenario: Scenario, plan: Plan, limit: int | None, expected: set[str]
) -> None:
    """A sends I1 and I2, both pulled on Monday: more than a limit of 1 is max-sent."""
    branches = {**scenario.branches, "A": replace(scenario.branches["A"], max_sent_per_day=limit)}
    assert codes(replace(scenario, branches=branches), plan) == expected
