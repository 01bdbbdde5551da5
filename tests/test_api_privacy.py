"""Who may move and who may read another branch's reservations: crate and item scans across
branches, what a scan's answer and its refusals tell each key, transfer errors about
reservations the key may not read, and the staff's reach over a reservation (cancel,
patron_ref). On SQLite and (when configured) PostgreSQL, with the tiny consortium: R1 is T1
(copy I1 at AAA) picked up at BBB, R2 is T2 (I2 at BBB) picked up at CCC, R3 is T3 (I3 at
CCC) picked up at AAA. 30 November 2026 is a Monday.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from api import models as m
from api.auth import create_key
from api.db import transaction

MON = "2026-11-30"


def scan(service: Any, key: str, kind: str, branch: str, at: str, **ids: str) -> Any:
    body = {"kind": kind, "branch_id": branch, "at": at, **ids}
    return service.client.post("/events", json=body, headers={"X-API-Key": key})


def key_of(service: Any, who: str) -> str:
    return str(service.keys[who])


def staff_key(service: Any, branch: str) -> str:
    with transaction(service.app.state.sessions) as session:
        return create_key(session, "staff", branch)


def state(service: Any, rid: str) -> tuple[Any, ...]:
    with service.app.state.sessions() as session:
        r = session.get(m.Reservation, rid)
        assert r is not None
        return (r.status, r.location_branch_id, r.crate_id, r.expected_date, r.promise_date)


def count(service: Any, table: Any, *where: Any) -> int:
    with service.app.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def set_reservation(service: Any, rid: str, **values: Any) -> None:
    with transaction(service.app.state.sessions) as session:
        r = session.get(m.Reservation, rid)
        assert r is not None
        for k, v in values.items():
            setattr(r, k, v)


@pytest.fixture
def planned(service: Any) -> Any:
    """The tiny consortium planned for Monday: R1's copy I1 in a crate of the packing list
    from AAA to BBB (placed, no scan yet, so no location)."""
    from api.jobs import plan_now

    _, plan = plan_now(service.app.state.sessions, date(2026, 11, 30), 1, seconds=2)
    crates = {item: crate for crate, item in plan.contents}
    assert "I1" in crates, plan.contents
    service.crate = crates["I1"]
    with service.app.state.sessions() as session:
        r1 = session.get(m.Reservation, "R1")
        assert r1 is not None
        assert (r1.status, r1.source_branch_id, r1.location_branch_id) == ("placed", "AAA", None)
    return service


# -- scans across branches -------------------------------------------------------------------


def test_staff_cannot_collect_another_branchs_crate(planned: Any) -> None:
    s = planned
    before = state(s, "R1")
    ccc = staff_key(s, "CCC")
    a = scan(s, ccc, "collected", "CCC", f"{MON}T09:07", crate_id=s.crate)
    assert a.status_code == 403, a.text
    assert "R1" not in a.text and "T1" not in a.text
    # the item alone, and the other scans at CCC: refused alike, R1 never named
    for kind in ("collected", "delivered", "checked_in", "picked_up_by_patron"):
        a = scan(s, ccc, kind, "CCC", f"{MON}T09:08", item_id="I1")
        assert a.status_code == 403, (kind, a.text)
        assert "R1" not in a.text
    assert state(s, "R1") == before
    assert count(s, m.Event) == 0
    assert count(s, m.Audit, m.Audit.action.like("event.%")) == 0


def test_a_crate_is_collected_only_where_its_copies_are(planned: Any) -> None:
    s = planned
    before = state(s, "R1")
    # a driver (or the planner) at the wrong branch: the copies are at AAA, the source
    for who in ("driver", "planner"):
        a = scan(s, key_of(s, who), "collected", "CCC", f"{MON}T09:07", crate_id=s.crate)
        assert a.status_code == 409, (who, a.text)
        assert "AAA" in a.json()["detail"]
    # the pickup branch's staff may read R1, but the copy is not at BBB yet
    a = scan(s, key_of(s, "staff_bbb"), "collected", "BBB", f"{MON}T09:07", crate_id=s.crate)
    assert a.status_code == 409, a.text
    assert state(s, "R1") == before
    assert count(s, m.Event) == 0
    # at AAA it goes
    a = scan(s, key_of(s, "staff"), "collected", "AAA", f"{MON}T10:00", crate_id=s.crate)
    assert a.status_code == 201, a.text
    assert state(s, "R1")[:3] == ("in_transit", "AAA", s.crate)


def test_an_item_is_collected_only_where_its_copy_is(service: Any) -> None:
    set_reservation(service, "R1", item_id="I1", source_branch_id="AAA")
    pulled = scan(service, key_of(service, "staff"), "pulled", "AAA", f"{MON}T09:00", item_id="I1")
    assert pulled.status_code == 201, pulled.text
    before = state(service, "R1")
    a = scan(service, key_of(service, "driver"), "collected", "CCC", f"{MON}T10:00", item_id="I1")
    assert a.status_code == 409, a.text
    assert "is at AAA, not at CCC" in a.json()["detail"] and "R1" not in a.text
    assert state(service, "R1") == before
    a = scan(service, key_of(service, "driver"), "collected", "AAA", f"{MON}T10:00", item_id="I1")
    assert a.status_code == 201, a.text


def test_a_drivers_answer_names_no_reservation(planned: Any) -> None:
    s = planned
    driver = key_of(s, "driver")
    a = scan(s, driver, "collected", "AAA", f"{MON}T10:00", crate_id=s.crate)
    assert a.status_code == 201, a.text
    body = a.json()
    assert body["reservations"] == [] and body["skipped"] == []
    assert (body["moved"], body["not_moved"], body["crate_ids"]) == (1, 0, [s.crate])
    for secret in ('"R1"', '"T1"', '"I1"', "expected_date", "source_branch_id"):
        assert secret not in a.text, secret
    assert state(s, "R1")[0] == "in_transit"  # it moved all the same
    again = scan(s, driver, "collected", "AAA", f"{MON}T10:00", crate_id=s.crate)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["reservations"] == [] and "R1" not in again.text
    # the source branch's staff and the planner see R1 in the same answer
    for who in ("staff", "planner"):
        a = scan(s, key_of(s, who), "collected", "AAA", f"{MON}T10:00", crate_id=s.crate)
        assert [r["reservation_id"] for r in a.json()["reservations"]] == ["R1"], who


def test_staff_see_only_their_branchs_reservations_in_a_scan_answer(planned: Any) -> None:
    s = planned
    scan(s, key_of(s, "driver"), "collected", "AAA", f"{MON}T10:00", crate_id=s.crate)
    scan(s, key_of(s, "driver"), "at_hub", "HUB", f"{MON}T11:00", crate_id=s.crate)
    # the hub's staff hand the crate on: R1 is kept there, but neither sourced nor picked up
    hub = staff_key(s, "HUB")
    a = scan(s, hub, "collected", "HUB", f"{MON}T12:00", crate_id=s.crate)
    assert a.status_code == 201, a.text
    assert a.json()["reservations"] == [] and a.json()["moved"] == 1
    assert "R1" not in a.text
    assert state(s, "R1")[:2] == ("in_transit", "HUB")


def test_refusals_name_no_reservation_the_key_may_not_read(service: Any) -> None:
    set_reservation(service, "R3", item_id="I3", source_branch_id="CCC")
    set_reservation(service, "R1", item_id="I1", source_branch_id="AAA")
    driver = key_of(service, "driver")
    a = scan(service, driver, "delivered", "AAA", f"{MON}T09:00", item_id="I3")
    assert a.status_code == 409, a.text
    assert "R3" not in a.text and "I3" in a.text
    scan(service, key_of(service, "staff"), "pulled", "AAA", f"{MON}T09:30", item_id="I1")
    scan(service, driver, "collected", "AAA", f"{MON}T10:00", item_id="I1")
    a = scan(service, driver, "delivered", "CCC", f"{MON}T12:00", item_id="I1")
    assert a.status_code == 409 and "R1" not in a.text
    assert "BBB" in a.text  # where it is to go
    # the planner and the reservation's own staff get the id
    a = scan(service, key_of(service, "planner"), "delivered", "AAA", f"{MON}T09:00", item_id="I3")
    assert a.status_code == 409 and "R3" in a.text
    a = scan(service, key_of(service, "staff"), "delivered", "AAA", f"{MON}T09:00", item_id="I3")
    assert a.status_code == 409 and "R3" in a.text  # picked up at AAA: AAA's own
    assert count(service, m.Event) == 2  # the pulled and collected scans only


# -- transfers naming a reservation ----------------------------------------------------------

CARRY = {"item_id": "I1", "from_branch_id": "AAA", "to_branch_id": "BBB",
         "ready_at": "2026-11-30T10:00"}  # fmt: skip


def test_a_transfer_tells_nothing_about_a_reservation_the_key_may_not_read(service: Any) -> None:
    c, staff = service.client, service.headers("staff")
    assert c.get("/reservations/R2", headers=staff).status_code == 404
    other = c.post("/transfers", json={**CARRY, "reservation_id": "R2"}, headers=staff)
    unknown = c.post("/transfers", json={**CARRY, "reservation_id": "R999"}, headers=staff)
    assert other.status_code == unknown.status_code == 422, other.text
    [p], [q] = other.json()["detail"], unknown.json()["detail"]
    assert (p["loc"], p["msg"]) == (q["loc"], q["msg"]) == (
        ["body", "reservation_id"], "unknown reservation",
    )  # fmt: skip
    for secret in ("T2", "CCC", "placed", "title"):
        assert secret not in other.text, secret
    # the same in a file
    header = "item_id,from_branch_id,to_branch_id,ready_at,reservation_id\n"
    text = header + "I1,AAA,BBB,2026-11-30T10:00,R2\nI4,AAA,BBB,2026-11-30T10:00,R999\n"
    answer = c.post(
        "/transfers/import",
        content=text.encode(),
        headers={**staff, "Content-Type": "text/csv"},
    )
    assert answer.status_code == 422, answer.text
    assert [(x["row"], x["column"], x["msg"]) for x in answer.json()["detail"]] == [
        (2, "reservation_id", "unknown reservation"),
        (3, "reservation_id", "unknown reservation"),
    ]
    assert "T2" not in answer.text and "CCC" not in answer.text
    # the planner is told why
    why = c.post(
        "/transfers", json={**CARRY, "reservation_id": "R2"}, headers=service.headers("planner")
    )
    assert why.status_code == 422 and "T2" in why.text
    assert count(service, m.Transfer) == 1  # the consortium's own


def test_a_transfer_may_carry_a_reservation_the_staff_read(service: Any) -> None:
    set_reservation(service, "R1", item_id="I1", source_branch_id="AAA")  # sourced at AAA
    made = service.client.post(
        "/transfers", json={**CARRY, "reservation_id": "R1"}, headers=service.headers("staff")
    )
    assert made.status_code == 201, made.text
    assert made.json()["reservation_id"] == "R1"


# -- the staff's reach over a reservation ----------------------------------------------------


def test_only_the_pickup_branch_cancels_and_sees_the_patron_ref(service: Any) -> None:
    c = service.client
    set_reservation(service, "R1", item_id="I1", source_branch_id="AAA", patron_ref="koha:4711")
    source, pickup = service.headers("staff"), service.headers("staff_bbb")
    # the source branch reads R1 (it sends the copy), without the patron's reference
    read = c.get("/reservations/R1", headers=source)
    assert read.status_code == 200 and read.json()["patron_ref"] is None
    listed = c.get("/reservations", headers=source).json()["items"]
    assert {r["reservation_id"]: r["patron_ref"] for r in listed}["R1"] is None
    assert "koha:4711" not in c.get("/reservations", headers=source).text
    for who in ("staff_bbb", "planner"):
        h = service.headers(who)
        assert c.get("/reservations/R1", headers=h).json()["patron_ref"] == "koha:4711", who
        items = c.get("/reservations", headers=h).json()["items"]
        assert {r["reservation_id"]: r["patron_ref"] for r in items}["R1"] == "koha:4711"
    # and does not cancel it: that is the patron's library's
    refused = c.post("/reservations/R1/cancel", headers=source)
    assert refused.status_code == 403, refused.text
    assert state(service, "R1")[0] == "placed"
    assert count(service, m.Audit, m.Audit.action == "reservation.cancel") == 0
    done = c.post("/reservations/R1/cancel", headers=pickup)
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert done.json()["patron_ref"] == "koha:4711"
    # another branch's is unknown, as before
    assert c.post("/reservations/R2/cancel", headers=source).status_code == 404
