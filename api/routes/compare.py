"""The current plan compared with today's practice (planner).

`POST /plans/compare` starts a planning job that plans the consortium's practice schedule —
vans on Monday, Wednesday and Friday only, greedy copy choice — on the same demand as the
current plan (its start and days); the job is one of the database's planning jobs (one at a
time, polled at GET /plans/jobs/{id}), but its plan is never made current: only its figures
are kept (`api.practice`). `GET /plans/compare` gives both plans' figures side by side.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import models as m
from api.auth import DB, Planner, audit
from api.jobs import reap_if_dead
from api.practice import JOB_KEY, PRACTICE_SOURCING, PRACTICE_WEEKDAYS, km_by_run, read_practice
from api.practice import reason_counts as count_reasons
from api.routes.plans import JOB_STARTED, NO_PLAN, current_record, job_out, launch_job
from api.schemas import FORBIDDEN, LocalDateTimeOut
from api.schemas_plans import JobOut, SolverBudget
from api.store import get_meta, set_meta

router = APIRouter(prefix="/plans", tags=["plans"])


class CompareRequest(SolverBudget):
    """A comparison job: today's practice planned on the current plan's demand."""


class Figures(BaseModel):
    """A plan's key figures. Shares are of the items moved by van (not those filled on the
    spot), delivered within 1 or 2 working days of being ready; null when none moved."""

    km: float
    drive_hours: float = Field(description="the vans' hours out, depot to depot")
    runs: int
    crates: int
    items_moved: int
    items_filled_on_the_spot: int
    items_unplanned: int
    share_within_1_working_day: float | None
    share_within_2_working_days: float | None
    transit_days: dict[str, int] = Field(description="items moved by transit working days")


class ReasonCount(BaseModel):
    """Unplanned rows of one kind of reason: no_copy, placed_after_horizon,
    ready_after_horizon, not_pulled_in_time, waiting_at_end, no_staffed_hours or other."""

    kind: str
    count: int
    example: str = Field(description="the first such reason, as the plan gives it")


class RunKm(BaseModel):
    day: date
    van_id: str
    km: float


class PlanSide(BaseModel):
    """One side of the comparison: how it was planned and its figures."""

    plan_id: int | None = Field(description="the stored plan (null for the practice what-if)")
    job_id: str | None
    start: date
    days: int
    created_at: LocalDateTimeOut
    sourcing: str = Field(description="joint (all reservations at once) or greedy (practice)")
    weekdays: dict[str, str] = Field(description="each van's weekdays, e.g. mon;wed;fri")
    figures: Figures
    unplanned_reasons: list[ReasonCount]
    runs: list[RunKm]


class Comparison(BaseModel):
    """The current plan and today's practice side by side. practice is null until a comparison
    has been made; same_demand says it was made for the current plan (its start and days, while
    it was current)."""

    current: PlanSide
    practice: PlanSide | None
    same_demand: bool
    job: JobOut | None = Field(description="the last comparison job started, if any")


def figures(summary: dict[str, Any]) -> Figures:
    """A plan's summary (Plan.summary) as key figures, with the share within 2 working days
    derived from its transit-days histogram."""
    histogram = {str(k): int(v) for k, v in dict(summary.get("transit_days") or {}).items()}
    moved = int(summary["items_moved"])
    within2 = sum(n for k, n in histogram.items() if int(k) <= 2)
    return Figures(
        km=float(summary["km"]),
        drive_hours=round(int(summary["drive_minutes"]) / 60, 1),
        runs=int(summary["runs"]),
        crates=int(summary["crates"]),
        items_moved=moved,
        items_filled_on_the_spot=int(summary["items_filled_on_the_spot"]),
        items_unplanned=int(summary["items_unplanned"]),
        share_within_1_working_day=summary.get("share_within_1_working_day"),
        share_within_2_working_days=round(within2 / moved, 4) if moved else None,
        transit_days=histogram,
    )


def _current_side(db: Session, record: m.PlanRecord) -> PlanSide:
    pid = record.plan_id
    legs = db.execute(
        select(m.PlanRoute.day, m.PlanRoute.van_id, m.PlanRoute.km_from_prev).where(
            m.PlanRoute.plan_id == pid
        )
    )
    reasons = db.scalars(select(m.PlanUnplanned.reason).where(m.PlanUnplanned.plan_id == pid))
    vans = db.execute(select(m.Van.van_id, m.Van.weekdays).order_by(m.Van.van_id))
    return PlanSide(
        plan_id=pid,
        job_id=record.job_id,
        start=record.start,
        days=record.days,
        created_at=record.created_at,
        sourcing="joint",
        weekdays={van: days for van, days in vans},
        figures=figures(record.summary),
        unplanned_reasons=[ReasonCount(**r) for r in count_reasons(reasons)],
        runs=[RunKm(**run) for run in km_by_run(legs)],
    )


def _practice_side(db: Session, stored: dict[str, Any]) -> PlanSide:
    vans = db.scalars(select(m.Van.van_id).order_by(m.Van.van_id))
    return PlanSide(
        plan_id=None,
        job_id=stored["job_id"],
        start=date.fromisoformat(stored["start"]),
        days=int(stored["days"]),
        created_at=datetime.fromisoformat(stored["created_at"]),
        sourcing=stored.get("sourcing", PRACTICE_SOURCING),
        weekdays={van: stored.get("weekdays", PRACTICE_WEEKDAYS) for van in vans},
        figures=figures(stored["summary"]),
        unplanned_reasons=[ReasonCount(**r) for r in stored["unplanned_reasons"]],
        runs=[RunKm(**r) for r in stored["runs"]],
    )


@router.post(
    "/compare",
    status_code=202,
    response_model=JobOut,
    responses={**JOB_STARTED, **NO_PLAN},
)
def start_compare(
    caller: Planner, request: Request, db: DB, body: CompareRequest | None = None
) -> Any:
    """Plan today's practice (vans Monday, Wednesday and Friday only; greedy copy choice) on
    the current plan's demand, as a planning job (202 with the job; poll
    GET /plans/jobs/{job_id}; 409 while another job is queued or running). The practice plan
    is not made current: GET /plans/compare shows its figures beside the current plan's."""
    seconds = body.seconds if body is not None else None
    record = current_record(db)
    start, days, base = record.start, record.days, record.plan_id
    db.close()  # the job's own transactions follow; SQLite has one writer

    def remember(session: Session, job: m.Job) -> None:
        set_meta(session, JOB_KEY, job.job_id)
        audit(session, caller, "plan.compare", job.job_id, start=start.isoformat(), days=days,
              seconds=seconds, base_plan_id=base)  # fmt: skip

    return launch_job(request, caller, start, days, seconds, remember, practice=True)


@router.get("/compare", response_model=Comparison, responses={**FORBIDDEN, **NO_PLAN})
def read_compare(_: Planner, db: DB, request: Request) -> Any:
    """The current plan and today's practice side by side: km, drive hours, crates, items,
    shares delivered within 1 and 2 working days, unplanned by kind of reason, runs by day.
    practice is null before the first comparison."""
    record = current_record(db)
    current = _current_side(db, record)
    stored = read_practice(db)
    practice = None if stored is None else _practice_side(db, stored)
    same = (
        practice is not None
        and stored is not None
        and stored.get("base_plan_id") == record.plan_id
        and (practice.start, practice.days) == (record.start, record.days)
    )
    job_id = get_meta(db, JOB_KEY)
    job = None if job_id is None else db.get(m.Job, job_id)
    if job is not None and reap_if_dead(request.app.state.sessions, job):
        db.refresh(job)
    return Comparison(
        current=current,
        practice=practice,
        same_demand=same,
        job=None if job is None else job_out(job),
    )
