"""GET /pickup/{code}: the patron's lookup, public (no key).

It tells the pickup branch, the status and the dates of the reservation with this code, and
the sentence for the patron in Swedish or English (Accept-Language; Swedish by default) —
nothing else: no title, no item, no patron data.

A wrong code and a malformed one (any text, slashes included) take the same way: the code is
hashed and looked up by its hash, and both answer the same 404. Each client (IP address) has
a token bucket of BOKFLYT_PICKUP_RATE_PER_MINUTE lookups a minute (30 by default, 0 for no
limit); past it, 429 with Retry-After. One indexed query a lookup (code_hash is unique), the
branch names from a map kept for a minute. The route runs on the event loop (see `pickup`).
"""

from __future__ import annotations

import math
import os
import threading
import time
from datetime import date
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, bindparam, create_engine, select

from api import models as m
from api.schemas_events import PickupOut
from api.store import code_hash
from logistics.calendar import long_day
from logistics.eta import patron_messages

router = APIRouter(tags=["patrons"])

RATE_ENV = "BOKFLYT_PICKUP_RATE_PER_MINUTE"
DEFAULT_RATE = 30
NOT_FOUND = {"detail": "no reservation with this code"}
NO_STORE = {"Cache-Control": "no-store"}
LANGUAGES = ("sv", "en")

_LOOKUP = select(
    m.Reservation.pickup_branch_id,
    m.Reservation.status,
    m.Reservation.item_id,
    m.Reservation.expected_date,
    m.Reservation.promise_date,
).where(m.Reservation.code_hash == bindparam("code_hash"))


class TokenBuckets:
    """`per_minute` requests a minute per client, in bursts of up to `per_minute`."""

    MAX_CLIENTS = 50_000

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens a second
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, when)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the client may go on, else the seconds until it may."""
        moment = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, moment))
            tokens = min(self.capacity, tokens + (moment - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, moment)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, moment)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > self.MAX_CLIENTS:
                self._forget_full(moment)
            return wait

    def _forget_full(self, moment: float) -> None:
        """Drop the clients whose buckets have filled up again (as good as new)."""
        full = self.capacity / self.rate
        for client, (_, last) in list(self._buckets.items()):
            if moment - last >= full:
                del self._buckets[client]


class BranchNames:
    """branch_id -> name, read again after `ttl` seconds or when a branch is missing."""

    def __init__(self, engine: Engine, ttl: float = 60.0) -> None:
        self.engine, self.ttl = engine, ttl
        self._names: dict[str, str] = {}
        self._read_at = -math.inf

    def get(self, branch_id: str) -> str:
        if time.monotonic() - self._read_at > self.ttl or branch_id not in self._names:
            self._read()
        return self._names.get(branch_id, branch_id)

    def _read(self) -> None:
        with self.engine.connect() as connection:
            rows = connection.execute(select(m.Branch.branch_id, m.Branch.name)).all()
        self._names = {branch_id: name for branch_id, name in rows}
        self._read_at = time.monotonic()


class _PickupState:
    def __init__(self, app: FastAPI) -> None:
        per_minute = int(os.environ.get(RATE_ENV, DEFAULT_RATE))
        self.buckets = TokenBuckets(per_minute) if per_minute > 0 else None
        engine: Engine = app.state.engine
        if engine.dialect.name != "sqlite":
            # Its own small pool (the lookups of a process run one at a time, on its event
            # loop): autocommit (a read needs no transaction to end) and no pre-ping (a round
            # trip more per lookup); a connection found dead is retried.
            engine = create_engine(
                engine.url, pool_size=2, max_overflow=2, isolation_level="AUTOCOMMIT"
            )
            app.state.pickup_engine = engine
        self.engine = engine
        self.names = BranchNames(self.engine)
        compiled = _LOOKUP.compile(dialect=self.engine.dialect)
        self.sql = str(compiled)
        self.positional = compiled.positional

    def lookup(self, hashed: str) -> tuple[str, str, str | None, date | None, date | None] | None:
        """The reservation's row by its code's hash: one query on the unique index, on a
        pooled DBAPI connection in autocommit (no SQLAlchemy transaction, so on SQLite no
        BEGIN IMMEDIATE: a plain read of the WAL snapshot that never waits for writers)."""
        params: Any = (hashed,) if self.positional else {"code_hash": hashed}
        for attempt in (1, 2):
            connection = self.engine.raw_connection()
            try:
                cursor = connection.cursor()
                try:
                    cursor.execute(self.sql, params)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
                break
            except self.engine.dialect.loaded_dbapi.OperationalError:
                connection.invalidate()  # a connection the server closed: once more
                if attempt == 2:
                    raise
            finally:
                connection.close()  # back to the pool
        if row is None:
            return None
        branch_id, status, item_id, expected, promise = row
        return branch_id, status, item_id, _day(expected), _day(promise)


def _day(value: Any) -> date | None:
    """A DATE column's value: a date (psycopg) or ISO text (sqlite3)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


_state_lock = threading.Lock()


def _state(app: FastAPI) -> _PickupState:
    state: _PickupState | None = getattr(app.state, "pickup", None)
    if state is None:
        with _state_lock:
            state = getattr(app.state, "pickup", None)
            if state is None:
                state = _PickupState(app)
                app.state.pickup = state
    return state


def language(header: str | None) -> str:
    """The best of sv and en by an Accept-Language header (q values honoured); sv when
    neither is asked for."""
    best, best_q = "sv", 0.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = primary, q
    return best


def message(status: str, branch_name: str, item_id: str | None, expected: Any, promise: Any,
            lang: str) -> str:  # fmt: skip
    """The patron's sentence for the reservation's status."""
    if status == "ready" and expected is not None:
        sv = f"Din reservation finns att hämta på {branch_name} sedan {long_day(expected, 'sv')}."
        en = (
            f"Your reservation has been ready for pickup at {branch_name} since "
            f"{long_day(expected, 'en')}."
        )
    elif status == "picked_up":
        sv = f"Din reservation har hämtats på {branch_name}."
        en = f"Your reservation has been picked up at {branch_name}."
    elif status == "cancelled":
        sv = f"Din reservation på {branch_name} är avbeställd."
        en = f"Your reservation at {branch_name} is cancelled."
    else:
        # no copy chosen but a date: it waits for a borrowed copy to come back; a chosen copy
        # not pulled yet has a preliminary date (logistics.eta.told): it may not be there
        told = "awaiting_return" if item_id is None and promise is not None else status
        preliminary = status == "placed" and item_id is not None
        sv, en = patron_messages(told, branch_name, promise, preliminary=preliminary)
    return sv if lang == "sv" else en


@router.get(
    "/pickup/{code:path}",
    response_model=PickupOut,
    summary="When and where a reservation can be picked up",
    responses={
        404: {"description": "no reservation with this code (wrong or malformed alike)"},
        429: {"description": "too many lookups from this client; see Retry-After"},
    },
)
async def pickup(code: str, request: Request) -> Any:
    """The pickup branch, status, expected and promised dates of the reservation with this
    pickup code, and the sentence for the patron (Accept-Language: sv or en; sv by default).
    Public: no key."""
    # On the event loop, not in the thread pool: the lookup is one query on a unique index
    # (8 µs on SQLite, a 0.14 ms round trip to a local PostgreSQL), less than the hop to a
    # worker thread and back costs under load (measured, BENCHMARKS.md §6). While it runs,
    # this server process answers nothing else; a database far away would need an async
    # driver here instead.
    state = _state(request.app)
    if state.buckets is not None:
        client = request.client.host if request.client else "unknown"
        wait = state.buckets.take(client)
        if wait > 0:
            return JSONResponse(
                {"detail": "too many lookups; try again later"},
                status_code=429,
                headers={"Retry-After": str(max(1, math.ceil(wait))), **NO_STORE},
            )
    row = state.lookup(code_hash(code))
    if row is None:
        return JSONResponse(NOT_FOUND, status_code=404, headers=NO_STORE)
    branch_id, status, item_id, expected, promise = row
    name = state.names.get(branch_id)
    lang = language(request.headers.get("accept-language"))
    body = PickupOut(
        branch_id=branch_id,
        branch_name=name,
        status=status,
        expected_date=expected,
        promise_date=promise,
        language=lang,
        message=message(status, name, item_id, expected, promise, lang),
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        headers={"Content-Language": lang, "Vary": "Accept-Language", **NO_STORE},
    )
