"""The FastAPI application: `create_app(url)`; `bokflyt serve` runs it with uvicorn."""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from api.db import database_url, is_locked, make_engine, sessions
from logistics.errors import BokflytError, DataErrors

TAGS = [
    {"name": "consortium", "description": "branches, opening hours, vans, closures, items"},
    {"name": "reservations", "description": "reservations and transfers"},
    {"name": "plans", "description": "planning jobs and the current plan"},
    {"name": "documents", "description": "pull lists, packing lists, labels, route sheets"},
    {"name": "events", "description": "scans by staff and drivers"},
    {"name": "patrons", "description": "the public pickup lookup"},
]


class SafeJSONResponse(JSONResponse):
    """JSON in ASCII (a lone surrogate or a control character is escaped, never an encoding
    error) and without NaN or Infinity, which JSON does not have."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=True, allow_nan=False, separators=(",", ":")
        ).encode("ascii")


def safe_text(value: str, limit: int = 200) -> str:
    """A string that any JSON encoder writes: lone surrogates as backslash escapes; long ones
    cut."""
    text = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[:limit] + "..."


def safe_value(value: Any) -> Any:
    """A request value fit to echo in an error: None, a bool, an int, a finite float or a
    (safe) string; a non-finite number as its string; anything else (objects, lists: the
    request's own body) left out (None)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else safe_text(str(value), 40)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return safe_text(value)
    return None


def validation_problems(errors: Any) -> list[dict[str, Any]]:
    """FastAPI's validation errors (loc, msg, type, input, ctx) made safe to send: the input
    only as a scalar (see `safe_value`), the context's values as scalars."""
    out = []
    for e in errors:
        problem: dict[str, Any] = {
            "loc": [x if isinstance(x, int) else safe_text(str(x)) for x in e.get("loc", ())],
            "msg": safe_text(str(e.get("msg", "")), 1000),
            "type": safe_text(str(e.get("type", "")), 100),
        }
        value = safe_value(e.get("input"))
        if value is not None:
            problem["input"] = value
        ctx = e.get("ctx")
        if isinstance(ctx, dict) and ctx:
            problem["ctx"] = {
                safe_text(str(k)): (
                    safe_value(v) if isinstance(v, (str, int, float, bool)) else safe_text(str(v))
                )
                for k, v in ctx.items()
            }
        out.append(problem)
    return out


class Health(BaseModel):
    status: str
    database: str


def create_app(url: str | None = None) -> FastAPI:
    """The service over the database at `url` (default: DATABASE_URL or the SQLite file).
    The schema must be migrated (api.db.migrate) before."""
    app = FastAPI(
        title="bokflyt",
        version="1.0",
        description="Courier planning for a library consortium: reservations, plans, scans, "
        "printouts and the patron's pickup date. Every route but /pickup/{code} and /health "
        "needs an X-API-Key.",
        openapi_tags=TAGS,
    )
    engine = make_engine(url or database_url())
    app.state.engine = engine
    app.state.sessions = sessions(engine)

    @app.exception_handler(DataErrors)
    async def _data_errors(_: Request, exc: DataErrors) -> JSONResponse:
        detail = [
            {
                "file": e.file,
                "row": e.row,
                "column": e.column,
                "value": None if e.value is None else str(e.value),
                "msg": e.reason,
            }
            for e in exc.errors
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return SafeJSONResponse({"detail": validation_problems(exc.errors())}, status_code=422)

    @app.exception_handler(OperationalError)
    async def _locked(_: Request, exc: OperationalError) -> JSONResponse:
        if not is_locked(exc):
            raise exc
        return JSONResponse(
            {"detail": "the database is busy (a long write, such as a plan being stored): "
             "try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )  # fmt: skip

    @app.exception_handler(BokflytError)
    async def _bokflyt_error(_: Request, exc: BokflytError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.get("/health", response_model=Health, tags=["patrons"])
    def health() -> Any:
        """The service is up and its database answers."""
        with app.state.sessions() as session:
            session.execute(text("SELECT 1"))
        return Health(status="ok", database=engine.dialect.name)

    from fastapi.staticfiles import StaticFiles

    from api.routes import PUBLIC, WITH_KEY
    from api.routes.pages import STATIC
    from api.schemas import Message

    for router in PUBLIC:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    unauthorized = {401: {"model": Message, "description": "no valid X-API-Key"}}
    for router in WITH_KEY:
        app.include_router(router, responses=unauthorized)  # type: ignore[arg-type]
    return app
