"""Request and response bodies of the plan and document routes.

Times of day are "HH:MM" (the plan files' format); dates are ISO dates.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import LocalDateTimeOut


class SolverBudget(BaseModel):
    """The solver's time budget of a planning job."""

    model_config = ConfigDict(extra="forbid")

    seconds: float | None = Field(
        None,
        gt=0,
        le=3600,
        description="solver budget for the whole horizon (default: settings.solver_seconds per "
        "day with van runs)",
    )


class PlanRequest(SolverBudget):
    """A planning job: `days` days from `start` on the consortium as it is in the database."""

    start: date
    days: int = Field(5, ge=1, le=14, description="days to plan, 1 to 14")


class JobOut(BaseModel):
    """A planning job. status: queued → running → done or failed; progress is the share of
    the horizon's days planned (0..1); message says what it is doing or why it failed."""

    job_id: str
    status: str
    progress: float
    message: str
    start: date
    days: int
    created_at: LocalDateTimeOut
    finished_at: LocalDateTimeOut | None
    plan_id: int | None
    pid: int | None = Field(description="the worker process's id (on the server's host)")


class JobConflict(BaseModel):
    """409: another planning job holds the database's one running slot."""

    detail: str
    job: JobOut


class PlanOut(BaseModel):
    """The current plan and its summary figures (summary.json of the plan files)."""

    plan_id: int
    job_id: str | None
    start: date
    end: date = Field(description="the last day planned")
    days: int
    created_at: LocalDateTimeOut
    summary: dict[str, Any]


class RunOut(BaseModel):
    """One van's run on one day."""

    day: date
    van_id: str
    stops: int = Field(description="library and hub calls (not start, end or break)")
    km: float
    start: str | None = Field(description="leaves the depot, HH:MM")
    end: str | None = Field(description="back at the depot, HH:MM")
    crates: int = Field(description="distinct crates the van carries that day")
    items: int


class RunList(BaseModel):
    plan_id: int
    runs: list[RunOut]


class CrateAt(BaseModel):
    """A crate dropped or collected at a stop: its leg on this van and where it is going."""

    crate_id: str
    items: int
    from_branch_id: str = Field(description="where the crate was packed")
    to_branch_id: str = Field(description="where its items are going")
    leg_from_branch_id: str
    leg_to_branch_id: str


class StopOut(BaseModel):
    seq: int
    kind: str = Field(description="start, stop, break or end")
    branch_id: str
    branch_name: str
    arrival: str | None
    departure: str | None
    km_from_prev: float
    crates_off: int
    crates_on: int
    load_after: int
    dropped: list[CrateAt]
    collected: list[CrateAt]


class RunDetail(BaseModel):
    """A van's run: the rows of its route sheet in order."""

    plan_id: int
    day: date
    van_id: str
    km: float
    stops: list[StopOut]


class CrateLegOut(BaseModel):
    """One leg of a crate (crates.csv of the plan)."""

    crate_id: str
    leg: int
    day: date
    van_id: str
    from_branch_id: str
    to_branch_id: str
    leg_from_branch_id: str
    leg_to_branch_id: str
    departure: str
    arrival: str
    items: int


class DeliveryOut(BaseModel):
    """A reserved item's arrival at its pickup branch (deliveries.csv); crate_id is empty for
    an item filled on the spot."""

    item_id: str
    reservation_id: str
    from_branch_id: str
    to_branch_id: str
    crate_id: str
    ready_date: date
    delivered_date: date
    delivered_time: str
    transit_days: int


class UnplannedOut(BaseModel):
    """An item or reservation the plan could not serve, and why (unplanned.csv)."""

    item_id: str
    reservation_id: str
    reason: str
    at_branch_id: str
    pickup_branch_id: str | None = Field(description="the reservation's pickup branch")


T = TypeVar("T")


class PlanPage(BaseModel, Generic[T]):
    """A page of one of the current plan's lists: `items` from `offset`, at most `limit`, of
    `total` matching (the shape of the service's other lists, with the plan's id)."""

    plan_id: int
    total: int
    limit: int
    offset: int
    items: list[T]
