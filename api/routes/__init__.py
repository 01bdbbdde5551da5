"""The routers of the service, one module a resource. The public patron lookup comes first: it
must be fast, and routes are tried in order."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    compare,
    consortium,
    documents,
    events,
    pages,
    pickup,
    plans,
    reservations,
)

PUBLIC: list[APIRouter] = [pickup.router, pages.router]
WITH_KEY: list[APIRouter] = [
    consortium.router,
    reservations.router,
    plans.router,
    documents.router,
    events.router,
    compare.router,
]
ROUTERS: list[APIRouter] = PUBLIC + WITH_KEY
