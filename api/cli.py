"""`bokflyt serve`, `bokflyt load` and `bokflyt keys create`."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

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
            with args.codes.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(("reservation_id", "code"))
                writer.writerows(sorted(codes.items()))
        print("loaded " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        return 0
    if args.command == "keys":
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
    import uvicorn

    from api.jobs import plan_now
    from logistics.cli import next_monday

    if args.data is not None:
        with factory() as session:
            loaded = get_meta(session, "consortium") is not None
        if not loaded:
            with transaction(factory) as session:
                counts = load_folder(session, args.data)
            print("loaded " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        with factory() as session:
            planned = current_plan_id(session) is not None
        if not planned:
            start = next_monday(date.today())
            print(f"planning the week from {start} ...", flush=True)
            plan_id, result = plan_now(factory, start, 5, seconds=args.seconds)
            summary = result.summary()
            print(
                f"plan {plan_id}: {summary['runs']} runs, {summary['km']} km, "
                f"{summary['items_moved']} items moved, "
                f"{summary['items_unplanned']} not planned"
            )
    print(f"serving {url.split('://')[0]} on http://{args.host}:{args.port} (docs at /docs)")
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
