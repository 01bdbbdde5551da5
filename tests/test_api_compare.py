"""The current plan compared with today's practice: POST /plans/compare plans the practice
schedule (vans Monday, Wednesday and Friday only, greedy copy choice) on the current plan's
demand in a worker, one job at a time, without touching the current plan; GET /plans/compare
gives both sides' figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from api.jobs import plan_now
from api.practice import practice_vans, reason_kind
from api.routes.compare import figures
from tests.test_api_plans import START, rows_by_plan, stop_workers, stored, wait_job


@pytest.fixture
def planned(service: Any) -> Iterator[Any]:
    """The service with a current plan stored directly (no worker); workers killed after."""
    plan_now(service.app.state.sessions, START, 5, seconds=0.5)
    yield service
    stop_workers(service)


def compare(service: Any, who: str = "planner") -> Any:
    return service.client.get("/plans/compare", headers=service.headers(who))


def start_compare(service: Any, **body: Any) -> Any:
    return service.client.post("/plans/compare", json=body, headers=service.headers("planner"))


def test_practice_runs_only_mon_wed_fri_and_the_current_plan_stays(planned: Any) -> None:
    before = compare(planned).json()
    assert before["practice"] is None and before["same_demand"] is False
    assert before["current"]["weekdays"] == {"V1": "mon;tue;wed;thu;fri"}
    plan_id, plan = stored(planned)
    rows = rows_by_plan(planned)
    with planned.app.state.sessions() as session:
        from api import models as m

        promises = {r.reservation_id: r.promise_date for r in session.query(m.Reservation)}

    answer = start_compare(planned, seconds=0.5)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    assert (answer.json()["start"], answer.json()["days"]) == (START.isoformat(), 5)
    # one job at a time: a plan job (or another comparison) meanwhile is 409
    busy = planned.client.post(
        "/plans", json={"start": START.isoformat()}, headers=planned.headers("planner")
    )
    assert busy.status_code == 409 and busy.json()["job"]["job_id"] == job_id
    assert start_compare(planned).status_code == 409
    done = wait_job(planned, job_id)
    assert done["status"] == "done", done
    assert done["plan_id"] is None and "not current" in done["message"]

    # the current plan, its rows and the reservations' dates are untouched
    assert stored(planned)[0] == plan_id
    assert rows_by_plan(planned) == rows
    with planned.app.state.sessions() as session:
        assert {r.reservation_id: r.promise_date for r in session.query(m.Reservation)} == promises

    after = compare(planned).json()
    assert after["current"] == before["current"]
    assert after["job"]["job_id"] == job_id and after["job"]["status"] == "done"
    practice = after["practice"]
    assert after["same_demand"] is True
    assert (practice["start"], practice["days"]) == (START.isoformat(), 5)
    assert practice["plan_id"] is None and practice["job_id"] == job_id
    assert practice["sourcing"] == "greedy" and practice["weekdays"] == {"V1": "mon;wed;fri"}
    days = {date.fromisoformat(r["day"]).strftime("%a") for r in practice["runs"]}
    assert days and days <= {"Mon", "Wed", "Fri"}, practice["runs"]
    assert practice["figures"]["runs"] == len(practice["runs"])
    # the current plan's own runs include a Tuesday, which practice has not
    assert "Tue" in {date.fromisoformat(r["day"]).strftime("%a") for r in after["current"]["runs"]}
    assert plan is not None
    assert after["current"]["figures"]["km"] == plan.summary()["km"]
    # the same demand: every reservation is moved, filled on the spot or unplanned in both
    for side in (after["current"], practice):
        f = side["figures"]
        assert f["items_moved"] + f["items_filled_on_the_spot"] + f["items_unplanned"] == 6
        assert sum(r["count"] for r in side["unplanned_reasons"]) == f["items_unplanned"]


def test_compare_needs_a_plan_and_a_planner(service: Any) -> None:
    assert compare(service).status_code == 404
    assert start_compare(service).status_code == 404
    plan_now(service.app.state.sessions, START, 5, seconds=0.5)
    for who in ("staff", "driver"):
        assert compare(service, who).status_code == 403
        answer = service.client.post("/plans/compare", json={}, headers=service.headers(who))
        assert answer.status_code == 403
    assert service.client.get("/plans/compare").status_code == 401
    assert start_compare(service, seconds=-1).status_code == 422
    assert start_compare(service, days=3).status_code == 422


def test_figures_and_reason_kinds() -> None:
    summary = {
        "km": 10.0,
        "drive_minutes": 95,
        "runs": 2,
        "crates": 3,
        "items_moved": 4,
        "items_filled_on_the_spot": 1,
        "items_unplanned": 0,
        "transit_days": {"0": 1, "1": 1, "2": 1, "4": 1},
        "share_within_1_working_day": 0.5,
    }
    f = figures(summary)
    assert f.drive_hours == 1.6 and f.share_within_2_working_days == 0.75
    assert (
        figures({**summary, "items_moved": 0, "transit_days": {}}).share_within_2_working_days
        is None
    )
    assert reason_kind("no available copy (1 on loan; first due back 2026-12-10)") == "no_copy"
    assert reason_kind("still waiting at AAA at the end of the horizon") == "waiting_at_end"
    assert reason_kind("in crate C1 waiting at HUB at the end of the horizon") == "waiting_at_end"
    assert (
        reason_kind("copy at AAA cannot be pulled before the horizon ends") == "not_pulled_in_time"
    )
    assert reason_kind("something new") == "other"


def test_practice_vans_keeps_everything_but_the_weekdays(tiny: Any) -> None:
    before = (tiny / "vans.csv").read_text().splitlines()
    practice_vans(tiny)
    after = (tiny / "vans.csv").read_text().splitlines()
    assert after[0] == before[0]
    assert after[1] == before[1].replace("mon;tue;wed;thu;fri", "mon;wed;fri")
