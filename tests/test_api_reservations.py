"""Reservations and transfers over the API: create, read, list, cancel, new pickup codes and
CSV imports (all rows or none, every bad row reported), roles (staff see only their branch),
audit rows, and imports racing for the same ids. Runs on SQLite and (when configured)
PostgreSQL through the `service` fixture."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import models as m
from api.store import code_hash

NEW = {
    "reservation_id": "N1",
    "title_id": "T1",
    "pickup_branch_id": "AAA",
    "placed_at": "2026-11-28T09:15",
}
CSV = {"Content-Type": "text/csv"}


def key_id(service: Any, who: str) -> str:
    return str(service.keys[who].split("_", 2)[1])


def audit_rows(service: Any, action: str) -> list[m.Audit]:
    with service.app.state.sessions() as db:
        return list(db.scalars(select(m.Audit).where(m.Audit.action == action)))


def stored(service: Any, reservation_id: str) -> m.Reservation | None:
    with service.app.state.sessions() as db:
        return db.get(m.Reservation, reservation_id)


def count(service: Any, model: type[m.Base]) -> int:
    with service.app.state.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def set_reservation(service: Any, reservation_id: str, **values: Any) -> None:
    with service.app.state.sessions() as db, db.begin():
        row = db.get(m.Reservation, reservation_id)
        for k, v in values.items():
            setattr(row, k, v)


def post_csv(service: Any, path: str, text: str, who: str = "planner") -> Any:
    return service.client.post(path, content=text.encode(), headers={**service.headers(who), **CSV})


def problems(response: Any) -> set[tuple[int | None, str | None]]:
    """(row, column) of each problem of a refused import."""
    return {(p["row"], p["column"]) for p in response.json()["detail"]}


# -- reservations: one at a time ---------------------------------------------------------------


def test_create_read_list_cancel(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    made = c.post("/reservations", json={**NEW, "patron_ref": "koha:4711"}, headers=h)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["status"], body["patron_ref"], body["placed_at"]) == (
        "placed", "koha:4711", "2026-11-28T09:15:00",
    )  # fmt: skip
    code = body["code"]
    row = stored(service, "N1")
    assert row is not None and row.code_hash == code_hash(code) and code not in row.code_hash
    read = c.get("/reservations/N1", headers=h).json()
    assert "code" not in read and read["title_id"] == "T1"
    listed = c.get("/reservations", params={"pickup_branch_id": "AAA"}, headers=h).json()
    assert [r["reservation_id"] for r in listed["items"]] == ["N1", "R3"]  # by placed_at
    cancelled = c.post("/reservations/N1/cancel", headers=h)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert stored(service, "N1").status == "cancelled"  # type: ignore[union-attr]
    again = c.post("/reservations/N1/cancel", headers=h)
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    set_reservation(service, "R3", status="picked_up")
    assert c.post("/reservations/R3/cancel", headers=h).status_code == 409
    assert stored(service, "R3").status == "picked_up"  # type: ignore[union-attr]
    assert c.post("/reservations/R9/cancel", headers=h).status_code == 404


def test_list_filters_and_pages(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    everything = c.get("/reservations", headers=h).json()
    assert everything["total"] == 5
    assert [r["reservation_id"] for r in everything["items"]] == ["R1", "R2", "R4", "R5", "R3"]
    page = c.get("/reservations", params={"limit": 2, "offset": 1}, headers=h).json()
    assert [r["reservation_id"] for r in page["items"]] == ["R2", "R4"] and page["total"] == 5
    window = {"placed_from": "2026-11-27T13:00", "placed_to": "2026-11-28T10:00"}
    assert [r["reservation_id"] for r in c.get("/reservations", params=window, headers=h)
            .json()["items"]] == ["R2"]  # fmt: skip
    by_title = c.get("/reservations", params={"title_id": "T6"}, headers=h).json()["items"]
    assert [r["reservation_id"] for r in by_title] == ["R5"]
    c.post("/reservations/R2/cancel", headers=h)
    gone = c.get("/reservations", params={"status": "cancelled"}, headers=h).json()["items"]
    assert [r["reservation_id"] for r in gone] == ["R2"]
    assert c.get("/reservations", params={"status": "lost"}, headers=h).status_code == 422
    zone = c.get("/reservations", params={"placed_from": "2026-11-27T13:00+01:00"}, headers=h)
    assert zone.status_code == 422


def test_create_validation(service: Any) -> None:
    c, h = service.client, service.headers("planner")

    def refused(body: dict[str, Any]) -> set[str]:
        r = c.post("/reservations", json=body, headers=h)
        assert r.status_code == 422, r.text
        return {str(e["loc"][-1]) for e in r.json()["detail"]}

    assert refused({**NEW, "pickup_branch_id": "HUB"}) == {"pickup_branch_id"}
    assert refused({**NEW, "pickup_branch_id": "ZZZ"}) == {"pickup_branch_id"}
    assert refused({**NEW, "title_id": "T99"}) == {"title_id"}
    assert refused({**NEW, "placed_at": "28/11 09:15"}) == {"placed_at"}
    assert refused({**NEW, "placed_at": "2026-11-28T09:15+01:00"}) == {"placed_at"}
    assert refused({**NEW, "patron_ref": "x" * 129}) == {"patron_ref"}
    assert refused({**NEW, "reservation_id": ""}) == {"reservation_id"}
    assert (
        c.post("/reservations", json={**NEW, "reservation_id": "R1"}, headers=h).status_code == 409
    )
    assert stored(service, "N1") is None
    assert audit_rows(service, "reservation.create") == []


def test_new_pickup_code(service: Any) -> None:
    c = service.client
    old = service.codes["R1"]
    issued = c.post("/reservations/R1/code", headers=service.headers("planner"))
    assert issued.status_code == 200
    code = issued.json()["code"]
    assert code != old
    assert stored(service, "R1").code_hash == code_hash(code) != code_hash(old)  # type: ignore[union-attr]
    assert c.post("/reservations/R1/code", headers=service.headers("staff_bbb")).status_code == 403
    assert c.post("/reservations/R9/code", headers=service.headers("planner")).status_code == 404
    c.post("/reservations/R1/cancel", headers=service.headers("planner"))
    assert c.post("/reservations/R1/code", headers=service.headers("planner")).status_code == 409
    (row,) = audit_rows(service, "reservation.code")
    assert (row.target, row.key_id) == ("R1", key_id(service, "planner"))
    assert code not in str(row.detail)


# -- roles -------------------------------------------------------------------------------------


def test_roles_on_one_reservation(service: Any) -> None:
    c = service.client
    expected = {"planner": 200, "staff_bbb": 200, "staff": 404, "driver": 403}
    for who, status in expected.items():
        assert c.get("/reservations/R1", headers=service.headers(who)).status_code == status, who
    assert c.get("/reservations/R1").status_code == 401
    assert c.get("/reservations/R1", headers={"X-API-Key": "bk_nope_nope"}).status_code == 401
    # Unknown and another branch's look the same to staff.
    assert c.get("/reservations/R9", headers=service.headers("staff")).json() == {
        "detail": "unknown reservation 'R9'"
    }
    assert c.get("/reservations/R1", headers=service.headers("staff")).json() == {
        "detail": "unknown reservation 'R1'"
    }
    assert c.get("/reservations", headers=service.headers("driver")).status_code == 403
    assert c.post("/reservations", json=NEW, headers=service.headers("driver")).status_code == 403
    assert c.post("/reservations", json=NEW).status_code == 401


def test_staff_see_only_their_branch(service: Any) -> None:
    c = service.client
    mine = c.get("/reservations", headers=service.headers("staff")).json()
    assert [r["reservation_id"] for r in mine["items"]] == ["R3"] and mine["total"] == 1
    # A reservation sourced at AAA (the plan chose a copy there) is AAA's too.
    set_reservation(service, "R1", source_branch_id="AAA", item_id="I1")
    mine = c.get("/reservations", headers=service.headers("staff")).json()
    assert [r["reservation_id"] for r in mine["items"]] == ["R1", "R3"]
    assert c.get("/reservations/R1", headers=service.headers("staff")).status_code == 200
    bbb = c.get("/reservations", params={"title_id": "T6"}, headers=service.headers("staff_bbb"))
    assert [r["reservation_id"] for r in bbb.json()["items"]] == ["R5"]
    # Staff cancel only what they see, and create only for their own branch.
    assert c.post("/reservations/R2/cancel", headers=service.headers("staff")).status_code == 404
    assert stored(service, "R2").status == "placed"  # type: ignore[union-attr]
    assert c.post("/reservations/R3/cancel", headers=service.headers("staff")).status_code == 200
    other = {**NEW, "pickup_branch_id": "BBB"}
    assert c.post("/reservations", json=other, headers=service.headers("staff")).status_code == 403
    assert c.post("/reservations", json=NEW, headers=service.headers("staff")).status_code == 201
    (row,) = audit_rows(service, "reservation.create")
    assert (row.key_id, row.target) == (key_id(service, "staff"), "N1")
    (row,) = audit_rows(service, "reservation.cancel")
    assert (row.key_id, row.target, row.detail) == (
        key_id(service, "staff"), "R3", {"previous_status": "placed"},
    )  # fmt: skip


# -- reservations: imports -----------------------------------------------------------------------


def test_import_stores_every_row_with_its_code(service: Any) -> None:
    text = (
        "reservation_id,title_id,pickup_branch_id,placed_at,patron_ref,extra\n"
        "N1,T1,AAA,2026-11-28T09:00,,ignored\n"
        "\n"
        "N2,T2,BBB,2026-11-28T09:30,koha:1,\n"
    )
    answer = post_csv(service, "/reservations/import", text)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["stored"] == 2
    codes = {r["reservation_id"]: r["code"] for r in body["reservations"]}
    assert set(codes) == {"N1", "N2"}
    for rid, code in codes.items():
        assert stored(service, rid).code_hash == code_hash(code)  # type: ignore[union-attr]
    assert stored(service, "N1").patron_ref is None  # type: ignore[union-attr]
    assert stored(service, "N2").patron_ref == "koha:1"  # type: ignore[union-attr]
    (row,) = audit_rows(service, "reservation.import")
    assert row.key_id == key_id(service, "planner")
    assert row.detail == {"reservation_ids": ["N1", "N2"]}


def test_import_is_all_or_nothing_and_names_every_bad_row(service: Any) -> None:
    text = (
        "reservation_id,title_id,pickup_branch_id,placed_at,patron_ref\n"
        "N1,T1,AAA,2026-11-28T09:00,\n"  # 2: good
        "N2,T1,ZZZ,2026-11-28T09:00,\n"  # 3: unknown branch
        "N3,T1,HUB,2026-11-28T09:00,\n"  # 4: a hub
        "N4,T99,AAA,2026-11-28T09:00,\n"  # 5: unknown title
        "N5,T1,AAA,2026-11-28 9h,\n"  # 6: malformed time
        "N1,T2,BBB,2026-11-28T10:00,\n"  # 7: N1 again in the file
        "R1,T1,BBB,2026-11-28T10:00,\n"  # 8: already in the database
        f"N6,T1,AAA,2026-11-28T10:00,{'p' * 129}\n"  # 9: patron_ref too long
        "N7,T3,CCC,2026-11-28T10:00,\n"  # 10: good
        "N8,T98,HUB,not a time,\n"  # 11: three problems
    )
    before = count(service, m.Reservation)
    answer = post_csv(service, "/reservations/import", text)
    assert answer.status_code == 422
    assert problems(answer) == {
        (3, "pickup_branch_id"),
        (4, "pickup_branch_id"),
        (5, "title_id"),
        (6, "placed_at"),
        (7, "reservation_id"),
        (8, "reservation_id"),
        (9, "patron_ref"),
        (11, "title_id"),
        (11, "pickup_branch_id"),
        (11, "placed_at"),
    }
    by_row = {(p["row"], p["column"]): p for p in answer.json()["detail"]}
    assert by_row[(3, "pickup_branch_id")]["value"] == "ZZZ"
    assert by_row[(6, "placed_at")]["value"] == "2026-11-28 9h"
    assert "row 2" in by_row[(7, "reservation_id")]["msg"]
    assert by_row[(5, "title_id")]["loc"] == ["body", 5, "title_id"]
    assert count(service, m.Reservation) == before
    assert stored(service, "N1") is None and stored(service, "N7") is None
    assert audit_rows(service, "reservation.import") == []


def test_import_file_problems(service: Any) -> None:
    missing = post_csv(
        service, "/reservations/import", "reservation_id,title_id,pickup_branch_id\nN1,T1,AAA\n"
    )
    assert missing.status_code == 422 and problems(missing) == {(1, "placed_at")}
    wide = post_csv(service, "/reservations/import", "".join(
        ["reservation_id,title_id,pickup_branch_id,placed_at\n",
         "N1,T1,AAA,2026-11-28T09:00,surplus\n"]))  # fmt: skip
    assert wide.status_code == 422 and problems(wide) == {(2, None)}
    latin1 = service.client.post(
        "/reservations/import",
        content="reservation_id,title_id,pickup_branch_id,placed_at\nÅ1,T1,AAA,2026-11-28T09:00\n"
        .encode("latin-1"),
        headers={**service.headers("planner"), **CSV},
    )  # fmt: skip
    assert latin1.status_code == 422 and "UTF-8" in latin1.json()["detail"][0]["msg"]
    assert count(service, m.Reservation) == 5


@pytest.mark.parametrize("path", ["/reservations/import", "/transfers/import"])
def test_a_wide_row_does_not_hide_the_other_bad_rows(service: Any, path: str) -> None:
    if path == "/reservations/import":
        text = (
            "reservation_id,title_id,pickup_branch_id,placed_at\n"
            "N1,T1,AAA,2026-11-28T09:00,surplus\n"  # 2: more values than columns
            "N2,T1,ZZZ,2026-11-28T09:00\n"  # 3: unknown branch
            "N3,T1,AAA,2026-11-28T09:00\n"  # 4: good
            "N4,T99,AAA,2026-11-28T09:00,x,y\n"  # 5: more values than columns
            "N5,T1,AAA,soon\n"  # 6: malformed time
        )
        want = {(2, None), (3, "pickup_branch_id"), (5, None), (6, "placed_at")}
    else:
        text = (
            "item_id,from_branch_id,to_branch_id,ready_at\n"
            "I2,BBB,AAA,2026-11-30T10:00,surplus\n"  # 2: more values than columns
            "I3,AAA,BBB,2026-11-30T10:00\n"  # 3: I3 is at CCC
            "I6,BBB,AAA,2026-11-30T10:00\n"  # 4: good
            "I99,AAA,BBB,2026-11-30T10:00\n"  # 5: unknown item
        )
        want = {(2, None), (3, "from_branch_id"), (5, "item_id")}
    before = (count(service, m.Reservation), count(service, m.Transfer))
    answer = post_csv(service, path, text)
    assert answer.status_code == 422, answer.text
    assert problems(answer) == want
    assert (count(service, m.Reservation), count(service, m.Transfer)) == before


@pytest.mark.parametrize("path", ["/reservations/import", "/transfers/import"])
def test_a_column_named_twice_is_a_problem_of_the_header(service: Any, path: str) -> None:
    if path == "/reservations/import":
        text = (
            "reservation_id,title_id,pickup_branch_id,placed_at,title_id\n"
            "N1,T99,AAA,2026-11-28T09:00,T1\n"
        )
        twice = "title_id"
    else:
        text = (
            "item_id,from_branch_id,to_branch_id,ready_at,from_branch_id\n"
            "I2,AAA,AAA,2026-11-30T10:00,BBB\n"
        )
        twice = "from_branch_id"
    before = (count(service, m.Reservation), count(service, m.Transfer))
    answer = post_csv(service, path, text)
    assert answer.status_code == 422, answer.text
    assert problems(answer) == {(1, twice)}
    assert "more than once" in answer.json()["detail"][0]["msg"]
    assert (count(service, m.Reservation), count(service, m.Transfer)) == before


def test_import_roles(service: Any) -> None:
    text = "reservation_id,title_id,pickup_branch_id,placed_at\nN1,T1,AAA,2026-11-28T09:00\n"
    assert post_csv(service, "/reservations/import", text, "driver").status_code == 403
    assert service.client.post("/reservations/import", content=text, headers=CSV).status_code == 401
    other = text + "N2,T2,BBB,2026-11-28T09:00\n"
    refused = post_csv(service, "/reservations/import", other, "staff")
    assert refused.status_code == 422 and problems(refused) == {(3, "pickup_branch_id")}
    assert stored(service, "N1") is None
    assert post_csv(service, "/reservations/import", text, "staff").status_code == 201
    assert stored(service, "N1") is not None


def test_racing_imports_store_each_id_once(service: Any) -> None:
    """Imports overlapping in their ids, fired at once: each id ends up stored exactly once,
    by an import that stored all its rows; every other import stored none."""
    n = 8
    files = {
        k: [f"P{k}", f"P{k + 1}", f"P{k + 2}", f"U{k}"]  # P ids overlap with the neighbours
        for k in range(n)
    }
    answers: dict[int, Any] = {}
    barrier = threading.Barrier(n)

    def run(k: int) -> None:
        text = "reservation_id,title_id,pickup_branch_id,placed_at\n" + "".join(
            f"{rid},T1,BBB,2026-11-28T09:{k:02d}\n" for rid in files[k]
        )
        with TestClient(service.app) as client:
            barrier.wait()
            answers[k] = client.post(
                "/reservations/import",
                content=text.encode(),
                headers={**service.headers("planner"), **CSV},
            )

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == n
    winners = {k for k, a in answers.items() if a.status_code == 201}
    assert winners, "some import must win"
    for k, a in answers.items():
        assert a.status_code in (201, 409, 422), a.text
        if k not in winners:  # it names the rows it lost
            named = {p["value"] for p in a.json()["detail"]}
            assert named and named <= set(files[k])
    all_ids = {rid for ids in files.values() for rid in ids}
    with service.app.state.sessions() as db:
        rows = list(
            db.scalars(select(m.Reservation).where(m.Reservation.reservation_id.in_(all_ids)))
        )
    ids = [r.reservation_id for r in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == {rid for k in winners for rid in files[k]}
    hashes = {r.reservation_id: r.code_hash for r in rows}
    for k in winners:  # every row of a winner is its own (its codes work)
        codes = {r["reservation_id"]: r["code"] for r in answers[k].json()["reservations"]}
        assert set(codes) == set(files[k])
        assert all(hashes[rid] == code_hash(code) for rid, code in codes.items())
    for k in set(answers) - winners:  # a loser stored nothing of its own
        assert f"U{k}" not in hashes
    assert len(audit_rows(service, "reservation.import")) == len(winners)


# -- transfers ---------------------------------------------------------------------------------

MOVE = {"item_id": "I2", "from_branch_id": "BBB", "to_branch_id": "AAA",
        "ready_at": "2026-11-30T10:00"}  # fmt: skip


def test_transfer_create_read_list_cancel(service: Any) -> None:
    c, h = service.client, service.headers("planner")
    made = c.post("/transfers", json=MOVE, headers=h)
    assert made.status_code == 201, made.text
    t = made.json()
    assert (t["item_id"], t["reservation_id"], t["cancelled"]) == ("I2", None, False)
    assert c.get(f"/transfers/{t['id']}", headers=h).json() == t
    assert c.post("/transfers", json=MOVE, headers=h).status_code == 409  # an open one exists
    listed = c.get("/transfers", params={"from_branch_id": "BBB"}, headers=h).json()
    assert [x["id"] for x in listed["items"]] == [t["id"]] and listed["total"] == 1
    cancelled = c.post(f"/transfers/{t['id']}/cancel", headers=h)
    assert cancelled.status_code == 200 and cancelled.json()["cancelled"] is True
    assert c.post(f"/transfers/{t['id']}/cancel", headers=h).status_code == 409
    assert c.get("/transfers", params={"cancelled": True}, headers=h).json()["total"] == 1
    assert c.post("/transfers", json=MOVE, headers=h).status_code == 201  # the item may go again
    assert c.get("/transfers/99999", headers=h).status_code == 404
    assert [a.target for a in audit_rows(service, "transfer.cancel")] == [str(t["id"])]
    assert len(audit_rows(service, "transfer.create")) == 2


def test_transfer_rules(service: Any) -> None:
    c, h = service.client, service.headers("planner")

    def refused(body: dict[str, Any]) -> str:
        r = c.post("/transfers", json=body, headers=h)
        assert r.status_code == 422, r.text
        (problem,) = r.json()["detail"]
        return str(problem["loc"][-1])

    assert refused({**MOVE, "from_branch_id": "AAA", "to_branch_id": "CCC"}) == "from_branch_id"
    assert refused({**MOVE, "to_branch_id": "BBB"}) == "to_branch_id"
    assert refused({**MOVE, "to_branch_id": "ZZZ"}) == "to_branch_id"
    assert refused({**MOVE, "item_id": "I99"}) == "item_id"
    assert refused({**MOVE, "ready_at": "soon"}) == "ready_at"
    # Carrying a reservation: its title, to its pickup branch, one transfer per reservation.
    assert refused({**MOVE, "reservation_id": "R1"}) == "reservation_id"  # R1 is title T1
    carry = {"item_id": "I1", "from_branch_id": "AAA", "to_branch_id": "CCC",
             "ready_at": "2026-11-30T10:00", "reservation_id": "R1"}  # fmt: skip
    assert refused(carry) == "to_branch_id"  # R1 is picked up at BBB
    ok = c.post("/transfers", json={**carry, "to_branch_id": "BBB"}, headers=h)
    assert ok.status_code == 201 and ok.json()["reservation_id"] == "R1"
    second = {"item_id": "I6", "from_branch_id": "BBB", "to_branch_id": "AAA",
              "ready_at": "2026-11-30T10:00", "reservation_id": "R1"}  # fmt: skip
    assert c.post("/transfers", json=second, headers=h).status_code == 409
    assert count(service, m.Transfer) == 2


def test_transfer_roles(service: Any) -> None:
    c = service.client
    with service.app.state.sessions() as db:
        tid = db.scalar(select(m.Transfer.id).where(m.Transfer.item_id == "I5"))  # AAA -> CCC
    expected = {"planner": 200, "staff": 200, "staff_bbb": 404, "driver": 403}
    for who, status in expected.items():
        assert c.get(f"/transfers/{tid}", headers=service.headers(who)).status_code == status, who
    assert c.get(f"/transfers/{tid}").status_code == 401
    assert c.get("/transfers", headers=service.headers("staff_bbb")).json()["total"] == 0
    assert c.get("/transfers", headers=service.headers("staff")).json()["total"] == 1
    assert (
        c.post(f"/transfers/{tid}/cancel", headers=service.headers("staff_bbb")).status_code == 404
    )
    # Staff register moves from or to their own branch only.
    move_c = {**MOVE, "item_id": "I3", "from_branch_id": "CCC", "to_branch_id": "BBB"}
    assert c.post("/transfers", json=move_c, headers=service.headers("staff")).status_code == 403
    assert (
        c.post("/transfers", json=move_c, headers=service.headers("staff_bbb")).status_code == 201
    )
    assert c.post("/transfers", json=MOVE, headers=service.headers("driver")).status_code == 403
    assert c.post(f"/transfers/{tid}/cancel", headers=service.headers("staff")).status_code == 200


def test_transfer_import_is_all_or_nothing(service: Any) -> None:
    header = "item_id,from_branch_id,to_branch_id,ready_at,reservation_id\n"
    bad = header + (
        "I2,BBB,AAA,2026-11-30T10:00,\n"  # 2: good
        "I3,AAA,BBB,2026-11-30T10:00,\n"  # 3: I3 is at CCC
        "I99,AAA,BBB,2026-11-30T10:00,\n"  # 4: unknown item
        "I2,BBB,CCC,2026-11-30T10:00,\n"  # 5: I2 again in the file
        "I5,AAA,BBB,2026-11-30T10:00,\n"  # 6: I5 has an open transfer
        "I6,BBB,BBB,2026-11-30T10:00,\n"  # 7: from = to
        "I1,AAA,BBB,30.11.2026,R1\n"  # 8: malformed time
        "I4,AAA,BBB,2026-11-30T10:00,R4\n"  # 9: good (R4 is T4 picked up at BBB)
    )
    before = count(service, m.Transfer)
    answer = post_csv(service, "/transfers/import", bad)
    assert answer.status_code == 422
    assert problems(answer) == {
        (3, "from_branch_id"), (4, "item_id"), (5, "item_id"), (6, "item_id"),
        (7, "to_branch_id"), (8, "ready_at"),
    }  # fmt: skip
    assert count(service, m.Transfer) == before
    good = header + "I2,BBB,AAA,2026-11-30T10:00,\nI4,AAA,BBB,2026-11-30T10:00,R4\n"
    answer = post_csv(service, "/transfers/import", good)
    assert answer.status_code == 201, answer.text
    assert [(t["item_id"], t["reservation_id"]) for t in answer.json()["transfers"]] == [
        ("I2", None), ("I4", "R4"),
    ]  # fmt: skip
    assert count(service, m.Transfer) == before + 2
    (row,) = audit_rows(service, "transfer.import")
    assert row.detail == {"transfer_ids": [t["id"] for t in answer.json()["transfers"]]}
    assert post_csv(service, "/transfers/import", good, "driver").status_code == 403


@pytest.mark.parametrize("path", ["/reservations/import", "/transfers/import"])
def test_import_documented_as_csv(service: Any, path: str) -> None:
    spec = service.client.get("/openapi.json").json()
    operation = spec["paths"][path]["post"]
    assert "text/csv" in operation["requestBody"]["content"]
    assert operation["tags"] == ["reservations"]


def test_import_errors_documented_with_their_bodies(service: Any) -> None:
    spec = service.client.get("/openapi.json").json()

    def body_of(path: str, status: str) -> str:
        answer = spec["paths"][path]["post"]["responses"][status]
        return str(answer["content"]["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]

    for path in ("/reservations/import", "/transfers/import"):
        assert body_of(path, "403") == "Message", path
        assert body_of(path, "422") == "Problems", path
    assert body_of("/reservations/import", "409") == "Problems"
    assert body_of("/transfers/import", "409") == "Message"
    # and the answers have those shapes
    text = "item_id,from_branch_id,to_branch_id,ready_at\nI2,BBB,AAA,2026-11-30T10:00\n"
    refused = post_csv(service, "/transfers/import", text, "driver")
    assert refused.status_code == 403 and isinstance(refused.json()["detail"], str)
