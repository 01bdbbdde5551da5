"""A plan summarised for a transport planner, as plain text."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from logistics.load import format_hhmm
from logistics.model import Scenario
from logistics.plan import Plan, RouteRow


def format_summary(scenario: Scenario, plan: Plan, out: Path | None = None) -> str:
    """Runs per day (stops, km, hours, crates), delivery times and what could not be planned."""
    s = plan.summary()
    lines = [
        f"bokflyt plan for {scenario.name}: {plan.start.isoformat()}, {plan.days} day(s), "
        f"{len(scenario.vans)} van(s)",
        "",
    ]
    runs: dict[tuple[str, str], list[RouteRow]] = {}
    for r in plan.routes:
        runs.setdefault((r.day.isoformat(), r.van_id), []).append(r)
    for (day, van), rows in sorted(runs.items()):
        rows.sort(key=lambda r: r.seq)
        stops = [r.branch_id for r in rows if r.kind == "stop"]
        km = sum(r.km_from_prev for r in rows)
        start, end = rows[0].departure or 0, rows[-1].arrival or 0
        crates = sum(r.crates_on for r in rows)
        lines.append(
            f"{day} {van}: {format_hhmm(start)}-{format_hhmm(end)}, {km:.0f} km, "
            f"{crates} crates, {len(stops)} stops: {' '.join(stops)}"
        )
    if not runs:
        lines.append("no van runs in this horizon")
    hist = s["transit_days"]
    share = s["share_within_1_working_day"]
    lines += [
        "",
        f"total: {s['runs']} runs, {s['km']:.0f} km, {s['drive_minutes'] / 60:.1f} van hours, "
        f"{s['crates']} crates",
        f"items moved: {s['items_moved']}; reservations filled at the pickup branch: "
        f"{s['items_filled_on_the_spot']}",
        "transit (working days): "
        + (", ".join(f"{k}: {v}" for k, v in hist.items()) if hist else "none"),
    ]
    if share is not None:
        lines.append(f"delivered within 1 working day: {share:.1%}")
    reasons = Counter(_reason_kind(u.reason) for u in plan.unplanned)
    lines.append(f"not planned: {len(plan.unplanned)}")
    lines += [f"  {n} x {reason}" for reason, n in reasons.most_common()]
    if plan.reservations:
        statuses = Counter(p.status for p in plan.reservations)
        lines.append(
            "patron dates: "
            + ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(statuses.items()))
            + " (reservations.csv)"
        )
    lines.append(f"solver time: {plan.solve_seconds:.1f} s")
    if out is not None:
        lines.append(f"plan files in {out}/ (routes.csv, crates.csv, deliveries.csv, ...)")
    return "\n".join(lines)


def _reason_kind(reason: str) -> str:
    """A reason without its specifics (ids, dates, counts, branches), for counting."""
    reason = reason.split(" (")[0]
    return re.sub(r"\b(?:[\w-]*\d[\w-]*|[A-ZÅÄÖ]{2,})\b", "…", reason)
