"""Load test of the patron lookup, GET /pickup/{code}, on loopback with wrk.

Loads the bundled consortium into a fresh database (SQLite file, or --database-url), starts
`bokflyt serve --workers W` with the lookup's per-client rate limit lifted (all requests come
from one client here), and runs wrk against the real pickup codes mixed with a share of wrong
ones. Reports requests per second, the p50/p99 latency and the server processes' CPU time per
request (/proc; the database server's is not in it) of each run and their medians, for each
--connections count. Then a wrong code must cost the same as a right one: wrk runs with only
right codes and with only wrong codes, alternated, at one connection (no queueing) and at the
first --connections count, their medians side by side. On a shared machine the CPU time per
request moves much less than the latencies do; the load average is printed along.

    .venv/bin/python benchmarks/pickup_load.py --runs 5 --workers 2 --connections 32 64
    .venv/bin/python benchmarks/pickup_load.py --database-url postgresql://... (a database
        of its own: its consortium is replaced)

Each wrk thread walks the (shuffled) list of codes from its own offset, so the threads ask for
different codes; the sv/en Accept-Language alternates. Needs wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOKFLYT = ROOT / ".venv" / "bin" / "bokflyt"
AIM_RPS, AIM_P99_MS = 1000.0, 25.0

# setup() runs in the main Lua state once per thread before it starts; init() in the thread's
# own state, which has `id` by then. Requests are formatted once, in init().
LUA = """
local count = 0
function setup(thread)
  thread:set("id", count)
  count = count + 1
end

function init(args)
  requests = {}
  for line in io.lines("%(codes)s") do
    local n = #requests + 1
    requests[n] = wrk.format("GET", "/pickup/" .. line, {
      ["Accept-Language"] = (n %% 2 == 0) and "sv" or "en"
    })
  end
  counter = math.floor(id * #requests / %(threads)d)
end

function request()
  counter = counter + 1
  return requests[(counter %% #requests) + 1]
end
"""


@dataclass(frozen=True)
class Run:
    """One wrk run."""

    rps: float
    p50: float  # ms
    p99: float  # ms
    requests: int
    non2xx: int
    socket_errors: int  # connect, read, write and timeouts (timeouts are not in the latencies)
    cpu_us: float  # CPU time of the server's processes per request (not the database's)
    load1: float  # the 1-minute load average just after the run

    @property
    def non2xx_share(self) -> float:
        return self.non2xx / self.requests if self.requests else 0.0


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"not a wrk time: {text!r}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}[match[2]]
    return float(match[1]) * scale


def _find(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"no {pattern!r} in wrk's output:\n{text}")
    return match[1]


def cpu_seconds(group: int) -> float:
    """User + system CPU seconds of the live processes of a process group (Linux /proc)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == group:  # pgrp; utime and stime are fields 14 and 15 of stat
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(url: str, script: Path, seconds: int, connections: int, threads: int, group: int) -> Run:
    """One wrk run; `group` is the server's process group, whose CPU time is counted."""
    threads = min(threads, connections)  # wrk wants at least one connection a thread
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-s", str(script), url,
    ]  # fmt: skip
    cpu = cpu_seconds(group)
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    cpu = cpu_seconds(group) - cpu
    requests = int(_find(r"(\d+) requests in", out))
    errors = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Run(
        rps=float(_find(r"Requests/sec:\s+([\d.]+)", out)),
        p50=_ms(_find(r"\s50%\s+(\S+)", out)),
        p99=_ms(_find(r"\s99%\s+(\S+)", out)),
        requests=requests,
        non2xx=int(non2xx[1]) if non2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        cpu_us=cpu / requests * 1e6 if requests else 0.0,
        load1=os.getloadavg()[0],
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _write_lua(path: Path, codes: list[str], threads: int) -> Path:
    (path.with_suffix(".txt")).write_text("\n".join(codes) + "\n", "utf-8")
    path.write_text(LUA % {"codes": path.with_suffix(".txt"), "threads": threads}, "utf-8")
    return path


def _wait_healthy(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not come up; its log:\n{log.read_text('utf-8')[-3000:]}")


def _median(runs: list[Run], what: str) -> float:
    return statistics.median(float(getattr(r, what)) for r in runs)


def _aim(runs: list[Run]) -> str:
    rps, p99 = _median(runs, "rps"), _median(runs, "p99")
    return "met" if rps >= AIM_RPS and p99 < AIM_P99_MS else "not met"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="wrk runs per connection count")
    parser.add_argument("--seconds", type=int, default=10, help="length of one wrk run")
    parser.add_argument("--connections", type=int, nargs="+", default=[32])
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--wrong-share", type=float, default=0.1, help="share of wrong codes")
    parser.add_argument(
        "--compare-runs", type=int, default=3,
        help="right-only and wrong-only wrk runs each (0: no comparison)",
    )  # fmt: skip
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    tmp = Path(tempfile.mkdtemp(prefix="bokflyt-load-"))
    try:
        return _bench(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _bench(args: argparse.Namespace, tmp: Path) -> int:
    env = dict(os.environ)
    env["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp / 'bokflyt.db'}"
    env["BOKFLYT_PICKUP_RATE_PER_MINUTE"] = "100000000"
    subprocess.run(
        [str(BOKFLYT), "load", str(ROOT / "data" / "bergslagen"), "--codes", str(tmp / "c.csv")],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    with (tmp / "c.csv").open(encoding="utf-8") as handle:
        right = [row["code"] for row in csv.DictReader(handle)]
    known = set(right)
    wrong: list[str] = []
    while len(wrong) < len(right):  # the same shape as the real ones (store.new_code)
        code = secrets.token_urlsafe(12)
        if code not in known:
            wrong.append(code)
    shuffle = random.Random(20261130)
    mixed = right + wrong[: round(len(right) * args.wrong_share)]
    for codes in (right, wrong, mixed):
        shuffle.shuffle(codes)
    scripts = {
        name: _write_lua(tmp / f"{name}.lua", codes, args.threads)
        for name, codes in (("mixed", mixed), ("right", right), ("wrong", wrong))
    }

    load_before = os.getloadavg()
    port = args.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [str(BOKFLYT), "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def measure(codes: str, connections: int, seconds: int = args.seconds) -> Run:
        return wrk(base, scripts[codes], seconds, connections, args.threads, server.pid)

    try:
        _wait_healthy(base, server, log)
        measure("mixed", max(args.connections), 3)  # warm-up, not counted
        runs = {c: [measure("mixed", c) for _ in range(args.runs)] for c in args.connections}
        compared: dict[int, dict[str, list[Run]]] = {}
        for c in sorted({1, args.connections[0]}) if args.compare_runs else []:
            compared[c] = {"right": [], "wrong": []}
            for k in range(args.compare_runs):  # alternated, so a drift hits both alike
                for kind in ("right", "wrong") if k % 2 == 0 else ("wrong", "right"):
                    compared[c][kind].append(measure(kind, c))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

    database = env["DATABASE_URL"].split(":")[0]
    print(
        f"{len(right)} codes (+{len(mixed) - len(right)} wrong in the mix), database {database}, "
        f"{args.workers} server process(es), wrk {args.threads} thread(s) x {args.seconds} s, "
        f"{args.runs} runs per connection count; load average before: "
        + ", ".join(f"{x:.2f}" for x in load_before)
    )
    expected = (len(mixed) - len(right)) / len(mixed)
    print()
    print(
        "| connections | run | requests/s | p50 ms | p99 ms | server CPU µs/req | 404 share "
        "| socket errors | load |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for c, rs in runs.items():
        for n, r in enumerate(rs, 1):
            print(
                f"| {c} | {n} | {r.rps:.0f} | {r.p50:.2f} | {r.p99:.2f} | {r.cpu_us:.0f} | "
                f"{r.non2xx_share:.3f} | {r.socket_errors} | {r.load1:.2f} |"
            )
        print(
            f"| {c} | **median** | **{_median(rs, 'rps'):.0f}** | **{_median(rs, 'p50'):.2f}** | "
            f"**{_median(rs, 'p99'):.2f}** | **{_median(rs, 'cpu_us'):.0f}** | "
            f"(expected {expected:.3f}) | | |"
        )
    print()
    cores = min(os.cpu_count() or 1, args.workers)  # a process: one core at most (the GIL)
    for c, rs in runs.items():
        ceiling = cores * 1e6 / _median(rs, "cpu_us")
        print(
            f"aim (>= {AIM_RPS:.0f}/s, p99 < {AIM_P99_MS:.0f} ms) at {c} connections: "
            f"{_aim(rs)}; the server's CPU per request alone allows {ceiling:.0f}/s on "
            f"{cores} core(s)"
        )
    if compared:
        print()
        print(f"right vs wrong codes, median of {args.compare_runs} runs each:")
        print()
        print(
            "| connections | codes | requests/s | p50 ms | p99 ms | server CPU µs/req "
            "| non-2xx share |"
        )
        print("|---:|---|---:|---:|---:|---:|---:|")
        for c, kinds in compared.items():
            for kind, rs in kinds.items():
                print(
                    f"| {c} | {kind} | {_median(rs, 'rps'):.0f} | {_median(rs, 'p50'):.2f} | "
                    f"{_median(rs, 'p99'):.2f} | {_median(rs, 'cpu_us'):.0f} | "
                    f"{_median(rs, 'non2xx_share'):.3f} |"
                )
    bad = [r for rs in runs.values() for r in rs if r.socket_errors]
    if bad:
        print(f"\nwarning: {len(bad)} run(s) had socket errors (timeouts are not in the latencies)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
