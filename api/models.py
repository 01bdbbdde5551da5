"""The tables. The consortium's data follows the CSV contract (docs/data.md) column for column, so
a database exports to a scenario folder that `logistics.load` validates and plans; plans are
stored row for row as the plan files; the service adds the reservation's life (status, pickup
code, scans), planning jobs, API keys and the audit log.

Privacy: a reservation holds no patron data beyond the library system's opaque patron_ref, and
its pickup code is stored only as a hash.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


# -- the consortium (the CSV contract) ------------------------------------------------------


class Branch(Base):
    __tablename__ = "branches"
    branch_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(100))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(16))  # library or hub
    max_sent_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True)


class OpeningHours(Base):
    __tablename__ = "opening_hours"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.branch_id", ondelete="CASCADE"))
    weekday: Mapped[str] = mapped_column(String(3))  # mon..sun
    opens: Mapped[str] = mapped_column(String(5))  # HH:MM
    closes: Mapped[str] = mapped_column(String(5))


class Van(Base):
    __tablename__ = "vans"
    van_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    depot_branch_id: Mapped[str] = mapped_column(ForeignKey("branches.branch_id"))
    capacity_crates: Mapped[int] = mapped_column(Integer)
    shift_start: Mapped[str] = mapped_column(String(5))
    shift_end: Mapped[str] = mapped_column(String(5))
    weekdays: Mapped[str] = mapped_column(String(40))  # mon;wed;fri


class Closure(Base):
    __tablename__ = "closures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(String(32))  # a branch or '*'
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Item(Base):
    __tablename__ = "items"
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(500))
    call_number: Mapped[str] = mapped_column(String(100))
    home_branch_id: Mapped[str] = mapped_column(ForeignKey("branches.branch_id"))
    current_branch_id: Mapped[str] = mapped_column(ForeignKey("branches.branch_id"))
    status: Mapped[str] = mapped_column(String(16))  # available, on_loan, in_transit, missing
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    may_travel: Mapped[bool] = mapped_column(Boolean, default=True)


class Reservation(Base):
    """A patron's hold and its life: placed → pulled → packed → in_transit (→ at_hub) →
    delivered → ready (checked in) → picked_up; or cancelled."""

    __tablename__ = "reservations"
    reservation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title_id: Mapped[str] = mapped_column(String(64))
    pickup_branch_id: Mapped[str] = mapped_column(ForeignKey("branches.branch_id"))
    placed_at: Mapped[datetime] = mapped_column(DateTime)
    patron_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="placed")
    item_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the chosen copy
    source_branch_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    crate_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    location_branch_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    expected_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    promise_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_reservations_pickup", "pickup_branch_id"),
        Index("ix_reservations_item", "item_id"),
        Index("ix_reservations_status", "status"),
    )


class Transfer(Base):
    __tablename__ = "transfers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.item_id"))
    from_branch_id: Mapped[str] = mapped_column(ForeignKey("branches.branch_id"))
    to_branch_id: Mapped[str] = mapped_column(ForeignKey("branches.branch_id"))
    ready_at: Mapped[datetime] = mapped_column(DateTime)
    reservation_id: Mapped[str] = mapped_column(String(64), default="")
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class ScenarioFile(Base):
    """Files of the scenario folder kept as they are: settings.toml, travel.csv, roads.csv,
    junctions.csv, no_transfer.csv, outlines.geojson (promises live in the reservations)."""

    __tablename__ = "scenario_files"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class Meta(Base):
    """Single values: the consortium's name, the current plan."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# -- plans (the plan files, row for row) ------------------------------------------------------


class PlanRecord(Base):
    __tablename__ = "plans"
    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    start: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    summary: Mapped[dict[str, object]] = mapped_column(JSON)


class PlanRoute(Base):
    __tablename__ = "plan_routes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.plan_id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    van_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    branch_id: Mapped[str] = mapped_column(String(32))
    arrival: Mapped[int | None] = mapped_column(Integer, nullable=True)  # minutes
    departure: Mapped[int | None] = mapped_column(Integer, nullable=True)
    crates_off: Mapped[int] = mapped_column(Integer)
    crates_on: Mapped[int] = mapped_column(Integer)
    load_after: Mapped[int] = mapped_column(Integer)
    km_from_prev: Mapped[float] = mapped_column(Float)
    __table_args__ = (Index("ix_plan_routes_run", "plan_id", "day", "van_id"),)


class PlanCrate(Base):
    __tablename__ = "plan_crates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.plan_id", ondelete="CASCADE"))
    crate_id: Mapped[str] = mapped_column(String(64))
    from_branch_id: Mapped[str] = mapped_column(String(32))
    to_branch_id: Mapped[str] = mapped_column(String(32))
    items: Mapped[int] = mapped_column(Integer)
    leg: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    van_id: Mapped[str] = mapped_column(String(32))
    leg_from_branch_id: Mapped[str] = mapped_column(String(32))
    leg_to_branch_id: Mapped[str] = mapped_column(String(32))
    departure: Mapped[int] = mapped_column(Integer)
    arrival: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_plan_crates_plan_crate", "plan_id", "crate_id"),)


class PlanDelivery(Base):
    __tablename__ = "plan_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.plan_id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(64))
    reservation_id: Mapped[str] = mapped_column(String(64))
    from_branch_id: Mapped[str] = mapped_column(String(32))
    to_branch_id: Mapped[str] = mapped_column(String(32))
    crate_id: Mapped[str] = mapped_column(String(64))
    ready_date: Mapped[date] = mapped_column(Date)
    delivered_date: Mapped[date] = mapped_column(Date)
    delivered_time: Mapped[int] = mapped_column(Integer)
    transit_days: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_plan_deliveries_plan", "plan_id"),)


class PlanUnplanned(Base):
    __tablename__ = "plan_unplanned"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.plan_id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(64))
    reservation_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(300))
    at_branch_id: Mapped[str] = mapped_column(String(32), default="")
    __table_args__ = (Index("ix_plan_unplanned_plan", "plan_id"),)


class PlanPacking(Base):
    __tablename__ = "plan_packing"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.plan_id", ondelete="CASCADE"))
    crate_id: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_plan_packing_plan_crate", "plan_id", "crate_id"),)


class PlanReservation(Base):
    """reservations.csv of a plan: the dates told to the patron when it was made."""

    __tablename__ = "plan_reservations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.plan_id", ondelete="CASCADE"))
    reservation_id: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(64))
    source_branch_id: Mapped[str] = mapped_column(String(32))
    pickup_branch_id: Mapped[str] = mapped_column(String(32))
    expected_ready_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    promise_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    message_sv: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    pull_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    __table_args__ = (Index("ix_plan_reservations_plan", "plan_id", "reservation_id"),)


# -- the service --------------------------------------------------------------------------------


class Job(Base):
    """A planning job. running_slot is 1 while it is queued or running and NULL after: the unique
    constraint lets only one job run at a time in a database (one consortium)."""

    __tablename__ = "jobs"
    job_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # queued, running, done, failed
    start: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    plan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    key_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    running_slot: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)


class Event(Base):
    """A scan. The same scan twice (kind, branch, time, crate and item) is stored once."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(24))
    branch_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime)
    crate_id: Mapped[str] = mapped_column(String(64), default="")
    item_id: Mapped[str] = mapped_column(String(64), default="")
    key_id: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    __table_args__ = (
        UniqueConstraint("kind", "branch_id", "at", "crate_id", "item_id", name="uq_event_scan"),
    )


class ApiKey(Base):
    """A key is `bk_<key_id>_<secret>`; only a SHA-256 of the whole key is stored."""

    __tablename__ = "api_keys"
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # planner, staff, driver
    branch_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Audit(Base):
    """Every change made with a key: who, when, what."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime)
    action: Mapped[str] = mapped_column(String(64))  # e.g. reservation.create
    target: Mapped[str] = mapped_column(String(200))  # e.g. R000123
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
