"""Li & Lim 100 PDPTW benchmark: our OR-Tools engine against VROOM (pyvroom) on the same instances.

Run on purpose, not in CI: `python benchmarks/pdptw_bench.py --glob 'lr1*' 'lc2*' --seconds 10`.
Prints a Markdown table (gap % = distance over the best known distance) and the means, overall
and per class (lc1, lc2, lr1, lr2, lrc1, lrc2), over the instances solved with the best known
number of vehicles; `--out FILE` also writes it all to FILE. The full table:
`python benchmarks/pdptw_bench.py --seconds 10 --workers 2 --out benchmarks/results/pdptw.md`.
PyVRP 0.14 has no paired pickup-and-delivery (only simultaneous pickup/delivery per client),
so it cannot solve these instances and is skipped.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shlex
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import vroom

from logistics.pdptw import SCALE, LiLimInstance, euclidean, read_li_lim, solve_li_lim

BENCHMARKS = Path("/work/shared/benchmarks/pdptw")


def solve_with_vroom(instance: LiLimInstance, seconds: float) -> dict[str, Any]:
    """Solve with VROOM on the same x1000 rounded matrix; distance recomputed unrounded."""
    nodes = instance.nodes
    matrix = [[round(SCALE * euclidean(a, b)) for b in nodes] for a in nodes]
    problem = vroom.Input()
    problem.set_durations_matrix("car", matrix)
    depot = nodes[0]
    for v in range(instance.vehicles):
        problem.add_vehicle(
            vroom.Vehicle(
                v + 1,
                start=0,
                end=0,
                capacity=[instance.capacity],
                time_window=vroom.TimeWindow(
                    round(SCALE * depot.earliest), round(SCALE * depot.latest)
                ),
            )
        )
    for pickup, delivery in instance.pairs:
        steps = []
        for node in (nodes[pickup], nodes[delivery]):
            window = vroom.TimeWindow(round(SCALE * node.earliest), round(SCALE * node.latest))
            steps.append(
                vroom.ShipmentStep(
                    node.id,
                    location=node.id,
                    default_service=round(SCALE * node.service),
                    time_windows=[window],
                )
            )
        problem.add_shipment(steps[0], steps[1], amount=vroom.Amount([nodes[pickup].demand]))
    started = time.monotonic()
    solution = problem.solve(exploration_level=5, nb_threads=2, timeout=timedelta(seconds=seconds))
    elapsed = time.monotonic() - started
    routes: dict[int, list[int]] = {}
    frame = solution.routes
    for vehicle_id, step_type, job_id in zip(
        frame["vehicle_id"], frame["type"], frame["id"], strict=True
    ):
        if step_type in ("pickup", "delivery"):
            routes.setdefault(int(vehicle_id), []).append(int(job_id))
    distance = 0.0
    for route in routes.values():
        path = [0, *route, 0]
        distance += sum(euclidean(nodes[a], nodes[b]) for a, b in itertools.pairwise(path))
    unassigned = 2 * len(instance.pairs) - sum(len(r) for r in routes.values())
    return {
        "vehicles": len(routes),
        "distance": distance,
        "seconds": elapsed,
        "feasible": unassigned == 0,
    }


def _mean(values: list[float]) -> str:
    return f"{statistics.fmean(values):.2f}" if values else "n/a"


def main() -> None:
    """Run the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--glob", nargs="+", default=["*.txt"], help="instance file patterns in li_lim_100/"
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="also write the Markdown report to this file")
    arguments = parser.parse_args()
    lines: list[str] = []

    def emit(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    best = json.loads((BENCHMARKS / "BKS.json").read_text())
    folder = BENCHMARKS / "li_lim_100"
    files = sorted({path for pattern in arguments.glob for path in folder.glob(pattern)})
    started = time.strftime("%Y-%m-%d %H:%M")
    emit("# Li & Lim 100 PDPTW: bokflyt (OR-Tools) against VROOM")
    emit()
    emit(f"Command: `{shlex.join(['python', *sys.argv])}` ({started}, load average at start")
    emit(f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; ours and VROOM run one after the")
    emit("other, each with the same time limit). Gap % = distance over the best known distance;")
    emit("means are over the instances solved with the best known number of vehicles.")
    emit()
    emit("PyVRP 0.14: no paired pickup-and-delivery model, skipped.")
    emit()
    emit(
        "| instance | BKS veh | BKS dist | ours veh | ours dist | ours gap % | ours s "
        "| VROOM veh | VROOM dist | VROOM gap % | VROOM s |"
    )
    emit("|---|---|---|---|---|---|---|---|---|---|---|")
    ours_gaps: list[float] = []
    vroom_gaps: list[float] = []
    by_class: dict[str, tuple[list[float], list[float], list[int]]] = {}
    ours_extra = vroom_extra = ours_worse_than_vroom = 0
    for path in files:
        instance = read_li_lim(path)
        known = best[instance.name]
        ours = solve_li_lim(instance, arguments.seconds, arguments.workers)
        theirs = solve_with_vroom(instance, arguments.seconds)
        bks_vehicles, bks_distance = known["solved_with_vehicles"], known["best_known_cost"]
        ours_gap = 100 * (ours["distance"] / bks_distance - 1)
        vroom_gap = 100 * (theirs["distance"] / bks_distance - 1)
        name_class = re.sub(r"\d\d$", "", instance.name)
        class_ours, class_vroom, class_count = by_class.setdefault(name_class, ([], [], [0, 0]))
        class_count[0] += 1
        class_count[1] += ours["vehicles"] > theirs["vehicles"]
        if ours["vehicles"] == bks_vehicles and ours["feasible"]:
            ours_gaps.append(ours_gap)
            class_ours.append(ours_gap)
        if theirs["vehicles"] == bks_vehicles and theirs["feasible"]:
            vroom_gaps.append(vroom_gap)
            class_vroom.append(vroom_gap)
        ours_extra += ours["vehicles"] - bks_vehicles
        vroom_extra += theirs["vehicles"] - bks_vehicles
        ours_worse_than_vroom += ours["vehicles"] > theirs["vehicles"]
        emit(
            f"| {instance.name} | {bks_vehicles} | {bks_distance:.2f} | {ours['vehicles']}"
            f"{'' if ours['feasible'] else ' (infeasible)'} | {ours['distance']:.2f} | "
            f"{ours_gap:.2f} | {ours['seconds']:.1f} | {theirs['vehicles']}"
            f"{'' if theirs['feasible'] else ' (unassigned)'} | {theirs['distance']:.2f} | "
            f"{vroom_gap:.2f} | {theirs['seconds']:.1f} |"
        )
    n = len(files)
    emit()
    emit(
        "| class | instances | ours at BKS veh | ours mean gap % | VROOM at BKS veh "
        "| VROOM mean gap % | ours more veh than VROOM |"
    )
    emit("|---|---|---|---|---|---|---|")
    for name_class, (class_ours, class_vroom, class_count) in sorted(by_class.items()):
        emit(
            f"| {name_class} | {class_count[0]} | {len(class_ours)} | {_mean(class_ours)} | "
            f"{len(class_vroom)} | {_mean(class_vroom)} | {class_count[1]} |"
        )
    emit(
        f"| all | {n} | {len(ours_gaps)} | {_mean(ours_gaps)} | {len(vroom_gaps)} | "
        f"{_mean(vroom_gaps)} | {ours_worse_than_vroom} |"
    )
    emit()
    emit(
        f"ours: at BKS vehicles on {len(ours_gaps)}/{n}, mean gap there {_mean(ours_gaps)} %, "
        f"extra vehicles in total {ours_extra}, more vehicles than VROOM on "
        f"{ours_worse_than_vroom}"
    )
    emit(
        f"VROOM: at BKS vehicles on {len(vroom_gaps)}/{n}, mean gap there {_mean(vroom_gaps)} %, "
        f"extra vehicles in total {vroom_extra}"
    )
    if arguments.out is not None:
        arguments.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
