"""Planning jobs and the current plan over HTTP: a job plans in a worker process, one at a time;
a worker killed or crashing leaves the previous plan current and nothing of its own written;
the plan's runs and lists read back as stored, each to the roles allowed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import models as m
from api.db import transaction
from api.jobs import plan_now, recover_jobs
from api.store import current_plan_id, export_folder, read_plan
from logistics.check import check_plan
from logistics.load import format_hhmm, load_scenario
from logistics.model import Scenario
from logistics.plan import Plan

START = date(2026, 11, 30)
PLAN_TABLES: tuple[Any, ...] = (
    m.PlanRoute, m.PlanCrate, m.PlanDelivery, m.PlanUnplanned, m.PlanPacking, m.PlanReservation,
)  # fmt: skip


@pytest.fixture
def api(service: Any) -> Iterator[Any]:
    """The service; any worker still running at the end is killed (PostgreSQL's database is
    shared between tests)."""
    yield service
    stop_workers(service)


def stop_workers(service: Any) -> None:
    for process in getattr(service.app.state, "plan_workers", {}).values():
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def post_plan(service: Any, **body: Any) -> Any:
    body = {"start": START.isoformat(), "days": 5, **body}
    return service.client.post("/plans", json=body, headers=service.headers("planner"))


def job(service: Any, job_id: str) -> dict[str, Any]:
    answer = service.client.get(f"/plans/jobs/{job_id}", headers=service.headers("planner"))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def wait_job(
    service: Any,
    job_id: str,
    until: Callable[[dict[str, Any]], bool] = lambda j: j["status"] in ("done", "failed"),
    timeout: float = 90,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = job(service, job_id)
        if until(found):
            return found
        assert found["status"] not in ("done", "failed"), found
        assert time.monotonic() < deadline, f"job still {found}"
        time.sleep(0.05)


def plan_via_api(service: Any, **body: Any) -> dict[str, Any]:
    answer = post_plan(service, seconds=0.5, **body)
    assert answer.status_code == 202, answer.text
    done = wait_job(service, answer.json()["job_id"])
    assert done["status"] == "done", done
    return done


def scenario_of(service: Any, tmp_path: Path) -> Scenario:
    with service.app.state.sessions() as session:
        return load_scenario(export_folder(session, tmp_path / "export"))


def stored(service: Any) -> tuple[int | None, Plan | None]:
    with service.app.state.sessions() as session:
        plan_id = current_plan_id(session)
        return plan_id, None if plan_id is None else read_plan(session, plan_id)


def rows_by_plan(service: Any) -> dict[str, Counter[int]]:
    """For each plan table, how many rows each plan_id has; plans: which plan ids exist."""
    out: dict[str, Counter[int]] = {}
    with service.app.state.sessions() as session:
        out["plans"] = Counter(session.scalars(select(m.PlanRecord.plan_id)))
        for table in PLAN_TABLES:
            query = select(table.plan_id, func.count()).group_by(table.plan_id)
            out[table.__tablename__] = Counter({pid: n for pid, n in session.execute(query)})
    return out


def assert_untouched(service: Any, plan_id: int, before: dict[str, Counter[int]]) -> None:
    """The plan `plan_id` is current with exactly its rows, and no other plan has any."""
    assert stored(service)[0] == plan_id
    after = rows_by_plan(service)
    assert after == before
    for table, counts in after.items():
        assert set(counts) <= {plan_id}, (table, counts)
    assert after["plan_routes"][plan_id] > 0


def slot_holders(service: Any) -> list[str]:
    with service.app.state.sessions() as session:
        return list(session.scalars(select(m.Job.job_id).where(m.Job.running_slot.is_not(None))))


# -- planning through the API ----------------------------------------------------------------


def test_plan_through_the_api_stores_a_valid_current_plan(api: Any, tmp_path: Path) -> None:
    assert api.client.get("/plans/current", headers=api.headers("planner")).status_code == 404
    answer = post_plan(api, seconds=0.5)
    assert answer.status_code == 202, answer.text
    started = answer.json()
    assert started["status"] in ("queued", "running")
    assert started["progress"] == 0.0
    assert started["pid"] is not None
    seen: list[dict[str, Any]] = []

    def record(j: dict[str, Any]) -> bool:
        seen.append(j)
        return j["status"] in ("done", "failed")

    done = wait_job(api, started["job_id"], record)
    assert done["status"] == "done", done
    assert done["progress"] == 1.0
    assert done["finished_at"] is not None
    assert "stored and current" in done["message"]
    progress = [j["progress"] for j in seen]
    assert progress == sorted(progress)  # never goes back
    assert slot_holders(api) == []

    plan_id, plan = stored(api)
    assert plan is not None and plan_id == done["plan_id"]
    scenario = scenario_of(api, tmp_path)
    assert check_plan(scenario, plan) == []
    assert plan.routes and plan.crates and plan.deliveries

    current = api.client.get("/plans/current", headers=api.headers("staff")).json()
    assert current["plan_id"] == plan_id
    assert current["job_id"] == started["job_id"]
    assert (current["start"], current["days"]) == ("2026-11-30", 5)
    assert current["end"] == "2026-12-04"
    assert current["summary"] == {
        **plan.summary(),
        "solve_seconds": current["summary"]["solve_seconds"],
    }

    # runs: one per (day, van) of the stored routes, with their km, stops and times
    runs = api.client.get("/plans/current/runs", headers=api.headers("driver")).json()
    assert runs["plan_id"] == plan_id
    by_run: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in plan.routes:
        by_run[(r.day.isoformat(), r.van_id)].append(r)
    assert [(r["day"], r["van_id"]) for r in runs["runs"]] == sorted(by_run)
    for run in runs["runs"]:
        rows = sorted(by_run[(run["day"], run["van_id"])], key=lambda r: r.seq)
        assert run["km"] == pytest.approx(sum(r.km_from_prev for r in rows), abs=0.05)
        assert run["stops"] == sum(1 for r in rows if r.kind == "stop")
        assert run["start"] == format_hhmm(rows[0].departure)
        assert run["end"] == format_hhmm(rows[-1].arrival)
        carried = {
            c.crate_id
            for c in plan.crates
            if (c.day.isoformat(), c.van_id) == (run["day"], run["van_id"])
        }
        assert run["crates"] == len(carried)

        # the run's detail: the rows in order, each crate dropped where its leg ends and
        # collected where it begins
        detail = api.client.get(
            f"/plans/current/runs/{run['day']}/{run['van_id']}", headers=api.headers("planner")
        ).json()
        assert [(s["seq"], s["kind"], s["branch_id"]) for s in detail["stops"]] == [
            (r.seq, r.kind, r.branch_id) for r in rows
        ]
        legs = [
            c for c in plan.crates if (c.day.isoformat(), c.van_id) == (run["day"], run["van_id"])
        ]
        dropped = Counter(
            (s["branch_id"], c["crate_id"]) for s in detail["stops"] for c in s["dropped"]
        )
        collected = Counter(
            (s["branch_id"], c["crate_id"]) for s in detail["stops"] for c in s["collected"]
        )
        assert dropped == Counter((c.leg_to_branch_id, c.crate_id) for c in legs)
        assert collected == Counter((c.leg_from_branch_id, c.crate_id) for c in legs)
        for s, r in zip(detail["stops"], rows, strict=True):
            assert len(s["dropped"]) == r.crates_off
            assert len(s["collected"]) == r.crates_on

    # the lists: every stored row, once
    crates = api.client.get("/plans/current/crates", headers=api.headers("planner")).json()
    assert crates["total"] == len(plan.crates)
    assert sorted(
        (c["crate_id"], c["leg"], c["day"], c["van_id"], c["departure"]) for c in crates["items"]
    ) == sorted(
        (c.crate_id, c.leg, c.day.isoformat(), c.van_id, format_hhmm(c.departure))
        for c in plan.crates
    )
    deliveries = api.client.get("/plans/current/deliveries", headers=api.headers("planner")).json()
    assert sorted(
        (d["item_id"], d["crate_id"], d["delivered_date"]) for d in deliveries["items"]
    ) == sorted((d.item_id, d.crate_id, d.delivered_date.isoformat()) for d in plan.deliveries)
    unplanned = api.client.get("/plans/current/unplanned", headers=api.headers("planner")).json()
    assert sorted(
        (u["item_id"], u["reservation_id"], u["reason"]) for u in unplanned["items"]
    ) == sorted((u.item_id, u.reservation_id, u.reason) for u in plan.unplanned)

    # the start is in the audit log, with the planner's key
    with api.app.state.sessions() as session:
        audit = session.scalars(select(m.Audit).where(m.Audit.action == "plan.start")).all()
    assert [a.target for a in audit] == [started["job_id"]]


def test_a_second_post_while_one_runs_is_409_with_the_running_job(api: Any) -> None:
    first = post_plan(api, seconds=60)
    assert first.status_code == 202
    job_id = first.json()["job_id"]
    second = post_plan(api, seconds=0.5)
    assert second.status_code == 409
    body = second.json()
    assert body["job"]["job_id"] == job_id
    assert body["job"]["status"] in ("queued", "running")
    assert "one at a time" in body["detail"]
    with api.app.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Job)) == 1

    # a SIGTERM stops the worker, which says so in the job and frees the slot
    running = wait_job(api, job_id, lambda j: j["message"].startswith("day 1/"))
    os.kill(running["pid"], signal.SIGTERM)
    failed = wait_job(api, job_id)
    assert failed["status"] == "failed"
    assert "SIGTERM" in failed["message"]
    assert slot_holders(api) == []
    assert stored(api) == (None, None)
    assert plan_via_api(api)["plan_id"] is not None


def test_bad_plan_requests_are_422(api: Any) -> None:
    for body in ({"days": 0}, {"days": 15}, {"start": "2026-13-01"}, {"seconds": 0}, {"speed": 1}):
        answer = post_plan(api, **body)
        assert answer.status_code == 422, body
    with api.app.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Job)) == 0


# -- a worker that dies leaves the previous plan ------------------------------------------------


def previous_plan(service: Any) -> dict[str, Any]:
    """A current plan to keep, stored in-process (quicker than a worker)."""
    plan_id, _ = plan_now(service.app.state.sessions, START, 5, seconds=0.5)
    return {"plan_id": plan_id}


def test_a_worker_killed_mid_planning_leaves_the_previous_plan(api: Any, tmp_path: Path) -> None:
    first = previous_plan(api)
    before = rows_by_plan(api)

    # 40 s for 2 days with van runs: 20 s a day of routing, killed in the first
    answer = post_plan(api, seconds=40)
    assert answer.status_code == 202
    job_id = answer.json()["job_id"]
    running = wait_job(api, job_id, lambda j: j["message"].startswith("day 1/"))
    assert running["status"] == "running"
    os.kill(running["pid"], signal.SIGKILL)
    failed = wait_job(api, job_id, timeout=15)
    assert failed["status"] == "failed"
    assert "SIGKILL" in failed["message"]
    assert failed["plan_id"] is None
    assert slot_holders(api) == []
    assert_untouched(api, first["plan_id"], before)

    # and the next job runs to done
    again = plan_via_api(api)
    assert again["plan_id"] not in (None, first["plan_id"])
    plan_id, plan = stored(api)
    assert plan_id == again["plan_id"] and plan is not None
    assert check_plan(scenario_of(api, tmp_path), plan) == []


def test_a_worker_killed_while_storing_leaves_the_previous_plan(
    api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = previous_plan(api)
    before = rows_by_plan(api)
    flag = tmp_path / "storing"
    monkeypatch.setenv("BOKFLYT_WORKER_FAULT", f"pause-storing:{flag}")
    answer = post_plan(api, seconds=0.5)
    job_id = answer.json()["job_id"]
    deadline = time.monotonic() + 60
    while not flag.exists():  # the worker has written its plan's rows, not committed them
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert int(flag.read_text()) != first["plan_id"]
    # no request meanwhile: on SQLite the worker's open transaction holds the write lock (and
    # every transaction takes it), so a request would wait for it
    os.kill(api.app.state.plan_workers[job_id].pid, signal.SIGKILL)
    failed = wait_job(api, job_id, timeout=15)
    assert failed["status"] == "failed" and "SIGKILL" in failed["message"]
    assert_untouched(api, first["plan_id"], before)
    monkeypatch.delenv("BOKFLYT_WORKER_FAULT")
    assert plan_via_api(api)["plan_id"] != first["plan_id"]


@pytest.mark.parametrize("fault", ["crash-planning", "crash-storing"])
def test_a_worker_that_raises_leaves_the_previous_plan(
    api: Any, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = previous_plan(api)
    before = rows_by_plan(api)
    monkeypatch.setenv("BOKFLYT_WORKER_FAULT", fault)
    answer = post_plan(api, seconds=0.5)
    failed = wait_job(api, answer.json()["job_id"])
    assert failed["status"] == "failed"
    assert failed["message"].startswith(
        f"planning failed: InjectedFault: BOKFLYT_WORKER_FAULT={fault}"
    )
    assert slot_holders(api) == []
    assert_untouched(api, first["plan_id"], before)
    monkeypatch.delenv("BOKFLYT_WORKER_FAULT")
    assert plan_via_api(api)["status"] == "done"


def test_a_plan_the_planner_rejects_fails_the_job(api: Any) -> None:
    """Data the planner refuses (a bad settings.toml) fails the job with the reason."""
    with transaction(api.app.state.sessions) as session:
        session.add(m.ScenarioFile(name="settings.toml", text="items_per_crate = 'many'\n"))
    answer = post_plan(api, seconds=0.5)
    failed = wait_job(api, answer.json()["job_id"])
    assert failed["status"] == "failed"
    assert failed["message"].startswith("planning failed: ")
    assert "settings.toml" in failed["message"]
    assert slot_holders(api) == []
    assert rows_by_plan(api)["plans"] == Counter()


# -- a worker gone while the server was down ---------------------------------------------------


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def add_job(service: Any, **values: Any) -> str:
    row: dict[str, Any] = {
        "job_id": "orphan", "status": "running", "start": START, "days": 5, "progress": 0.3,
        "message": "day 2/5", "created_at": datetime.now().replace(microsecond=0),
        "running_slot": 1, **values,
    }  # fmt: skip
    with transaction(service.app.state.sessions) as session:
        session.add(m.Job(**row))
    return str(row["job_id"])


def test_start_up_fails_jobs_whose_worker_is_gone(api: Any) -> None:
    add_job(api, pid=dead_pid())
    with TestClient(api.app):  # start-up
        pass
    failed = job(api, "orphan")
    assert failed["status"] == "failed"
    assert "no longer running" in failed["message"]
    assert slot_holders(api) == []
    # a queued job never started (no pid) is failed once it is old
    add_job(api, job_id="never", status="queued", pid=None,
            created_at=datetime.now().replace(microsecond=0) - timedelta(minutes=5))  # fmt: skip
    assert recover_jobs(api.app.state.sessions) == ["never"]
    assert "never started" in job(api, "never")["message"]


def test_start_up_keeps_a_job_whose_worker_is_alive(api: Any) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "alive"])
    try:
        add_job(api, job_id="alive", pid=sleeper.pid)
        assert recover_jobs(api.app.state.sessions) == []
        assert job(api, "alive")["status"] == "running"
        assert post_plan(api).status_code == 409
        # the same pid without the job's id on its command line is another process
        with transaction(api.app.state.sessions) as session:
            row = session.get(m.Job, "alive")
            assert row is not None
            row.job_id = "other"
        assert job(api, "other")["status"] == "failed"
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_slot_held_by_a_dead_worker_is_taken_over(api: Any) -> None:
    add_job(api, pid=dead_pid())
    done = plan_via_api(api)
    assert done["status"] == "done"
    assert job(api, "orphan")["status"] == "failed"


# -- roles ---------------------------------------------------------------------------------------


@pytest.fixture
def planned(service: Any) -> Any:
    """The service with a current plan stored directly (no worker)."""
    plan_now(service.app.state.sessions, START, 5, seconds=0.5)
    return service


LIST_ROUTES = ("/plans/current/crates", "/plans/current/deliveries", "/plans/current/unplanned")
ROLE_CASES = [
    ("get", "/plans/jobs/nope", {"planner": 404, "staff": 403, "staff_bbb": 403, "driver": 403}),
    ("get", "/plans/current", {"planner": 200, "staff": 200, "staff_bbb": 200, "driver": 200}),
    ("get", "/plans/current/runs", {"planner": 200, "staff": 403, "staff_bbb": 403, "driver": 200}),
    (
        "get",
        "/plans/current/runs/2026-11-30/V1",
        {"planner": 200, "staff": 403, "staff_bbb": 403, "driver": 200},
    ),
    (
        "get",
        "/plans/current/runs/2026-12-04/V1",
        {"planner": 404, "staff": 403, "staff_bbb": 403, "driver": 404},
    ),
    *[
        ("get", path, {"planner": 200, "staff": 200, "staff_bbb": 200, "driver": 403})
        for path in LIST_ROUTES
    ],
    *[
        (
            "get",
            path + "?branch_id=BBB",
            {"planner": 200, "staff": 403, "staff_bbb": 200, "driver": 403},
        )
        for path in LIST_ROUTES
    ],
    ("post", "/plans", {"staff": 403, "staff_bbb": 403, "driver": 403}),
]


def test_roles(planned: Any) -> None:
    for method, path, expected in ROLE_CASES:
        body = {"json": {"start": "2026-11-30"}} if method == "post" else {}
        for who, status in expected.items():
            answer = planned.client.request(method, path, headers=planned.headers(who), **body)
            assert answer.status_code == status, (path, who, answer.text)
        assert planned.client.request(method, path, **body).status_code == 401, path
        bad = planned.client.request(method, path, headers={"X-API-Key": "bk_nope_nope"}, **body)
        assert bad.status_code == 401, path
    with planned.app.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Job)) == 0


def test_staff_lists_hold_only_rows_touching_their_branch(planned: Any) -> None:
    _, plan = stored(planned)
    assert plan is not None
    expected: dict[str, dict[str, set[tuple[str, ...]]]] = {}
    for branch in ("AAA", "BBB"):
        expected[branch] = {
            "crates": {(c.crate_id, str(c.leg)) for c in plan.crates
                       if branch in (c.from_branch_id, c.to_branch_id, c.leg_from_branch_id, c.leg_to_branch_id)},
            "deliveries": {(d.item_id,) for d in plan.deliveries if branch in (d.from_branch_id, d.to_branch_id)},
            "unplanned": {(u.reservation_id, u.item_id) for u in plan.unplanned
                          if u.at_branch_id == branch or any(p.reservation_id == u.reservation_id and p.pickup_branch_id == branch for p in plan.reservations)},
        }  # fmt: skip
    keys = {
        "crates": ("crate_id", "leg"),
        "deliveries": ("item_id",),
        "unplanned": ("reservation_id", "item_id"),
    }
    for who, branch in (("staff", "AAA"), ("staff_bbb", "BBB")):
        for name, fields in keys.items():
            for query in ("", f"?branch_id={branch}"):
                got = planned.client.get(
                    f"/plans/current/{name}{query}", headers=planned.headers(who)
                ).json()
                rows = {tuple(str(r[f]) for f in fields) for r in got["items"]}
                assert rows == expected[branch][name], (who, name)
                assert got["total"] == len(got["items"])
            # the planner's view filtered to the branch is the same
            mine = planned.client.get(
                f"/plans/current/{name}?branch_id={branch}", headers=planned.headers("planner")
            ).json()
            assert {tuple(str(r[f]) for f in fields) for r in mine["items"]} == expected[branch][
                name
            ]
    # and the filters matter: AAA and BBB see different crates, the planner sees them all
    assert expected["AAA"]["crates"] != expected["BBB"]["crates"]
    assert expected["BBB"]["unplanned"]  # R4 (no copy) is picked up at BBB
    everything = planned.client.get(
        "/plans/current/crates", headers=planned.headers("planner")
    ).json()
    assert everything["total"] == len(plan.crates) > len(expected["BBB"]["crates"])


def test_lists_page_and_filter_by_day(planned: Any) -> None:
    _, plan = stored(planned)
    assert plan is not None
    h = planned.headers("planner")
    whole = planned.client.get("/plans/current/crates", headers=h).json()["items"]
    assert len(whole) >= 3
    pages = [
        planned.client.get(f"/plans/current/crates?limit=2&offset={o}", headers=h).json()
        for o in range(0, len(whole), 2)
    ]
    assert [r for p in pages for r in p["items"]] == whole
    assert {p["total"] for p in pages} == {len(whole)}
    day = plan.crates[0].day
    by_day = planned.client.get(f"/plans/current/crates?day={day.isoformat()}", headers=h).json()
    assert by_day["total"] == sum(1 for c in plan.crates if c.day == day) < len(whole)
    delivered = planned.client.get(
        f"/plans/current/deliveries?day={day.isoformat()}", headers=h
    ).json()
    assert delivered["total"] == sum(1 for d in plan.deliveries if d.delivered_date == day)
    assert planned.client.get("/plans/current/crates?limit=0", headers=h).status_code == 422
    assert planned.client.get("/plans/current/crates?offset=-1", headers=h).status_code == 422
    runs = planned.client.get(f"/plans/current/runs?day={day.isoformat()}", headers=h).json()[
        "runs"
    ]
    assert {r["day"] for r in runs} == {day.isoformat()}


# -- requests that are not the server's error ------------------------------------------------------


def test_start_dates_outside_2000_to_2100_are_422(api: Any) -> None:
    for start in ("9999-12-30", "2101-01-01", "1999-12-31", "0001-01-01"):
        answer = post_plan(api, start=start)
        assert answer.status_code == 422, (start, answer.text)
        assert answer.json()["detail"][0]["loc"] == ["body", "start"]
    infinite = api.client.post(
        "/plans",
        content=b'{"start": "2026-11-30", "seconds": 1e400}',
        headers={**api.headers("planner"), "Content-Type": "application/json"},
    )
    assert infinite.status_code == 422, infinite.text
    with api.app.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(m.Job)) == 0


def test_filters_with_control_characters_are_422(planned: Any) -> None:
    h = planned.headers("planner")
    for path, params in (
        ("/plans/current/runs", {"van_id": "\x00"}),
        ("/plans/current/runs", {"van_id": "V1\n"}),
        ("/plans/current/runs", {"van_id": "V" * 65}),
        ("/plans/current/crates", {"branch_id": "\x00"}),
        ("/plans/current/runs/2026-11-30/%00", {}),
        ("/plans/jobs/%00", {}),
    ):
        answer = planned.client.get(path, params=params, headers=h)
        assert answer.status_code == 422, (path, params, answer.text)
    runs = planned.client.get("/plans/current/runs", params={"van_id": "V1"}, headers=h).json()
    assert runs["runs"] and {r["van_id"] for r in runs["runs"]} == {"V1"}


def test_the_runs_list_documents_403_and_404(api: Any) -> None:
    spec = api.client.get("/openapi.json").json()
    responses = spec["paths"]["/plans/current/runs"]["get"]["responses"]
    for status in ("401", "403", "404"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/Message"), (status, schema)
    params = {p["name"]: p for p in spec["paths"]["/plans/current/runs"]["get"]["parameters"]}
    assert params["van_id"]["schema"]["anyOf"][0]["maxLength"] == 64


# -- SQLite: reading while a plan is being stored ----------------------------------------------


def test_keyed_reads_answer_while_a_writer_holds_the_database(planned: Any) -> None:
    """A planning worker storing its plan holds SQLite's write lock for a while: the key check
    and the reads must not wait for it (they read the last committed state)."""
    import sqlite3

    if not planned.url.startswith("sqlite"):
        pytest.skip("SQLite's locking")
    path = planned.url.split("///", 1)[1]
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE meta SET value = value WHERE key = 'consortium'")
        started = time.monotonic()
        for who, path in (
            ("planner", "/branches"),
            ("staff", "/items"),
            ("driver", "/plans/current"),
            ("driver", "/plans/current/runs"),
            ("staff", "/plans/current/crates"),
            ("planner", "/opening-hours"),
        ):
            answer = planned.client.get(path, headers=planned.headers(who))
            assert answer.status_code == 200, (path, answer.text)
        assert planned.client.get("/vans", headers={"X-API-Key": "bk_x_y"}).status_code == 401
        assert time.monotonic() - started < 10
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_locked_database_is_503_not_500(api: Any) -> None:
    """When a write waits out SQLite's busy timeout the answer says try again (503)."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    def locked() -> None:
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    api.app.add_api_route("/test-locked", locked, methods=["POST"])
    client = TestClient(api.app, raise_server_exceptions=False)
    answer = client.post("/test-locked")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert "busy" in answer.json()["detail"]
