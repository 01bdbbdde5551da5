"""The planning worker: `python -m api.worker JOB_ID [--seconds S] [--practice]`, started by the
service for each planning job, over the database of DATABASE_URL (--practice: the what-if of
today's practice, `api.practice`).

It takes the queued job (running, with its pid), reports progress in the job row, and stores
the plan, makes it current and ends the job done in one transaction (`api.jobs.plan_now`). On
an error it marks the job failed with the reason and exits 1; nothing of the plan is stored.
Signals keep their default action (SIGTERM ends it at once, even inside the solver): the
database rolls back what it had not committed, and the service marks the job failed
(`api.jobs`: the thread waiting on it, or the start-up check).

Test hook: BOKFLYT_WORKER_FAULT makes it fail on purpose, to prove that a failure leaves the
previous plan current and nothing half-written:
- `crash-planning`: raise after the first day's routing has started;
- `crash-storing`: raise inside the storing transaction, after the plan's rows are written;
- `pause-storing:PATH`: inside that transaction, create the file PATH and sleep (to be killed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from api.db import make_engine, sessions
from api.jobs import JobGone, fail_job, run_job
from logistics.errors import BokflytError

FAULT_ENV = "BOKFLYT_WORKER_FAULT"


class InjectedFault(RuntimeError):
    """A failure asked for by BOKFLYT_WORKER_FAULT."""


def _faults() -> tuple[Callable[[str], None] | None, Callable[[Session, int], None] | None]:
    fault = os.environ.get(FAULT_ENV, "")
    if fault == "crash-planning":

        def on_progress(line: str) -> None:
            if line.startswith("day "):
                raise InjectedFault(f"{FAULT_ENV}=crash-planning while planning: {line}")

        return on_progress, None
    if fault == "crash-storing":

        def crash(_: Session, plan_id: int) -> None:
            raise InjectedFault(f"{FAULT_ENV}=crash-storing with plan {plan_id} written")

        return None, crash
    if fault.startswith("pause-storing:"):
        flag = Path(fault.split(":", 1)[1])

        def pause(_: Session, plan_id: int) -> None:
            flag.write_text(str(plan_id))
            time.sleep(120)

        return None, pause
    return None, None


def reason_of(exc: BaseException) -> str:
    if isinstance(exc, BokflytError):
        return f"planning failed: {exc}"
    return f"planning failed: {type(exc).__name__}: {exc}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.worker", description=__doc__)
    parser.add_argument("job_id")
    parser.add_argument("--seconds", type=float, default=None, help="solver budget")
    parser.add_argument(
        "--practice", action="store_true", help="plan today's practice as a what-if (not current)"
    )
    args = parser.parse_args(argv)
    engine = make_engine()
    factory = sessions(engine)
    on_progress, before_commit = _faults()
    try:
        run_job(
            factory,
            args.job_id,
            args.seconds,
            on_progress=on_progress,
            before_commit=before_commit,
            practice=args.practice,
        )
    except JobGone as exc:
        print(f"bokflyt worker: {exc}", file=sys.stderr)
        return 3
    except BaseException as exc:
        traceback.print_exc()
        try:
            fail_job(factory, args.job_id, reason_of(exc))
        except Exception:
            traceback.print_exc()
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
