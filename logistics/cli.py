"""The `bokflyt` command: plan, check, eta, print, simulate, generate, bench."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from logistics.errors import BokflytError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def next_monday(today: date) -> date:
    """The Monday of the coming week (today + 1..7 days)."""
    return today + timedelta(days=7 - today.weekday())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bokflyt", description="Plan courier runs for reserved library items."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plan", help="plan the courier runs of a horizon and write the plan files")
    p.add_argument("--data", type=Path, required=True, help="scenario folder (CSV contract)")
    p.add_argument("--start", type=_date, help="first day (default: the coming Monday)")
    p.add_argument("--days", type=int, default=5, help="days in the horizon (default 5)")
    p.add_argument("--out", type=Path, required=True, help="folder for the plan files")
    p.add_argument("--seconds", type=float, help="solver budget for the whole horizon")
    p.add_argument("--seed", type=int, help="seed (default: settings.toml's)")
    p.add_argument("--vans", type=Path, help="a vans.csv to use instead of the scenario's")
    p.add_argument(
        "--sourcing",
        choices=("joint", "greedy"),
        default="joint",
        help="joint: choose copies for all reservations at once (default); greedy: today's "
        "practice, nearest copy by km one reservation at a time",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines")

    c = sub.add_parser("check", help="check a plan against its data; exit 1 on any violation")
    c.add_argument("--data", type=Path, required=True)
    c.add_argument("--plan", type=Path, required=True)
    c.add_argument("--vans", type=Path, help="the vans.csv the plan was made with (plan --vans)")

    e = sub.add_parser("eta", help="print a reservation's expected and promised pickup date")
    e.add_argument("--data", type=Path, required=True)
    e.add_argument("--plan", type=Path, required=True, help="a plan folder (bokflyt plan --out)")
    e.add_argument("--reservation", required=True, help="reservation_id")

    m = sub.add_parser("simulate", help="plan day after day with disturbances; check promises")
    m.add_argument("--data", type=Path, required=True, help="scenario folder (static files)")
    m.add_argument("--weeks", type=int, default=2)
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--start", type=_date, help="first day (default: the coming Monday)")
    m.add_argument("--sourcing", choices=("joint", "greedy"), default="joint")
    m.add_argument("--seconds", type=float, default=2.0, help="solver seconds per day")
    m.add_argument("--scale", type=float, default=1.0, help="demand volume factor")
    m.add_argument("--vans", type=Path, help="a vans.csv to use instead of the scenario's")
    m.add_argument("--quiet", action="store_true", help="no progress bar")

    g = sub.add_parser("generate", help="generate a week of demand for a scenario folder")
    g.add_argument("--static", type=Path, required=True, help="folder with the static files")
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--start", type=_date, required=True)
    g.add_argument("--days", type=int, default=5)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--scale", type=float, default=1.0)

    r = sub.add_parser(
        "print",
        help="print a day's pull lists, packing lists, crate labels, route sheets "
        "or arrivals (PDF, or CSV)",
    )
    r.add_argument(
        "document",
        choices=("pull", "packing", "labels", "route", "arrivals", "all"),
        help="all: every document that applies to the branch, the van, or everyone",
    )
    r.add_argument("--plan", type=Path, required=True, help="a plan folder (bokflyt plan --out)")
    r.add_argument("--data", type=Path, required=True, help="the scenario folder it was made from")
    r.add_argument("--date", type=_date, required=True, help="the day (YYYY-MM-DD)")
    who = r.add_mutually_exclusive_group()
    who.add_argument("--branch", help="one branch (default: every branch with something to do)")
    who.add_argument("--van", help="one van (route sheets, packing lists; default: every van)")
    r.add_argument(
        "--out", type=Path, required=True,
        help="the file to write (.pdf, or .csv; a folder for all --csv)",
    )  # fmt: skip
    r.add_argument("--lang", choices=("sv", "en"), default="sv", help="language (default sv)")
    r.add_argument("--csv", action="store_true", help="write CSV rows instead of a PDF")

    s = sub.add_parser(
        "serve",
        help="run the service (migrating its database first; DATABASE_URL or "
        "the SQLite file bokflyt.db)",
    )
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument(
        "--data", type=Path,
        help="a scenario folder to load when the database has no consortium yet; then the "
        "coming week is planned when there is no current plan",
    )  # fmt: skip
    s.add_argument("--seconds", type=float, help="solver budget of that first plan")
    s.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    s.add_argument(
        "--codes", type=Path, default=Path("out/pickup-codes.csv"),
        help="where --data's first load writes the reservations' pickup codes "
        "(default out/pickup-codes.csv)",
    )  # fmt: skip
    s.add_argument("--quiet", action="store_true", help="no progress lines while planning")

    ld = sub.add_parser("load", help="load a scenario folder into the service's database")
    ld.add_argument("folder", type=Path)
    ld.add_argument(
        "--codes", type=Path,
        help="write the reservations' new pickup codes here (CSV: reservation_id, code); "
        "the database keeps only their hashes",
    )  # fmt: skip

    k = sub.add_parser("keys", help="API keys of the service")
    ksub = k.add_subparsers(dest="keys_command", required=True)
    kc = ksub.add_parser("create", help="create a key and print it (once)")
    kc.add_argument("--role", choices=("planner", "staff", "driver"), required=True)
    kc.add_argument("--branch", help="the branch of a staff key")
    kr = ksub.add_parser("revoke", help="revoke a key: from now on it gets 401")
    kr.add_argument("key_id", help="the key's id (bk_<key_id>_...; or the whole key)")
    ksub.add_parser("list", help="list the keys: id, role, branch, created, revoked (no secrets)")

    b = sub.add_parser("bench", help="solve a public benchmark instance")
    bsub = b.add_subparsers(dest="benchmark", required=True)
    pd = bsub.add_parser("pdptw", help="a Li & Lim PDPTW instance; prints JSON")
    pd.add_argument("file", type=Path)
    pd.add_argument("--seconds", type=float, default=10.0)
    pd.add_argument("--workers", type=int, default=2)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "plan":
            return _plan(args)
        if args.command == "check":
            from logistics.check import main_check

            return main_check(_with_vans(args.data, args.vans), args.plan)
        if args.command == "eta":
            return _eta(args)
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "generate":
            from logistics.generate import generate_demand

            summary = generate_demand(
                args.static, args.out, args.start, args.days, args.seed, args.scale
            )
            print(summary)
            return 0
        if args.command in ("serve", "load", "keys"):
            from api.cli import run

            return run(args)
        if args.command == "print":
            return _print(args)
        if args.command == "bench":
            from logistics.pdptw import read_li_lim, solve_li_lim

            result = solve_li_lim(read_li_lim(args.file), args.seconds, workers=args.workers)
            print(json.dumps(result, indent=2))
            return 0
    except BokflytError as exc:
        print(f"bokflyt: {exc}", file=sys.stderr)
        return 2
    return 2  # pragma: no cover


def _with_vans(data: Path, vans: Path | None) -> Path:
    """The scenario folder, or a copy of it with another vans.csv (a what-if without editing
    the folder)."""
    if vans is None:
        return data
    if not vans.is_file():
        raise BokflytError(f"{vans}: no such vans file")
    tmp = Path(tempfile.mkdtemp(prefix="bokflyt-"))
    shutil.copytree(data, tmp / data.name)
    shutil.copyfile(vans, tmp / data.name / "vans.csv")
    return tmp / data.name


def _plan(args: argparse.Namespace) -> int:
    from logistics.load import load_scenario
    from logistics.plan import write_plan
    from logistics.planner import plan
    from logistics.report import format_summary

    data = _with_vans(args.data, args.vans)
    if args.days < 1:
        print("bokflyt: --days must be at least 1", file=sys.stderr)
        return 2
    scenario = load_scenario(data)
    start = args.start or next_monday(date.today())
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    result = plan(
        scenario,
        start,
        args.days,
        seconds=args.seconds,
        seed=args.seed,
        progress=progress,
        sourcing_method=args.sourcing,
    )
    write_plan(result, args.out)
    print(format_summary(scenario, result, args.out))
    return 0


def _eta(args: argparse.Namespace) -> int:
    from logistics.load import load_scenario
    from logistics.plan import read_plan

    scenario = load_scenario(args.data)
    if not (args.plan / "reservations.csv").exists():
        print(
            f"bokflyt: {args.plan} has no reservations.csv (plan it again with this version)",
            file=sys.stderr,
        )
        return 1
    found = [p for p in read_plan(args.plan).reservations if p.reservation_id == args.reservation]
    if not found:
        known = any(r.reservation_id == args.reservation for r in scenario.reservations)
        why = "has no date in this plan" if known else "is not in reservations.csv"
        print(f"bokflyt: reservation {args.reservation} {why}", file=sys.stderr)
        return 1
    p = found[0]
    pickup = scenario.branches.get(p.pickup_branch_id)
    branch = p.pickup_branch_id if pickup is None else pickup.name
    print(f"reservation {p.reservation_id}: pick up at {branch} ({p.pickup_branch_id})")
    print(f"  copy: {p.item_id or '-'} from {p.source_branch_id or '-'}; status: {p.status}")
    expected = p.expected_ready_date.isoformat() if p.expected_ready_date else "-"
    promise = p.promise_date.isoformat() if p.promise_date else "-"
    print(f"  expected ready: {expected}; promised: {promise}")
    print(f"  sv: {p.message_sv}")
    print(f"  en: {p.message_en}")
    return 0


def _print(args: argparse.Namespace) -> int:
    from logistics.documents import documents, write_csv
    from logistics.load import load_scenario
    from logistics.pdf import write_pdf
    from logistics.plan import read_plan

    scenario = load_scenario(args.data)
    docs = documents(
        args.document,
        scenario,
        read_plan(args.plan),
        args.date,
        branch_id=args.branch,
        van_id=args.van,
        lang=args.lang,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.csv:
        written = write_csv(args.document, docs, args.out)
        where = ", ".join(str(p) for p in written)
    else:
        write_pdf(docs, args.out)
        where = f"{args.out} (PDF)"
    print(f"{len(docs)} document(s) for {args.date}: {where}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from logistics.simulate import simulate

    if args.weeks < 1:
        print("bokflyt: --weeks must be at least 1", file=sys.stderr)
        return 2
    data = _with_vans(args.data, args.vans)
    start = args.start or next_monday(date.today())

    def bar(done: int, total: int, text: str) -> None:
        filled = round(30 * done / total)
        line = f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} days {text}"
        print(line, end="\n" if done == total else "", file=sys.stderr, flush=True)

    report = simulate(
        data,
        start,
        args.weeks,
        args.seed,
        method=args.sourcing,
        seconds_per_day=args.seconds,
        scale=args.scale,
        progress=None if args.quiet else bar,
    )
    print(
        json.dumps(
            {
                "start": start.isoformat(),
                "weeks": args.weeks,
                "sourcing": args.sourcing,
                "seed": args.seed,
                **report.figures(),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
