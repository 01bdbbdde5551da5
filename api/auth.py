"""API keys, roles and the audit log.

A key is `bk_<key_id>_<secret>`, shown once when created; the database keeps its SHA-256 only.
Roles: `planner` (everything), `staff` (one branch: its lists and scans), `driver` (runs and
the scans of carrying crates). Every change made with a key is written to the audit log in the
same transaction as the change.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import models as m
from api.db import read_only
from api.store import now

ROLES = ("planner", "staff", "driver")
HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key (bk_...)")


@dataclass(frozen=True)
class Caller:
    key_id: str
    role: str
    branch_id: str | None  # a staff key's branch

    def sees_branch(self, branch_id: str | None) -> bool:
        """Planners see every branch, staff their own; drivers no branch lists."""
        if self.role == "planner":
            return True
        return self.role == "staff" and branch_id is not None and branch_id == self.branch_id


def create_key(session: Session, role: str, branch_id: str | None = None) -> str:
    """A new key (returned once, never stored in clear)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    if role == "staff" and not branch_id:
        raise ValueError("a staff key needs a branch (--branch)")
    if branch_id is not None and session.get(m.Branch, branch_id) is None:
        raise ValueError(f"unknown branch {branch_id!r}")
    key_id = secrets.token_hex(6)
    key = f"bk_{key_id}_{secrets.token_urlsafe(24)}"
    session.add(
        m.ApiKey(
            key_id=key_id,
            key_hash=_hash(key),
            role=role,
            branch_id=branch_id if role == "staff" else None,
            created_at=now(),
        )
    )
    return key


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def session_of(request: Request) -> Any:
    """A database session for one request (closed after it). On SQLite its transactions begin
    with BEGIN IMMEDIATE: the request may write."""
    with request.app.state.sessions() as session:
        yield session


def read_session_of(request: Request) -> Any:
    """A database session for one request that only reads (closed after it). On SQLite its
    transaction begins deferred: it reads the last committed state while a writer (a planning
    worker storing its plan) holds the database."""
    with request.app.state.sessions() as session:
        yield read_only(session)


DB = Annotated[Session, Depends(session_of)]
ReadDB = Annotated[Session, Depends(read_session_of)]


def _caller(request: Request, key: str | None = Security(HEADER)) -> Caller:
    unauthorized = HTTPException(
        401, "a valid X-API-Key header is required", headers={"WWW-Authenticate": "X-API-Key"}
    )
    if not key or not key.startswith("bk_") or key.count("_") < 2:
        raise unauthorized
    key_id = key.split("_", 2)[1]
    with request.app.state.sessions() as session:
        row = read_only(session).get(m.ApiKey, key_id)
        if row is None or row.revoked_at is not None:
            raise unauthorized
        if not hmac.compare_digest(row.key_hash, _hash(key)):
            raise unauthorized
        return Caller(row.key_id, row.role, row.branch_id)


def require(*roles: str) -> Callable[..., Caller]:
    """A dependency: the caller's key, which must have one of `roles` (403 otherwise)."""

    def check(caller: Caller = Depends(_caller)) -> Caller:
        if caller.role not in roles:
            raise HTTPException(403, f"this needs a {' or '.join(roles)} key")
        return caller

    return check


AnyKey = Annotated[Caller, Depends(require(*ROLES))]
Planner = Annotated[Caller, Depends(require("planner"))]
StaffOrPlanner = Annotated[Caller, Depends(require("planner", "staff"))]


def audit(session: Session, caller: Caller, action: str, target: str, **detail: object) -> None:
    """Record a change by a key (in the caller's transaction)."""
    session.add(
        m.Audit(key_id=caller.key_id, at=now(), action=action, target=target, detail=detail)
    )


def revoke_key(session: Session, key: str) -> m.ApiKey:
    """Revoke a key, given its key_id (or the whole key): from now on it gets 401. KeyError if
    there is no such key; revoking a revoked key keeps its first revocation time."""
    key_id = key.split("_", 2)[1] if key.startswith("bk_") and key.count("_") >= 2 else key
    row = session.get(m.ApiKey, key_id, with_for_update=True)
    if row is None:
        raise KeyError(key_id)
    if row.revoked_at is None:
        row.revoked_at = now()
    return row


def list_keys(session: Session) -> list[m.ApiKey]:
    """Every key (revoked ones too), oldest first: ids, roles and branches, never secrets."""
    return list(session.scalars(select(m.ApiKey).order_by(m.ApiKey.created_at, m.ApiKey.key_id)))
