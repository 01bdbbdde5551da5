"""Reservations and transfers: one at a time or a CSV file at once, read, list and cancel.

Roles: a planner does everything; staff create, import and cancel reservations picked up at
their own branch and read only what touches it (a reservation picked up or sourced there, a
transfer from or to it: anything else answers 404, so ids do not leak; a transfer naming a
reservation they may not read is refused as naming an unknown one); drivers get 403. A
reservation's patron_ref is shown to a planner and to the pickup branch's staff only.

A reservation's pickup code is shown once, when it is created (or re-issued by a planner); only
its hash is stored. An import validates every row first, like reservations.csv and
transfers.csv of the CSV contract, and stores all rows or none: a bad file answers 422 with
every problem of every bad row (row number, the header being row 1; column; value; reason); a
row with too many values does not stop the others being checked. Two imports racing for the
same ids: the database's unique key lets one win; the other stores nothing and answers 409
naming its rows already stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Query
from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import models as m
from api import schemas as s
from api.auth import DB, Caller, Planner, StaffOrPlanner, audit
from api.routes.consortium import Filter, Limit, Offset, commit, page
from api.store import CLOSED, code_hash, new_code, now

router = APIRouter(tags=["reservations"])

ReservationPath = Annotated[
    str, Path(max_length=64, pattern=s.NO_CONTROL, description="a reservation id")
]
TransferPath = Annotated[int, Path(ge=1, le=s.MAX_ROW_ID, description="a transfer's id")]
When = Annotated[
    s.LocalDateTime | None, Query(description="local date and time, e.g. 2026-11-27T12:00")
]
RESERVATION_COLUMNS = ("reservation_id", "title_id", "pickup_branch_id", "placed_at")
TRANSFER_COLUMNS = ("item_id", "from_branch_id", "to_branch_id", "ready_at")
CHUNK = 500  # ids per IN (...) query

# -- CSV bodies --------------------------------------------------------------------------------


def problem(row: int | None, column: str | None, value: object, msg: str, kind: str) -> Any:
    """One problem of an imported file, in FastAPI's error shape plus row, column and value."""
    loc: list[str | int] = ["body"]
    if row is not None:
        loc.append(row)
    if column is not None:
        loc.append(column)
    return {
        "loc": loc,
        "msg": msg,
        "type": kind,
        "row": row,
        "column": column,
        "value": None if value is None else str(value),
    }


def read_csv(
    body: bytes, required: Sequence[str]
) -> tuple[list[tuple[int, dict[str, str]]], list[Any]]:
    """(row number, row) of a CSV body and its problems: of the file itself (not UTF-8; a
    missing or twice named column, each a problem of row 1: then no rows), and of each row
    with more values than columns (that row is left out, the others read on). Values are
    stripped; blank lines are no rows; extra columns are ignored (as in logistics.load)."""
    try:
        content = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [problem(None, None, None, f"not UTF-8 text ({exc.reason})", "value_error")]
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[Any] = []
    try:
        reader = csv.DictReader(io.StringIO(content, newline=""))
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in required if c not in header]
        twice = sorted({h for h in header if h and header.count(h) > 1})
        if missing or twice:
            shown = ", ".join(header) or "empty"
            return [], [
                problem(1, c, None, f"missing column (the header is: {shown})", "missing")
                for c in missing
            ] + [
                problem(1, c, c, "column named more than once in the header", "duplicate")
                for c in twice
            ]
        reader.fieldnames = header
        for number, raw in enumerate(reader, start=2):
            if None in raw:
                problems.append(
                    problem(number, None, None, "more values than header columns", "value_error")
                )
                continue
            row = {k: (v or "").strip() for k, v in raw.items()}
            if any(row.values()):
                rows.append((number, row))
    except csv.Error as exc:
        problems.append(problem(None, None, None, f"not a readable CSV file: {exc}", "value_error"))
    return rows, problems


def validated(
    model: type[BaseModel], number: int, row: dict[str, str], problems: list[Any]
) -> tuple[Any, set[str]]:
    """A row validated as the JSON body would be (the same field rules): the model (None when
    any field is wrong) and the columns found wrong, each a problem."""
    data: dict[str, Any] = {k: row.get(k, "") for k in model.model_fields}
    for k, v in data.items():
        if v == "" and not model.model_fields[k].is_required():
            data[k] = None  # an empty optional column
    try:
        return model.model_validate(data), set()
    except ValidationError as exc:
        bad: set[str] = set()
        for e in exc.errors(include_url=False):
            column = str(e["loc"][0]) if e["loc"] else None
            problems.append(problem(number, column, row.get(column or ""), e["msg"], e["type"]))
            bad.add(column or "")
        return None, bad


def chunked(values: Iterable[str]) -> Iterator[list[str]]:
    """Distinct values in order, a chunk at a time (for IN (...) queries)."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def rejected(problems: list[Any]) -> HTTPException:
    return HTTPException(422, detail=problems)


def _one(problems: list[tuple[str, str, str, str]], conflict: str | None = None) -> None:
    """The answer to a single JSON body's problems: 403 for another branch's, else 422 naming
    the field, else 409 for a duplicate (with the message `conflict` when given)."""
    by_kind = {kind: (column, value, reason) for column, value, reason, kind in reversed(problems)}
    if "forbidden" in by_kind:
        raise HTTPException(403, by_kind["forbidden"][2])
    if "value_error" in by_kind:
        column, value, reason = by_kind["value_error"]
        raise s.unprocessable(column, reason, value)
    if "conflict" in by_kind:
        column, value, reason = by_kind["conflict"]
        raise HTTPException(409, conflict or f"{column} {value!r}: {reason}")


# -- reservations ------------------------------------------------------------------------------


def _sees_reservation(caller: Caller) -> ColumnElement[bool] | None:
    """The reservations a key may read: all for a planner, its branch's for staff."""
    if caller.role == "planner":
        return None
    return or_(
        m.Reservation.pickup_branch_id == caller.branch_id,
        m.Reservation.source_branch_id == caller.branch_id,
    )


def _reservation(db: Session, caller: Caller, rid: str, *, lock: bool = False) -> m.Reservation:
    """The reservation if the key may see it; 404 otherwise (unknown or another branch's)."""
    r = db.get(m.Reservation, rid, with_for_update=lock)
    if r is None or not (
        caller.role == "planner" or caller.branch_id in (r.pickup_branch_id, r.source_branch_id)
    ):
        raise HTTPException(404, f"unknown reservation {rid!r}")
    return r


def _shown(caller: Caller, r: m.Reservation | s.Reservation) -> s.Reservation:
    """A reservation as the key may read it: the patron_ref only for a planner or a staff key
    of its pickup branch (the patron's library), not for the branch the copy comes from."""
    out = r if isinstance(r, s.Reservation) else s.Reservation.model_validate(r)
    if caller.role == "planner" or caller.branch_id == out.pickup_branch_id:
        return out
    return out.model_copy(update={"patron_ref": None})


class _ReservationRules:
    """The checks of a new reservation against the database: the pickup branch is a known
    library (a staff key's own), some item has the title, the id is new. Looked up once for
    a whole file."""

    def __init__(self, db: Session, caller: Caller, rows: Sequence[dict[str, str]]) -> None:
        self.caller = caller
        self.kinds = {b: k for b, k in db.execute(select(m.Branch.branch_id, m.Branch.kind))}
        self.titles: set[str] = set()
        for chunk in chunked(r.get("title_id", "") for r in rows):
            q = select(m.Item.title_id).where(m.Item.title_id.in_(chunk)).distinct()
            self.titles.update(db.scalars(q))
        self.existing: set[str] = set()
        for chunk in chunked(r.get("reservation_id", "") for r in rows):
            q = select(m.Reservation.reservation_id).where(m.Reservation.reservation_id.in_(chunk))
            self.existing.update(db.scalars(q))

    def problems(self, r: dict[str, str], skip: set[str]) -> list[tuple[str, str, str, str]]:
        """(column, value, reason, type) of each problem; columns in `skip` are known bad."""
        out: list[tuple[str, str, str, str]] = []
        rid, branch, title = r["reservation_id"], r["pickup_branch_id"], r["title_id"]
        if "reservation_id" not in skip and rid in self.existing:
            out.append(("reservation_id", rid, "already in the database", "conflict"))
        if "pickup_branch_id" not in skip:
            kind = self.kinds.get(branch)
            if kind is None:
                out.append(("pickup_branch_id", branch, "unknown branch", "value_error"))
            elif kind != "library":
                out.append(("pickup_branch_id", branch, "a hub is no pickup branch", "value_error"))
            elif self.caller.role == "staff" and branch != self.caller.branch_id:
                out.append(
                    ("pickup_branch_id", branch, f"a staff key of {self.caller.branch_id} "
                     f"handles only reservations picked up at {self.caller.branch_id}",
                     "forbidden")
                )  # fmt: skip
        if "title_id" not in skip and title not in self.titles:
            out.append(("title_id", title, "no item has this title", "value_error"))
        return out


def _new_reservation(body: s.ReservationCreate, stamp: Any) -> tuple[m.Reservation, str]:
    code = new_code()
    row = m.Reservation(
        reservation_id=body.reservation_id,
        title_id=body.title_id,
        pickup_branch_id=body.pickup_branch_id,
        placed_at=body.placed_at,
        patron_ref=body.patron_ref,
        code_hash=code_hash(code),
        status="placed",
        updated_at=stamp,
    )
    return row, code


@router.post(
    "/reservations",
    response_model=s.ReservationCreated,
    status_code=201,
    summary="Place a reservation",
    responses={**s.FORBIDDEN, **s.CONFLICT},
)
def create_reservation(body: s.ReservationCreate, db: DB, caller: StaffOrPlanner) -> Any:
    """A patron's hold on a title, picked up at a library (staff: their own). The answer has
    the patron's pickup `code`: shown this once, only its hash is stored. 409 when the id
    exists; 422 for an unknown branch or title, or a hub as pickup branch."""
    data = body.model_dump()
    rules = _ReservationRules(db, caller, [data])
    _one(rules.problems(data, set()), f"reservation {body.reservation_id!r} exists")
    row, code = _new_reservation(body, now())
    db.add(row)
    audit(db, caller, "reservation.create", body.reservation_id,
          title_id=body.title_id, pickup_branch_id=body.pickup_branch_id)  # fmt: skip
    commit(db, f"reservation {body.reservation_id!r} exists")
    return s.ReservationCreated(**s.Reservation.model_validate(row).model_dump(), code=code)


CSV_IMPORT = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "reservation_id,title_id,pickup_branch_id,placed_at,patron_ref\n"
                "R9001,T00371,LIN,2026-11-28T08:08,\n",
            }
        },
    }
}


@router.post(
    "/reservations/import",
    response_model=s.ReservationImport,
    status_code=201,
    summary="Import reservations from CSV",
    responses={**s.FORBIDDEN,
               422: {"model": s.Problems, "description": "every bad row; nothing stored"},
               409: {"model": s.Problems, "description": "rows stored meanwhile by another "
                     "request; nothing stored"}},
    openapi_extra=CSV_IMPORT,
)  # fmt: skip
def import_reservations(
    body: Annotated[bytes, Body(media_type="text/csv")], db: DB, caller: StaffOrPlanner
) -> Any:
    """A CSV file (text/csv) with the columns reservation_id, title_id, pickup_branch_id,
    placed_at (local YYYY-MM-DDTHH:MM) and optionally patron_ref, as reservations.csv. All rows
    are checked first: a new id (not twice in the file), a known library as pickup branch
    (staff: their own), a title some item has, a valid time. Any problem: 422 listing every one
    with its row (the header is row 1), column, value and reason, and nothing is stored.
    Otherwise every row is stored and the answer has each reservation's pickup code (shown
    this once)."""
    rows, problems = read_csv(body, RESERVATION_COLUMNS)  # the other rows are checked on
    rules = _ReservationRules(db, caller, [r for _, r in rows])
    first_row: dict[str, int] = {}
    good: list[tuple[int, s.ReservationCreate]] = []
    for number, r in rows:
        found_before = len(problems)
        model, bad = validated(s.ReservationCreate, number, r, problems)
        rid = r["reservation_id"]
        if "reservation_id" not in bad and rid in first_row:
            problems.append(problem(number, "reservation_id", rid,
                                    f"duplicate reservation_id (also row {first_row[rid]})",
                                    "duplicate"))  # fmt: skip
            bad.add("reservation_id")
        first_row.setdefault(rid, number)
        for column, value, reason, kind in rules.problems(r, bad):
            problems.append(problem(number, column, value, reason, kind))
        if model is not None and len(problems) == found_before:
            good.append((number, model))
    if problems:
        raise rejected(problems)
    stamp = now()
    codes: dict[str, str] = {}
    # Inserted in id order, so racing imports take the unique keys in the same order (one
    # waits for the other instead of a deadlock).
    for _, res in sorted(good, key=lambda g: g[1].reservation_id):
        row, codes[res.reservation_id] = _new_reservation(res, stamp)
        db.add(row)
    audit(db, caller, "reservation.import", f"{len(good)} reservation(s)",
          reservation_ids=[res.reservation_id for _, res in good])  # fmt: skip
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise _lost_race(db, good) from None
    return s.ReservationImport(
        stored=len(good),
        reservations=[
            s.PickupCode(reservation_id=res.reservation_id, code=codes[res.reservation_id])
            for _, res in good
        ],
    )


def _lost_race(db: Session, good: list[tuple[int, s.ReservationCreate]]) -> HTTPException:
    """409 after a concurrent request stored some of the ids: names those rows."""
    ids = {res.reservation_id: number for number, res in good}
    stored: set[str] = set()
    for chunk in chunked(ids):
        q = select(m.Reservation.reservation_id).where(m.Reservation.reservation_id.in_(chunk))
        stored.update(db.scalars(q))
    problems = [
        problem(ids[rid], "reservation_id", rid, "stored meanwhile by another request", "conflict")
        for rid in sorted(stored, key=ids.__getitem__)
    ]
    if not problems:
        problems = [problem(None, None, None, "the data changed meanwhile; try again", "conflict")]
    return HTTPException(409, detail=problems)


@router.get(
    "/reservations",
    response_model=s.Page[s.Reservation],
    summary="List reservations",
    responses=s.FORBIDDEN,
)
def list_reservations(
    db: DB,
    caller: StaffOrPlanner,
    status: s.ReservationStatus | None = None,
    pickup_branch_id: Filter = None,
    title_id: Filter = None,
    placed_from: When = None,
    placed_to: When = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Reservations by placing time (then id), a page at a time; staff see those picked up
    or sourced at their branch. Filters: status, pickup_branch_id, title_id, placed_from
    (inclusive), placed_to (exclusive)."""
    query = select(m.Reservation).order_by(m.Reservation.placed_at, m.Reservation.reservation_id)
    sees = _sees_reservation(caller)
    if sees is not None:
        query = query.where(sees)
    if status is not None:
        query = query.where(m.Reservation.status == status)
    if pickup_branch_id is not None:
        query = query.where(m.Reservation.pickup_branch_id == pickup_branch_id)
    if title_id is not None:
        query = query.where(m.Reservation.title_id == title_id)
    if placed_from is not None:
        query = query.where(m.Reservation.placed_at >= placed_from)
    if placed_to is not None:
        query = query.where(m.Reservation.placed_at < placed_to)
    body = page(db, query, limit, offset, s.Reservation)
    body["items"] = [_shown(caller, r) for r in body["items"]]
    return body


@router.get(
    "/reservations/{reservation_id}",
    response_model=s.Reservation,
    summary="One reservation",
    responses={**s.NOT_FOUND, **s.FORBIDDEN},
)
def get_reservation(reservation_id: ReservationPath, db: DB, caller: StaffOrPlanner) -> Any:
    """A reservation and where it is in its life (staff: picked up or sourced at their
    branch, else 404; patron_ref only for the pickup branch's). The pickup code is never shown
    again."""
    return _shown(caller, _reservation(db, caller, reservation_id))


@router.post(
    "/reservations/{reservation_id}/cancel",
    response_model=s.Reservation,
    summary="Cancel a reservation",
    responses={**s.NOT_FOUND, **s.FORBIDDEN, **s.CONFLICT},
)
def cancel_reservation(reservation_id: ReservationPath, db: DB, caller: StaffOrPlanner) -> Any:
    """Cancel (staff: one picked up at their branch, the patron's library; one only sourced
    there is 403, one they may not read 404). 409 when it is already cancelled or picked up."""
    r = _reservation(db, caller, reservation_id, lock=True)
    if caller.role != "planner" and r.pickup_branch_id != caller.branch_id:
        raise HTTPException(
            403,
            f"a staff key of {caller.branch_id} cancels only reservations picked up at "
            f"{caller.branch_id}",
        )
    if r.status in CLOSED:
        raise HTTPException(409, f"reservation {reservation_id!r} is {r.status.replace('_', ' ')}")
    previous = r.status
    r.status, r.updated_at = "cancelled", now()
    audit(db, caller, "reservation.cancel", reservation_id, previous_status=previous)
    commit(db, f"reservation {reservation_id!r} changed meanwhile")
    return _shown(caller, r)


@router.post(
    "/reservations/{reservation_id}/code",
    response_model=s.PickupCode,
    summary="Issue a new pickup code",
    responses={**s.NOT_FOUND, **s.FORBIDDEN, **s.CONFLICT},
)
def new_pickup_code(reservation_id: ReservationPath, db: DB, caller: Planner) -> Any:
    """A new pickup code for the patron (planner); the old one stops working. Shown this once.
    409 for a cancelled or picked-up reservation."""
    r = _reservation(db, caller, reservation_id, lock=True)
    if r.status in CLOSED:
        raise HTTPException(409, f"reservation {reservation_id!r} is {r.status.replace('_', ' ')}")
    code = new_code()
    r.code_hash, r.updated_at = code_hash(code), now()
    audit(db, caller, "reservation.code", reservation_id)
    commit(db, "a code collided; try again")
    return s.PickupCode(reservation_id=reservation_id, code=code)


# -- transfers ---------------------------------------------------------------------------------


def _transfer(db: Session, caller: Caller, tid: int, *, lock: bool = False) -> m.Transfer:
    t = db.get(m.Transfer, tid, with_for_update=lock)
    if t is None or not (
        caller.role == "planner" or caller.branch_id in (t.from_branch_id, t.to_branch_id)
    ):
        raise HTTPException(404, f"unknown transfer {tid}")
    return t


class _TransferRules:
    """The checks of new transfers against the database (transfers.csv of the CSV contract):
    a known item whose current branch is from_branch_id, known branches (a staff key's own at
    one end), one open transfer per item and per reservation, and a reservation it carries
    (when stored) open, of the item's title and picked up at to_branch_id. A staff key may name
    only a reservation it may read (picked up or sourced at its branch): any other id is an
    "unknown reservation", whether stored or not, and nothing else is said about it. The items
    and reservations named are locked (in id order) so racing requests check one after the
    other."""

    def __init__(self, db: Session, caller: Caller, rows: Sequence[dict[str, str]]) -> None:
        self.caller = caller
        self.branches = set(db.scalars(select(m.Branch.branch_id)))
        self.items: dict[str, m.Item] = {}
        item_ids = [r.get("item_id", "") for r in rows]
        for chunk in chunked(item_ids):
            items = select(m.Item).where(m.Item.item_id.in_(chunk)).order_by(m.Item.item_id)
            self.items.update((i.item_id, i) for i in db.scalars(items.with_for_update()))
        rids = [rid for rid in (r.get("reservation_id") or "" for r in rows) if rid]
        self.reservations: dict[str, m.Reservation] = {}
        sees = _sees_reservation(caller)
        for chunk in chunked(rids):
            held = select(m.Reservation).where(m.Reservation.reservation_id.in_(chunk))
            if sees is not None:
                held = held.where(sees)
            held = held.order_by(m.Reservation.reservation_id).with_for_update()
            self.reservations.update((r.reservation_id, r) for r in db.scalars(held))
        self.open_by_item: dict[str, int] = {}
        self.open_by_reservation: dict[str, int] = {}
        open_transfers = select(m.Transfer).where(m.Transfer.cancelled.is_(False))
        for chunk in chunked(item_ids):
            q = open_transfers.where(m.Transfer.item_id.in_(chunk))
            self.open_by_item.update((t.item_id, t.id) for t in db.scalars(q))
        for chunk in chunked(rids):
            q = open_transfers.where(m.Transfer.reservation_id.in_(chunk))
            self.open_by_reservation.update((t.reservation_id, t.id) for t in db.scalars(q))

    def problems(self, r: dict[str, str], skip: set[str]) -> list[tuple[str, str, str, str]]:
        """(column, value, reason, type) of each problem; columns in `skip` are known bad."""
        out: list[tuple[str, str, str, str]] = []
        iid, src, dst = r["item_id"], r["from_branch_id"], r["to_branch_id"]
        rid = r.get("reservation_id") or ""
        for column, branch in (("from_branch_id", src), ("to_branch_id", dst)):
            if column not in skip and branch not in self.branches:
                out.append((column, branch, "unknown branch", "value_error"))
                skip = skip | {column}
        mine = self.caller.branch_id
        if self.caller.role == "staff" and mine not in (src, dst):
            out.append(("from_branch_id", src, f"a staff key of {mine} handles only transfers "
                        f"from or to {mine}", "forbidden"))  # fmt: skip
        item = self.items.get(iid)
        if "item_id" not in skip:
            if item is None:
                out.append(("item_id", iid, "unknown item", "value_error"))
            elif iid in self.open_by_item:
                out.append(("item_id", iid, f"already has an open transfer "
                            f"({self.open_by_item[iid]})", "conflict"))  # fmt: skip
        if item is not None and "from_branch_id" not in skip and item.current_branch_id != src:
            out.append(("from_branch_id", src, f"item {iid} is at {item.current_branch_id}",
                        "value_error"))  # fmt: skip
        if rid and "reservation_id" not in skip:
            carried = self.open_by_reservation.get(rid)
            res = self.reservations.get(rid)
            if res is None and self.caller.role != "planner":
                out.append(("reservation_id", rid, "unknown reservation", "value_error"))
            elif carried is not None:
                out.append(("reservation_id", rid, f"another transfer ({carried}) already "
                            "carries this reservation", "conflict"))  # fmt: skip
            elif res is not None and res.status in CLOSED:
                out.append(("reservation_id", rid, f"the reservation is {res.status}",
                            "value_error"))  # fmt: skip
            elif res is not None and item is not None and res.title_id != item.title_id:
                out.append(("reservation_id", rid, f"is for title {res.title_id}, item {iid} "
                            f"is title {item.title_id}", "value_error"))  # fmt: skip
            elif res is not None and "to_branch_id" not in skip and res.pickup_branch_id != dst:
                out.append(("to_branch_id", dst, f"reservation {rid} is picked up at "
                            f"{res.pickup_branch_id}", "value_error"))  # fmt: skip
        return out


def _new_transfer(body: s.TransferCreate) -> m.Transfer:
    return m.Transfer(
        item_id=body.item_id,
        from_branch_id=body.from_branch_id,
        to_branch_id=body.to_branch_id,
        ready_at=body.ready_at,
        reservation_id=body.reservation_id or "",
        cancelled=False,
    )


@router.post(
    "/transfers",
    response_model=s.Transfer,
    status_code=201,
    summary="Register a transfer",
    responses={**s.FORBIDDEN, **s.CONFLICT},
)
def create_transfer(body: s.TransferCreate, db: DB, caller: StaffOrPlanner) -> Any:
    """An item that must move (a return going home, or with reservation_id a copy already on
    its way to fill that reservation), ready at ready_at. From must be the item's current
    branch (staff: their branch at one end). 409 when the item or the reservation already has
    an open transfer."""
    data = body.model_dump()
    data["reservation_id"] = body.reservation_id or ""
    rules = _TransferRules(db, caller, [data])
    _one(rules.problems(data, set()))
    row = _new_transfer(body)
    db.add(row)
    db.flush()
    audit(db, caller, "transfer.create", str(row.id), **body.model_dump(mode="json"))
    commit(db, "transfers changed meanwhile; try again")
    return row


TRANSFER_IMPORT = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "item_id,from_branch_id,to_branch_id,ready_at,reservation_id\n"
                "30000142313,LEK,LAX,2026-11-30T08:00,\n",
            }
        },
    }
}


@router.post(
    "/transfers/import",
    response_model=s.TransferImport,
    status_code=201,
    summary="Import transfers from CSV",
    responses={
        **s.FORBIDDEN,
        409: {
            "model": s.Message,
            "description": "transfers changed meanwhile (a racing request); nothing stored",
        },
        422: {"model": s.Problems, "description": "every bad row; nothing stored"},
    },
    openapi_extra=TRANSFER_IMPORT,
)
def import_transfers(
    body: Annotated[bytes, Body(media_type="text/csv")], db: DB, caller: StaffOrPlanner
) -> Any:
    """A CSV file (text/csv) with the columns item_id, from_branch_id, to_branch_id, ready_at
    and optionally reservation_id, as transfers.csv. All rows are checked first (the rules of
    POST /transfers; an item or a reservation at most once in the file); any problem: 422
    listing every one with its row, column, value and reason, and nothing is stored."""
    rows, problems = read_csv(body, TRANSFER_COLUMNS)  # the other rows are checked on
    rules = _TransferRules(db, caller, [r for _, r in rows])
    item_row: dict[str, int] = {}
    reservation_row: dict[str, int] = {}
    good: list[s.TransferCreate] = []
    for number, r in rows:
        found_before = len(problems)
        model, bad = validated(s.TransferCreate, number, r, problems)
        for column, first in (("item_id", item_row), ("reservation_id", reservation_row)):
            value = r.get(column) or ""
            if value and column not in bad and value in first:
                problems.append(problem(number, column, value,
                                        f"duplicate {column} (also row {first[value]})",
                                        "duplicate"))  # fmt: skip
                bad.add(column)
            if value:
                first.setdefault(value, number)
        for column, value, reason, kind in rules.problems(r, bad):
            problems.append(problem(number, column, value, reason, kind))
        if model is not None and len(problems) == found_before:
            good.append(model)
    if problems:
        raise rejected(problems)
    stored = [_new_transfer(t) for t in good]
    db.add_all(stored)
    db.flush()
    audit(db, caller, "transfer.import", f"{len(stored)} transfer(s)",
          transfer_ids=[t.id for t in stored])  # fmt: skip
    commit(db, "transfers changed meanwhile; try again")
    return s.TransferImport(
        stored=len(stored), transfers=[s.Transfer.model_validate(t) for t in stored]
    )


@router.get(
    "/transfers", response_model=s.Page[s.Transfer], summary="List transfers", responses=s.FORBIDDEN
)
def list_transfers(
    db: DB,
    caller: StaffOrPlanner,
    item_id: Filter = None,
    from_branch_id: Filter = None,
    to_branch_id: Filter = None,
    reservation_id: Filter = None,
    cancelled: bool | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Transfers by id, a page at a time; staff see those from or to their branch. Filters:
    item_id, from_branch_id, to_branch_id, reservation_id, cancelled."""
    query = select(m.Transfer).order_by(m.Transfer.id)
    if caller.role != "planner":
        query = query.where(
            or_(
                m.Transfer.from_branch_id == caller.branch_id,
                m.Transfer.to_branch_id == caller.branch_id,
            )
        )
    for column, value in (
        (m.Transfer.item_id, item_id),
        (m.Transfer.from_branch_id, from_branch_id),
        (m.Transfer.to_branch_id, to_branch_id),
        (m.Transfer.reservation_id, reservation_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if cancelled is not None:
        query = query.where(m.Transfer.cancelled.is_(cancelled))
    return page(db, query, limit, offset, s.Transfer)


@router.get(
    "/transfers/{transfer_id}",
    response_model=s.Transfer,
    summary="One transfer",
    responses={**s.NOT_FOUND, **s.FORBIDDEN},
)
def get_transfer(transfer_id: TransferPath, db: DB, caller: StaffOrPlanner) -> Any:
    """A transfer (staff: from or to their branch, else 404)."""
    return _transfer(db, caller, transfer_id)


@router.post(
    "/transfers/{transfer_id}/cancel",
    response_model=s.Transfer,
    summary="Cancel a transfer",
    responses={**s.NOT_FOUND, **s.FORBIDDEN, **s.CONFLICT},
)
def cancel_transfer(transfer_id: TransferPath, db: DB, caller: StaffOrPlanner) -> Any:
    """Cancel (staff: from or to their branch). 409 when it is already cancelled."""
    t = _transfer(db, caller, transfer_id, lock=True)
    if t.cancelled:
        raise HTTPException(409, f"transfer {transfer_id} is already cancelled")
    t.cancelled = True
    audit(db, caller, "transfer.cancel", str(transfer_id), item_id=t.item_id)
    commit(db, f"transfer {transfer_id} changed meanwhile")
    return t
