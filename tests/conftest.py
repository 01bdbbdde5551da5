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


# -- the web pages: a live server on loopback and headless Chromium ---------------------------

CHROMIUM = "/usr/bin/chromium"  # Debian's package; .ci/run installs it
ARTIFACTS = ROOT / "test-artifacts"  # screenshots of the pages (not committed)


class LiveServer(Service):
    """The service over a SQLite file, planned for a week, served by uvicorn on a free port of
    127.0.0.1 in a background thread."""

    def __init__(self, url: str, folder: Path, start: Any, days: int = 5) -> None:
        import socket
        import threading
        import time

        import uvicorn

        from api.jobs import plan_now

        super().__init__(url, folder)
        self.start = start
        plan_now(self.app.state.sessions, start, days, seconds=2)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                break
            time.sleep(0.05)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        super().close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from datetime import date

    tmp = tmp_path_factory.mktemp("live")
    server = LiveServer(
        fresh_database("sqlite", tmp), write_scenario(tmp / "tiny", TINY), date(2026, 11, 30)
    )
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser() -> Any:
    """Headless Chromium (the system's), driven by Playwright."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Any:
    """A fresh browser page that records every request it makes; the test fails if one
    leaves 127.0.0.1. A screenshot of the page is kept in test-artifacts/ at the end."""
    from urllib.parse import urlparse

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.requests = []  # type: ignore[attr-defined]
    p.on("request", lambda r: p.requests.append(r.url))  # type: ignore[attr-defined]
    yield p
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    p.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    outside = [
        u
        for u in p.requests  # type: ignore[attr-defined]
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
        and urlparse(u).hostname != "127.0.0.1"
    ]
    context.close()
    assert not outside, f"requests left 127.0.0.1: {outside}"
