"""The database: engine, sessions and migrations.

SQLite (a file, the embedded default) or PostgreSQL, chosen by the URL: `DATABASE_URL`, else
`sqlite:///bokflyt.db` in the working directory. On SQLite a transaction begins with
BEGIN IMMEDIATE (writers queue instead of failing on a lock upgrade) unless its session was
opened for reading only (`read_only`, `transaction(factory, write=False)`): those begin
deferred and, in WAL mode, read the last committed state without waiting for a writer. A busy
timeout makes writers wait for each other; foreign keys are enforced on both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///bokflyt.db"
# The execution option of a read-only session's connection: on SQLite its transactions begin
# deferred (a snapshot read that no writer blocks) instead of BEGIN IMMEDIATE.
READ_ONLY = "bokflyt_read_only"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url() -> str:
    """DATABASE_URL, or the embedded SQLite file; postgresql:// means psycopg 3."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_transactions(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_only(session: Session) -> Session:
    """Mark a new session's (next) transaction as reading only: on SQLite it begins deferred,
    so it neither waits for nor blocks a writer. Call it before the session's first query; a
    write in it may then fail on a lock ("database is locked") instead of queueing."""
    options: dict[str, Any] = {READ_ONLY: True}
    session.connection(execution_options=options)
    return session


@contextmanager
def transaction(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[Session]:
    """A session whose work is committed at the end, or rolled back on any exception. With
    write=False it only reads (on SQLite: a deferred BEGIN, see `read_only`)."""
    with factory() as session, session.begin():
        if not write:
            read_only(session)
        yield session


def is_locked(exc: BaseException) -> bool:
    """Is this SQLite's "database is locked" (or busy): a writer held the database longer than
    the busy timeout?"""
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text


def migrate(url: str | None = None) -> None:
    """Bring the database's schema up to date (alembic upgrade head)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    command.upgrade(config, "head")
