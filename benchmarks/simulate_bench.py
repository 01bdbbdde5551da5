"""Promises and sourcing over simulated weeks: joint sourcing against greedy (today's practice).

Run on purpose, not in CI:

    .venv/bin/python benchmarks/simulate_bench.py --weeks 8 [--seconds 1] [--scale 1.0 0.3]

For each vans file of the bundled consortium and each demand scale, `logistics.simulate`
runs the planner day after day (with the default disturbances and lookahead) once with
`--sourcing joint` and once with `--sourcing greedy` (or only those given to `--sourcing`), on
the same generated demand and the same disturbance draws (`--seed`, 1 unless told), and writes
one Markdown table to benchmarks/results/simulate.md.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from logistics.cli import _with_vans
from logistics.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "bergslagen"
RESULTS = ROOT / "benchmarks" / "results" / "simulate.md"
START = date(2026, 11, 30)
COLUMNS = (
    "fleet", "scale", "sourcing", "reservations", "promised", "judged", "kept", "tight ≤1 wd",
    "kept if told before the pull", "told later (share, mean wd)",
    "waiting mean", "median", "p90", "km", "crates", "events", "late by cause", "wall s",
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=1.0, help="solver seconds per day")
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0])
    parser.add_argument("--vans", nargs="+", default=["vans.csv", "vans_two_daily.csv"])
    parser.add_argument("--seed", type=int, default=1, help="seed of demand and disturbances")
    parser.add_argument("--sourcing", nargs="+", default=["joint", "greedy"])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    lines = [
        f"Simulated {args.weeks} weeks from {START}, seed {args.seed}, "
        f"{args.seconds} solver s per day.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for vans in args.vans:
        data = _with_vans(BUNDLED, BUNDLED / vans)
        for scale in args.scale:
            for method in args.sourcing:
                began = time.monotonic()
                r = simulate(
                    data, START, args.weeks, args.seed, method=method,
                    seconds_per_day=args.seconds, scale=scale,
                )  # fmt: skip
                f = r.figures()
                events = ", ".join(f"{k} {v}" for k, v in sorted(r.events.items()))
                by_cause = ", ".join(f"{k} {v}" for k, v in sorted(r.late_causes.items()))
                causes = f"{r.late} late: {by_cause}; never ready {r.late_never_ready}"
                cells = [
                    vans, f"{scale:g}", method, str(r.reservations), str(r.promised),
                    str(r.judged), _share(f["kept_share"]), _share(f["tight_share"]),
                    _share(f["first_date_kept_share"]),
                    f"{_share(f['told_later_share'])}, {f['told_later_mean']}",
                    str(f["waiting_mean"]), str(f["waiting_median"]), str(f["waiting_p90"]),
                    f"{r.km:.0f}", str(r.crates), events, causes, f"{time.monotonic() - began:.0f}",
                ]  # fmt: skip
                lines.append("| " + " | ".join(cells) + " |")
                print(lines[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


def _share(value: float | int | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


if __name__ == "__main__":
    raise SystemExit(main())
