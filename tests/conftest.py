"""Shared fixtures: a tiny consortium written as CSV files, and the bundled data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "bergslagen"

TINY = {
    "branches.csv": """branch_id,name,municipality,lat,lon,kind
HUB,Hub,Town,59.27,15.21,hub
AAA,A library,Town,59.60,15.21,library
BBB,B library,Village,59.52,15.04,library
CCC,C library,Other,59.13,15.14,library
""",
    "opening_hours.csv": "branch_id,weekday,opens,closes\n"
    + "".join(
        f"{b},{d},08:00,17:00\n"
        for b in ("HUB", "AAA", "BBB", "CCC")
        for d in ("mon", "tue", "wed", "thu", "fri")
    ),
    "vans.csv": """van_id,depot_branch_id,capacity_crates,shift_start,shift_end,weekdays
V1,HUB,10,07:00,16:00,mon;tue;wed;thu;fri
""",
    "travel.csv": """from_branch_id,to_branch_id,km,minutes
HUB,AAA,40,35
AAA,HUB,40,35
HUB,BBB,33,30
BBB,HUB,33,30
HUB,CCC,19,17
CCC,HUB,19,17
AAA,BBB,24,22
BBB,AAA,24,22
AAA,CCC,60,50
CCC,AAA,60,50
BBB,CCC,50,45
CCC,BBB,50,45
""",
    "items.csv": """item_id,title_id,title,call_number,home_branch_id,current_branch_id,status,due_date
I1,T1,Ett,Hc A,AAA,AAA,available,
I2,T2,Två,Hc B,BBB,BBB,available,
I3,T3,Tre,Hc C,CCC,CCC,available,
I4,T4,Fyra,Hc D,AAA,AAA,on_loan,2026-12-10
I5,T5,Fem,Hc E,CCC,AAA,available,
I6,T6,Sex,Hc F,BBB,BBB,available,
""",
    "reservations.csv": """reservation_id,title_id,pickup_branch_id,placed_at
R1,T1,BBB,2026-11-27T12:00
R2,T2,CCC,2026-11-27T13:00
R3,T3,AAA,2026-11-30T07:30
R4,T4,BBB,2026-11-28T10:00
R5,T6,BBB,2026-11-28T10:00
""",
    "transfers.csv": """item_id,from_branch_id,to_branch_id,ready_at
I5,AAA,CCC,2026-11-30T09:00
""",
}


def write_scenario(folder: Path, files: dict[str, str]) -> Path:
    """Write a scenario folder from {file name: text}."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A four-branch consortium with one van and a handful of reservations."""
    return write_scenario(tmp_path / "tiny", TINY)


# -- the service: a migrated database (SQLite always, PostgreSQL when configured) ------------

PG_ENV = "BOKFLYT_TEST_DATABASE_URL"


def database_kinds() -> list[str]:
    """SQLite always; PostgreSQL too when BOKFLYT_TEST_DATABASE_URL is set (.ci/run sets it)."""
    import os

    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


def fresh_database(kind: str, tmp_path: Path) -> str:
    """The URL of an empty, migrated database of `kind`."""
    import os

    from sqlalchemy import create_engine, text

    from api.db import migrate

    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'bokflyt.db'}"
    else:
        url = os.environ[PG_ENV]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrate(url)
    return url


@pytest.fixture(params=database_kinds())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database(request.param, tmp_path)


class Service:
    """The app over a database holding the tiny consortium, a client, a key of each kind
    (planner, staff at AAA, staff at BBB, driver) and the reservations' pickup codes."""

    def __init__(self, url: str, folder: Path) -> None:
        from fastapi.testclient import TestClient

        from api.app import create_app
        from api.auth import create_key
        from api.db import transaction
        from api.store import load_folder

        self.url = url
        self.app = create_app(url)
        self.codes: dict[str, str] = {}
        with transaction(self.app.state.sessions) as session:
            load_folder(session, folder, self.codes)
            self.keys = {
                "planner": create_key(session, "planner"),
                "staff": create_key(session, "staff", "AAA"),
                "staff_bbb": create_key(session, "staff", "BBB"),
                "driver": create_key(session, "driver"),
            }
        self.client = TestClient(self.app)

    def headers(self, who: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[who]}

    def close(self) -> None:
        self.client.close()
        self.app.state.engine.dispose()


@pytest.fixture
def service(db_url: str, tiny: Path) -> Any:
    s = Service(db_url, tiny)
    yield s
    s.close()
