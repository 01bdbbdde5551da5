"""Load test of the patron lookup, GET /pickup/{code}, on loopback with wrk.

Loads the bundled consortium into a fresh database (SQLite file, or --database-url), starts
`bokflyt serve` with the lookup's per-client rate limit lifted (all requests come from one
client here), and runs wrk against real pickup codes (and a share of wrong ones, which must
cost the same). Reports requests per second and the p50/p99 latency, median of --runs runs.

    .venv/bin/python benchmarks/pickup_load.py --runs 5 --workers 2 --connections 32

Needs wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOKFLYT = ROOT / ".venv" / "bin" / "bokflyt"

LUA = """
codes = {}
for line in io.lines("%(codes)s") do codes[#codes + 1] = line end
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/pickup/" .. codes[(counter %% #codes) + 1], {
    ["Accept-Language"] = (counter %% 2 == 0) and "sv" or "en"
  })
end
"""


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk(url: str, script: Path, seconds: int, connections: int, threads: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
         str(script), url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out)[1])  # type: ignore[index]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": float(non2xx[1]) if non2xx else 0.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10, help="length of one wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--wrong-share", type=float, default=0.1, help="share of wrong codes")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="bokflyt-load-"))
    env = dict(os.environ)
    env["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp / 'bokflyt.db'}"
    env["BOKFLYT_PICKUP_RATE_PER_MINUTE"] = "100000000"
    subprocess.run(
        [str(BOKFLYT), "load", str(ROOT / "data" / "bergslagen"), "--codes", str(tmp / "c.csv")],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    with (tmp / "c.csv").open(encoding="utf-8") as handle:
        codes = [row["code"] for row in csv.DictReader(handle)]
    wrong = round(len(codes) * args.wrong_share)
    lines = codes + [f"wrong{k:011d}" for k in range(wrong)]
    (tmp / "codes.txt").write_text("\n".join(lines) + "\n", "utf-8")
    script = tmp / "pickup.lua"
    script.write_text(LUA % {"codes": tmp / "codes.txt"}, "utf-8")

    server = subprocess.Popen(
        [str(BOKFLYT), "serve", "--port", str(args.port), "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        _wrk(base, script, 2, args.connections, args.threads)  # warm-up, not counted
        runs = [
            _wrk(base, script, args.seconds, args.connections, args.threads)
            for _ in range(args.runs)
        ]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    expected_404 = args.wrong_share / (1 + args.wrong_share)
    print(
        f"{len(codes)} codes (+{wrong} wrong), {args.workers} server process(es), wrk "
        f"{args.threads} threads x {args.connections} connections x {args.seconds} s, "
        f"{args.runs} runs, database {env['DATABASE_URL'].split(':')[0]}"
    )
    print("| run | requests/s | p50 ms | p99 ms | non-2xx share |")
    print("|---|---:|---:|---:|---:|")
    for n, r in enumerate(runs, 1):
        share = r["non2xx"] / (r["rps"] * args.seconds)
        print(f"| {n} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {share:.3f} |")
    print(
        f"| median | {statistics.median(r['rps'] for r in runs):.0f} | "
        f"{statistics.median(r['p50'] for r in runs):.2f} | "
        f"{statistics.median(r['p99'] for r in runs):.2f} | (wrong codes: {expected_404:.3f}) |"
    )
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
