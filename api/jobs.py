"""Planning from the database: export the consortium, plan with `logistics`, store the plan;
and planning jobs, one at a time per database, each run by a worker process.

The plan is written in one transaction that also makes it current (and, for a job, marks the
job done and frees its slot), so a crash or a kill while planning leaves the previous plan
current and nothing half-written.

A job's life: `create_job` inserts it queued with running_slot=1 (the unique slot: a second job
while one is queued or running is refused with `JobBusy`); `start_worker` runs
`python -m api.worker JOB_ID` with the app's DATABASE_URL and a thread that waits on it; the
worker sets it running, reports progress in the row and ends it done (in the plan's
transaction) or failed. A worker that dies without saying so (killed, out of memory) is marked
failed by the waiting thread, or, after a restart of the server, by `recover_jobs` at start-up
and by `reap_if_dead` whenever the slot is found taken. Workers run on the API's host: their
pid is what tells whether they are alive.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api import models as m
from api.db import transaction
from api.store import export_folder, now, save_plan
from logistics.load import load_scenario
from logistics.plan import Plan
from logistics.planner import plan

log = logging.getLogger("bokflyt.jobs")

ACTIVE = ("queued", "running")
# A queued job without a pid this old was never started (the server died before spawning it).
NEVER_STARTED = timedelta(seconds=60)
ROOT = Path(__file__).resolve().parents[1]
# Jobs whose worker this process started and a thread waits on: that thread reports their end.
_watched: set[str] = set()


def plan_now(
    factory: sessionmaker[Session],
    start: date,
    days: int,
    *,
    seconds: float | None = None,
    job_id: str | None = None,
    progress: Callable[[str], None] | None = None,
    before_commit: Callable[[Session, int], None] | None = None,
) -> tuple[int, Plan]:
    """Plan `days` from `start` on the database's consortium; store the plan as current.

    With `job_id`, the job (which must be running) is marked done in the same transaction;
    `JobGone` (and nothing stored) if it is not running any more. `before_commit` is called
    inside that transaction, after the plan's rows are written."""
    say = progress or (lambda _: None)
    say("exporting the consortium")
    exported = now()  # scans after this are newer than the plan (save_plan keeps them)
    with tempfile.TemporaryDirectory(prefix="bokflyt-plan-") as tmp:
        with factory() as session:
            folder = export_folder(session, Path(tmp))
        scenario = load_scenario(folder)
    say("choosing copies")
    result = plan(scenario, start, days, seconds=seconds, progress=progress)
    say("storing the plan")
    with transaction(factory) as session:
        plan_id = save_plan(session, result, job_id, exported_at=exported)
        if job_id is not None:
            summary = result.summary()
            finished = session.execute(
                update(m.Job)
                .where(m.Job.job_id == job_id, m.Job.status == "running")
                .values(
                    status="done",
                    progress=1.0,
                    message=f"plan {plan_id} stored and current: {summary['runs']} runs, "
                    f"{summary['km']} km, {summary['items_moved']} items moved, "
                    f"{summary['items_unplanned']} not planned",
                    plan_id=plan_id,
                    finished_at=now(),
                    running_slot=None,
                )
            )
            if finished.rowcount != 1:  # type: ignore[attr-defined]
                raise JobGone(f"job {job_id} is no longer running: its plan is not stored")
        if before_commit is not None:
            before_commit(session, plan_id)
    return plan_id, result


# -- jobs ------------------------------------------------------------------------------------


class JobBusy(Exception):
    """Another job holds the running slot."""

    def __init__(self, job: m.Job) -> None:
        super().__init__(f"planning job {job.job_id} is {job.status}")
        self.job = job


class JobGone(Exception):
    """The job is not (or no longer) in the state its worker expects: the server marked it
    failed, or it was never queued."""


def create_job(
    factory: sessionmaker[Session],
    start: date,
    days: int,
    key_id: str | None,
    audit: Callable[[Session, m.Job], None] | None = None,
) -> m.Job:
    """Insert a queued job holding the running slot (`audit` is called in its transaction).
    JobBusy with the job that holds the slot when another is queued or running; a holder whose
    worker is gone is marked failed first and the slot taken."""
    for _ in range(3):
        job = m.Job(
            job_id=str(uuid.uuid4()),
            status="queued",
            start=start,
            days=days,
            progress=0.0,
            message="queued",
            created_at=now(),
            key_id=key_id,
            running_slot=1,
        )
        try:
            with transaction(factory) as session:
                session.add(job)
                session.flush()
                if audit is not None:
                    audit(session, job)
            return job
        except IntegrityError:
            with factory() as session:
                holder = session.scalars(select(m.Job).where(m.Job.running_slot == 1)).first()
            if holder is not None and not reap_if_dead(factory, holder):
                raise JobBusy(holder) from None
            # the holder finished meanwhile, or its worker was gone: try again
    raise RuntimeError("could not take the planning slot (jobs ending and starting too fast)")


def get_job(factory: sessionmaker[Session], job_id: str) -> m.Job | None:
    with factory() as session:
        return session.get(m.Job, job_id)


def begin_job(factory: sessionmaker[Session], job_id: str) -> m.Job:
    """The worker takes its queued job: running, with its pid. JobGone if it is not queued."""
    with transaction(factory) as session:
        taken = session.execute(
            update(m.Job)
            .where(m.Job.job_id == job_id, m.Job.status == "queued")
            .values(status="running", pid=os.getpid(), message="starting")
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise JobGone(f"job {job_id} is not queued")
        job = session.get(m.Job, job_id)
        assert job is not None
        return job


def set_progress(
    factory: sessionmaker[Session], job_id: str, message: str, fraction: float | None = None
) -> None:
    """Report a running job's progress; JobGone if it is not running (the server gave up on
    it), so the worker stops."""
    values: dict[str, object] = {"message": message[:2000]}
    if fraction is not None:
        values["progress"] = max(0.0, min(1.0, fraction))
    with transaction(factory) as session:
        done = session.execute(
            update(m.Job).where(m.Job.job_id == job_id, m.Job.status == "running").values(**values)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise JobGone(f"job {job_id} is no longer running")


def fail_job(factory: sessionmaker[Session], job_id: str, reason: str) -> bool:
    """Mark a queued or running job failed and free the slot; False if it had already ended."""
    with transaction(factory) as session:
        done = session.execute(
            update(m.Job)
            .where(m.Job.job_id == job_id, m.Job.status.in_(ACTIVE))
            .values(status="failed", message=reason[:2000], finished_at=now(), running_slot=None)
        )
        return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def worker_alive(pid: int, job_id: str) -> bool:
    """Is process `pid` alive and (where /proc tells) the worker of `job_id`, not a zombie or
    another process that got the pid again?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, under another user
    proc = Path("/proc") / str(pid)
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return False  # gone since
    except OSError:
        return True  # no /proc to ask: os.kill said it exists
    state = stat.rsplit(")", 1)[-1].split()[0:1]
    if state == ["Z"]:
        return False
    return job_id in cmdline


def reap_if_dead(factory: sessionmaker[Session], job: m.Job) -> bool:
    """Mark a queued or running job failed when its worker is gone; True if it was (or had
    already ended)."""
    if job.status not in ACTIVE:
        return True
    if job.job_id in _watched:
        return False  # its thread will say how it ended
    if job.pid is None:
        if now() - job.created_at < NEVER_STARTED:
            return False  # being started
        reason = "the planning worker was never started (the server stopped first)"
    elif worker_alive(job.pid, job.job_id):
        return False
    else:
        reason = f"the planning worker (pid {job.pid}) is no longer running"
    fail_job(factory, job.job_id, reason)
    return True


def recover_jobs(factory: sessionmaker[Session]) -> list[str]:
    """At start-up: every job left queued or running whose worker is gone is marked failed.
    Returns their ids."""
    with factory() as session:
        jobs = list(session.scalars(select(m.Job).where(m.Job.status.in_(ACTIVE))))
    failed = []
    for job in jobs:
        if reap_if_dead(factory, job):
            log.warning("planning job %s: worker gone, marked failed", job.job_id)
            failed.append(job.job_id)
    return failed


def worker_command(job_id: str, seconds: float | None, practice: bool = False) -> list[str]:
    command = [sys.executable, "-m", "api.worker", job_id]
    if seconds is not None:
        command += ["--seconds", repr(float(seconds))]
    if practice:
        command.append("--practice")
    return command


def start_worker(
    factory: sessionmaker[Session],
    url: str,
    job_id: str,
    seconds: float | None,
    *,
    practice: bool = False,
) -> subprocess.Popen[bytes]:
    """Run the job's worker process over the database at `url`, and a thread that marks the job
    failed if the worker ends without finishing it. The job is failed if it cannot start.
    With `practice`, the job plans today's practice as a what-if (`api.practice`)."""
    env = dict(os.environ)
    env["DATABASE_URL"] = url
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    try:
        process = subprocess.Popen(
            worker_command(job_id, seconds, practice),
            env=env,
            stdin=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,  # a Ctrl-C or reload of the server leaves it planning
        )
    except OSError as exc:
        fail_job(factory, job_id, f"the planning worker could not be started: {exc}")
        raise
    with transaction(factory) as session:
        session.execute(
            update(m.Job).where(m.Job.job_id == job_id, m.Job.pid.is_(None)).values(pid=process.pid)
        )
    _watched.add(job_id)
    threading.Thread(
        target=_watch, args=(factory, job_id, process), name=f"job-{job_id}", daemon=True
    ).start()
    return process


def _watch(factory: sessionmaker[Session], job_id: str, process: subprocess.Popen[bytes]) -> None:
    code = process.wait()
    try:
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            reason = f"the planning worker (pid {process.pid}) was killed by {name}"
        else:
            reason = f"the planning worker (pid {process.pid}) exited with code {code}"
        if fail_job(factory, job_id, reason + " before finishing"):
            log.warning("planning job %s failed: %s", job_id, reason)
    except Exception:  # the database may be gone (shutdown): the start-up check will see it
        log.exception("planning job %s: could not record the worker's end", job_id)
    finally:
        _watched.discard(job_id)


# -- the worker's side -------------------------------------------------------------------------

_DAY = re.compile(r"day (\d+)/(\d+)")


def run_job(
    factory: sessionmaker[Session],
    job_id: str,
    seconds: float | None = None,
    *,
    on_progress: Callable[[str], None] | None = None,
    before_commit: Callable[[Session, int], None] | None = None,
    practice: bool = False,
) -> int | None:
    """The worker's work: take the queued job, plan with progress in the job row, store the
    plan and end the job done in one transaction. Returns the plan's id. With `practice`, the
    plan is today's practice, whose figures only are stored (`api.practice`): None."""
    job = begin_job(factory, job_id)
    state = {"day": 0, "days": job.days}

    def progress(line: str) -> None:
        text = line.strip()
        found = _DAY.match(text)
        if found:
            state["day"], state["days"] = int(found[1]), int(found[2])
            set_progress(factory, job_id, text, (state["day"] - 1) / state["days"])
        elif line.startswith(" ") and state["day"]:
            set_progress(factory, job_id, text, state["day"] / state["days"])
        else:
            set_progress(factory, job_id, text)
        if on_progress is not None:
            on_progress(text)

    if practice:
        from api.practice import plan_practice  # it imports this module

        plan_practice(factory, job, seconds=seconds, progress=progress, before_commit=before_commit)
        return None
    plan_id, _ = plan_now(
        factory,
        job.start,
        job.days,
        seconds=seconds,
        job_id=job_id,
        progress=progress,
        before_commit=before_commit,
    )
    return plan_id
