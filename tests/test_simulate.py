"""The simulator: the planner day after day with disturbances, promises against reality."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from logistics.check import check_plan
from logistics.load import load_scenario
from logistics.model import Scenario
from logistics.plan import Plan
from logistics.planner import plan, transfer_points
from logistics.simulate import Disturbances, first_day, simulate
from tests.conftest import BUNDLED

START = date(2026, 11, 30)


@pytest.fixture(scope="module")
def calm():  # type: ignore[no-untyped-def]
    return simulate(
        BUNDLED, START, 1, 3, seconds_per_day=0.5, scale=0.3,
        disturbances=Disturbances.none(), check=True,
    )  # fmt: skip


def test_every_daily_plan_passes_the_checker(calm) -> None:  # type: ignore[no-untyped-def]
    assert calm.violations == 0
    assert calm.runs > 0 and calm.km > 0 and calm.crates > 0
    assert calm.events == {}


def test_outcomes_add_up(calm) -> None:  # type: ignore[no-untyped-def]
    f = calm.figures()
    assert calm.promised <= calm.reservations
    assert calm.kept + calm.late + calm.open_at_end == calm.promised
    # Without disturbances a late promise can only come from re-planning.
    assert set(calm.late_causes) <= {"replanned"}
    assert sum(calm.late_causes.values()) == calm.late
    assert calm.tight <= calm.judged
    assert f["ready"] == len(calm.waiting) > 0
    assert min(calm.waiting) >= 0
    assert f["waiting_median"] <= f["waiting_p90"]


def test_disturbances_happen_and_are_the_same_for_both_methods() -> None:
    rough = Disturbances(missing=0.2, late_pull=0.3, closed_branch=0.1, slow_run=0.5)
    runs = [
        simulate(BUNDLED, START, 1, 3, method=m, seconds_per_day=0.5, scale=0.3,
                 disturbances=rough)
        for m in ("joint", "greedy")
    ]  # fmt: skip
    for r in runs:
        assert r.events.get("missing", 0) > 0 and r.events.get("late_pull", 0) > 0
        # Every late promise is put down to something, and only to what happened.
        assert sum(r.late_causes.values()) >= r.late > 0
        assert set(r.late_causes) <= set(r.events) | {"replanned"}
        assert r.late_never_ready <= r.late
    # Branch closures and late pulls depend only on the seed, the day and the branch.
    assert runs[0].events["late_pull"] == runs[1].events["late_pull"]
    assert runs[0].events.get("closed_branch") == runs[1].events.get("closed_branch")


def test_a_missing_copy_breaks_no_promise() -> None:
    """A copy is promised once it is pulled (logistics.eta.told): with one pulled copy in five
    missing and nothing else going wrong, copies go missing but no late promise is put down to
    one."""
    only = Disturbances(missing=0.2, late_pull=0.0, cancelled_runs_per_month=0.0,
                        slow_run=0.0, closed_branch=0.0)  # fmt: skip
    r = simulate(BUNDLED, START, 1, 3, seconds_per_day=0.5, scale=0.3, disturbances=only)
    assert r.events.get("missing", 0) > 0
    assert set(r.late_causes) <= {"replanned"}  # none put down to `missing`
    assert r.promised > 0
    assert len(r.told_later) == r.promised and min(r.told_later) >= 0
    # Had each patron's first date, seen before the pull, been the promise, the missing
    # copies would have broken some.
    assert r.first_late > r.late


def test_a_cancelled_run_is_planned_without_its_van() -> None:
    """Cancellations are known in the morning: with every run cancelled nothing is driven,
    nothing travels, and each van day of the week counts as one cancelled run."""
    every = Disturbances(0.0, 0.0, 0, cancelled_runs_per_month=1000.0, slow_run=0.0,
                         slow_factor=1.0, closed_branch=0.0)  # fmt: skip
    r = simulate(BUNDLED, START, 1, 3, seconds_per_day=0.5, scale=0.3, disturbances=every)
    # vans.csv: one van on Monday, Wednesday and Friday
    assert r.events == {"cancelled_run": 3}
    assert r.runs == 0 and r.km == 0 and r.crates == 0
    assert r.promised > 0


def test_promises_broken_by_slow_runs_are_put_down_to_them() -> None:
    """Every run three times slower than planned, nothing else going wrong: stops reached after
    closing fail and late check-ins slip a day; the late promises are put down to slow runs
    (or re-planning), and every run driven counts as one slow run."""
    slow = Disturbances(0.0, 0.0, 0, cancelled_runs_per_month=0.0, slow_run=1.0,
                        slow_factor=3.0, closed_branch=0.0)  # fmt: skip
    r = simulate(BUNDLED, START, 1, 3, seconds_per_day=0.5, scale=0.3, disturbances=slow)
    assert set(r.events) == {"slow_run"} and r.events["slow_run"] == r.runs > 0
    assert set(r.late_causes) <= {"slow_run", "replanned"}
    assert r.late_causes.get("slow_run", 0) > 0
    assert sum(r.late_causes.values()) == r.late


@pytest.fixture(scope="module")
def two_vans_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("two") / "bergslagen"
    shutil.copytree(BUNDLED, folder)
    shutil.copyfile(BUNDLED / "vans_two_daily.csv", folder / "vans.csv")
    return folder


@pytest.fixture(scope="module")
def two_vans(two_vans_folder: Path) -> Scenario:
    return load_scenario(two_vans_folder)


def test_promises_broken_by_cancelled_runs_are_put_down_to_them(two_vans_folder: Path) -> None:
    """About half the runs of two daily vans cancelled, nothing else going wrong: the late
    promises are those whose copy the day before's plan had on a cancelled run, or re-planned."""
    cancel = Disturbances(0.0, 0.0, 0, cancelled_runs_per_month=20.0, slow_run=0.0,
                          slow_factor=1.0, closed_branch=0.0)  # fmt: skip
    r = simulate(two_vans_folder, START, 1, 3, seconds_per_day=0.5, scale=0.3, disturbances=cancel)
    assert set(r.events) == {"cancelled_run"}
    assert set(r.late_causes) <= {"cancelled_run", "replanned"}
    assert r.late_causes.get("cancelled_run", 0) > 0
    assert sum(r.late_causes.values()) == r.late


def _where(p: Plan) -> set[tuple[str, str, str]]:
    """(item, reservation, where the plan leaves it) of everything the plan does not deliver."""
    return {(u.item_id, u.reservation_id, u.at_branch_id) for u in p.unplanned}


def test_the_first_day_of_a_plan_is_a_plan_of_that_day(two_vans: Scenario) -> None:
    """The day the simulator carries out is the first day of the plan whose dates patrons are
    told: it passes the checker on its own, keeps every item, and leaves each one where that
    day's runs leave it."""
    week = plan(two_vans, START, 3, seconds=3.0, seed=1)
    first = first_day(week)
    assert check_plan(two_vans, first) == []
    assert {r.day for r in first.routes} == {START} == {c.day for c in first.crates}
    assert {d.delivered_date for d in first.deliveries} == {START}
    items = Counter(d.item_id for d in first.deliveries)
    items.update(u.item_id for u in first.unplanned if u.item_id)
    assert set(items.values()) == {1}
    assert set(items) == {d.item_id for d in week.deliveries} | {
        u.item_id for u in week.unplanned if u.item_id
    }
    # A crate that travelled on the first day and is delivered later waits at its last stop
    # of that day, a transfer point; one that travels only later is still at its source.
    crate_of = {item: crate for crate, item in week.contents}
    at = {u.item_id: u.at_branch_id for u in first.unplanned if u.item_id}
    points = transfer_points(two_vans)
    later = [d for d in week.deliveries if d.crate_id and d.delivered_date > START]
    assert later
    for d in later:
        legs = [c for c in week.crates if c.crate_id == crate_of[d.item_id] and c.day == START]
        if legs:
            assert at[d.item_id] == max(legs, key=lambda c: c.leg).leg_to_branch_id in points
        elif d.ready_date <= START:
            assert at[d.item_id] == d.from_branch_id
        elif d.reservation_id:
            assert at[d.item_id] == ""  # not pulled yet: still on the shelf


def test_the_first_day_of_a_one_day_plan_is_that_plan(two_vans: Scenario) -> None:
    day = plan(two_vans, START, 1, seconds=1.0, seed=1)
    first = first_day(day)
    assert (first.routes, first.crates, first.deliveries) == (
        day.routes,
        day.crates,
        day.deliveries,
    )
    assert _where(first) == _where(day)
    assert first.contents == day.contents
