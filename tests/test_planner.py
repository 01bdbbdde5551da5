"""The planner: plans that the independent checker accepts, on tiny and on consortium data."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import pytest

from logistics.check import check_plan, check_plan_folder
from logistics.generate import generate_demand
from logistics.load import load_scenario
from logistics.plan import write_plan
from logistics.planner import plan
from tests.conftest import BUNDLED, TINY, write_scenario

MONDAY = date(2026, 11, 30)


def _plan_and_check(folder: Path, out: Path, days: int, seconds: float):  # type: ignore[no-untyped-def]
    scenario = load_scenario(folder)
    result = plan(scenario, MONDAY, days, seconds=seconds)
    write_plan(result, out)
    _, violations = check_plan_folder(scenario, out)
    assert violations == [], "\n".join(f"{v.rule} {v.where}: {v.message}" for v in violations)
    return scenario, result


def test_tiny_week_delivers_everything_it_can(tiny: Path, tmp_path: Path) -> None:
    """On the tiny consortium every available copy and the return are delivered, by date."""
    _scenario, result = _plan_and_check(tiny, tmp_path / "plan", days=3, seconds=3)
    delivered = {d.reservation_id or d.item_id: d for d in result.deliveries}
    # R1..R3 move between libraries; the return I5 goes home; R5's copy is at its pickup branch.
    assert {"R1", "R2", "R3", "I5", "R5"} <= set(delivered)
    assert delivered["R5"].crate_id == "" and delivered["R5"].transit_days == 0
    for key in ("R1", "R2", "R3", "I5"):
        assert delivered[key].crate_id and delivered[key].delivered_date <= date(2026, 12, 1)
    # R4's only copy is on loan: reported, with its due date.
    (r4,) = [u for u in result.unplanned if u.reservation_id == "R4"]
    assert "no available copy" in r4.reason and "2026-12-10" in r4.reason


def test_nothing_planned_when_no_van_runs(tiny: Path, tmp_path: Path) -> None:
    """A van that runs on no day of the horizon moves nothing, and every move is reported."""
    vans = (tiny / "vans.csv").read_text().replace("mon;tue;wed;thu;fri", "sat")
    (tiny / "vans.csv").write_text(vans)
    _scenario, result = _plan_and_check(tiny, tmp_path / "plan", days=2, seconds=1)
    assert result.routes == () and result.crates == ()
    waiting = {u.reservation_id or u.item_id for u in result.unplanned}
    assert {"R1", "R2", "R3", "I5", "R4"} <= waiting


def test_same_seed_same_plan_with_a_solution_limit(tiny: Path, tmp_path: Path) -> None:
    """With a solution limit reached before the time limit, two runs give the same plan."""
    scenario = load_scenario(tiny)
    scenario = dataclasses.replace(
        scenario, settings=dataclasses.replace(scenario.settings, solution_limit=50)
    )
    a = plan(scenario, MONDAY, 2, seconds=10, seed=3)
    b = plan(scenario, MONDAY, 2, seconds=10, seed=3)
    assert a.routes == b.routes and a.crates == b.crates and a.deliveries == b.deliveries
    assert check_plan(scenario, a) == []


@pytest.mark.parametrize(
    ("vans", "seed", "scale"),
    [("vans_two_daily.csv", 1, 1.0), ("vans.csv", 7, 0.6)],
)
def test_consortium_days_pass_the_checker(
    tmp_path: Path, vans: str, seed: int, scale: float
) -> None:
    """Two days of the consortium (bundled and freshly generated demand) pass the checker and
    account for every reservation and transfer."""
    folder = tmp_path / "scenario"
    if seed == 1:
        shutil.copytree(BUNDLED, folder)
    else:
        generate_demand(BUNDLED, folder, MONDAY, days=2, seed=seed, scale=scale)
    shutil.copyfile(BUNDLED / vans, folder / "vans.csv")
    scenario, result = _plan_and_check(folder, tmp_path / "plan", days=2, seconds=6)
    accounted = {d.reservation_id for d in result.deliveries} | {
        u.reservation_id for u in result.unplanned
    }
    assert {r.reservation_id for r in scenario.reservations} <= accounted
    assert result.summary()["items_moved"] > 10


def test_direct_options_in_the_model(tiny: Path, tmp_path: Path) -> None:
    """With direct options for every crate and a day of waiting costing more than any detour,
    every crate reaches its destination the day it is collected (the tiny van has time for it),
    and the plan passes the checker."""
    scenario = load_scenario(tiny)
    settings = dataclasses.replace(
        scenario.settings, direct_in_model=True, direct_after_days=0, wait_cost_km=(400.0,)
    )
    scenario = dataclasses.replace(scenario, settings=settings)
    result = plan(scenario, MONDAY, 2, seconds=4)
    assert check_plan(scenario, result) == []
    moved = [d for d in result.deliveries if d.crate_id]
    assert moved and all(d.transit_days == 0 for d in moved)


def _late_return(tiny: Path, ready_at: str, shift: str) -> None:
    """Add a return I7 from AAA to BBB (the pair of R1's copy I1, pulled at 09:00 on Monday)
    ready at `ready_at` on Monday, and give the van the shift `shift`."""
    items = tiny / "items.csv"
    items.write_text(items.read_text() + "I7,T7,Sju,Hc G,BBB,AAA,available,\n")
    transfers = tiny / "transfers.csv"
    transfers.write_text(transfers.read_text() + f"I7,AAA,BBB,2026-11-30T{ready_at}\n")
    vans = tiny / "vans.csv"
    vans.write_text(vans.read_text().replace("07:00,16:00", shift))


def test_an_item_ready_late_does_not_hold_back_its_crate_mates(tiny: Path, tmp_path: Path) -> None:
    """Items of one pair are packed per collection cut-off: a return ready at 15:00 at AAA,
    after the van's shift (07:00-12:00), waits for the next day while R1's copy, pulled at
    09:00 for the same destination, goes on Monday's run."""
    _late_return(tiny, "15:00", "07:00,12:00")
    _scenario, result = _plan_and_check(tiny, tmp_path / "plan", days=1, seconds=2)
    (r1,) = [d for d in result.deliveries if d.reservation_id == "R1"]
    assert r1.delivered_date == MONDAY and r1.crate_id
    assert not any(d.item_id == "I7" for d in result.deliveries)
    (i7,) = [u for u in result.unplanned if u.item_id == "I7"]
    assert "still waiting at AAA" in i7.reason


def test_crates_of_one_pair_collected_together_go_as_one(tiny: Path, tmp_path: Path) -> None:
    """R1's copy (ready 09:00) and a return ready at 10:00 are packed for different cut-offs
    (09:00 and 11:00); the van, starting at 11:00, collects both at one stop, so they travel
    as one crate of two items."""
    _late_return(tiny, "10:00", "11:00,16:00")
    _scenario, result = _plan_and_check(tiny, tmp_path / "plan", days=1, seconds=2)
    legs = [c for c in result.crates if c.from_branch_id == "AAA" and c.to_branch_id == "BBB"]
    assert len({c.crate_id for c in legs}) == 1 and all(c.items == 2 for c in legs)
    by_item = {d.item_id: d for d in result.deliveries}
    assert by_item["I1"].crate_id == by_item["I7"].crate_id == legs[0].crate_id
    assert by_item["I1"].delivered_date == by_item["I7"].delivered_date == MONDAY


def test_second_reservation_of_a_single_copy_is_explained(tiny: Path) -> None:
    """A title's only copy fills the earlier reservation; the later one is reported with why."""
    extra = "R6,T1,CCC,2026-11-29T09:00\n"
    (tiny / "reservations.csv").write_text((tiny / "reservations.csv").read_text() + extra)
    scenario = load_scenario(tiny)
    result = plan(scenario, MONDAY, 1, seconds=1)
    (r6,) = [u for u in result.unplanned if u.reservation_id == "R6"]
    assert r6.item_id == "" and "1 filling earlier reservations" in r6.reason
    assert any(d.reservation_id == "R1" for d in result.deliveries)


def test_consortium_without_a_hub(tmp_path: Path) -> None:
    """Another consortium shape: no hub, vans based at two libraries on different weekdays;
    crates wait only at those depots, and the plan passes the checker."""
    static = tmp_path / "static"
    shutil.copytree(BUNDLED, static)
    for name in ("items.csv", "reservations.csv", "transfers.csv"):
        (static / name).unlink()
    for name in ("branches.csv", "opening_hours.csv"):
        lines = (static / name).read_text().splitlines()
        (static / name).write_text("\n".join(x for x in lines if not x.startswith("ORE,")) + "\n")
    roads = (static / "roads.csv").read_text().replace("ORE,", "J_ORE,").replace(",ORE,", ",J_ORE,")
    (static / "roads.csv").write_text(roads)
    junctions = (static / "junctions.csv").read_text().rstrip("\n")
    (static / "junctions.csv").write_text(junctions + "\nJ_ORE,59.274,15.212\n")
    (static / "vans.csv").write_text(
        "van_id,depot_branch_id,capacity_crates,shift_start,shift_end,weekdays\n"
        "N1,LIN,50,07:30,16:30,mon;tue;wed;thu;fri\n"
        "S1,KUM,50,07:30,16:30,mon;tue;thu;fri\n"
    )
    folder = tmp_path / "scenario"
    generate_demand(static, folder, MONDAY, days=2, seed=11, scale=0.4)
    scenario, result = _plan_and_check(folder, tmp_path / "plan", days=2, seconds=4)
    assert "ORE" not in scenario.branches
    waits = {
        leg.leg_to_branch_id for leg in result.crates if leg.leg_to_branch_id != leg.to_branch_id
    }
    assert waits <= {"LIN", "KUM"}
    assert result.summary()["items_moved"] > 10


def _every_other_day(tmp_path: Path, promises: str | None) -> Path:
    """The tiny consortium's van on Mon/Wed/Fri with a shift (08:00-09:50) that collects at
    one library only; R1's copy at AAA (80 km there and back) and R2's at BBB (66 km), both
    for CCC, both pulled on Monday."""
    files = dict(TINY)
    files["vans.csv"] = (
        "van_id,depot_branch_id,capacity_crates,shift_start,shift_end,weekdays\n"
        "V1,HUB,10,08:00,09:50,mon;wed;fri\n"
    )
    files["reservations.csv"] = (
        "reservation_id,title_id,pickup_branch_id,placed_at\n"
        "R1,T1,CCC,2026-11-27T12:00\nR2,T2,CCC,2026-11-27T12:00\n"
    )
    files["transfers.csv"] = "item_id,from_branch_id,to_branch_id,ready_at\n"
    if promises is not None:
        files["promises.csv"] = "reservation_id,promise_date\n" + promises
    return write_scenario(tmp_path / "scenario", files)


def test_a_promise_the_next_run_would_break_goes_first(tmp_path: Path) -> None:
    """R1's patron was told Wednesday. Its crate left at AAA on Monday would be collected on
    Wednesday and delivered on Friday, so Monday's one collection is AAA's, though BBB is
    nearer; without the promise the van collects at BBB."""
    folder = _every_other_day(tmp_path / "promised", "R1,2026-12-02\n")
    _scenario, result = _plan_and_check(folder, tmp_path / "plan", days=3, seconds=2)
    monday = {c.from_branch_id for c in result.crates if c.day == MONDAY and c.leg == 1}
    assert monday == {"AAA"}
    (r1,) = [d for d in result.deliveries if d.reservation_id == "R1"]
    assert r1.delivered_date <= date(2026, 12, 2)

    folder = _every_other_day(tmp_path / "free", None)
    _scenario, result = _plan_and_check(folder, tmp_path / "plan2", days=3, seconds=2)
    monday = {c.from_branch_id for c in result.crates if c.day == MONDAY and c.leg == 1}
    assert monday == {"BBB"}
