"""Request and response bodies of the scans (/events) and the patron's lookup (/pickup)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class EventKind(StrEnum):
    """What a scan says happened."""

    PULLED = "pulled"  # staff took the reserved copy off the shelf (item)
    NOT_ON_SHELF = "not_on_shelf"  # staff did not find it (item): it is missing
    PACKED = "packed"  # staff put the item into a crate (item and crate)
    COLLECTED = "collected"  # a van took the crate (or item) from the branch
    AT_HUB = "at_hub"  # the crate (or item) was unloaded at a hub or depot
    DELIVERED = "delivered"  # the crate (or item) was unloaded at its pickup branch
    CHECKED_IN = "checked_in"  # staff put the item on the pickup shelf (item)
    PICKED_UP_BY_PATRON = "picked_up_by_patron"  # the patron took it home (item)


class ScanIn(BaseModel):
    """A scan by staff or a driver. The same scan (kind, branch, time, crate and item) sent
    again is stored once and takes effect once."""

    model_config = ConfigDict(extra="forbid")

    kind: EventKind
    branch_id: str = Field(min_length=1, max_length=32, description="where the scan was made")
    at: datetime = Field(
        description="when, ISO 8601 local time (e.g. 2026-11-30T10:15); a time with a zone "
        "is converted to the server's local time"
    )
    crate_id: str | None = Field(default=None, min_length=1, max_length=64)
    item_id: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("at")
    @classmethod
    def _local(cls, value: datetime) -> datetime:
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)
        return value


class ReservationState(BaseModel):
    """A reservation as a scan left it."""

    reservation_id: str
    status: str
    item_id: str | None
    source_branch_id: str | None
    crate_id: str | None
    location_branch_id: str | None
    expected_date: date | None
    promise_date: date | None


class ScanOut(BaseModel):
    """The stored scan and the reservations it moved on. `duplicate` is true (status 200)
    when the same scan was stored before: nothing changed, `reservations` shows their state
    now; a new scan answers 201. `reservations` and `skipped` hold only what the key may read
    (planner: all; staff: those picked up or sourced at their branch; driver: none); `moved`,
    `not_moved` and `crate_ids` count and place all of them."""

    id: int
    kind: EventKind
    branch_id: str
    at: datetime
    crate_id: str | None
    item_id: str | None
    duplicate: bool
    reservations: list[ReservationState] = Field(
        description="the reservations moved on (for a duplicate: those it is about, as they "
        "are now) that the key may read"
    )
    skipped: list[str] = Field(
        default_factory=list,
        description="reservations in the crate that this scan does not move (already further "
        "on, not yet where the scan needs them, or another branch's), that the key may read",
    )
    moved: int = Field(
        default=0,
        description="how many reservations the scan moved on (for a duplicate: how many it "
        "is about now), including those not listed",
    )
    not_moved: int = Field(
        default=0, description="how many reservations in the crate the scan did not move"
    )
    crate_ids: list[str] = Field(
        default_factory=list, description="the crates the moved reservations' copies are in"
    )


class PickupOut(BaseModel):
    """What a patron may see with the pickup code: where and when, nothing else."""

    branch_id: str
    branch_name: str
    status: str
    expected_date: date | None
    promise_date: date | None
    language: str
    message: str
