"""Planning from the database: export the consortium, plan with `logistics`, store the plan.

The plan is written in one transaction that also makes it current, so a crash or a kill while
planning leaves the previous plan current and nothing half-written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from api.db import transaction
from api.store import export_folder, save_plan
from logistics.load import load_scenario
from logistics.plan import Plan
from logistics.planner import plan


def plan_now(
    factory: sessionmaker[Session],
    start: date,
    days: int,
    *,
    seconds: float | None = None,
    job_id: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[int, Plan]:
    """Plan `days` from `start` on the database's consortium; store the plan as current."""
    with tempfile.TemporaryDirectory(prefix="bokflyt-plan-") as tmp:
        with factory() as session:
            folder = export_folder(session, Path(tmp))
        scenario = load_scenario(folder)
    result = plan(scenario, start, days, seconds=seconds, progress=progress)
    with transaction(factory) as session:
        plan_id = save_plan(session, result, job_id)
    return plan_id, result
