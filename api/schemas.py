"""Request and response bodies of the API, by resource.

Requests are validated like the CSV contract (docs/data.md), with the parsers of
`logistics.load` where they exist (times HH:MM, weekdays, local date-times), so a value the API
accepts is one a scenario folder accepts. Responses are plain (no validation beyond types): a
row loaded from a scenario folder always reads back.

Sections: shared field types; errors; pages; consortium (branches, opening hours, vans,
closures, items); reservations; transfers.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import HTTPException
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from logistics.load import format_hhmm, parse_hhmm, parse_iso_datetime, parse_weekday
from logistics.model import WEEKDAYS

# -- shared field types ----------------------------------------------------------------------


def _no_control(value: str) -> str:
    """Text a database stores as it is: no control characters (NUL breaks PostgreSQL), no
    lone surrogates."""
    for c in value:
        code = ord(c)
        if code < 32 or code == 127:
            raise ValueError("control characters are not allowed")
        if 0xD800 <= code <= 0xDFFF:
            raise ValueError("not valid Unicode text")
    return value


def _identifier(value: str) -> str:
    """An id that works in a URL path: not empty, no spaces, no '/'."""
    _no_control(value)
    if not value:
        raise ValueError("is empty")
    if any(c.isspace() or c == "/" for c in value):
        raise ValueError("an id may not contain spaces or '/'")
    return value


def _branch_id(value: str) -> str:
    _identifier(value)
    if value == "*":
        raise ValueError("'*' is reserved for 'all branches' in closures and no_transfer")
    return value


def _hhmm(value: str) -> str:
    """HH:MM (24:00 allowed as an end), written back as two-digit HH:MM."""
    return format_hhmm(parse_hhmm(value))


def _weekday(value: str) -> str:
    """mon..sun (or the full English name), written back as mon..sun."""
    return WEEKDAYS[parse_weekday(value)]


def _weekdays(value: Any) -> Any:
    """A van's weekdays: a list, or a string like 'mon;wed;fri' as in vans.csv."""
    if isinstance(value, str):
        return [p for p in value.replace(",", ";").split(";") if p.strip()]
    return value


def _local_datetime(value: Any) -> Any:
    """A local date and time without a time zone (YYYY-MM-DDTHH:MM), as in the CSV files."""
    if isinstance(value, str):
        return parse_iso_datetime(value.strip())
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        raise ValueError("expected a local time without a time zone")
    return value


# Years a date of the consortium may have: the planner counts days from them, and a scenario
# folder writes them as YYYY (four digits).
MIN_YEAR, MAX_YEAR = 2000, 2100


def _after_tz_check(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        raise ValueError("expected a local time without a time zone")
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"the year must be {MIN_YEAR} to {MAX_YEAR}")
    return value


def _sorted_weekdays(value: list[str]) -> list[str]:
    return sorted(set(value), key=WEEKDAYS.index)


Id32 = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_identifier)]
Id64 = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_identifier)]
BranchId = Annotated[
    str,
    Field(min_length=1, max_length=32, description="a branch id (branches.csv)"),
    AfterValidator(_branch_id),
]
Time = Annotated[
    str,
    Field(description="HH:MM local time; 24:00 allowed as an end", examples=["08:00"]),
    AfterValidator(_hhmm),
]
Weekday = Annotated[
    str,
    Field(description="mon..sun (or the full English name)", examples=["mon"]),
    AfterValidator(_weekday),
]
# A local date and time (no zone), as in the CSV files. OpenAPI's "date-time" format means
# RFC 3339 with an offset, so the schema says what it is instead: a pattern.
LOCAL_DATETIME_SCHEMA = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$",
    "description": "local date and time without a time zone, YYYY-MM-DDTHH:MM[:SS], in the "
    "years 2000 to 2100",
    "examples": ["2026-11-27T12:00"],
}
LocalDateTime = Annotated[
    dt.datetime,
    BeforeValidator(_local_datetime),
    AfterValidator(_after_tz_check),
    WithJsonSchema(LOCAL_DATETIME_SCHEMA),
]
# ... in an answer (written YYYY-MM-DDTHH:MM:SS).
LocalDateTimeOut = Annotated[dt.datetime, WithJsonSchema(LOCAL_DATETIME_SCHEMA)]


# Free text of at most so many characters (its database column's size).
Text100 = Annotated[str, Field(max_length=100), AfterValidator(_no_control)]
Text128 = Annotated[str, Field(max_length=128), AfterValidator(_no_control)]
Text200 = Annotated[str, Field(max_length=200), AfterValidator(_no_control)]
Text500 = Annotated[str, Field(max_length=500), AfterValidator(_no_control)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_control)]


BranchKind = Literal["library", "hub"]
ItemStatus = Literal["available", "on_loan", "in_transit", "missing"]
# The life of a reservation (api.models.Reservation).
ReservationStatus = Literal[
    "placed", "pulled", "packed", "in_transit", "at_hub", "delivered", "ready", "picked_up",
    "cancelled",
]  # fmt: skip

# Path and query parameters that reach the database: bounded and free of control characters.
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
MAX_ROW_ID = 2**31 - 1


# -- errors ----------------------------------------------------------------------------------


class RequestBody(BaseModel):
    """A request body: a field it does not know is an error (a typo is not silently lost)."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """One problem of a request, in the shape of FastAPI's validation errors; a CSV import adds
    the row (the header is row 1), the column and the value."""

    loc: list[str | int]
    msg: str
    type: str
    row: int | None = None
    column: str | None = None
    value: str | None = None


class Problems(BaseModel):
    detail: list[Problem]


class Message(BaseModel):
    """An error that is not about one field (404, 409, 403, 401)."""

    detail: str


def unprocessable(field: str, msg: str, value: object = None) -> HTTPException:
    """A 422 naming a body field and why it is wrong, in FastAPI's shape."""
    problem: dict[str, Any] = {"loc": ["body", field], "msg": msg, "type": "value_error"}
    if value is not None:
        problem["input"] = value
    return HTTPException(422, detail=[problem])


# Documented error answers of the routes.
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Message, "description": "unknown id"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Message, "description": "a duplicate, or still referenced"}
}
FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": Message, "description": "the key's role may not do this"}
}


# -- pages -----------------------------------------------------------------------------------

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list: `items` from `offset`, at most `limit`, of `total` matching."""

    total: int
    limit: int
    offset: int
    items: list[T]


# -- consortium: branches --------------------------------------------------------------------


class BranchFields(RequestBody):
    name: Name
    municipality: Text100
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    kind: BranchKind = Field(description="library, or hub (re-sorts crates, no pickups)")
    max_sent_per_day: int | None = Field(
        default=None,
        ge=0,
        le=1_000_000,
        description="at most this many copies pulled here on one day are sent elsewhere "
        "(null: no limit)",
    )


class BranchCreate(BranchFields):
    branch_id: BranchId


class BranchPatch(RequestBody):
    """The fields to change; the others stay."""

    name: Name | None = None
    municipality: Text100 | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    kind: BranchKind | None = None
    max_sent_per_day: int | None = Field(default=None, ge=0, le=1_000_000)


class Branch(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    branch_id: str
    name: str
    municipality: str
    lat: float
    lon: float
    kind: str
    max_sent_per_day: int | None


# -- consortium: opening hours ---------------------------------------------------------------


class OpeningHoursFields(RequestBody):
    branch_id: BranchId
    weekday: Weekday
    opens: Time
    closes: Time

    @field_validator("closes")
    @classmethod
    def _after_opens(cls, closes: str, info: ValidationInfo) -> str:
        opens = info.data.get("opens")
        if opens is not None and parse_hhmm(closes) <= parse_hhmm(opens):
            raise ValueError(f"must be later than opens {opens}")
        return closes


class OpeningHoursPatch(RequestBody):
    branch_id: BranchId | None = None
    weekday: Weekday | None = None
    opens: Time | None = None
    closes: Time | None = None


class OpeningHours(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    branch_id: str
    weekday: str
    opens: str
    closes: str


# -- consortium: vans ------------------------------------------------------------------------

Weekdays = Annotated[
    list[Weekday],
    BeforeValidator(_weekdays),
    Field(min_length=1, max_length=7, description="days the van runs", examples=[["mon", "wed"]]),
    AfterValidator(_sorted_weekdays),
]


class VanFields(RequestBody):
    depot_branch_id: BranchId
    capacity_crates: int = Field(ge=1, le=10_000)
    shift_start: Time
    shift_end: Time
    weekdays: Weekdays

    @field_validator("shift_end")
    @classmethod
    def _after_start(cls, end: str, info: ValidationInfo) -> str:
        start = info.data.get("shift_start")
        if start is not None and parse_hhmm(end) <= parse_hhmm(start):
            raise ValueError(f"must be later than shift_start {start}")
        return end


class VanCreate(VanFields):
    van_id: Id32


class VanPatch(RequestBody):
    depot_branch_id: BranchId | None = None
    capacity_crates: int | None = Field(default=None, ge=1, le=10_000)
    shift_start: Time | None = None
    shift_end: Time | None = None
    weekdays: Weekdays | None = None


class Van(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    van_id: str
    depot_branch_id: str
    capacity_crates: int
    shift_start: str
    shift_end: str
    weekdays: Annotated[list[str], BeforeValidator(_weekdays)]


# -- consortium: closures --------------------------------------------------------------------


def _closure_branch(value: str) -> str:
    return value if value == "*" else _branch_id(value)


class ClosureFields(RequestBody):
    branch_id: Annotated[
        str,
        Field(min_length=1, max_length=32, description="a branch id, or * for every branch"),
        AfterValidator(_closure_branch),
    ]
    date: dt.date
    reason: Text200 = ""


class ClosurePatch(RequestBody):
    branch_id: (
        Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_closure_branch)] | None
    ) = None
    date: dt.date | None = None
    reason: Text200 | None = None


class Closure(BaseModel):
    id: int
    branch_id: str
    date: dt.date
    reason: str


# -- consortium: items -----------------------------------------------------------------------


class ItemFields(RequestBody):
    title_id: Id64
    title: Text500
    call_number: Text100
    home_branch_id: BranchId
    current_branch_id: BranchId
    status: ItemStatus
    due_date: dt.date | None = Field(default=None, description="only for a copy on loan")
    may_travel: bool = Field(
        default=True, description="false for a reference copy: fills reservations only where it is"
    )

    @field_validator("due_date")
    @classmethod
    def _only_on_loan(cls, due: dt.date | None, info: ValidationInfo) -> dt.date | None:
        status = info.data.get("status")
        if due is not None and status is not None and status != "on_loan":
            raise ValueError(f"only a copy on loan has a due date (status is {status})")
        return due


class ItemCreate(ItemFields):
    item_id: Id64


class ItemPatch(RequestBody):
    title_id: Id64 | None = None
    title: Text500 | None = None
    call_number: Text100 | None = None
    home_branch_id: BranchId | None = None
    current_branch_id: BranchId | None = None
    status: ItemStatus | None = None
    due_date: dt.date | None = None
    may_travel: bool | None = None


class Item(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    item_id: str
    title_id: str
    title: str
    call_number: str
    home_branch_id: str
    current_branch_id: str
    status: str
    due_date: dt.date | None
    may_travel: bool


# -- reservations ----------------------------------------------------------------------------


class ReservationCreate(RequestBody):
    reservation_id: Id64
    title_id: Id64 = Field(description="some item must have this title")
    pickup_branch_id: BranchId = Field(description="a library (not a hub)")
    placed_at: LocalDateTime
    patron_ref: Text128 | None = Field(
        default=None,
        description="the library system's opaque reference; no other patron data is kept",
    )


class Reservation(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    reservation_id: str
    title_id: str
    pickup_branch_id: str
    placed_at: LocalDateTimeOut
    patron_ref: str | None
    status: str
    item_id: str | None = Field(description="the chosen copy (from the current plan)")
    source_branch_id: str | None
    crate_id: str | None
    location_branch_id: str | None
    expected_date: dt.date | None
    promise_date: dt.date | None
    updated_at: LocalDateTimeOut


class ReservationCreated(Reservation):
    code: str = Field(
        description="the patron's pickup code: shown this once, only its hash is kept"
    )


class PickupCode(BaseModel):
    reservation_id: str
    code: str = Field(
        description="the patron's pickup code: shown this once, only its hash is kept"
    )


class ReservationImport(BaseModel):
    stored: int
    reservations: list[PickupCode]


# -- transfers -------------------------------------------------------------------------------


class TransferCreate(RequestBody):
    item_id: Id64
    from_branch_id: BranchId = Field(description="the item's current branch")
    to_branch_id: BranchId
    ready_at: LocalDateTime
    reservation_id: Id64 | None = Field(
        default=None,
        description="the reservation this copy is on its way to fill (one transfer each)",
    )

    @field_validator("to_branch_id")
    @classmethod
    def _elsewhere(cls, to: str, info: ValidationInfo) -> str:
        if to == info.data.get("from_branch_id"):
            raise ValueError("same as from_branch_id")
        return to


class Transfer(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    item_id: str
    from_branch_id: str
    to_branch_id: str
    ready_at: LocalDateTimeOut
    reservation_id: Annotated[str | None, BeforeValidator(lambda v: v or None)]
    cancelled: bool


class TransferImport(BaseModel):
    stored: int
    transfers: list[Transfer]
