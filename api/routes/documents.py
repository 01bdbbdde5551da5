"""Printouts of the current plan over HTTP: pull lists, packing lists, crate labels, route
sheets and arrivals for one day, as A4 PDF or CSV (`logistics.documents`, `logistics.pdf`).

Roles: planners any document; staff the documents of their own branch (branch_id defaults to
it; another branch is 403), not route sheets (403); drivers route sheets only (403 for the
rest). A date outside the plan, an unknown branch or van is 422 with the reason.
"""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse, Response

from api.auth import DB, AnyKey
from api.routes.plans import current_record
from api.schemas import NO_CONTROL, Message, Problems
from api.store import export_folder, read_plan
from logistics.documents import CSV_COLUMNS, documents
from logistics.load import load_scenario
from logistics.pdf import pdf_bytes

router = APIRouter(prefix="/plans/current/documents", tags=["documents"])


class Kind(StrEnum):
    pull = "pull"
    packing = "packing"
    labels = "labels"
    route = "route"
    arrivals = "arrivals"


BRANCH_KINDS = (Kind.pull, Kind.packing, Kind.labels, Kind.arrivals)
MEDIA = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


@router.get(
    "/{kind}",
    response_class=Response,
    response_model=None,
    responses={
        200: {
            "content": {"application/pdf": {}, "text/csv": {}, "application/json": {}},
            "description": "the documents as one PDF (each from a new page), one CSV file, or "
            "JSON: {kind, date, branch_id, van_id, lang, subjects, columns, rows} with the CSV's "
            "rows as objects keyed by its columns",
        },
        403: {"model": Message, "description": "not a document this key may print"},
        404: {"model": Message, "description": "there is no plan yet"},
        422: {
            "model": Problems | Message,
            "description": "a bad parameter; a date outside the plan, an unknown branch or van",
        },
    },
)
def document(
    kind: Kind,
    caller: AnyKey,
    db: DB,
    day: Annotated[date, Query(alias="date", description="the day, within the plan")],
    branch_id: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=NO_CONTROL,
            description="one branch (not for route sheets); staff: their own",
        ),
    ] = None,
    van_id: Annotated[
        str | None,
        Query(max_length=64, pattern=NO_CONTROL, description="one van (route sheets, packing)"),
    ] = None,
    lang: Literal["sv", "en"] = "sv",
    format: Literal["pdf", "csv", "json"] = "pdf",
) -> Response:
    """One kind of document for one day of the current plan: for `branch_id` (or `van_id` for
    route sheets and packing lists), or else for every branch or van with something to do that
    day. Titles and branch names come from the consortium as it is in the database."""
    if caller.role == "driver" and kind is not Kind.route:
        raise HTTPException(403, "a driver key prints route sheets only")
    if caller.role == "staff":
        if kind not in BRANCH_KINDS:
            raise HTTPException(403, "route sheets are for planners and drivers")
        if branch_id is None:
            branch_id = caller.branch_id
        elif branch_id != caller.branch_id:
            raise HTTPException(403, f"a staff key of {caller.branch_id} prints only its branch")
    record = current_record(db)
    plan = read_plan(db, record.plan_id)
    with tempfile.TemporaryDirectory(prefix="bokflyt-print-") as tmp:
        scenario = load_scenario(export_folder(db, Path(tmp)))
    db.rollback()  # done reading: on SQLite a transaction holds the write lock
    docs = documents(kind.value, scenario, plan, day, branch_id=branch_id, van_id=van_id, lang=lang)
    name = "-".join(x for x in (kind.value, day.isoformat(), branch_id or van_id) if x)
    if format == "json":
        columns = CSV_COLUMNS[kind.value]
        return JSONResponse(
            {
                "kind": kind.value,
                "date": day.isoformat(),
                "branch_id": branch_id,
                "van_id": van_id,
                "lang": lang,
                "subjects": [doc.subject for doc in docs],
                "columns": list(columns),
                "rows": [
                    dict(zip(columns, row, strict=True)) for doc in docs for row in doc.csv_rows
                ],
            }
        )
    headers = {"Content-Disposition": f'attachment; filename="{name}.{format}"'}
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS[kind.value])
        for doc in docs:
            writer.writerows(doc.csv_rows)
        return Response(buffer.getvalue(), media_type=MEDIA["csv"], headers=headers)
    return Response(pdf_bytes(docs), media_type=MEDIA["pdf"], headers=headers)
