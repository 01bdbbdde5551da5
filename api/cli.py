"""`bokflyt serve`, `bokflyt load` and `bokflyt keys create`."""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from api import models as m
from api.auth import create_key
from api.db import database_url, make_engine, migrate, sessions, transaction
from api.store import current_plan_id, get_meta, load_folder


def run(args: argparse.Namespace) -> int:
    url = database_url()
    migrate(url)
    factory = sessions(make_engine(url))
    if args.command == "load":
        codes: dict[str, str] = {}
        with transaction(factory) as session:
            counts = load_folder(session, args.folder, codes)
        if args.codes:
            _write_codes(args.codes, codes)
        print("loaded " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        return 0
    if args.command == "keys":  # create (the key printed once), revoke, list (no secrets)
        from api.auth import list_keys, revoke_key

        command = getattr(args, "keys_command", "create")
        if command == "list":
            with transaction(factory, write=False) as session:
                keys = list_keys(session)
            print("key_id\trole\tbranch\tcreated\trevoked")
            for k in keys:
                when = "" if k.revoked_at is None else k.revoked_at.isoformat(sep=" ")
                print(
                    f"{k.key_id}\t{k.role}\t{k.branch_id or ''}\t"
                    f"{k.created_at.isoformat(sep=' ')}\t{when}"
                )
            return 0
        if command == "revoke":
            try:
                with transaction(factory) as session:
                    row = revoke_key(session, args.key_id)
                    key_id, revoked = row.key_id, row.revoked_at
            except KeyError as missing:  # (its id only: the argument may be a whole key)
                print(
                    f"bokflyt: no key {missing.args[0]!r} (keys list shows them)", file=sys.stderr
                )
                return 2
            assert revoked is not None
            print(f"key {key_id} revoked at {revoked.isoformat(sep=' ')}: it now gets 401")
            return 0
        try:
            with transaction(factory) as session:
                key = create_key(session, args.role, args.branch)
        except ValueError as exc:
            print(f"bokflyt: {exc}", file=sys.stderr)
            return 2
        print(key)
        return 0
    return _serve(args, url, factory)


def _serve(args: argparse.Namespace, url: str, factory: sessionmaker[Session]) -> int:
    """Serve; with --data, first make the database ready to use: the consortium loaded (with a
    planner key and the pickup codes handed out once), and a current plan for the coming week."""
    import uvicorn

    if args.data is not None:
        _prepare(args, factory)
    print(f"serving {url.split('://')[0]} on http://{args.host}:{args.port} (docs at /docs)")
    print(f"planner page: http://{args.host}:{args.port}/ui/planner", flush=True)
    os.environ["DATABASE_URL"] = url  # each worker process builds its app from it
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
    )
    return 0


def _prepare(args: argparse.Namespace, factory: sessionmaker[Session]) -> None:
    from api.jobs import plan_now
    from api.store import export_folder
    from logistics.cli import next_monday
    from logistics.load import load_scenario
    from logistics.report import format_summary

    with factory() as session:
        loaded = get_meta(session, "consortium") is not None
    if not loaded:
        codes: dict[str, str] = {}
        with transaction(factory) as session:
            counts = load_folder(session, args.data, codes)
            key = create_key(session, "planner")
        print("loaded " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        args.codes.parent.mkdir(parents=True, exist_ok=True)
        _write_codes(args.codes, codes)
        print(f"the reservations' pickup codes (shown once) are in {args.codes}")
        print(f"a planner key (shown once): {key}")
    start = next_monday(date.today())
    with factory() as session:
        plan_id = current_plan_id(session)
        current = None if plan_id is None else session.get(m.PlanRecord, plan_id)
    if current is not None and current.start >= start:
        print(f"current plan {plan_id}: {current.days} day(s) from {current.start}")
        return
    print(f"planning the week from {start} ...", flush=True)
    progress = None if args.quiet else (lambda line: print(line, flush=True))
    plan_id, result = plan_now(factory, start, 5, seconds=args.seconds, progress=progress)
    with tempfile.TemporaryDirectory(prefix="bokflyt-") as tmp, factory() as session:
        scenario = load_scenario(export_folder(session, Path(tmp)))
    print(format_summary(scenario, result))
    print(f"plan {plan_id} is current")


def _write_codes(path: Path, codes: dict[str, str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("reservation_id", "code"))
        writer.writerows(sorted(codes.items()))
