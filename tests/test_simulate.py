"""The simulator: the planner day after day with disturbances, promises against reality."""

from __future__ import annotations

from datetime import date

import pytest

from logistics.simulate import Disturbances, simulate
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
    # Branch closures and late pulls depend only on the seed, the day and the branch.
    assert runs[0].events["late_pull"] == runs[1].events["late_pull"]
    assert runs[0].events.get("closed_branch") == runs[1].events.get("closed_branch")


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
