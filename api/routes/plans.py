"""Planning jobs and the current plan.

Roles: planners start jobs and read everything; drivers read the runs; staff read the crate,
delivery and unplanned lists of their own branch only (without branch_id they get their own
branch's rows; branch_id of another branch is 403, as for the printouts). Every key reads
/plans/current.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from api import models as m
from api.auth import AnyKey, Caller, Planner, ReadDB, StaffOrPlanner, audit, require
from api.jobs import JobBusy, create_job, get_job, reap_if_dead, recover_jobs, start_worker
from api.schemas import (
    FORBIDDEN,
    MAX_YEAR,
    MIN_YEAR,
    NO_CONTROL,
    Message,
    unprocessable,
)
from api.schemas_plans import (
    CrateAt,
    CrateLegOut,
    DeliveryOut,
    JobConflict,
    JobOut,
    PlanOut,
    PlanPage,
    PlanRequest,
    RunDetail,
    RunList,
    RunOut,
    StopOut,
    UnplannedOut,
)
from api.store import current_plan_id
from logistics.load import format_hhmm


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At start-up, jobs left queued or running by a worker that is gone are marked failed."""
    recover_jobs(app.state.sessions)
    yield


router = APIRouter(prefix="/plans", tags=["plans"], lifespan=_lifespan)

PlannerOrDriver = Annotated[Caller, Depends(require("planner", "driver"))]
Limit = Annotated[int, Query(ge=1, le=1000, description="rows per page")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
BranchFilter = Annotated[
    str | None,
    Query(max_length=64, pattern=NO_CONTROL, description="rows touching this branch"),
]
VanId = Annotated[str, Path(max_length=64, pattern=NO_CONTROL, description="a van id")]
VanFilter = Annotated[
    str | None, Query(max_length=64, pattern=NO_CONTROL, description="runs of this van")
]
JobId = Annotated[str, Path(max_length=64, pattern=NO_CONTROL, description="a job id")]
NO_PLAN: dict[int | str, dict[str, Any]] = {
    404: {"model": Message, "description": "there is no plan yet"}
}


def job_out(job: m.Job) -> JobOut:
    return JobOut(
        job_id=job.job_id,
        status=job.status,
        progress=job.progress,
        message=job.message,
        start=job.start,
        days=job.days,
        created_at=job.created_at,
        finished_at=job.finished_at,
        plan_id=job.plan_id,
        pid=job.pid,
    )


def _hhmm(minutes: int | None) -> str | None:
    return None if minutes is None else format_hhmm(minutes)


def current_record(db: Session) -> m.PlanRecord:
    plan_id = current_plan_id(db)
    record = None if plan_id is None else db.get(m.PlanRecord, plan_id)
    if record is None:
        raise HTTPException(404, "there is no plan yet: POST /plans makes one")
    return record


def _branch_scope(caller: Caller, branch_id: str | None) -> str | None:
    """The branch a list is limited to: staff their own (another → 403), planners the one
    asked for, if any."""
    if caller.role == "staff":
        if branch_id is not None and branch_id != caller.branch_id:
            raise HTTPException(403, f"a staff key of {caller.branch_id} sees only its branch")
        return caller.branch_id
    return branch_id


# -- jobs ----------------------------------------------------------------------------------


# The answers of a request that starts a planning job (here and in compare).
JOB_STARTED: dict[int | str, dict[str, Any]] = {
    **FORBIDDEN,
    409: {"model": JobConflict, "description": "another job is queued or running"},
    503: {"model": Message, "description": "the worker process could not be started"},
}


@router.post("", status_code=202, response_model=JobOut, responses=JOB_STARTED)
def start_plan(body: PlanRequest, caller: Planner, request: Request) -> Any:
    """Start a planning job for `days` days from `start` (202 with the job; poll
    GET /plans/jobs/{job_id}). One job at a time per database: 409 with the running job while
    another is queued or running. The job plans in a worker process; when it is done its plan
    is stored and current, all at once."""
    if not MIN_YEAR <= body.start.year <= MAX_YEAR:
        raise unprocessable(
            "start", f"the year must be {MIN_YEAR} to {MAX_YEAR}", body.start.isoformat()
        )

    def record(session: Session, job: m.Job) -> None:
        audit(session, caller, "plan.start", job.job_id, start=body.start.isoformat(),
              days=body.days, seconds=body.seconds)  # fmt: skip

    return launch_job(request, caller, body.start, body.days, body.seconds, record)


def launch_job(
    request: Request,
    caller: Caller,
    start: date,
    days: int,
    seconds: float | None,
    record: Callable[[Session, m.Job], None],
    *,
    practice: bool = False,
) -> Any:
    """Queue a planning job (`record` runs in its transaction, e.g. the audit) and start its
    worker: the job, or 409 with the job that holds the slot, or 503 if no worker starts."""
    factory = request.app.state.sessions
    try:
        job = create_job(factory, start, days, caller.key_id, record)
    except JobBusy as busy:
        conflict = JobConflict(
            detail=f"another planning job is {busy.job.status}: one at a time",
            job=job_out(busy.job),
        )
        return JSONResponse(conflict.model_dump(mode="json"), status_code=409)
    url = request.app.state.engine.url.render_as_string(hide_password=False)
    try:
        process = start_worker(factory, url, job.job_id, seconds, practice=practice)
    except OSError as exc:
        raise HTTPException(503, f"the planning worker could not be started: {exc}") from exc
    # the app's workers by job (finished ones dropped), for a clean shutdown in tests
    workers = getattr(request.app.state, "plan_workers", None)
    if workers is None:
        workers = request.app.state.plan_workers = {}
    for done in [k for k, p in workers.items() if p.poll() is not None]:
        del workers[done]
    workers[job.job_id] = process
    return job_out(get_job(factory, job.job_id) or job)


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses={**FORBIDDEN, 404: {"model": Message, "description": "no such job"}},
)
def read_job(job_id: JobId, _: Planner, request: Request) -> Any:
    """A planning job: status, progress (share of the days planned) and message. A job whose
    worker is found gone is reported failed."""
    factory = request.app.state.sessions
    job = get_job(factory, job_id)
    if job is None:
        raise HTTPException(404, f"no planning job {job_id}")
    if reap_if_dead(factory, job):
        job = get_job(factory, job_id) or job
    return job_out(job)


# -- the current plan ------------------------------------------------------------------------


@router.get("/current", response_model=PlanOut, responses=NO_PLAN)
def current(_: AnyKey, db: ReadDB) -> Any:
    """The current plan: its days and summary figures (404 before the first plan)."""
    record = current_record(db)
    return PlanOut(
        plan_id=record.plan_id,
        job_id=record.job_id,
        start=record.start,
        end=record.start + timedelta(days=record.days - 1),
        days=record.days,
        created_at=record.created_at,
        summary=record.summary,
    )


@router.get("/current/runs", response_model=RunList, responses={**NO_PLAN, **FORBIDDEN})
def runs(_: PlannerOrDriver, db: ReadDB, day: date | None = None, van_id: VanFilter = None) -> Any:
    """Every van run of the current plan (planner, driver), by day and van."""
    record = current_record(db)
    pid = record.plan_id
    query = select(m.PlanRoute).where(m.PlanRoute.plan_id == pid)
    legs = select(m.PlanCrate).where(m.PlanCrate.plan_id == pid)
    if day is not None:
        query = query.where(m.PlanRoute.day == day)
        legs = legs.where(m.PlanCrate.day == day)
    if van_id is not None:
        query = query.where(m.PlanRoute.van_id == van_id)
        legs = legs.where(m.PlanCrate.van_id == van_id)
    rows: dict[tuple[date, str], list[m.PlanRoute]] = defaultdict(list)
    for r in db.scalars(query.order_by(m.PlanRoute.day, m.PlanRoute.van_id, m.PlanRoute.seq)):
        rows[(r.day, r.van_id)].append(r)
    crates: dict[tuple[date, str], dict[str, int]] = defaultdict(dict)
    for c in db.scalars(legs):
        crates[(c.day, c.van_id)][c.crate_id] = c.items
    out = []
    for (d, van), stops in rows.items():
        carried = crates.get((d, van), {})
        out.append(
            RunOut(
                day=d,
                van_id=van,
                stops=sum(1 for r in stops if r.kind == "stop"),
                km=round(sum(r.km_from_prev for r in stops), 1),
                start=_hhmm(next((r.departure for r in stops if r.departure is not None), None)),
                end=_hhmm(
                    next((r.arrival for r in reversed(stops) if r.arrival is not None), None)
                ),
                crates=len(carried),
                items=sum(carried.values()),
            )
        )
    return RunList(plan_id=pid, runs=out)


@router.get(
    "/current/runs/{day}/{van_id}",
    response_model=RunDetail,
    responses={
        **FORBIDDEN,
        404: {"model": Message, "description": "no plan, or no run of the van that day"},
    },
)
def run(day: date, van_id: VanId, _: PlannerOrDriver, db: ReadDB) -> Any:
    """A van's run on a day (planner, driver): its rows in order with arrival and departure and
    the crates dropped and collected at each. 404 if the van has no run that day."""
    record = current_record(db)
    pid = record.plan_id
    stops = list(
        db.scalars(
            select(m.PlanRoute)
            .where(m.PlanRoute.plan_id == pid, m.PlanRoute.day == day, m.PlanRoute.van_id == van_id)
            .order_by(m.PlanRoute.seq)
        )
    )
    if not stops:
        raise HTTPException(404, f"van {van_id} has no run on {day.isoformat()} in the plan")
    legs = list(
        db.scalars(
            select(m.PlanCrate).where(
                m.PlanCrate.plan_id == pid, m.PlanCrate.day == day, m.PlanCrate.van_id == van_id
            )
        )
    )
    names = {b: n for b, n in db.execute(select(m.Branch.branch_id, m.Branch.name))}

    def at(r: m.PlanRoute, arriving: bool) -> list[CrateAt]:
        if not r.branch_id:
            return []
        if arriving:
            found = [
                c for c in legs if c.leg_to_branch_id == r.branch_id and c.arrival == r.arrival
            ]
        else:
            found = [
                c
                for c in legs
                if c.leg_from_branch_id == r.branch_id and c.departure == r.departure
            ]
        return [
            CrateAt(
                crate_id=c.crate_id,
                items=c.items,
                from_branch_id=c.from_branch_id,
                to_branch_id=c.to_branch_id,
                leg_from_branch_id=c.leg_from_branch_id,
                leg_to_branch_id=c.leg_to_branch_id,
            )
            for c in sorted(found, key=lambda c: (c.to_branch_id, c.crate_id))
        ]

    return RunDetail(
        plan_id=pid,
        day=day,
        van_id=van_id,
        km=round(sum(r.km_from_prev for r in stops), 1),
        stops=[
            StopOut(
                seq=r.seq,
                kind=r.kind,
                branch_id=r.branch_id,
                branch_name=names.get(r.branch_id, ""),
                arrival=_hhmm(r.arrival),
                departure=_hhmm(r.departure),
                km_from_prev=r.km_from_prev,
                crates_off=r.crates_off,
                crates_on=r.crates_on,
                load_after=r.load_after,
                dropped=at(r, True),
                collected=at(r, False),
            )
            for r in stops
        ],
    )


def _page(db: Session, query: Any, limit: int, offset: int) -> tuple[int, list[Any]]:
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return total, list(db.execute(query.limit(limit).offset(offset)).all())


@router.get(
    "/current/crates", response_model=PlanPage[CrateLegOut], responses={**NO_PLAN, **FORBIDDEN}
)
def crates(
    caller: StaffOrPlanner,
    db: ReadDB,
    day: date | None = None,
    branch_id: BranchFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """The crates' legs (planner; staff: legs that start or end at its branch, or of crates
    packed at or bound for it). Filters: day of the leg, branch_id."""
    record = current_record(db)
    c = m.PlanCrate
    query = select(c).where(c.plan_id == record.plan_id)
    if day is not None:
        query = query.where(c.day == day)
    branch = _branch_scope(caller, branch_id)
    if branch is not None:
        query = query.where(
            or_(
                c.from_branch_id == branch,
                c.to_branch_id == branch,
                c.leg_from_branch_id == branch,
                c.leg_to_branch_id == branch,
            )
        )
    query = query.order_by(c.day, c.departure, c.crate_id, c.leg)
    total, rows = _page(db, query, limit, offset)
    return PlanPage[CrateLegOut](
        plan_id=record.plan_id,
        total=total,
        limit=limit,
        offset=offset,
        items=[
            CrateLegOut(
                crate_id=x.crate_id,
                leg=x.leg,
                day=x.day,
                van_id=x.van_id,
                from_branch_id=x.from_branch_id,
                to_branch_id=x.to_branch_id,
                leg_from_branch_id=x.leg_from_branch_id,
                leg_to_branch_id=x.leg_to_branch_id,
                departure=format_hhmm(x.departure),
                arrival=format_hhmm(x.arrival),
                items=x.items,
            )
            for (x,) in rows
        ],
    )


@router.get(
    "/current/deliveries", response_model=PlanPage[DeliveryOut], responses={**NO_PLAN, **FORBIDDEN}
)
def deliveries(
    caller: StaffOrPlanner,
    db: ReadDB,
    day: date | None = None,
    branch_id: BranchFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Reserved items arriving at their pickup branch (planner; staff: items sent from or
    arriving at its branch). Filters: day delivered, branch_id."""
    record = current_record(db)
    d = m.PlanDelivery
    query = select(d).where(d.plan_id == record.plan_id)
    if day is not None:
        query = query.where(d.delivered_date == day)
    branch = _branch_scope(caller, branch_id)
    if branch is not None:
        query = query.where(or_(d.from_branch_id == branch, d.to_branch_id == branch))
    query = query.order_by(d.delivered_date, d.delivered_time, d.item_id)
    total, rows = _page(db, query, limit, offset)
    return PlanPage[DeliveryOut](
        plan_id=record.plan_id,
        total=total,
        limit=limit,
        offset=offset,
        items=[
            DeliveryOut(
                item_id=x.item_id,
                reservation_id=x.reservation_id,
                from_branch_id=x.from_branch_id,
                to_branch_id=x.to_branch_id,
                crate_id=x.crate_id,
                ready_date=x.ready_date,
                delivered_date=x.delivered_date,
                delivered_time=format_hhmm(x.delivered_time),
                transit_days=x.transit_days,
            )
            for (x,) in rows
        ],
    )


@router.get(
    "/current/unplanned", response_model=PlanPage[UnplannedOut], responses={**NO_PLAN, **FORBIDDEN}
)
def unplanned(
    caller: StaffOrPlanner,
    db: ReadDB,
    branch_id: BranchFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """What the plan could not serve, and why (planner; staff: rows where the item waits at
    its branch or the reservation is to be picked up there). Filter: branch_id (these rows
    have no day)."""
    record = current_record(db)
    u = m.PlanUnplanned
    pickup = (
        select(m.PlanReservation.pickup_branch_id)
        .where(
            m.PlanReservation.plan_id == u.plan_id,
            m.PlanReservation.reservation_id == u.reservation_id,
        )
        .limit(1)
        .scalar_subquery()
    )
    query = select(u, pickup).where(u.plan_id == record.plan_id)
    branch = _branch_scope(caller, branch_id)
    if branch is not None:
        query = query.where(or_(u.at_branch_id == branch, pickup == branch))
    query = query.order_by(u.reservation_id, u.item_id)
    total, rows = _page(db, query, limit, offset)
    return PlanPage[UnplannedOut](
        plan_id=record.plan_id,
        total=total,
        limit=limit,
        offset=offset,
        items=[
            UnplannedOut(
                item_id=x.item_id,
                reservation_id=x.reservation_id,
                reason=x.reason,
                at_branch_id=x.at_branch_id,
                pickup_branch_id=p,
            )
            for x, p in rows
        ],
    )
