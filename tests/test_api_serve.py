"""`bokflyt serve --data DIR` (the README's main command, on a small consortium): a real
server on loopback that loaded the data, printed a planner key, wrote the pickup codes and
planned the coming week before serving."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

from logistics.cli import next_monday

BOKFLYT = Path(sys.executable).with_name("bokflyt")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, key: str | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, headers={"X-API-Key": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_loads_plans_and_answers(tiny: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'bokflyt.db'}")
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [str(BOKFLYT), "serve", "--data", str(tiny), "--port", str(port), "--seconds", "2",
         "--quiet"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if _get(f"{base}/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError((tmp_path / "serve.log").read_text())
        printed = (tmp_path / "serve.log").read_text()
        key = re.search(r"a planner key \(shown once\): (bk_\S+)", printed)
        assert key, printed
        status, current = _get(f"{base}/plans/current", key[1])
        assert status == 200
        assert current["start"] == next_monday(date.today()).isoformat()
        assert _get(f"{base}/plans/current")[0] == 401  # no key, no plan

        with (tmp_path / "out" / "pickup-codes.csv").open(encoding="utf-8") as handle:
            codes = {r["reservation_id"]: r["code"] for r in csv.DictReader(handle)}
        assert set(codes) == {"R1", "R2", "R3", "R4", "R5"}
        status, pickup = _get(f"{base}/pickup/{codes['R1']}")
        assert status == 200 and pickup["branch_id"] == "BBB"
        assert "B library" in str(pickup["message"])
        assert _get(f"{base}/pickup/{codes['R1'][::-1]}")[0] == 404
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
