"""The consortium's resources over the API: branches, opening hours, vans, closures and items.
Any key reads, only a planner changes; bodies are validated like the CSV contract; every change
leaves an audit row; a refused change leaves the database as it was. Runs on SQLite and (when
configured) PostgreSQL through the `service` fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from api import models as m
from api.store import export_folder, get_meta
from logistics.load import load_scenario

BRANCH = {
    "branch_id": "DDD",
    "name": "D library",
    "municipality": "Dorp",
    "lat": 59.3,
    "lon": 15.0,
    "kind": "library",
}


def key_id(service: Any, who: str) -> str:
    return str(service.keys[who].split("_", 2)[1])


def audit_rows(service: Any, action: str) -> list[m.Audit]:
    with service.app.state.sessions() as db:
        return list(db.scalars(select(m.Audit).where(m.Audit.action == action)))


def rows(service: Any, model: type[m.Base]) -> int:
    with service.app.state.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def fields(response: Any) -> set[str]:
    """The body fields a 422 names."""
    assert response.status_code == 422, response.text
    return {str(e["loc"][-1]) for e in response.json()["detail"] if e["loc"][0] == "body"}


# -- reading -----------------------------------------------------------------------------------


def test_any_key_reads_the_consortium(service: Any) -> None:
    for who in ("planner", "staff", "driver"):
        h = service.headers(who)
        branches = service.client.get("/branches", headers=h)
        assert branches.status_code == 200
        assert [b["branch_id"] for b in branches.json()] == ["AAA", "BBB", "CCC", "HUB"]
        hub = service.client.get("/branches/HUB", headers=h).json()
        assert hub["kind"] == "hub" and hub["max_sent_per_day"] is None
        vans = service.client.get("/vans", headers=h).json()
        assert vans == [
            {"van_id": "V1", "depot_branch_id": "HUB", "capacity_crates": 10,
             "shift_start": "07:00", "shift_end": "16:00",
             "weekdays": ["mon", "tue", "wed", "thu", "fri"]}
        ]  # fmt: skip
        hours = service.client.get("/opening-hours", params={"branch_id": "AAA"}, headers=h)
        assert [o["weekday"] for o in hours.json()] == ["mon", "tue", "wed", "thu", "fri"]
        assert {(o["opens"], o["closes"]) for o in hours.json()} == {("08:00", "17:00")}
        assert service.client.get("/closures", headers=h).json() == []


def test_reading_needs_a_valid_key(service: Any) -> None:
    assert service.client.get("/branches").status_code == 401
    bad = {"X-API-Key": service.keys["planner"][:-2] + "xx"}
    assert service.client.get("/branches", headers=bad).status_code == 401
    assert service.client.get("/items", headers={"X-API-Key": "nonsense"}).status_code == 401


def test_unknown_ids_are_404(service: Any) -> None:
    h = service.headers("driver")
    for path in ("/branches/ZZZ", "/vans/V9", "/items/I99", "/opening-hours/9999", "/closures/1"):
        assert service.client.get(path, headers=h).status_code == 404, path
    h = service.headers("planner")
    assert service.client.patch("/branches/ZZZ", json={"name": "x"}, headers=h).status_code == 404
    assert service.client.delete("/items/I99", headers=h).status_code == 404


def test_items_filters_and_pages(service: Any) -> None:
    h = service.headers("staff")
    at_a = service.client.get("/items", params={"branch_id": "AAA"}, headers=h).json()
    assert at_a["total"] == 3
    assert [i["item_id"] for i in at_a["items"]] == ["I1", "I4", "I5"]
    second = service.client.get(
        "/items", params={"branch_id": "AAA", "limit": 2, "offset": 2}, headers=h
    ).json()
    assert (second["total"], second["limit"], second["offset"]) == (3, 2, 2)
    assert [i["item_id"] for i in second["items"]] == ["I5"]
    on_loan = service.client.get("/items", params={"status": "on_loan"}, headers=h).json()
    assert [(i["item_id"], i["due_date"]) for i in on_loan["items"]] == [("I4", "2026-12-10")]
    by_title = service.client.get("/items", params={"title_id": "T5"}, headers=h).json()
    assert [(i["item_id"], i["home_branch_id"]) for i in by_title["items"]] == [("I5", "CCC")]
    home_c = service.client.get("/items", params={"home_branch_id": "CCC"}, headers=h).json()
    assert {i["item_id"] for i in home_c["items"]} == {"I3", "I5"}
    assert service.client.get("/items", params={"status": "lost"}, headers=h).status_code == 422
    assert service.client.get("/items", params={"limit": 0}, headers=h).status_code == 422


# -- who may change ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "driver"])
def test_only_a_planner_changes_the_consortium(service: Any, who: str) -> None:
    h = service.headers(who)
    c = service.client
    assert c.post("/branches", json=BRANCH, headers=h).status_code == 403
    assert c.patch("/branches/AAA", json={"name": "x"}, headers=h).status_code == 403
    assert c.delete("/vans/V1", headers=h).status_code == 403
    assert (
        c.post("/closures", json={"branch_id": "*", "date": "2026-12-01"}, headers=h).status_code
        == 403
    )
    assert c.patch("/items/I1", json={"status": "missing"}, headers=h).status_code == 403
    assert c.get("/branches/DDD", headers=h).status_code == 404
    assert c.get("/items/I1", headers=h).json()["status"] == "available"
    assert c.get("/vans/V1", headers=h).status_code == 200
    assert rows(service, m.Audit) == 0
    assert c.post("/branches", json=BRANCH).status_code == 401


# -- branches ----------------------------------------------------------------------------------


def test_branch_life_with_audit(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    created = c.post("/branches", json={**BRANCH, "max_sent_per_day": 5}, headers=h)
    assert created.status_code == 201, created.text
    assert created.json()["max_sent_per_day"] == 5
    assert c.get("/branches/DDD", headers=h).json()["name"] == "D library"
    assert c.post("/branches", json=BRANCH, headers=h).status_code == 409
    changed = c.patch("/branches/DDD", json={"name": "D bibliotek", "kind": "hub"}, headers=h)
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["kind"], changed.json()["lat"]) == (
        "D bibliotek", "hub", 59.3,
    )  # fmt: skip
    hours = {"branch_id": "DDD", "weekday": "monday", "opens": "9:00", "closes": "12:00"}
    assert c.post("/opening-hours", json=hours, headers=h).status_code == 201
    deleted = c.delete("/branches/DDD", headers=h)
    assert deleted.status_code == 200 and deleted.json()["branch_id"] == "DDD"
    assert c.get("/branches/DDD", headers=h).status_code == 404
    assert c.get("/opening-hours", params={"branch_id": "DDD"}, headers=h).json() == []
    planner = key_id(service, "planner")
    for action in ("branch.create", "branch.update", "branch.delete"):
        (row,) = audit_rows(service, action)
        assert (row.key_id, row.target) == (planner, "DDD")
    assert audit_rows(service, "branch.update")[0].detail == {"name": "D bibliotek", "kind": "hub"}


def test_branch_validation_names_each_field(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    bad = {**BRANCH, "branch_id": "*", "lat": 95, "lon": -200, "kind": "depot", "name": ""}
    assert fields(c.post("/branches", json=bad, headers=h)) == {
        "branch_id", "lat", "lon", "kind", "name",
    }  # fmt: skip
    assert fields(c.post("/branches", json={**BRANCH, "max_sent_per_day": -1}, headers=h)) == {
        "max_sent_per_day"
    }
    assert fields(c.post("/branches", json={**BRANCH, "branch_id": "D D"}, headers=h)) == {
        "branch_id"
    }
    assert fields(c.patch("/branches/AAA", json={"lat": "north"}, headers=h)) == {"lat"}
    # An unknown field (a typo, or an id, which does not change) is an error, not ignored.
    assert fields(c.patch("/branches/AAA", json={"branch_id": "AAB"}, headers=h)) == {"branch_id"}
    assert fields(c.post("/branches", json={**BRANCH, "knd": "hub"}, headers=h)) == {"knd"}
    assert rows(service, m.Branch) == 4
    assert rows(service, m.Audit) == 0


def test_branch_still_referenced_is_409_and_kept(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    refused = c.delete("/branches/CCC", headers=h)
    assert refused.status_code == 409
    assert "item(s)" in refused.json()["detail"] and "reservation(s)" in refused.json()["detail"]
    assert c.get("/branches/CCC", headers=h).status_code == 200
    assert len(c.get("/opening-hours", params={"branch_id": "CCC"}, headers=h).json()) == 5
    # HUB is the van's depot; AAA has a staff key.
    assert "van(s)" in c.delete("/branches/HUB", headers=h).json()["detail"]
    assert "staff key(s)" in c.delete("/branches/AAA", headers=h).json()["detail"]


def test_a_pickup_branch_cannot_become_a_hub(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    refused = c.patch("/branches/BBB", json={"kind": "hub"}, headers=h)
    assert refused.status_code == 409 and "open reservation" in refused.json()["detail"]
    assert c.get("/branches/BBB", headers=h).json()["kind"] == "library"


# -- opening hours -----------------------------------------------------------------------------


def test_opening_hours_rules(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    sat = {"branch_id": "AAA", "weekday": "sat", "opens": "10:00", "closes": "14:00"}
    assert fields(c.post("/opening-hours", json={**sat, "closes": "10:00"}, headers=h)) == {
        "closes"
    }
    assert fields(c.post("/opening-hours", json={**sat, "opens": "25:00"}, headers=h)) == {"opens"}
    assert fields(c.post("/opening-hours", json={**sat, "weekday": "lör"}, headers=h)) == {
        "weekday"
    }
    assert fields(c.post("/opening-hours", json={**sat, "branch_id": "ZZZ"}, headers=h)) == {
        "branch_id"
    }
    made = c.post("/opening-hours", json=sat, headers=h)
    assert made.status_code == 201
    row = made.json()
    overlap = c.post("/opening-hours", json={**sat, "opens": "13:00", "closes": "24:00"}, headers=h)
    assert overlap.status_code == 409 and str(row["id"]) in overlap.json()["detail"]
    later = c.post("/opening-hours", json={**sat, "opens": "14:00", "closes": "24:00"}, headers=h)
    assert later.status_code == 201 and later.json()["closes"] == "24:00"
    # A change is validated with the fields it keeps.
    assert fields(c.patch(f"/opening-hours/{row['id']}", json={"opens": "15:00"}, headers=h)) == {
        "closes"
    }
    moved = c.patch(f"/opening-hours/{row['id']}", json={"weekday": "sunday"}, headers=h)
    assert moved.status_code == 200 and moved.json()["weekday"] == "sun"
    assert c.delete(f"/opening-hours/{row['id']}", headers=h).status_code == 200
    assert c.get(f"/opening-hours/{row['id']}", headers=h).status_code == 404
    assert [a.action for a in audit_rows(service, "opening_hours.delete")] == [
        "opening_hours.delete"
    ]
    assert len(audit_rows(service, "opening_hours.create")) == 2


# -- vans --------------------------------------------------------------------------------------


def test_van_rules_and_life(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    van = {"van_id": "V2", "depot_branch_id": "AAA", "capacity_crates": 4,
           "shift_start": "7:30", "shift_end": "15:00", "weekdays": "fri;mon;monday"}  # fmt: skip
    bad = {**van, "capacity_crates": 0, "shift_end": "07:00", "depot_branch_id": "ZZZ"}
    assert fields(c.post("/vans", json=bad, headers=h)) == {"capacity_crates", "shift_end"}
    assert fields(c.post("/vans", json={**van, "depot_branch_id": "ZZZ"}, headers=h)) == {
        "depot_branch_id"
    }
    assert fields(c.post("/vans", json={**van, "weekdays": []}, headers=h)) == {"weekdays"}
    made = c.post("/vans", json=van, headers=h)
    assert made.status_code == 201
    assert (made.json()["shift_start"], made.json()["weekdays"]) == ("07:30", ["mon", "fri"])
    assert c.post("/vans", json=van, headers=h).status_code == 409
    changed = c.patch("/vans/V2", json={"weekdays": ["sat"], "capacity_crates": 9}, headers=h)
    assert (changed.json()["weekdays"], changed.json()["capacity_crates"]) == (["sat"], 9)
    with service.app.state.sessions() as db:
        assert db.get(m.Van, "V2").weekdays == "sat"  # stored as in vans.csv
    assert c.delete("/vans/V2", headers=h).status_code == 200
    assert c.get("/vans/V2", headers=h).status_code == 404
    assert len(audit_rows(service, "van.create")) == 1
    assert len(audit_rows(service, "van.delete")) == 1


# -- closures ----------------------------------------------------------------------------------


def test_closure_rules_and_life(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    everywhere = {"branch_id": "*", "date": "2026-12-24", "reason": "julafton"}
    made = c.post("/closures", json=everywhere, headers=h)
    assert made.status_code == 201 and made.json()["branch_id"] == "*"
    assert c.post("/closures", json=everywhere, headers=h).status_code == 409
    assert fields(c.post("/closures", json={**everywhere, "branch_id": "ZZZ"}, headers=h)) == {
        "branch_id"
    }
    assert fields(c.post("/closures", json={**everywhere, "date": "24/12"}, headers=h)) == {"date"}
    one = c.post("/closures", json={"branch_id": "AAA", "date": "2026-12-03"}, headers=h).json()
    assert one["reason"] == ""
    listed = c.get("/closures", params={"branch_id": "AAA"}, headers=service.headers("driver"))
    assert [x["date"] for x in listed.json()] == ["2026-12-03"]
    clash = c.patch(
        f"/closures/{one['id']}", json={"branch_id": "*", "date": "2026-12-24"}, headers=h
    )
    assert clash.status_code == 409
    moved = c.patch(f"/closures/{one['id']}", json={"date": "2026-12-04"}, headers=h)
    assert moved.json()["date"] == "2026-12-04"
    assert c.delete(f"/closures/{one['id']}", headers=h).status_code == 200
    assert [x["branch_id"] for x in c.get("/closures", headers=h).json()] == ["*"]
    (row,) = audit_rows(service, "closure.update")
    assert row.detail == {"date": "2026-12-04"}


# -- items -------------------------------------------------------------------------------------


def test_item_rules_and_life(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    item = {"item_id": "I7", "title_id": "T1", "title": "Ett", "call_number": "Hc A",
            "home_branch_id": "BBB", "current_branch_id": "BBB", "status": "available"}  # fmt: skip
    assert fields(c.post("/items", json={**item, "due_date": "2026-12-01"}, headers=h)) == {
        "due_date"
    }
    assert fields(c.post("/items", json={**item, "status": "lost"}, headers=h)) == {"status"}
    assert fields(c.post("/items", json={**item, "current_branch_id": "ZZZ"}, headers=h)) == {
        "current_branch_id"
    }
    made = c.post("/items", json=item, headers=h)
    assert made.status_code == 201 and made.json()["may_travel"] is True
    assert c.post("/items", json=item, headers=h).status_code == 409
    lent = c.patch("/items/I7", json={"status": "on_loan", "due_date": "2026-12-20"}, headers=h)
    assert (lent.json()["status"], lent.json()["due_date"]) == ("on_loan", "2026-12-20")
    # Back on the shelf with its due date kept: refused, and the item is unchanged.
    assert fields(c.patch("/items/I7", json={"status": "available"}, headers=h)) == {"due_date"}
    assert c.get("/items/I7", headers=h).json()["status"] == "on_loan"
    back = c.patch("/items/I7", json={"status": "available", "due_date": None}, headers=h)
    assert (back.json()["status"], back.json()["due_date"]) == ("available", None)
    assert c.delete("/items/I7", headers=h).status_code == 200
    assert c.get("/items/I7", headers=h).status_code == 404
    assert len(audit_rows(service, "item.update")) == 2  # the refused change left none


def test_item_still_moved_by_a_transfer_is_409(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    refused = c.delete("/items/I5", headers=h)
    assert refused.status_code == 409 and "transfer" in refused.json()["detail"]
    assert c.get("/items/I5", headers=h).status_code == 200
    assert audit_rows(service, "item.delete") == []


def test_the_last_copy_of_a_wanted_title_is_not_deleted_or_retitled(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    # R4 wants T4, whose only copy is I4 (on loan): deleting it or giving it another title would
    # leave R4 a title without a copy, which no scenario folder may hold.
    refused = c.delete("/items/I4", headers=h)
    assert refused.status_code == 409 and "last copy" in refused.json()["detail"]
    assert c.patch("/items/I4", json={"title_id": "T9"}, headers=h).status_code == 409
    assert c.get("/items/I4", headers=h).json()["title_id"] == "T4"
    # with another copy of T4, either is fine
    other = {"item_id": "I9", "title_id": "T4", "title": "Fyra", "call_number": "Hc D",
             "home_branch_id": "CCC", "current_branch_id": "CCC", "status": "available"}  # fmt: skip
    assert c.post("/items", json=other, headers=h).status_code == 201
    assert c.patch("/items/I4", json={"title_id": "T9"}, headers=h).status_code == 200
    assert c.delete("/items/I9", headers=h).status_code == 409  # now the last copy of T4
    # once no open reservation wants the title, its last copy may go
    assert c.post("/reservations/R4/cancel", headers=h).status_code == 200
    assert c.delete("/items/I9", headers=h).status_code == 200


def test_a_copy_with_an_open_transfer_stays_where_the_transfer_leaves(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    # I5 has an open transfer from AAA (transfers.csv of the tiny consortium)
    moved = c.patch("/items/I5", json={"current_branch_id": "BBB"}, headers=h)
    assert moved.status_code == 409 and "transfer" in moved.json()["detail"]
    assert c.get("/items/I5", headers=h).json()["current_branch_id"] == "AAA"
    assert c.patch("/items/I5", json={"call_number": "Hc E2"}, headers=h).status_code == 200
    (transfer,) = c.get("/transfers", headers=h).json()["items"]
    assert c.post(f"/transfers/{transfer['id']}/cancel", headers=h).status_code == 200
    assert c.patch("/items/I5", json={"current_branch_id": "BBB"}, headers=h).status_code == 200


def exports_and_loads(service: Any, tmp_path: Path, n: int) -> None:
    """The database's consortium exports as a folder that logistics.load accepts."""
    with service.app.state.sessions() as session:
        folder = export_folder(session, tmp_path / f"export-{n}")
    load_scenario(folder)  # DataErrors otherwise


def test_the_export_loads_after_every_accepted_edit(service: Any, tmp_path: Path) -> None:
    """A series of API edits, each accepted or refused: after every accepted one the consortium
    still exports as data the planner loads (so the next planning job can run)."""
    c, h = service.client, service.headers("planner")
    item = {"item_id": "I8", "title_id": "T8", "title": "Åtta", "call_number": "Hc H",
            "home_branch_id": "DDD", "current_branch_id": "DDD", "status": "available"}  # fmt: skip
    steps: list[tuple[str, str, Any]] = [
        ("post", "/branches", BRANCH),
        ("post", "/opening-hours",
         {"branch_id": "DDD", "weekday": "mon", "opens": "10:00", "closes": "18:00"}),
        ("post", "/vans", {"van_id": "V2", "depot_branch_id": "DDD", "capacity_crates": 4,
                           "shift_start": "08:00", "shift_end": "15:00", "weekdays": ["tue"]}),
        ("post", "/closures", {"branch_id": "*", "date": "2026-12-02", "reason": "storm"}),
        ("post", "/items", item),
        ("post", "/reservations", {"reservation_id": "N8", "title_id": "T8",
                                   "pickup_branch_id": "AAA", "placed_at": "2026-11-29T10:00"}),
        ("post", "/transfers", {"item_id": "I6", "from_branch_id": "BBB", "to_branch_id": "DDD",
                                "ready_at": "2026-11-30T10:00"}),
        ("delete", "/items/I8", None),  # the last copy N8 wants
        ("patch", "/items/I8", {"title_id": "T9"}),  # likewise
        ("patch", "/items/I6", {"current_branch_id": "AAA"}),  # its transfer leaves BBB
        ("patch", "/items/I5", {"current_branch_id": "BBB"}),  # likewise, from AAA
        ("delete", "/items/I4", None),  # R4's title's last copy
        ("patch", "/branches/AAA", {"kind": "hub"}),  # R3 is picked up there
        ("delete", "/branches/DDD", None),  # a van, items and a transfer use it
        ("patch", "/items/I2", {"status": "missing"}),
        ("patch", "/items/I3", {"current_branch_id": "DDD", "may_travel": False}),
        ("post", "/reservations/R2/cancel", None),
        ("delete", "/items/I2", None),  # no open reservation wants T2 now
        ("delete", "/vans/V2", None),
        ("patch", "/closures/1", {"branch_id": "DDD"}),
        ("patch", "/branches/DDD", {"max_sent_per_day": 0}),
    ]  # fmt: skip
    exports_and_loads(service, tmp_path, 0)
    statuses = []
    for n, (method, path, body) in enumerate(steps, 1):
        answer = c.request(method, path, json=body, headers=h)
        assert answer.status_code < 500, (path, answer.text)
        statuses.append(answer.status_code)
        if answer.status_code < 300:
            exports_and_loads(service, tmp_path, n)
    assert statuses == [201] * 7 + [409] * 7 + [200] * 7, statuses


def test_consortium_writes_change_the_data_version(service: Any) -> None:
    """Every change to the consortium gives Meta data_version a new value (the scan timetable is
    cached per version); reads and refused changes do not."""
    c, h = service.client, service.headers("planner")

    def version() -> str | None:
        with service.app.state.sessions() as db:
            return get_meta(db, "data_version")

    seen = [version()]
    assert seen[0] is not None  # the load set it
    changes: list[tuple[str, str, Any]] = [
        ("post", "/branches", BRANCH),
        ("patch", "/branches/DDD", {"name": "D"}),
        ("post", "/opening-hours",
         {"branch_id": "DDD", "weekday": "tue", "opens": "10:00", "closes": "12:00"}),
        ("post", "/vans", {"van_id": "V2", "depot_branch_id": "HUB", "capacity_crates": 4,
                           "shift_start": "08:00", "shift_end": "15:00", "weekdays": ["tue"]}),
        ("patch", "/vans/V2", {"capacity_crates": 5}),
        ("delete", "/vans/V2", None),
        ("post", "/closures", {"branch_id": "DDD", "date": "2026-12-02"}),
        ("patch", "/items/I1", {"call_number": "Hc A2"}),
    ]  # fmt: skip
    for method, path, body in changes:
        answer = c.request(method, path, json=body, headers=h)
        assert answer.status_code in (200, 201), (path, answer.text)
        seen.append(version())
        assert seen[-1] not in seen[:-1], (path, seen)
    hours = c.get("/opening-hours", params={"branch_id": "DDD"}, headers=h).json()
    closures = c.get("/closures", params={"branch_id": "DDD"}, headers=h).json()
    for path in (f"/opening-hours/{hours[0]['id']}", f"/closures/{closures[0]['id']}"):
        assert c.delete(path, headers=h).status_code == 200
        seen.append(version())
        assert seen[-1] not in seen[:-1], (path, seen)
    assert c.delete("/branches/DDD", headers=h).status_code == 200
    assert version() != seen[-1]
    last = version()
    assert c.get("/branches", headers=h).status_code == 200
    assert c.delete("/items/I4", headers=h).status_code == 409
    assert version() == last


# -- keys ----------------------------------------------------------------------------------------


def cli(service: Any, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    from api.cli import run
    from logistics.cli import _parser

    monkeypatch.setenv("DATABASE_URL", service.url)
    return run(_parser().parse_args(list(argv)))


def test_a_revoked_key_gets_401(
    service: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    c, h = service.client, service.headers("staff")
    assert c.get("/branches", headers=h).status_code == 200
    staff = key_id(service, "staff")
    assert cli(service, monkeypatch, "keys", "revoke", staff) == 0
    assert staff in capsys.readouterr().out
    refused = c.get("/branches", headers=h)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "X-API-Key"
    assert c.get("/branches", headers=service.headers("planner")).status_code == 200
    # revoking again keeps it revoked; an unknown id is an error that does not echo a key
    assert cli(service, monkeypatch, "keys", "revoke", staff) == 0
    assert cli(service, monkeypatch, "keys", "revoke", "bk_nosuchkey_s3cret") == 2
    err = capsys.readouterr().err
    assert "nosuchkey" in err and "s3cret" not in err

    assert cli(service, monkeypatch, "keys", "list") == 0
    out = capsys.readouterr().out
    header, *lines = [line for line in out.splitlines() if line]
    assert header.split("\t") == ["key_id", "role", "branch", "created", "revoked"]
    listed = {line.split("\t")[0]: line.split("\t") for line in lines}
    assert set(listed) == {key_id(service, who) for who in service.keys}
    assert listed[staff][1:3] == ["staff", "AAA"] and listed[staff][4]
    planner = key_id(service, "planner")
    assert listed[planner][1:3] == ["planner", ""] and listed[planner][4] == ""
    for key in service.keys.values():
        assert key.split("_", 2)[2] not in out  # no secret


def test_a_branch_whose_staff_keys_are_revoked_can_be_removed(
    service: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    c, h = service.client, service.headers("planner")
    assert c.post("/branches", json=BRANCH, headers=h).status_code == 201
    assert cli(service, monkeypatch, "keys", "create", "--role", "staff", "--branch", "DDD") == 0
    key = capsys.readouterr().out.strip()
    refused = c.delete("/branches/DDD", headers=h)
    assert refused.status_code == 409 and "staff key" in refused.json()["detail"]
    assert cli(service, monkeypatch, "keys", "revoke", key) == 0  # (the whole key works too)
    assert c.get("/branches", headers={"X-API-Key": key}).status_code == 401
    assert c.delete("/branches/DDD", headers=h).status_code == 200


# -- errors that are not the server's ----------------------------------------------------------


def test_bodies_with_infinite_numbers_or_lone_surrogates_are_422(service: Any) -> None:
    c, h = service.client, {**service.headers("planner"), "Content-Type": "application/json"}
    branch = (
        '{"branch_id": "EEE", "name": "E", "municipality": "M", "lat": %s, "lon": 15.0, '
        '"kind": "library"}'
    )
    for body in (
        branch % "1e400",
        branch % "-1e400",
        branch.replace('"E"', '"\\ud800"') % "59.0",
        branch.replace('"branch_id"', '"\\udfff"') % "59.0",
        '{"start": "2026-11-30", "seconds": 1e400}',
    ):
        for path in ("/branches", "/items", "/plans"):
            answer = c.post(path, content=body.encode("ascii"), headers=h)
            assert answer.status_code == 422, (path, body, answer.text)
            assert answer.headers["content-type"] == "application/json"
            problems = answer.json()["detail"]
            assert problems and all({"loc", "msg", "type"} <= set(p) for p in problems)
    lone = c.post("/branches", content=(branch.replace('"E"', '"\\ud800"') % "59.0"), headers=h)
    (problem,) = lone.json()["detail"]
    assert problem["loc"] == ["body", "name"] and problem["input"] == "\\ud800"
    inf = c.post("/branches", content=branch % "1e400", headers=h).json()["detail"]
    assert [(p["loc"], p["input"]) for p in inf] == [(["body", "lat"], "inf")]
    assert c.get("/branches/EEE", headers=h).status_code == 404


def test_dates_outside_2000_to_2100_are_422(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    new = {"reservation_id": "N1", "title_id": "T1", "pickup_branch_id": "AAA"}
    for placed in ("0999-01-01T00:00", "1999-12-31T23:59", "2101-01-01T00:00"):
        assert fields(c.post("/reservations", json={**new, "placed_at": placed}, headers=h)) == {
            "placed_at"
        }
    move = {"item_id": "I6", "from_branch_id": "BBB", "to_branch_id": "AAA"}
    assert fields(
        c.post("/transfers", json={**move, "ready_at": "0999-01-01T00:00"}, headers=h)
    ) == {"ready_at"}
    assert (
        c.post(
            "/reservations", json={**new, "placed_at": "2100-12-31T23:59"}, headers=h
        ).status_code
        == 201
    )
