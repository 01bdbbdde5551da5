"""The routers of the service, one module a resource."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
