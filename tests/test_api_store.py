"""The database as the planner sees it: a reservation whose copy is pulled or on its way is
exported as a transfer carrying it, so the next plan moves that copy instead of choosing
another, and closed reservations are not planned again."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from api.jobs import plan_now
from api.store import export_folder
from logistics.check import check_plan
from logistics.load import load_scenario

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
