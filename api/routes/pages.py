"""The web pages: planner, staff, driver and patron, served with everything they need (scripts,
styles, the municipality outlines) from the service itself — no outside network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse

from api import models as m

STATIC = Path(__file__).resolve().parents[1] / "static"
PAGES = ("planner", "staff", "driver", "patron")
router = APIRouter(tags=["pages"])


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/ui/planner")


@router.get("/ui/{page}", include_in_schema=False)
def page(page: str) -> FileResponse:
    if page not in PAGES:
        raise HTTPException(404, "no such page")
    return FileResponse(STATIC / "pages" / f"{page}.html", media_type="text/html")


@router.get(
    "/geo/outlines",
    summary="Municipality outlines for maps (GeoJSON)",
    response_model=dict[str, Any],
)
def outlines(request: Request) -> Any:
    """The consortium's `outlines.geojson` (a FeatureCollection of polygons, WGS84), or an
    empty collection when its scenario folder had none. Public: outlines are public data."""
    with request.app.state.sessions() as session:
        row = session.get(m.ScenarioFile, "outlines.geojson")
    if row is None:
        return {"type": "FeatureCollection", "features": []}
    return json.loads(row.text)
