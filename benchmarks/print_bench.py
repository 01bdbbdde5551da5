"""Time of making all of one day's printouts: every kind, for every branch and van.

Run on purpose (not in CI); prints a Markdown table of the median of --runs runs:
    .venv/bin/python benchmarks/print_bench.py --plan out/week --data data/bergslagen
Each run, in this process, loads the scenario and the plan (load_scenario + read_plan), then for
each kind builds the documents of every branch or van with something to do that day, writes
them as one PDF file (all branches or vans in it) and as one CSV file into a temporary folder.
The day is --date or else the plan's busiest day by crate legs. Pages are counted afterwards
(pypdf, not timed) in the last run's files.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pypdf import PdfReader

from logistics.documents import KINDS, LANGS, documents, write_csv
from logistics.load import load_scenario
from logistics.pdf import write_pdf
from logistics.plan import Plan, read_plan


@dataclass
class Run:
    """Seconds of one run, and what it made."""

    load: float = 0.0
    build: dict[str, float] = field(default_factory=dict)  # documents()
    pdf: dict[str, float] = field(default_factory=dict)  # write_pdf
    csv: dict[str, float] = field(default_factory=dict)  # write_csv
    total: float = 0.0
    docs: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    pages: dict[str, int] = field(default_factory=dict)

    def kind(self, kind: str) -> float:
        return self.build[kind] + self.pdf[kind] + self.csv[kind]


def busiest_day(plan: Plan) -> date:
    """The day with the most crate legs (the earliest of equals)."""
    legs = Counter(c.day for c in plan.crates)
    if not legs:
        raise SystemExit(f"the plan from {plan.start} has no crate legs: give --date")
    return min(legs, key=lambda d: (-legs[d], d))


def run_once(plan_dir: Path, data_dir: Path, day: date, lang: str) -> Run:
    """Load, then build and write every kind for every branch and van of `day`."""
    run = Run()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        started = time.perf_counter()
        scenario = load_scenario(data_dir)
        plan = read_plan(plan_dir)
        run.load = time.perf_counter() - started
        for kind in KINDS:
            t0 = time.perf_counter()
            docs = documents(kind, scenario, plan, day, lang=lang)
            t1 = time.perf_counter()
            write_pdf(docs, out / f"{kind}.pdf")
            t2 = time.perf_counter()
            write_csv(kind, docs, out / f"{kind}.csv")
            t3 = time.perf_counter()
            run.build[kind], run.pdf[kind], run.csv[kind] = t1 - t0, t2 - t1, t3 - t2
            run.docs[kind] = len(docs)
            run.rows[kind] = sum(len(d.csv_rows) for d in docs)
        run.total = time.perf_counter() - started
        for kind in KINDS:
            run.pages[kind] = len(PdfReader(out / f"{kind}.pdf").pages)
    return run


def table(runs: list[Run]) -> list[str]:
    """The Markdown table: medians over the runs (the total is the median of the run totals,
    not the sum of the medians)."""

    def med(values: list[float]) -> str:
        return f"{statistics.median(values):.2f}"

    def each(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    last = runs[-1]
    lines = [
        "| step | documents | pages | CSV rows | median s | build s | PDF s | CSV s | runs (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    loads = [r.load for r in runs]
    lines.append(f"| load (scenario + plan) | | | | {med(loads)} | | | | {each(loads)} |")
    for kind in KINDS:
        times = [r.kind(kind) for r in runs]
        parts = " | ".join(
            med([getattr(r, step)[kind] for r in runs]) for step in ("build", "pdf", "csv")
        )
        lines.append(
            f"| {kind} | {last.docs[kind]} | {last.pages[kind]} | {last.rows[kind]} "
            f"| {med(times)} | {parts} | {each(times)} |"
        )
    totals = [r.total for r in runs]
    docs, pages = sum(last.docs.values()), sum(last.pages.values())
    rows = sum(last.rows.values())
    lines.append(
        f"| **total** | {docs} | {pages} | {rows} | **{med(totals)}** | | | | {each(totals)} |"
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, required=True, help="a plan folder (bokflyt plan)")
    parser.add_argument("--data", type=Path, required=True, help="its scenario folder")
    parser.add_argument("--date", type=date.fromisoformat, help="default: the busiest day")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lang", choices=LANGS, default="sv")
    args = parser.parse_args()
    plan = read_plan(args.plan)
    day: date = args.date or busiest_day(plan)
    legs = sum(1 for c in plan.crates if c.day == day)
    vans = len({r.van_id for r in plan.routes if r.day == day})
    runs = [run_once(args.plan, args.data, day, args.lang) for _ in range(args.runs)]
    print(
        f"plan {args.plan}, {day.isoformat()} ({legs} crate legs, {vans} van run(s)), "
        f"lang {args.lang}, median of {args.runs} run(s)\n"
    )
    print("\n".join(table(runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
