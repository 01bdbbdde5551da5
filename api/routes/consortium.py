"""The consortium: branches, opening hours, vans, closures and items.

Any key reads; only a planner's key changes, each change with its audit row in the same
transaction. Bodies are validated like the CSV contract (api.schemas); references to unknown
branches are 422 naming the field, unknown ids in the path 404, duplicates and deleting what is
still referenced 409.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import models as m
from api import schemas as s
from api.auth import DB, AnyKey, Caller, Planner, ReadDB, audit
from api.store import CLOSED, MOVING, bump_data_version
from logistics.load import parse_hhmm
from logistics.model import WEEKDAYS

router = APIRouter(tags=["consortium"])

M = TypeVar("M", bound=BaseModel)
Row = TypeVar("Row", bound=m.Base)

# -- shared by the routers -------------------------------------------------------------------

BranchPath = Annotated[str, Path(max_length=64, pattern=s.NO_CONTROL, description="a branch id")]
RowPath = Annotated[int, Path(ge=1, le=s.MAX_ROW_ID, description="the row's id")]
Filter = Annotated[str | None, Query(max_length=64, pattern=s.NO_CONTROL)]
Limit = Annotated[int, Query(ge=1, le=1000, description="at most this many rows")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="rows skipped")]


def found(db: Session, model: type[Row], key: object, what: str, *, lock: bool = False) -> Row:
    """The row with this primary key, or 404. With lock, the row is locked for the rest of the
    transaction (FOR UPDATE on PostgreSQL; SQLite transactions are serial already)."""
    row = db.get(model, key, with_for_update=lock)
    if row is None:
        raise HTTPException(404, f"unknown {what} {key!r}")
    return row


def known_branch(db: Session, field: str, branch_id: str, *, lock: bool = False) -> m.Branch:
    """The branch a body field names, or 422 naming the field."""
    branch = db.get(m.Branch, branch_id, with_for_update=lock)
    if branch is None:
        raise s.unprocessable(field, f"unknown branch {branch_id!r}", branch_id)
    return branch


def patched(model: type[M], current: dict[str, Any], patch: BaseModel) -> M:
    """The current fields with the patch's given ones, validated as a whole (a time checked
    against the other one, a due date against the status) or 422 naming the field."""
    kept = {k: v for k, v in current.items() if k in model.model_fields}
    data = {**kept, **patch.model_dump(exclude_unset=True)}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise HTTPException(
            422,
            detail=[
                {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False, include_input=False)
            ],
        ) from None


def commit(db: Session, conflict: str) -> None:
    """Commit, or 409 when the database refuses (a concurrent request stored the same id)."""
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise HTTPException(409, conflict) from None


def commit_change(db: Session, conflict: str) -> None:
    """Commit a change to the consortium (as `commit`), marking its data changed (Meta
    data_version): what is cached per data version, the scan timetable, is built again."""
    bump_data_version(db)
    commit(db, conflict)


def count(db: Session, model: type[m.Base], *where: ColumnElement[bool]) -> int:
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def page(db: Session, query: Any, limit: int, offset: int, out: type[BaseModel]) -> Any:
    """One page of a query's rows as `out`, with the total count (a Page body)."""
    total = int(db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    rows = db.scalars(query.limit(limit).offset(offset))
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [out.model_validate(r) for r in rows],
    }


def _changed(caller: Caller, db: Session, action: str, target: str, body: BaseModel) -> None:
    audit(db, caller, action, target, **body.model_dump(mode="json", exclude_unset=True))


# -- branches --------------------------------------------------------------------------------


@router.get("/branches", response_model=list[s.Branch], summary="List the branches")
def list_branches(db: ReadDB, _: AnyKey) -> Any:
    """Every branch (libraries and hubs), by id."""
    return db.scalars(select(m.Branch).order_by(m.Branch.branch_id)).all()


@router.get(
    "/branches/{branch_id}", response_model=s.Branch, summary="One branch", responses=s.NOT_FOUND
)
def get_branch(branch_id: BranchPath, db: ReadDB, _: AnyKey) -> Any:
    return found(db, m.Branch, branch_id, "branch")


@router.post(
    "/branches",
    response_model=s.Branch,
    status_code=201,
    summary="Add a branch",
    responses={**s.FORBIDDEN, **s.CONFLICT},
)
def create_branch(body: s.BranchCreate, db: DB, caller: Planner) -> Any:
    """A new library or hub (planner). 409 when the id exists."""
    if db.get(m.Branch, body.branch_id) is not None:
        raise HTTPException(409, f"branch {body.branch_id!r} exists")
    branch = m.Branch(**body.model_dump())
    db.add(branch)
    _changed(caller, db, "branch.create", body.branch_id, body)
    commit_change(db, f"branch {body.branch_id!r} exists")
    return branch


@router.patch(
    "/branches/{branch_id}",
    response_model=s.Branch,
    summary="Change a branch",
    responses={**s.NOT_FOUND, **s.FORBIDDEN, **s.CONFLICT},
)
def update_branch(branch_id: BranchPath, body: s.BranchPatch, db: DB, caller: Planner) -> Any:
    """Change the given fields (planner). A branch where open reservations are picked up
    cannot become a hub (409)."""
    branch = found(db, m.Branch, branch_id, "branch", lock=True)
    new = patched(s.BranchFields, s.Branch.model_validate(branch).model_dump(), body)
    if new.kind == "hub" and branch.kind != "hub":
        open_here = count(
            db,
            m.Reservation,
            m.Reservation.pickup_branch_id == branch_id,
            m.Reservation.status.not_in(CLOSED),
        )
        if open_here:
            raise HTTPException(
                409, f"{open_here} open reservation(s) are picked up at {branch_id}: a hub is "
                "no pickup branch",
            )  # fmt: skip
    for field, value in new.model_dump().items():
        setattr(branch, field, value)
    _changed(caller, db, "branch.update", branch_id, body)
    commit_change(db, f"branch {branch_id!r} changed meanwhile")
    return branch


@router.delete(
    "/branches/{branch_id}",
    response_model=s.Branch,
    summary="Remove a branch",
    responses={**s.NOT_FOUND, **s.FORBIDDEN, **s.CONFLICT},
)
def delete_branch(branch_id: BranchPath, db: DB, caller: Planner) -> Any:
    """Remove a branch with its opening hours and closures (planner). 409 while a van, item,
    reservation, transfer or unrevoked staff key refers to it."""
    branch = found(db, m.Branch, branch_id, "branch", lock=True)
    uses = {
        "van(s)": count(db, m.Van, m.Van.depot_branch_id == branch_id),
        "item(s)": count(
            db,
            m.Item,
            or_(m.Item.home_branch_id == branch_id, m.Item.current_branch_id == branch_id),
        ),
        "reservation(s)": count(
            db,
            m.Reservation,
            or_(
                m.Reservation.pickup_branch_id == branch_id,
                and_(  # a copy on its way, last scanned there
                    m.Reservation.location_branch_id == branch_id,
                    m.Reservation.status.in_(MOVING),
                ),
            ),
        ),
        "transfer(s)": count(
            db,
            m.Transfer,
            or_(m.Transfer.from_branch_id == branch_id, m.Transfer.to_branch_id == branch_id),
        ),
        "staff key(s)": count(
            db, m.ApiKey, m.ApiKey.branch_id == branch_id, m.ApiKey.revoked_at.is_(None)
        ),
    }
    used = [f"{n} {what}" for what, n in uses.items() if n]
    if used:
        raise HTTPException(409, f"branch {branch_id} is still referenced by {', '.join(used)}")
    out = s.Branch.model_validate(branch)
    for row in db.scalars(select(m.OpeningHours).where(m.OpeningHours.branch_id == branch_id)):
        db.delete(row)
    for closure in db.scalars(select(m.Closure).where(m.Closure.branch_id == branch_id)):
        db.delete(closure)
    db.flush()
    db.delete(branch)
    audit(db, caller, "branch.delete", branch_id)
    commit_change(db, f"branch {branch_id} is still referenced")
    return out


# -- opening hours ---------------------------------------------------------------------------


def _no_overlap(db: Session, hours: s.OpeningHoursFields, own_id: int | None = None) -> None:
    """409 when the hours overlap another row of the branch on that weekday."""
    opens, closes = parse_hhmm(hours.opens), parse_hhmm(hours.closes)
    query = select(m.OpeningHours).where(
        m.OpeningHours.branch_id == hours.branch_id, m.OpeningHours.weekday == hours.weekday
    )
    for other in db.scalars(query):
        if other.id == own_id:
            continue
        if parse_hhmm(other.opens) < closes and opens < parse_hhmm(other.closes):
            raise HTTPException(
                409,
                f"overlaps the opening hours {other.opens}-{other.closes} (id {other.id}) of "
                f"{hours.branch_id} on {hours.weekday}",
            )


@router.get("/opening-hours", response_model=list[s.OpeningHours], summary="List the opening hours")
def list_opening_hours(db: ReadDB, _: AnyKey, branch_id: Filter = None) -> Any:
    """Staffed hours, when crates can be handed over (a day without a row is closed); by
    branch, weekday and time. Filter: branch_id."""
    query = select(m.OpeningHours)
    if branch_id is not None:
        query = query.where(m.OpeningHours.branch_id == branch_id)
    rows = db.scalars(query).all()
    days = {d: n for n, d in enumerate(WEEKDAYS)}
    return sorted(rows, key=lambda o: (o.branch_id, days.get(o.weekday, 7), o.opens))


@router.get(
    "/opening-hours/{id}",
    response_model=s.OpeningHours,
    summary="One row of opening hours",
    responses=s.NOT_FOUND,
)
def get_opening_hours(id: RowPath, db: ReadDB, _: AnyKey) -> Any:
    return found(db, m.OpeningHours, id, "opening hours")


@router.post(
    "/opening-hours",
    response_model=s.OpeningHours,
    status_code=201,
    summary="Add opening hours",
    responses={**s.FORBIDDEN, **s.CONFLICT},
)
def create_opening_hours(body: s.OpeningHoursFields, db: DB, caller: Planner) -> Any:
    """Staffed hours of a branch on a weekday (planner): opens before closes; several rows a
    day may not overlap (409)."""
    known_branch(db, "branch_id", body.branch_id, lock=True)
    _no_overlap(db, body)
    row = m.OpeningHours(**body.model_dump())
    db.add(row)
    db.flush()
    _changed(caller, db, "opening_hours.create", str(row.id), body)
    commit_change(db, "opening hours changed meanwhile")
    return row


@router.patch(
    "/opening-hours/{id}",
    response_model=s.OpeningHours,
    summary="Change opening hours",
    responses={**s.NOT_FOUND, **s.FORBIDDEN, **s.CONFLICT},
)
def update_opening_hours(id: RowPath, body: s.OpeningHoursPatch, db: DB, caller: Planner) -> Any:
    row = found(db, m.OpeningHours, id, "opening hours", lock=True)
    new = patched(s.OpeningHoursFields, s.OpeningHours.model_validate(row).model_dump(), body)
    known_branch(db, "branch_id", new.branch_id, lock=True)
    _no_overlap(db, new, own_id=id)
    for field, value in new.model_dump().items():
        setattr(row, field, value)
    _changed(caller, db, "opening_hours.update", str(id), body)
    commit_change(db, "opening hours changed meanwhile")
    return row


@router.delete(
    "/opening-hours/{id}",
    response_model=s.OpeningHours,
    summary="Remove opening hours",
    responses={**s.NOT_FOUND, **s.FORBIDDEN},
)
def delete_opening_hours(id: RowPath, db: DB, caller: Planner) -> Any:
    row = found(db, m.OpeningHours, id, "opening hours", lock=True)
    out = s.OpeningHours.model_validate(row)
    db.delete(row)
    audit(db, caller, "opening_hours.delete", str(id), **out.model_dump(exclude={"id"}))
    commit_change(db, "opening hours changed meanwhile")
    return out


# -- vans ------------------------------------------------------------------------------------


def _van_row(fields: s.VanFields) -> dict[str, Any]:
    data = fields.model_dump()
    data["weekdays"] = ";".join(fields.weekdays)
    return data


@router.get("/vans", response_model=list[s.Van], summary="List the vans")
def list_vans(db: ReadDB, _: AnyKey) -> Any:
    return db.scalars(select(m.Van).order_by(m.Van.van_id)).all()


@router.get("/vans/{van_id}", response_model=s.Van, summary="One van", responses=s.NOT_FOUND)
def get_van(
    van_id: Annotated[str, Path(max_length=64, pattern=s.NO_CONTROL)], db: ReadDB, _: AnyKey
) -> Any:
    return found(db, m.Van, van_id, "van")


@router.post(
    "/vans",
    response_model=s.Van,
    status_code=201,
    summary="Add a van",
    responses={**s.FORBIDDEN, **s.CONFLICT},
)
def create_van(body: s.VanCreate, db: DB, caller: Planner) -> Any:
    """A courier van (planner): its depot, capacity in crates (≥ 1), shift (start before end)
    and running weekdays. 409 when the id exists."""
    known_branch(db, "depot_branch_id", body.depot_branch_id)
    if db.get(m.Van, body.van_id) is not None:
        raise HTTPException(409, f"van {body.van_id!r} exists")
    van = m.Van(**_van_row(body))
    db.add(van)
    _changed(caller, db, "van.create", body.van_id, body)
    commit_change(db, f"van {body.van_id!r} exists")
    return van


@router.patch(
    "/vans/{van_id}",
    response_model=s.Van,
    summary="Change a van",
    responses={**s.NOT_FOUND, **s.FORBIDDEN},
)
def update_van(
    van_id: Annotated[str, Path(max_length=64, pattern=s.NO_CONTROL)],
    body: s.VanPatch,
    db: DB,
    caller: Planner,
) -> Any:
    van = found(db, m.Van, van_id, "van", lock=True)
    new = patched(s.VanFields, s.Van.model_validate(van).model_dump(), body)
    known_branch(db, "depot_branch_id", new.depot_branch_id)
    for field, value in _van_row(new).items():
        setattr(van, field, value)
    _changed(caller, db, "van.update", van_id, body)
    commit_change(db, f"van {van_id!r} changed meanwhile")
    return van


@router.delete(
    "/vans/{van_id}",
    response_model=s.Van,
    summary="Remove a van",
    responses={**s.NOT_FOUND, **s.FORBIDDEN},
)
def delete_van(
    van_id: Annotated[str, Path(max_length=64, pattern=s.NO_CONTROL)], db: DB, caller: Planner
) -> Any:
    """Remove a van (planner); stored plans keep their runs."""
    van = found(db, m.Van, van_id, "van", lock=True)
    out = s.Van.model_validate(van)
    db.delete(van)
    audit(db, caller, "van.delete", van_id)
    commit_change(db, f"van {van_id!r} changed meanwhile")
    return out


# -- closures --------------------------------------------------------------------------------


def _closure(row: m.Closure) -> s.Closure:
    return s.Closure(id=row.id, branch_id=row.branch_id, date=row.day, reason=row.reason)


def _closure_ok(db: Session, new: s.ClosureFields, own_id: int | None = None) -> None:
    """The branch is known (or '*') and has no closure that day yet (409)."""
    if new.branch_id != "*":
        known_branch(db, "branch_id", new.branch_id, lock=True)
    same = select(m.Closure.id).where(
        m.Closure.branch_id == new.branch_id, m.Closure.day == new.date
    )
    for other in db.scalars(same):
        if other != own_id:
            raise HTTPException(
                409, f"{new.branch_id} is already closed on {new.date} (closure {other})"
            )


@router.get("/closures", response_model=list[s.Closure], summary="List the closures")
def list_closures(db: ReadDB, _: AnyKey, branch_id: Filter = None) -> Any:
    """Days a branch (or with branch_id '*', every branch) is closed, by date. Filter:
    branch_id (exactly; '*' for the consortium-wide ones)."""
    query = select(m.Closure).order_by(m.Closure.day, m.Closure.branch_id, m.Closure.id)
    if branch_id is not None:
        query = query.where(m.Closure.branch_id == branch_id)
    return [_closure(c) for c in db.scalars(query)]


@router.get(
    "/closures/{id}", response_model=s.Closure, summary="One closure", responses=s.NOT_FOUND
)
def get_closure(id: RowPath, db: ReadDB, _: AnyKey) -> Any:
    return _closure(found(db, m.Closure, id, "closure"))


@router.post(
    "/closures",
    response_model=s.Closure,
    status_code=201,
    summary="Add a closure",
    responses={**s.FORBIDDEN, **s.CONFLICT},
)
def create_closure(body: s.ClosureFields, db: DB, caller: Planner) -> Any:
    """Close a branch, or with '*' every branch (no van runs, no working day), on a date
    (planner). Public holidays need none. 409 when that branch is already closed that day."""
    _closure_ok(db, body)
    row = m.Closure(branch_id=body.branch_id, day=body.date, reason=body.reason)
    db.add(row)
    db.flush()
    _changed(caller, db, "closure.create", str(row.id), body)
    commit_change(db, "closures changed meanwhile")
    return _closure(row)


@router.patch(
    "/closures/{id}",
    response_model=s.Closure,
    summary="Change a closure",
    responses={**s.NOT_FOUND, **s.FORBIDDEN, **s.CONFLICT},
)
def update_closure(id: RowPath, body: s.ClosurePatch, db: DB, caller: Planner) -> Any:
    row = found(db, m.Closure, id, "closure", lock=True)
    new = patched(s.ClosureFields, _closure(row).model_dump(), body)
    _closure_ok(db, new, own_id=id)
    row.branch_id, row.day, row.reason = new.branch_id, new.date, new.reason
    _changed(caller, db, "closure.update", str(id), body)
    commit_change(db, "closures changed meanwhile")
    return _closure(row)


@router.delete(
    "/closures/{id}",
    response_model=s.Closure,
    summary="Remove a closure",
    responses={**s.NOT_FOUND, **s.FORBIDDEN},
)
def delete_closure(id: RowPath, db: DB, caller: Planner) -> Any:
    row = found(db, m.Closure, id, "closure", lock=True)
    out = _closure(row)
    db.delete(row)
    audit(db, caller, "closure.delete", str(id), **out.model_dump(mode="json", exclude={"id"}))
    commit_change(db, "closures changed meanwhile")
    return out


# -- items -----------------------------------------------------------------------------------

ItemPath = Annotated[str, Path(max_length=64, pattern=s.NO_CONTROL, description="an item id")]


@router.get("/items", response_model=s.Page[s.Item], summary="List the items (copies)")
def list_items(
    db: ReadDB,
    _: AnyKey,
    branch_id: Annotated[
        str | None,
        Query(max_length=64, pattern=s.NO_CONTROL, description="where the copy is now"),
    ] = None,
    home_branch_id: Filter = None,
    status: s.ItemStatus | None = None,
    title_id: Filter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Copies by item id, a page at a time. Filters: branch_id (the copy's current branch),
    home_branch_id, status, title_id."""
    query = select(m.Item).order_by(m.Item.item_id)
    if branch_id is not None:
        query = query.where(m.Item.current_branch_id == branch_id)
    if home_branch_id is not None:
        query = query.where(m.Item.home_branch_id == home_branch_id)
    if status is not None:
        query = query.where(m.Item.status == status)
    if title_id is not None:
        query = query.where(m.Item.title_id == title_id)
    return page(db, query, limit, offset, s.Item)


@router.get("/items/{item_id}", response_model=s.Item, summary="One item", responses=s.NOT_FOUND)
def get_item(item_id: ItemPath, db: ReadDB, _: AnyKey) -> Any:
    return found(db, m.Item, item_id, "item")


def _item_branches(db: Session, item: s.ItemFields) -> None:
    known_branch(db, "home_branch_id", item.home_branch_id)
    known_branch(db, "current_branch_id", item.current_branch_id)


@router.post(
    "/items",
    response_model=s.Item,
    status_code=201,
    summary="Add an item",
    responses={**s.FORBIDDEN, **s.CONFLICT},
)
def create_item(body: s.ItemCreate, db: DB, caller: Planner) -> Any:
    """A copy of a title (planner): its home and current branch, status (available, on_loan,
    in_transit, missing), due date only when on loan. 409 when the id exists."""
    _item_branches(db, body)
    if db.get(m.Item, body.item_id) is not None:
        raise HTTPException(409, f"item {body.item_id!r} exists")
    item = m.Item(**body.model_dump())
    db.add(item)
    _changed(caller, db, "item.create", body.item_id, body)
    commit_change(db, f"item {body.item_id!r} exists")
    return item


def _last_copy_wanted(db: Session, item: m.Item) -> None:
    """409 when open reservations want the item's title and it is the title's last copy (a
    scenario folder may not hold a reservation of a title without an item)."""
    others = count(db, m.Item, m.Item.title_id == item.title_id, m.Item.item_id != item.item_id)
    if others:
        return
    wanting = count(
        db,
        m.Reservation,
        m.Reservation.title_id == item.title_id,
        m.Reservation.status.not_in(CLOSED),
    )
    if wanting:
        raise HTTPException(
            409,
            f"item {item.item_id} is the last copy of title {item.title_id}, which {wanting} open "
            "reservation(s) want",
        )


def _open_transfers(db: Session, item_id: str) -> list[m.Transfer]:
    return list(
        db.scalars(
            select(m.Transfer).where(m.Transfer.item_id == item_id, m.Transfer.cancelled.is_(False))
        )
    )


def _item_change_ok(db: Session, item: m.Item, new: s.ItemFields) -> None:
    """409 for a change that would leave the consortium unplannable: moving a copy away from
    where its open transfer leaves, or giving another title to a copy that open reservations
    need as their title's last copy, have chosen, or a transfer carries to one."""
    if new.current_branch_id != item.current_branch_id:
        for t in _open_transfers(db, item.item_id):
            if t.from_branch_id != new.current_branch_id:
                raise HTTPException(
                    409,
                    f"item {item.item_id} has an open transfer (id {t.id}) from "
                    f"{t.from_branch_id}: cancel it first",
                )
    if new.title_id != item.title_id:
        _last_copy_wanted(db, item)
        chosen = count(
            db,
            m.Reservation,
            m.Reservation.item_id == item.item_id,
            m.Reservation.status.not_in(CLOSED),
        )
        carrying = [t for t in _open_transfers(db, item.item_id) if t.reservation_id]
        if chosen or carrying:
            raise HTTPException(
                409,
                f"item {item.item_id} is the chosen copy of {chosen} open reservation(s) and "
                f"carried by {len(carrying)} transfer(s) to a reservation of title "
                f"{item.title_id}",
            )


@router.patch(
    "/items/{item_id}",
    response_model=s.Item,
    summary="Change an item",
    responses={**s.NOT_FOUND, **s.FORBIDDEN, **s.CONFLICT},
)
def update_item(item_id: ItemPath, body: s.ItemPatch, db: DB, caller: Planner) -> Any:
    """Change the given fields (planner); the result is validated as a whole (a due date
    only for a copy on loan: set both status and due_date null when it comes back). 409 when
    the copy has an open transfer from its current branch and current_branch_id changes, or
    when open reservations of its title need it and title_id changes."""
    item = found(db, m.Item, item_id, "item", lock=True)
    new = patched(s.ItemFields, s.Item.model_validate(item).model_dump(), body)
    _item_branches(db, new)
    _item_change_ok(db, item, new)
    for field, value in new.model_dump().items():
        setattr(item, field, value)
    _changed(caller, db, "item.update", item_id, body)
    commit_change(db, f"item {item_id!r} changed meanwhile")
    return item


@router.delete(
    "/items/{item_id}",
    response_model=s.Item,
    summary="Remove an item",
    responses={**s.NOT_FOUND, **s.FORBIDDEN, **s.CONFLICT},
)
def delete_item(item_id: ItemPath, db: DB, caller: Planner) -> Any:
    """Remove a copy (planner). 409 while a transfer moves it, an open reservation has it as
    its chosen copy, or it is the last copy of a title that open reservations want."""
    item = found(db, m.Item, item_id, "item", lock=True)
    _last_copy_wanted(db, item)
    transfers = count(db, m.Transfer, m.Transfer.item_id == item_id)
    chosen = count(
        db,
        m.Reservation,
        and_(m.Reservation.item_id == item_id, m.Reservation.status.not_in(CLOSED)),
    )
    if transfers or chosen:
        raise HTTPException(
            409,
            f"item {item_id} is still referenced by {transfers} transfer(s) and {chosen} open "
            "reservation(s)",
        )
    out = s.Item.model_validate(item)
    db.delete(item)
    audit(db, caller, "item.delete", item_id)
    commit_change(db, f"item {item_id} is still referenced")
    return out
