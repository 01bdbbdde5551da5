"""Scans (POST /events): the reservation's life, its dates, roles, idempotence, not-on-shelf
re-sourcing and concurrent scans, on SQLite and (when configured) PostgreSQL.

Dates by hand on the tiny consortium: every branch staffed Mon-Fri 08-17, one van from HUB
Mon-Fri 07-16, check-in 30 min, a promise one staffed working day after the expected date.
30 November 2026 is a Monday.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import models as m
from api.db import transaction
from tests.conftest import TINY, Service, write_scenario

MON, TUE, WED, THU, FRI = (
    date(2026, 11, 30 + k) if k == 0 else date(2026, 12, k) for k in range(5)
)
NEXT_MON = date(2026, 12, 7)


def scan(
    service: Any,
    who: str | None,
    kind: str,
    branch: str,
    at: str,
    *,
    crate: str | None = None,
    item: str | None = None,
    client: TestClient | None = None,
) -> Any:
    body: dict[str, str] = {"kind": kind, "branch_id": branch, "at": at}
    if crate is not None:
        body["crate_id"] = crate
    if item is not None:
        body["item_id"] = item
    headers = service.headers(who) if who else {}
    return (client or service.client).post("/events", json=body, headers=headers)


def assign(
    service: Any,
    rid: str,
    item: str,
    source: str,
    expected: date | None = None,
    promise: date | None = None,
) -> None:
    """What a stored plan does to a placed reservation (store.save_plan)."""
    with transaction(service.app.state.sessions) as session:
        r = session.get(m.Reservation, rid)
        assert r is not None
        r.item_id, r.source_branch_id = item, source
        r.expected_date, r.promise_date = expected, promise


def reservation(service: Any, rid: str) -> m.Reservation:
    with service.app.state.sessions() as session:
        r = session.get(m.Reservation, rid)
        assert r is not None
        return r


def item(service: Any, iid: str) -> m.Item:
    with service.app.state.sessions() as session:
        i = session.get(m.Item, iid)
        assert i is not None
        return i


def count(service: Any, table: Any, *where: Any) -> int:
    with service.app.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


# -- the life of a reservation -----------------------------------------------------------------


def test_each_transition_sets_status_place_and_dates(service: Any) -> None:
    assign(service, "R1", "I1", "AAA", TUE, WED)  # I1 at AAA for pickup at BBB

    a = scan(service, "staff", "pulled", "AAA", "2026-11-30T09:10", item="I1")
    assert a.status_code == 201, a.text
    assert a.json()["duplicate"] is False
    [state] = a.json()["reservations"]
    assert (state["status"], state["location_branch_id"]) == ("pulled", "AAA")
    assert (state["expected_date"], state["promise_date"]) == ("2026-12-01", "2026-12-02")

    a = scan(service, "staff", "packed", "AAA", "2026-11-30T09:20", crate="K1", item="I1")
    assert a.status_code == 201, a.text
    r = reservation(service, "R1")
    assert (r.status, r.crate_id, r.location_branch_id) == ("packed", "K1", "AAA")

    # collected at AAA on Monday: at the hub overnight, on the shelf at BBB on Tuesday
    a = scan(service, "driver", "collected", "AAA", "2026-11-30T10:00", crate="K1")
    assert a.status_code == 201, a.text
    r = reservation(service, "R1")
    assert (r.status, r.expected_date, r.promise_date) == ("in_transit", TUE, WED)
    assert item(service, "I1").status == "in_transit"

    # unloaded at the hub after the van left (07:00): out on Tuesday, still Tuesday
    a = scan(service, "driver", "at_hub", "HUB", "2026-11-30T15:00", crate="K1")
    assert a.status_code == 201, a.text
    r = reservation(service, "R1")
    assert (r.status, r.location_branch_id, r.expected_date) == ("at_hub", "HUB", TUE)

    # delivered at 16:45 Tuesday: too late to check in (30 min before 17:00) -> Wednesday
    a = scan(service, "driver", "delivered", "BBB", "2026-12-01T16:45", crate="K1")
    assert a.status_code == 201, a.text
    r = reservation(service, "R1")
    assert (r.status, r.location_branch_id, r.expected_date, r.promise_date) == (
        "delivered", "BBB", WED, WED,
    )  # fmt: skip
    assert item(service, "I1").current_branch_id == "BBB"

    # checked in Tuesday evening after all: ready today
    a = scan(service, "staff_bbb", "checked_in", "BBB", "2026-12-01T16:55", item="I1")
    assert a.status_code == 201, a.text
    r = reservation(service, "R1")
    assert (r.status, r.expected_date, r.promise_date) == ("ready", TUE, WED)

    a = scan(service, "staff_bbb", "picked_up_by_patron", "BBB", "2026-12-03T12:00", item="I1")
    assert a.status_code == 201, a.text
    assert reservation(service, "R1").status == "picked_up"
    copy = item(service, "I1")
    assert (copy.status, copy.due_date) == ("on_loan", date(2026, 12, 31))  # 28 loan days
    assert count(service, m.Event) == 7
    assert count(service, m.Audit, m.Audit.action.like("event.%")) == 7


def test_a_late_copy_is_promised_anew_an_early_one_keeps_its_promise(service: Any) -> None:
    assign(service, "R1", "I1", "AAA", TUE, THU)
    scan(service, "staff", "packed", "AAA", "2026-11-30T09:00", crate="K1", item="I1")
    scan(service, "driver", "collected", "AAA", "2026-11-30T10:00", crate="K1")
    r = reservation(service, "R1")
    assert (r.expected_date, r.promise_date) == (TUE, THU)  # earlier than told: kept
    # stuck: at the hub only Thursday afternoon -> on the shelf Friday, past Thursday
    a = scan(service, "driver", "at_hub", "HUB", "2026-12-03T15:00", crate="K1")
    assert a.status_code == 201, a.text
    r = reservation(service, "R1")
    assert (r.expected_date, r.promise_date) == (FRI, NEXT_MON)


def test_a_copy_at_its_pickup_branch_is_checked_in_straight_away(service: Any) -> None:
    assign(service, "R5", "I6", "BBB", MON, TUE)  # I6 at BBB, picked up at BBB
    a = scan(service, "staff_bbb", "pulled", "BBB", "2026-11-30T09:00", item="I6")
    assert a.status_code == 201, a.text
    a = scan(service, "staff_bbb", "checked_in", "BBB", "2026-11-30T09:30", item="I6")
    assert a.status_code == 201, a.text
    r = reservation(service, "R5")
    assert (r.status, r.expected_date, r.promise_date) == ("ready", MON, TUE)


def test_impossible_transitions_are_refused_and_not_stored(service: Any) -> None:
    assign(service, "R1", "I1", "AAA", TUE, WED)
    a = scan(service, "staff_bbb", "picked_up_by_patron", "BBB", "2026-11-30T12:00", item="I1")
    assert a.status_code == 409
    assert "placed" in a.json()["detail"]
    scan(service, "staff", "pulled", "AAA", "2026-11-30T09:00", item="I1")
    a = scan(service, "staff", "pulled", "AAA", "2026-11-30T09:05", item="I1")  # pulled again
    assert a.status_code == 409
    # delivered somewhere else than the pickup branch
    scan(service, "driver", "collected", "AAA", "2026-11-30T10:00", item="I1")
    a = scan(service, "driver", "delivered", "CCC", "2026-11-30T12:00", item="I1")
    assert a.status_code == 409
    assert "BBB" in a.json()["detail"]
    assert count(service, m.Event) == 2  # pulled, collected
    assert reservation(service, "R1").status == "in_transit"


def test_unknown_things_and_missing_fields_name_the_field(service: Any) -> None:
    def loc(answer: Any) -> list[str]:
        assert answer.status_code == 422, answer.text
        return list(answer.json()["detail"][0]["loc"])

    assert loc(scan(service, "planner", "pulled", "ZZZ", "2026-11-30T09:00", item="I1")) == [
        "body", "branch_id",
    ]  # fmt: skip
    assert loc(scan(service, "staff", "pulled", "AAA", "2026-11-30T09:00", item="NOPE")) == [
        "body", "item_id",
    ]  # fmt: skip
    assert loc(scan(service, "driver", "collected", "AAA", "2026-11-30T09:00", crate="NOPE")) == [
        "body", "crate_id",
    ]  # fmt: skip
    assert loc(scan(service, "staff", "packed", "AAA", "2026-11-30T09:00", item="I1")) == [
        "body", "crate_id",
    ]  # fmt: skip
    assert loc(scan(service, "staff", "pulled", "AAA", "2026-11-30T09:00")) == ["body", "item_id"]
    assert loc(scan(service, "staff", "shelved", "AAA", "2026-11-30T09:00", item="I1")) == [
        "body", "kind",
    ]  # fmt: skip
    assert loc(scan(service, "staff", "pulled", "AAA", "yesterday", item="I1")) == ["body", "at"]
    assert count(service, m.Event) == 0


# -- once only -----------------------------------------------------------------------------------


def test_the_same_scan_twice_is_stored_once_and_applies_once(service: Any) -> None:
    assign(service, "R1", "I1", "AAA", TUE, WED)
    first = scan(service, "staff", "pulled", "AAA", "2026-11-30T09:00", item="I1")
    again = scan(service, "staff", "pulled", "AAA", "2026-11-30T09:00", item="I1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["reservations"][0]["status"] == "pulled"
    # a crate scan sent twice moves the crate once: the second is no 409 and no second move
    scan(service, "staff", "packed", "AAA", "2026-11-30T09:10", crate="K1", item="I1")
    for _ in range(2):
        scan(service, "driver", "collected", "AAA", "2026-11-30T10:00", crate="K1")
    for _ in range(2):
        a = scan(service, "driver", "delivered", "BBB", "2026-12-01T10:00", crate="K1")
        assert a.status_code in (200, 201), a.text
    assert count(service, m.Event) == 4
    assert count(service, m.Event, m.Event.kind == "delivered") == 1
    assert count(service, m.Audit, m.Audit.action.like("event.%")) == 4
    r = reservation(service, "R1")
    assert (r.status, r.expected_date) == ("delivered", TUE)


# -- who may scan what ------------------------------------------------------------------------


def test_roles(service: Any) -> None:
    assign(service, "R1", "I1", "AAA", TUE, WED)
    assign(service, "R2", "I2", "BBB", TUE, WED)
    at = "2026-11-30T09:00"
    assert scan(service, None, "pulled", "AAA", at, item="I1").status_code == 401
    # staff: their own branch only, and no hub scans
    assert scan(service, "staff", "pulled", "BBB", at, item="I2").status_code == 403
    assert scan(service, "staff", "at_hub", "AAA", at, item="I1").status_code == 403
    assert scan(service, "staff", "pulled", "AAA", at, item="I1").status_code == 201
    # drivers: collected, at_hub, delivered anywhere; nothing else
    for kind in ("pulled", "not_on_shelf", "packed", "checked_in", "picked_up_by_patron"):
        a = scan(
            service, "driver", kind, "AAA", at, item="I1", crate="K9" if kind == "packed" else None
        )
        assert a.status_code == 403, kind
    assert (
        scan(service, "driver", "collected", "AAA", "2026-11-30T10:00", item="I1").status_code
        == 201
    )
    assert (
        scan(service, "driver", "at_hub", "HUB", "2026-11-30T11:00", item="I1").status_code == 201
    )
    # planners: anything, anywhere
    assert scan(service, "planner", "pulled", "BBB", at, item="I2").status_code == 201
    assert (
        scan(service, "planner", "delivered", "BBB", "2026-12-01T10:00", item="I1").status_code
        == 201
    )
    # staff may hand a crate to the driver at their branch
    assert (
        scan(service, "staff_bbb", "collected", "BBB", "2026-11-30T10:00", item="I2").status_code
        == 201
    )
    assert count(service, m.Event) == 6


def test_staff_move_only_their_branchs_reservations(service: Any) -> None:
    assign(service, "R2", "I2", "BBB", TUE, WED)  # BBB -> CCC
    before = reservation(service, "R2")
    # AAA's staff at AAA: the copy is not theirs, nor the patron; refused, R2 not named
    for kind, body in (
        ("collected", {"item": "I2"}),
        ("delivered", {"item": "I2"}),
        ("checked_in", {"item": "I2"}),
    ):
        a = scan(service, "staff", kind, "AAA", "2026-11-30T09:00", **body)
        assert a.status_code == 403, (kind, a.text)
        assert "R2" not in a.text
    after = reservation(service, "R2")
    assert (after.status, after.location_branch_id) == (before.status, before.location_branch_id)
    assert count(service, m.Event) == 0


def test_errors_documented_with_their_bodies(service: Any) -> None:
    spec = service.client.get("/openapi.json").json()
    responses = spec["paths"]["/events"]["post"]["responses"]
    shapes = {
        status: str(responses[status]["content"]["application/json"]["schema"]["$ref"]).rsplit(
            "/", 1
        )[-1]
        for status in ("401", "403", "409", "422")
    }
    assert shapes == {"401": "Message", "403": "Message", "409": "Message", "422": "Problems"}
    fields = spec["components"]["schemas"]["ScanOut"]["properties"]
    assert {"moved", "not_moved", "crate_ids"} <= set(fields)


# -- a copy not on the shelf -------------------------------------------------------------------


@pytest.fixture
def two_copies(db_url: str, tmp_path: Path) -> Any:
    """The tiny consortium with a second copy of T1 (I7) at CCC."""
    files = dict(TINY)
    files["items.csv"] = TINY["items.csv"] + "I7,T1,Ett,Hc A,CCC,CCC,available,\n"
    s = Service(db_url, write_scenario(tmp_path / "two_copies", files))
    yield s
    s.close()


def test_not_on_shelf_chooses_another_copy(two_copies: Any) -> None:
    s = two_copies
    assign(s, "R1", "I1", "AAA", TUE, TUE)
    # after the 08:00 pull list: I7 is pulled at CCC on Tuesday 09:00, collected by the van
    # that day, at the hub overnight, on the shelf at BBB on Wednesday; that is 2 working days
    # after the scan, so the new promise takes no margin day (promise_far_days = 2): Wednesday
    a = scan(s, "staff", "not_on_shelf", "AAA", "2026-11-30T09:00", item="I1")
    assert a.status_code == 201, a.text
    r = reservation(s, "R1")
    assert (r.status, r.item_id, r.source_branch_id) == ("placed", "I7", "CCC")
    assert r.placed_at.isoformat() == "2026-11-27T12:00:00"  # its place in the queue
    assert (r.expected_date, r.promise_date) == (WED, WED)  # past the promise: promised anew
    assert item(s, "I1").status == "missing"
    # the new copy goes on as usual
    assert scan(s, "planner", "pulled", "CCC", "2026-12-01T09:00", item="I7").status_code == 201


def test_not_on_shelf_without_another_copy_waits_without_a_date(service: Any) -> None:
    assign(service, "R2", "I2", "BBB", TUE, WED)
    a = scan(service, "staff_bbb", "not_on_shelf", "BBB", "2026-11-30T09:00", item="I2")
    assert a.status_code == 201, a.text
    r = reservation(service, "R2")
    assert (r.status, r.item_id, r.source_branch_id) == ("placed", None, None)
    assert (r.expected_date, r.promise_date) == (None, None)
    assert item(service, "I2").status == "missing"


def test_a_copy_held_by_another_reservation_is_not_taken(two_copies: Any) -> None:
    s = two_copies
    with transaction(s.app.state.sessions) as session:  # a second reservation of T1 holds I7
        session.add(
            m.Reservation(
                reservation_id="R9", title_id="T1", pickup_branch_id="CCC",
                placed_at=datetime(2026, 11, 28, 9), code_hash="x" * 64, status="placed",
                item_id="I7", source_branch_id="CCC", updated_at=datetime(2026, 11, 28, 9),
            )
        )  # fmt: skip
    assign(s, "R1", "I1", "AAA", TUE, WED)
    assert scan(s, "staff", "not_on_shelf", "AAA", "2026-11-30T07:00", item="I1").status_code == 201
    r = reservation(s, "R1")
    assert (r.item_id, r.expected_date, r.promise_date) == (None, None, None)


# -- crates of a stored plan -------------------------------------------------------------------


def test_a_crate_of_the_plan_moves_every_item_packed_in_it(service: Any) -> None:
    from api.jobs import plan_now

    _, plan = plan_now(service.app.state.sessions, date(2026, 11, 30), 1, seconds=2)
    assert plan.contents, "the plan should pack crates"
    crate = plan.contents[0][0]
    items = sorted(i for c, i in plan.contents if c == crate)
    with service.app.state.sessions() as session:
        rows = session.scalars(select(m.Reservation).where(m.Reservation.item_id.in_(items))).all()
        source = rows[0].source_branch_id
        rids = sorted(r.reservation_id for r in rows)
    assert rids
    a = scan(service, "planner", "collected", source, "2026-11-30T10:00", crate=crate)
    assert a.status_code == 201, a.text
    assert sorted(x["reservation_id"] for x in a.json()["reservations"]) == rids
    for rid in rids:
        r = reservation(service, rid)
        assert (r.status, r.crate_id, r.location_branch_id) == ("in_transit", crate, source)


# -- concurrency ---------------------------------------------------------------------------------

N = 8


@pytest.fixture
def eight(db_url: str, tmp_path: Path) -> Any:
    """Eight titles of one copy each at AAA, each reserved for pickup at BBB."""
    files = dict(TINY)
    files["items.csv"] = TINY["items.csv"] + "".join(
        f"X{k},Y{k},Bok {k},Hc {k},AAA,AAA,available,\n" for k in range(1, N + 1)
    )
    files["reservations.csv"] = TINY["reservations.csv"] + "".join(
        f"Q{k},Y{k},BBB,2026-11-27T12:00\n" for k in range(1, N + 1)
    )
    s = Service(db_url, write_scenario(tmp_path / "eight", files))
    for k in range(1, N + 1):
        assign(s, f"Q{k}", f"X{k}", "AAA", TUE, WED)
    yield s
    s.close()


def test_concurrent_scans_are_stored_once_and_none_is_lost(eight: Any) -> None:
    s = eight
    half = N // 2
    k1 = range(1, half + 1)
    k2 = range(half + 1, N + 1)
    picked = (1, half + 1, half + 2)
    T = "2026-11-30T"
    phases: list[list[tuple[str, str, str, str, str | None, str | None]]] = [
        [("staff", "pulled", "AAA", T + "09:00", None, f"X{k}") for k in range(1, N + 1)],
        [("staff", "packed", "AAA", T + "09:30", "K1", f"X{k}") for k in k1]
        + [("staff", "packed", "AAA", T + "09:30", "K2", f"X{k}") for k in k2],
        [
            ("driver", "collected", "AAA", T + "10:00", "K1", None),
            ("driver", "collected", "AAA", T + "10:00", "K2", None),
        ],
        [
            ("driver", "at_hub", "HUB", T + "11:00", "K1", None),
            ("driver", "at_hub", "HUB", T + "11:00", "K2", None),
        ],
        # each crate and all its items scanned at once, in any order: items checked in
        # before their crate's delivered scan are not moved back by it
        [
            ("driver", "delivered", "BBB", "2026-12-01T10:00", "K1", None),
            ("driver", "delivered", "BBB", "2026-12-01T10:00", "K2", None),
        ]
        + [
            ("staff_bbb", "checked_in", "BBB", f"2026-12-01T10:{k:02}", None, f"X{k}")
            for k in range(1, N + 1)
        ],
        [
            ("staff_bbb", "picked_up_by_patron", "BBB", "2026-12-01T15:00", None, f"X{k}")
            for k in picked
        ],
    ]
    copies = 3  # every scan is sent three times, by different threads at once
    threads = 8
    clients = [TestClient(s.app) for _ in range(threads)]
    answers: Counter[int] = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    rng = random.Random(7)
    try:
        for phase in phases:
            work = [x for x in phase for _ in range(copies)]
            rng.shuffle(work)
            queues = [work[t::threads] for t in range(threads)]
            barrier = threading.Barrier(threads)

            def run(t: int, queue: list[Any] = queues, gate: Any = barrier) -> None:
                gate.wait()
                for who, kind, branch, at, crate, it in queue[t]:
                    a = scan(s, who, kind, branch, at, crate=crate, item=it, client=clients[t])
                    with lock:
                        answers[a.status_code] += 1
                        if a.status_code not in (200, 201):
                            errors.append(f"{kind} {crate or it}: {a.status_code} {a.text}")

            pool = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
            for p in pool:
                p.start()
            for p in pool:
                p.join()
    finally:
        for c in clients:
            c.close()
    distinct = sum(len(p) for p in phases)
    assert errors == []
    assert answers == {201: distinct, 200: distinct * (copies - 1)}
    assert count(s, m.Event) == distinct
    assert count(s, m.Audit, m.Audit.action.like("event.%")) == distinct
    want = {f"Q{k}": "ready" for k in range(1, N + 1)}
    want.update({f"Q{k}": "picked_up" for k in picked})
    got = {rid: reservation(s, rid).status for rid in want}
    assert got == want
