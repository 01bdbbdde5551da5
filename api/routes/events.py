"""POST /events: a scan by staff or a driver, stored once, moving its reservations on.

Who may scan what: a staff key scans at its own branch — pulled, not_on_shelf, packed,
collected (the handover to the driver at the counter), delivered, checked_in and
picked_up_by_patron; a driver key scans collected, at_hub and delivered at any branch; a
planner key anything anywhere. The place rules of `api.lifecycle` apply to every key (a copy is
collected where it is, delivered where it is picked up), and a staff key moves only
reservations sourced, kept or picked up at its branch (403 when a scan is about none of those).

What the answer tells: a planner every reservation the scan moved; staff those they may read
(picked up or sourced at their branch); a driver none, only how many and in which crates. A
refusal (409) names a reservation only when the key may read it.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from sqlalchemy.exc import OperationalError

from api.auth import AnyKey, Caller, audit
from api.db import transaction
from api.lifecycle import ScanError, Scope, Timetables, apply_scan, state_of
from api.schemas import Message, Problems
from api.schemas_events import EventKind, ReservationState, ScanIn, ScanOut

router = APIRouter(tags=["events"])

STAFF_KINDS = frozenset(
    {
        EventKind.PULLED,
        EventKind.NOT_ON_SHELF,
        EventKind.PACKED,
        EventKind.COLLECTED,
        EventKind.DELIVERED,
        EventKind.CHECKED_IN,
        EventKind.PICKED_UP_BY_PATRON,
    }
)
DRIVER_KINDS = frozenset({EventKind.COLLECTED, EventKind.AT_HUB, EventKind.DELIVERED})
# PostgreSQL's deadlock_detected and serialization_failure: the scan is tried again.
RETRY_SQLSTATES = ("40P01", "40001")
ATTEMPTS = 3

_state_lock = threading.Lock()


def timetables(app: FastAPI) -> Timetables:
    """The app's timetable cache (one per app, made on first use)."""
    tables: Timetables | None = getattr(app.state, "timetables", None)
    if tables is None:
        with _state_lock:
            tables = getattr(app.state, "timetables", None)
            if tables is None:
                tables = Timetables()
                app.state.timetables = tables
    return tables


def authorize(caller: Caller, scan: ScanIn) -> None:
    """403 unless the caller's role may make this kind of scan at this branch."""
    if caller.role == "planner":
        return
    if caller.role == "driver":
        if scan.kind not in DRIVER_KINDS:
            raise HTTPException(403, f"a driver key cannot scan {scan.kind.value}")
        return
    if caller.role == "staff":
        if scan.kind not in STAFF_KINDS:
            raise HTTPException(403, f"a staff key cannot scan {scan.kind.value}")
        if scan.branch_id != caller.branch_id:
            raise HTTPException(403, f"a staff key of {caller.branch_id} scans only there")
        return
    raise HTTPException(403, "this key cannot scan")


@router.post(
    "/events",
    response_model=ScanOut,
    status_code=201,
    summary="Record a scan",
    responses={
        200: {"model": ScanOut, "description": "the same scan was stored before (duplicate)"},
        401: {"model": Message, "description": "no valid key"},
        403: {
            "model": Message,
            "description": "the key's role or branch may not make this scan, or (staff) the "
            "reservations it is about are other branches'; nothing stored",
        },
        409: {
            "model": Message,
            "description": "the scan cannot follow the reservation's status or place; nothing "
            "stored",
        },
        422: {
            "model": Problems,
            "description": "an unknown branch, item or crate, or a missing field (each named "
            "by its loc); nothing stored",
        },
    },
)
def post_event(scan: ScanIn, request: Request, response: Response, caller: AnyKey) -> Any:
    """Store a scan and move the reservations it is about on: status, where the copy is,
    crate, expected and promised dates — in one transaction with the audit row. The same
    scan again (kind, branch, time, crate, item) answers 200 with `duplicate`, changing
    nothing. A crate's scan moves every reservation packed in it. The answer lists the
    reservations the key may read (planner: all; staff: picked up or sourced at their branch;
    driver: none) and counts all."""
    authorize(caller, scan)
    tables = timetables(request.app)
    for attempt in range(ATTEMPTS):
        try:
            body = _store(request, scan, caller, tables)
            break
        except OperationalError as exc:
            code = getattr(exc.orig, "sqlstate", None)
            if code not in RETRY_SQLSTATES or attempt == ATTEMPTS - 1:
                raise
        except ScanError as exc:
            if exc.status == 422:
                field = ["body", exc.field] if exc.field else ["body"]
                detail: Any = [{"loc": field, "msg": exc.reason, "type": "value_error"}]
            else:
                detail = exc.reason
            raise HTTPException(exc.status, detail) from None
    if body.duplicate:
        response.status_code = 200
    return body


def _store(request: Request, scan: ScanIn, caller: Caller, tables: Timetables) -> ScanOut:
    scope = Scope(caller.role, caller.branch_id)
    with transaction(request.app.state.sessions) as session:
        result = apply_scan(
            session, scan, caller.key_id, lambda: tables.get(session, scan.at.date()), scope
        )
        if not result.duplicate:
            audit(
                session,
                caller,
                f"event.{scan.kind.value}",
                f"event:{result.event_id}",
                branch_id=scan.branch_id,
                at=scan.at.isoformat(),
                crate_id=scan.crate_id,
                item_id=scan.item_id,
                reservations=[r.reservation_id for r in result.reservations],
                status=sorted({r.status for r in result.reservations}),
            )
        session.flush()
        return ScanOut(
            id=result.event_id,
            kind=scan.kind,
            branch_id=scan.branch_id,
            at=scan.at,
            crate_id=scan.crate_id,
            item_id=scan.item_id,
            duplicate=result.duplicate,
            reservations=[
                ReservationState.model_validate(s)
                for s in state_of([r for r in result.reservations if scope.reads(r)])
            ],
            skipped=[r.reservation_id for r in result.skipped if scope.reads(r)],
            moved=len(result.reservations),
            not_moved=len(result.skipped),
            crate_ids=sorted({r.crate_id for r in result.reservations if r.crate_id}),
        )
