"""The routers of the service, one module a resource."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []

from api.routes import consortium, reservations  # noqa: E402

ROUTERS.append(consortium.router)
ROUTERS.append(reservations.router)

from api.routes import documents, plans  # noqa: E402

ROUTERS.append(plans.router)
ROUTERS.append(documents.router)

from api.routes import events, pickup  # noqa: E402

ROUTERS.append(events.router)
# First: the public lookup must be fast, and the router tries routes in order.
ROUTERS.insert(0, pickup.router)
