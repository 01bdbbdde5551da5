"""Wall time of `bokflyt plan` on the bundled consortium: one day and the week, both fleets.

Run on purpose (not in CI); prints a Markdown table of the median of --runs runs:
    .venv/bin/python benchmarks/plan_speed.py --runs 3
Each run is a fresh process (loading, sourcing, routing, writing the plan), as a planner runs it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "bergslagen"


def wall(days: int, vans: str) -> float:
    """Seconds of one `bokflyt plan` run."""
    with tempfile.TemporaryDirectory() as out:
        command = [
            sys.executable, "-m", "logistics.cli", "plan", "--data", str(DATA),
            "--vans", str(DATA / vans), "--start", "2026-11-30", "--days", str(days),
            "--out", out, "--quiet",
        ]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| fleet | horizon | median wall s | runs (s) |")
    print("|---|---|---:|---|")
    for vans in ("vans.csv", "vans_two_daily.csv"):
        for days in (1, 5):
            times = [wall(days, vans) for _ in range(args.runs)]
            shown = ", ".join(f"{t:.1f}" for t in times)
            print(f"| {vans} | {days} day(s) | {statistics.median(times):.1f} | {shown} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
