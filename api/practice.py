"""Today's practice as a what-if, to compare the current plan with.

The consortium's practice schedule: its vans run only on Monday, Wednesday and Friday (from
their depot, via the hub as routed), and each reservation takes the first free copy in queue
order (`sourcing_method="greedy"`, Koha's rule). It is planned on the same demand as the
current plan — the consortium as it is in the database, for the current plan's start and days
— by a planning job like any other (one at a time), but it is never made current: nothing of
it touches the plans or the reservations. Only its figures are stored, as the Meta entry
`practice_comparison` (JSON), replaced by the next comparison.
"""

from __future__ import annotations

import csv
import json
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from api import models as m
from api.db import transaction
from api.jobs import JobGone
from api.store import current_plan_id, export_folder, get_meta, now, set_meta
from logistics.load import load_scenario
from logistics.planner import plan

PRACTICE_WEEKDAYS = "mon;wed;fri"
PRACTICE_SOURCING = "greedy"
META_KEY = "practice_comparison"
JOB_KEY = "practice_job"  # the last comparison job started

# Unplanned reasons (logistics' sentences) by kind, first match wins.
REASON_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("no_copy", re.compile(r"^no available copy")),
    ("placed_after_horizon", re.compile(r"^placed after the planning horizon")),
    ("ready_after_horizon", re.compile(r"^ready only after the planning horizon")),
    ("not_pulled_in_time", re.compile(r"cannot be pulled before the horizon ends")),
    ("waiting_at_end", re.compile(r"waiting at \S+ at the end of the horizon")),
    ("no_staffed_hours", re.compile(r"has no staffed hours")),
)


def reason_kind(reason: str) -> str:
    """The kind of an unplanned row's reason: one of REASON_KINDS' names, or `other`."""
    for kind, pattern in REASON_KINDS:
        if pattern.search(reason):
            return kind
    return "other"


def reason_counts(reasons: Iterable[str]) -> list[dict[str, Any]]:
    """[{kind, count, example}] by count (most first), then kind."""
    counts: Counter[str] = Counter()
    example: dict[str, str] = {}
    for reason in reasons:
        kind = reason_kind(reason)
        counts[kind] += 1
        example.setdefault(kind, reason)
    return [
        {"kind": k, "count": n, "example": example[k]}
        for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def km_by_run(legs: Iterable[tuple[date, str, float]]) -> list[dict[str, Any]]:
    """[{day, van_id, km}] per run (day and van), from (day, van_id, km) of its legs."""
    km: defaultdict[tuple[date, str], float] = defaultdict(float)
    for day, van, k in legs:
        km[(day, van)] += k
    return [{"day": d, "van_id": v, "km": round(k, 1)} for (d, v), k in sorted(km.items())]


def practice_vans(folder: Path) -> None:
    """Replace every van's weekdays in the scenario folder's vans.csv by the practice's."""
    path = folder / "vans.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = [{**row, "weekdays": PRACTICE_WEEKDAYS} for row in reader]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)


def plan_practice(
    factory: sessionmaker[Session],
    job: m.Job,
    *,
    seconds: float | None = None,
    progress: Callable[[str], None] | None = None,
    before_commit: Callable[[Session, int], None] | None = None,
) -> dict[str, Any]:
    """Plan the practice schedule for the running `job`'s start and days; store its figures
    and mark the job done in one transaction (JobGone, nothing stored, if it is no longer
    running). Returns what was stored."""
    say = progress or (lambda _: None)
    say("exporting the consortium (practice: vans mon/wed/fri, greedy copy choice)")
    with tempfile.TemporaryDirectory(prefix="bokflyt-practice-") as tmp:
        with factory() as session:
            folder = export_folder(session, Path(tmp))
            base_plan_id = current_plan_id(session)
        practice_vans(folder)
        scenario = load_scenario(folder)
    say("choosing copies")
    result = plan(
        scenario,
        job.start,
        job.days,
        seconds=seconds,
        progress=progress,
        sourcing_method=PRACTICE_SOURCING,
    )
    runs = km_by_run((r.day, r.van_id, r.km_from_prev) for r in result.routes)
    summary = result.summary()
    stored = {
        "job_id": job.job_id,
        "base_plan_id": base_plan_id,
        "start": job.start.isoformat(),
        "days": job.days,
        "created_at": now().isoformat(),
        "weekdays": PRACTICE_WEEKDAYS,
        "sourcing": PRACTICE_SOURCING,
        "summary": summary,
        "runs": [{**run, "day": run["day"].isoformat()} for run in runs],
        "unplanned_reasons": reason_counts(u.reason for u in result.unplanned),
    }
    say("storing the comparison")
    with transaction(factory) as session:
        finished = session.execute(
            update(m.Job)
            .where(m.Job.job_id == job.job_id, m.Job.status == "running")
            .values(
                status="done",
                progress=1.0,
                message=f"practice comparison stored (not current): {summary['runs']} runs, "
                f"{summary['km']} km, {summary['items_moved']} items moved, "
                f"{summary['items_unplanned']} not planned",
                finished_at=now(),
                running_slot=None,
            )
        )
        if finished.rowcount != 1:  # type: ignore[attr-defined]
            raise JobGone(f"job {job.job_id} is no longer running: its comparison is not stored")
        set_meta(session, META_KEY, json.dumps(stored))
        if before_commit is not None:
            before_commit(session, 0)
    return stored


def read_practice(session: Session) -> dict[str, Any] | None:
    """The stored practice comparison, if any."""
    text = get_meta(session, META_KEY)
    return None if text is None else dict(json.loads(text))
