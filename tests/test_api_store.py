"""The database as the planner sees it: a reservation whose copy is pulled or on its way is
exported as a transfer carrying it, so the next plan moves that copy instead of choosing
another, and closed reservations are not planned again."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from api import models as m
from api.db import transaction
from api.jobs import plan_now
from api.store import export_folder, save_plan
from logistics.check import check_plan
from logistics.load import load_scenario
from tests.conftest import TINY, Service, write_scenario

START = date(2026, 11, 30)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _scan(service: Any, kind: str, branch: str, at: str, item: str) -> None:
    answer = service.client.post(
        "/events",
        json={"kind": kind, "branch_id": branch, "at": at, "item_id": item},
        headers=service.headers("planner"),
    )
    assert answer.status_code == 201, answer.text


def test_a_copy_on_its_way_is_planned_as_its_transfer(service: Any, tmp_path: Path) -> None:
    factory = service.app.state.sessions
    plan_now(factory, START, 1, seconds=2)
    first = service.client.get("/reservations/R1", headers=service.headers("planner")).json()
    item, source = first["item_id"], first["source_branch_id"]
    assert item and source and source != first["pickup_branch_id"]

    _scan(service, "pulled", source, "2026-11-30T09:05", item)
    _scan(service, "collected", source, "2026-11-30T11:00", item)
    with factory() as session:
        folder = export_folder(session, tmp_path / "export")
    transfers = [t for t in _rows(folder / "transfers.csv") if t["reservation_id"] == "R1"]
    assert [(t["item_id"], t["from_branch_id"], t["to_branch_id"]) for t in transfers] == [
        (item, source, first["pickup_branch_id"])
    ]
    items = {i["item_id"]: i for i in _rows(folder / "items.csv")}
    assert items[item]["status"] == "in_transit"
    assert "R1" in {r["reservation_id"] for r in _rows(folder / "reservations.csv")}

    scenario = load_scenario(folder)  # the export is valid data
    _, again = plan_now(factory, START, 2, seconds=2)
    assert check_plan(scenario, again) == []
    dates = {p.reservation_id: p for p in again.reservations}
    assert dates["R1"].item_id == item  # the same copy, not another one
    moved = [d for d in again.deliveries if d.reservation_id == "R1"]
    assert [d.item_id for d in moved] in ([item], [])
    after = service.client.get("/reservations/R1", headers=service.headers("planner")).json()
    assert after["status"] == "in_transit"  # a new plan does not undo the scans


def test_cancelled_reservations_are_not_exported(service: Any, tmp_path: Path) -> None:
    answer = service.client.post("/reservations/R2/cancel", headers=service.headers("planner"))
    assert answer.status_code == 200, answer.text
    with service.app.state.sessions() as session:
        folder = export_folder(session, tmp_path / "export")
    exported = {r["reservation_id"] for r in _rows(folder / "reservations.csv")}
    assert "R2" not in exported and {"R1", "R3"} <= exported


# -- storing a plan while the database moves on ---------------------------------------------


def _reservation(service: Any, rid: str) -> m.Reservation:
    with service.app.state.sessions() as session:
        r = session.get(m.Reservation, rid)
        assert r is not None
        return r


@pytest.fixture
def two_copies(db_url: str, tmp_path: Path) -> Iterator[Service]:
    """The tiny consortium with a second copy of T1 (I7) at CCC."""
    files = dict(TINY)
    files["items.csv"] = TINY["items.csv"] + "I7,T1,Ett,Hc A,CCC,CCC,available,\n"
    s = Service(db_url, write_scenario(tmp_path / "two_copies", files))
    yield s
    s.close()


def test_a_scan_made_while_planning_is_not_overwritten(two_copies: Service) -> None:
    s = two_copies
    factory = s.app.state.sessions
    plan_now(factory, START, 1, seconds=1)
    first = _reservation(s, "R1")
    assert first.item_id == "I1"  # at AAA, close to BBB

    def meanwhile(line: str) -> None:
        # between the export and the storing of the plan, I1 is found missing: R1 takes I7
        if line == "choosing copies":
            _scan(s, "not_on_shelf", "AAA", "2026-11-30T09:00", "I1")

    plan_now(factory, START, 1, seconds=1, progress=meanwhile)
    r = _reservation(s, "R1")
    assert (r.status, r.item_id, r.source_branch_id) == ("placed", "I7", "CCC")
    with factory() as session:
        assert session.get(m.Item, "I1").status == "missing"  # type: ignore[union-attr]
    # the next plan knows
    _, again = plan_now(factory, START, 1, seconds=1)
    assert {p.reservation_id: p.item_id for p in again.reservations}["R1"] == "I7"
    assert _reservation(s, "R1").item_id == "I7"


def test_save_plan_skips_reservations_changed_since_the_export(
    service: Any, tmp_path: Path
) -> None:
    factory = service.app.state.sessions
    _, plan = plan_now(factory, START, 1, seconds=1)
    with transaction(factory) as session:
        for r in session.scalars(select(m.Reservation)):
            r.item_id, r.expected_date, r.promise_date = None, None, None
            r.updated_at = datetime(2026, 11, 30, 10, 0)
        session.get(m.Reservation, "R1").updated_at = datetime(2026, 11, 30, 10, 1)  # type: ignore[union-attr]
    with transaction(factory) as session:
        save_plan(session, plan, exported_at=datetime(2026, 11, 30, 10, 0))
    assert _reservation(service, "R1").item_id is None  # changed after the export: kept
    planned = {p.reservation_id: p.item_id for p in plan.reservations}
    assert _reservation(service, "R2").item_id == planned["R2"] == "I2"


def test_a_copy_held_by_another_reservation_is_not_given_twice(service: Any) -> None:
    factory = service.app.state.sessions
    _, plan = plan_now(factory, START, 1, seconds=1)
    planned = {p.reservation_id: p.item_id for p in plan.reservations}
    assert planned["R2"] == "I2"
    with transaction(factory) as session:
        for r in session.scalars(select(m.Reservation)):
            r.item_id = None
        # meanwhile a new reservation of T2 took I2 (and is not in the plan)
        session.add(
            m.Reservation(reservation_id="N1", title_id="T2", pickup_branch_id="BBB",
                          placed_at=datetime(2026, 11, 26, 9), code_hash="n" * 64,
                          status="placed", item_id="I2", updated_at=datetime(2026, 11, 26, 9))
        )  # fmt: skip
    with transaction(factory) as session:
        save_plan(session, plan, exported_at=datetime.now())
    assert _reservation(service, "R2").item_id is None
    assert _reservation(service, "N1").item_id == "I2"
    assert _reservation(service, "R1").item_id == planned["R1"]


# -- promises ------------------------------------------------------------------------------


@pytest.fixture
def promised(db_url: str, tmp_path: Path) -> Iterator[Service]:
    """The tiny consortium with promises.csv (what patrons were told by an earlier plan)."""
    files = dict(TINY)
    files["promises.csv"] = "reservation_id,promise_date\nR1,2026-12-04\nR2,2026-12-03\n"
    s = Service(db_url, write_scenario(tmp_path / "promised", files))
    yield s
    s.close()


def test_promises_are_exported_from_the_open_reservations(
    promised: Service, tmp_path: Path
) -> None:
    s = promised
    assert _reservation(s, "R1").promise_date == date(2026, 12, 4)  # loaded from promises.csv
    answer = s.client.post("/reservations/R2/cancel", headers=s.headers("planner"))
    assert answer.status_code == 200, answer.text
    with s.app.state.sessions() as session:
        folder = export_folder(session, tmp_path / "export")
    assert _rows(folder / "promises.csv") == [
        {"reservation_id": "R1", "promise_date": "2026-12-04"}
    ]
    scenario = load_scenario(folder)  # (the loaded file named R2, cancelled since)
    assert scenario.promises == {"R1": date(2026, 12, 4)}
    plan_now(s.app.state.sessions, START, 2, seconds=1)  # planning still works
    with s.app.state.sessions() as session:
        folder = export_folder(session, tmp_path / "again")
    promises = {r["reservation_id"]: r["promise_date"] for r in _rows(folder / "promises.csv")}
    assert set(promises) == {"R1", "R3", "R5"}  # R4 awaits a return: no deadline
    assert promises["R1"] == "2026-12-04"  # kept: not moved earlier
    load_scenario(folder)


def test_replanning_keeps_promises_it_can_keep(service: Any) -> None:
    factory = service.app.state.sessions
    _, plan = plan_now(factory, START, 2, seconds=1)
    dates = {p.reservation_id: p for p in plan.reservations}
    r1, r2 = dates["R1"], dates["R2"]
    assert r1.expected_ready_date and r1.promise_date and r2.expected_ready_date
    told = {
        "R1": r1.promise_date + timedelta(days=7),
        "R2": r2.expected_ready_date - timedelta(days=1),
    }
    with transaction(factory) as session:
        for rid, day in told.items():
            session.get(m.Reservation, rid).promise_date = day  # type: ignore[union-attr]
    _, again = plan_now(factory, START, 2, seconds=1)
    now = {p.reservation_id: p for p in again.reservations}
    # R1: the new plan keeps the later promise, which is not moved earlier
    assert now["R1"].expected_ready_date <= told["R1"]  # type: ignore[operator]
    assert _reservation(service, "R1").promise_date == told["R1"]
    # R2: the new plan cannot keep it: promised anew
    assert now["R2"].expected_ready_date > told["R2"]  # type: ignore[operator]
    assert _reservation(service, "R2").promise_date == now["R2"].promise_date


def test_dates_are_written_with_four_digit_years(service: Any, tmp_path: Path) -> None:
    """(The API takes years 2000-2100 only; rows stored otherwise still export as loadable
    data.)"""
    with transaction(service.app.state.sessions) as session:
        session.get(m.Reservation, "R1").placed_at = datetime(999, 1, 1, 8, 5)  # type: ignore[union-attr]
    with service.app.state.sessions() as session:
        folder = export_folder(session, tmp_path / "export")
    placed = {r["reservation_id"]: r["placed_at"] for r in _rows(folder / "reservations.csv")}
    assert placed["R1"] == "0999-01-01T08:05"
    assert placed["R2"] == "2026-11-27T13:00"
    ready = [t["ready_at"] for t in _rows(folder / "transfers.csv")]
    assert ready == ["2026-11-30T09:00"]
    load_scenario(folder)
