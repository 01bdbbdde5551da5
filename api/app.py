"""The FastAPI application: `create_app(url)`; `bokflyt serve` runs it with uvicorn."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.db import database_url, make_engine, sessions
from logistics.errors import BokflytError, DataErrors

TAGS = [
    {"name": "consortium", "description": "branches, opening hours, vans, closures, items"},
    {"name": "reservations", "description": "reservations and transfers"},
    {"name": "plans", "description": "planning jobs and the current plan"},
    {"name": "documents", "description": "pull lists, packing lists, labels, route sheets"},
    {"name": "events", "description": "scans by staff and drivers"},
    {"name": "patrons", "description": "the public pickup lookup"},
]


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
