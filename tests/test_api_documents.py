"""Printouts over HTTP: the current plan's documents as PDF (read back as text) and CSV, each
to the roles allowed: planners all, staff their own branch's (not route sheets), drivers route
sheets only."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from api.jobs import plan_now
from api.store import current_plan_id, export_folder, read_plan
from logistics.documents import CSV_COLUMNS, documents
from logistics.load import load_scenario
from logistics.plan import Plan

START = date(2026, 11, 30)
URL = "/plans/current/documents"


@pytest.fixture
def planned(service: Any) -> Any:
    """The service with a current plan (stored directly, as a job's worker does)."""
    plan_now(service.app.state.sessions, START, 5, seconds=0.5)
    return service


def stored_plan(service: Any) -> Plan:
    with service.app.state.sessions() as session:
        plan_id = current_plan_id(session)
        assert plan_id is not None
        return read_plan(session, plan_id)


def get(service: Any, who: str | None, kind: str, **query: str) -> Any:
    headers = service.headers(who) if who else {}
    return service.client.get(f"{URL}/{kind}", params=query, headers=headers)


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_staff_get_their_branch_pull_list_packing_list_and_labels(planned: Any) -> None:
    plan = stored_plan(planned)
    day = START.isoformat()
    # what AAA does on the plan's first day, from the stored plan
    pulled = {
        p.item_id for p in plan.reservations if p.pull_date == START and p.source_branch_id == "AAA"
    }
    elsewhere = {
        p.item_id
        for p in plan.reservations
        if p.pull_date == START and p.source_branch_id != "AAA" and p.item_id
    }
    packed = [c for c in plan.crates if c.day == START and c.leg_from_branch_id == "AAA"]
    packed_items = {i for c, i in plan.contents if c in {x.crate_id for x in packed}}
    assert pulled and elsewhere and packed and packed_items  # the test means something

    answer = get(planned, "staff", "pull", date=day)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert "pull-2026-11-30-AAA.pdf" in answer.headers["content-disposition"]
    text = pdf_text(answer.content)
    assert "Plocklista" in text and "A library (AAA)" in text
    for item in pulled:
        assert item in text
    for item in elsewhere:
        assert item not in text

    text = pdf_text(get(planned, "staff", "packing", date=day, lang="en").content)
    assert "Packing list" in text
    for c in packed:
        assert c.crate_id in text
    for item in packed_items:
        assert item in text
    other = {
        c.crate_id
        for c in plan.crates
        if c.day == START and "AAA" not in (c.leg_from_branch_id, c.from_branch_id, c.to_branch_id)
    }
    assert other and not any(crate in text for crate in other)

    text = pdf_text(get(planned, "staff", "labels", date=day, branch_id="AAA").content)
    for c in packed:
        if c.leg == 1:
            assert c.crate_id in text


def test_csv_rows_match_the_plan(planned: Any) -> None:
    plan = stored_plan(planned)
    day = START.isoformat()
    answer = get(planned, "staff", "packing", date=day, format="csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = csv_rows(answer.text)
    assert tuple(rows[0]) == CSV_COLUMNS["packing"]
    legs = {c.crate_id: c for c in plan.crates if c.day == START and c.leg_from_branch_id == "AAA"}
    assert {(r["crate_id"], r["item_id"]) for r in rows} == {
        (c, i) for c, i in plan.contents if c in legs
    }
    for r in rows:
        assert r["branch_id"] == "AAA"
        assert r["destination_branch_id"] == legs[r["crate_id"]].to_branch_id

    # the driver's route sheet: every row of each run, in order
    route = csv_rows(get(planned, "driver", "route", date=day, format="csv").text)
    expected = sorted((r.van_id, r.seq, r.kind, r.branch_id) for r in plan.routes if r.day == START)
    assert (
        sorted({(r["van_id"], int(r["seq"]), r["kind"], r["branch_id"]) for r in route}) == expected
    )
    dropped = {(r["branch_id"], r["crate_id"]) for r in route if r["action"] == "drop"}
    assert dropped == {(c.leg_to_branch_id, c.crate_id) for c in plan.crates if c.day == START}

    # arrivals for a planner, every branch: the legs arriving that day
    arrivals = csv_rows(get(planned, "planner", "arrivals", date=day, format="csv").text)
    assert {(r["branch_id"], r["crate_id"]) for r in arrivals} == {
        (c.leg_to_branch_id, c.crate_id) for c in plan.crates if c.day == START
    }


def test_the_api_prints_what_the_cli_prints(planned: Any, tmp_path: Path) -> None:
    """The same documents as `logistics.documents` on the plan and the exported consortium."""
    plan = stored_plan(planned)
    with planned.app.state.sessions() as session:
        scenario = load_scenario(export_folder(session, tmp_path))
    for kind in ("pull", "packing", "labels", "route", "arrivals"):
        docs = documents(kind, scenario, plan, START, lang="en")
        expected = [list(r) for d in docs for r in d.csv_rows]
        got = list(
            csv.reader(
                io.StringIO(
                    get(planned, "planner", kind, date="2026-11-30", lang="en", format="csv").text
                )
            )
        )
        assert got[0] == list(CSV_COLUMNS[kind])
        assert got[1:] == expected, kind


ROLE_CASES: list[tuple[str | None, str, dict[str, str], int]] = [
    ("planner", "pull", {}, 200),
    ("planner", "route", {"van_id": "V1"}, 200),
    ("planner", "packing", {"branch_id": "BBB", "van_id": "V1"}, 200),
    ("staff", "pull", {}, 200),
    ("staff", "arrivals", {"branch_id": "AAA"}, 200),
    ("staff", "labels", {"branch_id": "BBB"}, 403),
    ("staff", "pull", {"branch_id": "BBB"}, 403),
    ("staff", "route", {}, 403),
    ("staff", "route", {"van_id": "V1"}, 403),
    ("staff_bbb", "labels", {}, 200),
    ("staff_bbb", "pull", {"branch_id": "AAA"}, 403),
    ("driver", "route", {}, 200),
    ("driver", "route", {"van_id": "V1"}, 200),
    ("driver", "pull", {}, 403),
    ("driver", "packing", {"van_id": "V1"}, 403),
    ("driver", "arrivals", {}, 403),
    (None, "route", {}, 401),
    (None, "pull", {"branch_id": "AAA"}, 401),
]


def test_roles(planned: Any) -> None:
    for who, kind, query, status in ROLE_CASES:
        for fmt in ("pdf", "csv"):
            answer = get(planned, who, kind, date="2026-11-30", format=fmt, **query)
            assert answer.status_code == status, (who, kind, query, answer.text)
            if status == 200:
                assert (
                    answer.content.startswith(b"%PDF")
                    if fmt == "pdf"
                    else answer.text.startswith("date,")
                )


def test_driver_route_sheet_lists_the_run(planned: Any) -> None:
    plan = stored_plan(planned)
    text = pdf_text(
        get(planned, "driver", "route", date="2026-11-30", van_id="V1", lang="en").content
    )
    assert "Route sheet" in text
    for c in plan.crates:
        if c.day == START and c.van_id == "V1":
            assert c.crate_id in text


def test_bad_requests_are_422_with_the_reason(planned: Any) -> None:
    outside = get(planned, "planner", "pull", date="2026-12-24")
    assert outside.status_code == 422
    assert "outside the plan" in outside.json()["detail"]
    unknown = get(planned, "planner", "pull", date="2026-11-30", branch_id="ZZZ")
    assert unknown.status_code == 422 and "unknown branch 'ZZZ'" in unknown.json()["detail"]
    van = get(planned, "driver", "route", date="2026-11-30", van_id="V9")
    assert van.status_code == 422 and "unknown van 'V9'" in van.json()["detail"]
    per_van = get(planned, "planner", "route", date="2026-11-30", branch_id="AAA")
    assert per_van.status_code == 422 and "per van" in per_van.json()["detail"]
    assert get(planned, "planner", "menu", date="2026-11-30").status_code == 422
    assert get(planned, "planner", "pull").status_code == 422  # no date
    assert get(planned, "planner", "pull", date="2026-11-30", lang="de").status_code == 422
    assert get(planned, "planner", "pull", date="2026-11-30", format="docx").status_code == 422


def test_no_plan_is_404(service: Any) -> None:
    answer = get(service, "planner", "pull", date="2026-11-30")
    assert answer.status_code == 404
    assert get(service, "staff", "route", date="2026-11-30").status_code == 403
