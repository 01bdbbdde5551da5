"""Li & Lim 100 PDPTW benchmark: our OR-Tools engine against VROOM (pyvroom) on the same instances.

Run on purpose, not in CI: `python benchmarks/pdptw_bench.py --glob 'lr1*' 'lc2*' --seconds 10`.
Prints a Markdown table (gap % = distance over the best known distance) and the means.
PyVRP 0.14 has no paired pickup-and-delivery (only simultaneous pickup/delivery per client),
so it cannot solve these instances and is skipped.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
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


def main() -> None:
    """Run the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--glob", nargs="+", default=["*.txt"], help="instance file patterns in li_lim_100/"
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    best = json.loads((BENCHMARKS / "BKS.json").read_text())
    folder = BENCHMARKS / "li_lim_100"
    files = sorted({path for pattern in arguments.glob for path in folder.glob(pattern)})
    print("PyVRP 0.14: no paired pickup-and-delivery model, skipped.\n")
    print(
        "| instance | BKS veh | BKS dist | ours veh | ours dist | ours gap % | ours s "
        "| VROOM veh | VROOM dist | VROOM gap % | VROOM s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ours_gaps: list[float] = []
    vroom_gaps: list[float] = []
    ours_extra = vroom_extra = ours_worse_than_vroom = 0
    for path in files:
        instance = read_li_lim(path)
        known = best[instance.name]
        ours = solve_li_lim(instance, arguments.seconds, arguments.workers)
        theirs = solve_with_vroom(instance, arguments.seconds)
        bks_vehicles, bks_distance = known["solved_with_vehicles"], known["best_known_cost"]
        ours_gap = 100 * (ours["distance"] / bks_distance - 1)
        vroom_gap = 100 * (theirs["distance"] / bks_distance - 1)
        if ours["vehicles"] == bks_vehicles and ours["feasible"]:
            ours_gaps.append(ours_gap)
        if theirs["vehicles"] == bks_vehicles and theirs["feasible"]:
            vroom_gaps.append(vroom_gap)
        ours_extra += ours["vehicles"] - bks_vehicles
        vroom_extra += theirs["vehicles"] - bks_vehicles
        ours_worse_than_vroom += ours["vehicles"] > theirs["vehicles"]
        print(
            f"| {instance.name} | {bks_vehicles} | {bks_distance:.2f} | {ours['vehicles']}"
            f"{'' if ours['feasible'] else ' (infeasible)'} | {ours['distance']:.2f} | "
            f"{ours_gap:.2f} | {ours['seconds']:.1f} | {theirs['vehicles']}"
            f"{'' if theirs['feasible'] else ' (unassigned)'} | {theirs['distance']:.2f} | "
            f"{vroom_gap:.2f} | {theirs['seconds']:.1f} |",
            flush=True,
        )
    n = len(files)
    print()
    print(f"instances: {n}")
    print(
        f"ours: at BKS vehicles on {len(ours_gaps)}/{n}, mean gap there "
        f"{statistics.fmean(ours_gaps) if ours_gaps else float('nan'):.2f} %, "
        f"extra vehicles in total {ours_extra}, more vehicles than VROOM on "
        f"{ours_worse_than_vroom}"
    )
    print(
        f"VROOM: at BKS vehicles on {len(vroom_gaps)}/{n}, mean gap there "
        f"{statistics.fmean(vroom_gaps) if vroom_gaps else float('nan'):.2f} %, "
        f"extra vehicles in total {vroom_extra}"
    )


if __name__ == "__main__":
    main()
