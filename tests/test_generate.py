"""Tests of the demand generator and of the bundled Bergslagen scenario data."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import networkx as nx
import pytest

from logistics.generate import GENERATED_FILES, DemandSummary, generate_demand, main

REPO = Path(__file__).resolve().parents[1]
BERGSLAGEN = REPO / "data" / "bergslagen"
START = date(2026, 11, 30)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Approximate road km published in shared/PRODUCT.md (town pairs as branch ids).
PUBLISHED_KM = (
    ("LIN", "NOR", 24),
    ("LIN", "KOP", 40),
    ("NOR", "HAF", 50),
    ("HAF", "KOP", 38),
    ("KUM", "HAL", 9),
    ("HAL", "ASK", 30),
    ("LAX", "HAL", 35),
    ("LEK", "ORE", 27),
    ("ORE", "LIN", 40),
    ("ORE", "NOR", 33),
    ("ORE", "KUM", 19),
    ("ORE", "HAL", 30),
)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemandSummary]:
    out = tmp_path_factory.mktemp("week")
    return out, generate_demand(BERGSLAGEN, out, START, days=5, seed=1)


def _check_invariants(folder: Path, start: date, days: int) -> None:
    """Assert every invariant of the demand files in ``folder``."""
    branches = {r["branch_id"]: r for r in _rows(folder / "branches.csv")}
    libraries = {b for b, r in branches.items() if r.get("kind", "library") != "hub"}
    hubs = set(branches) - libraries
    items = _rows(folder / "items.csv")
    reservations = _rows(folder / "reservations.csv")
    transfers = _rows(folder / "transfers.csv")

    item_ids = [i["item_id"] for i in items]
    assert len(item_ids) == len(set(item_ids))
    assert all(i.isdigit() and len(i) == 11 for i in item_ids)
    by_id = {i["item_id"]: i for i in items}
    titles = {i["title_id"] for i in items}
    assert len({(i["title_id"], i["title"]) for i in items}) == len(titles)
    for copies in Counter(i["title_id"] for i in items).values():
        assert 1 <= copies <= 6
    for item in items:
        assert item["home_branch_id"] in libraries
        assert item["current_branch_id"] in branches
        assert item["call_number"].strip() and item["title"].strip()
        assert item["status"] in {"available", "on_loan", "in_transit", "missing"}
        if item["status"] == "on_loan":
            due = date.fromisoformat(item["due_date"])
            assert start <= due < start + timedelta(days=28)
        else:
            assert item["due_date"] == ""
        if item["status"] == "in_transit" and hubs:
            assert item["current_branch_id"] in hubs
        elif item["status"] != "available":
            assert item["current_branch_id"] == item["home_branch_id"]

    res_ids = [r["reservation_id"] for r in reservations]
    assert len(res_ids) == len(set(res_ids))
    for res in reservations:
        assert res["title_id"] in titles
        assert res["pickup_branch_id"] in libraries
        placed = datetime.fromisoformat(res["placed_at"])
        assert start - timedelta(days=2) <= placed.date() < start + timedelta(days=days)

    hours: dict[tuple[str, int], list[tuple[time, time]]] = {}
    for row in _rows(folder / "opening_hours.csv"):
        key = (row["branch_id"], WEEKDAYS.index(row["weekday"]))
        hours.setdefault(key, []).append(
            (time.fromisoformat(row["opens"]), time.fromisoformat(row["closes"]))
        )
    closed = {
        (r["branch_id"], date.fromisoformat(r["date"])) for r in _rows(folder / "closures.csv")
    }
    reserved_titles = {r["title_id"] for r in reservations}
    moved = [t["item_id"] for t in transfers]
    assert len(moved) == len(set(moved))
    moved_set = set(moved)
    staying = Counter(
        i["title_id"] for i in items if i["status"] == "available" and i["item_id"] not in moved_set
    )
    for move in transfers:
        item = by_id[move["item_id"]]
        assert item["status"] == "available"
        assert move["from_branch_id"] == item["current_branch_id"] != item["home_branch_id"]
        assert move["to_branch_id"] == item["home_branch_id"]
        ready = datetime.fromisoformat(move["ready_at"])
        assert start <= ready.date() < start + timedelta(days=days)
        origin = move["from_branch_id"]
        assert (origin, ready.date()) not in closed and ("*", ready.date()) not in closed
        slots = hours[(origin, ready.weekday())]
        assert any(opens <= ready.time() < closes for opens, closes in slots)
        if item["title_id"] in reserved_titles:
            # never the only available copy of a reserved title: another one stays put
            assert staying[item["title_id"]] >= 1


def test_generated_files_satisfy_invariants(generated: tuple[Path, DemandSummary]) -> None:
    """A generated week has unique ids, valid references, dates and opening-hour times."""
    out, summary = generated
    _check_invariants(out, START, 5)
    assert summary.items == len(_rows(out / "items.csv"))
    assert summary.reservations == len(_rows(out / "reservations.csv"))
    assert summary.transfers == len(_rows(out / "transfers.csv"))


def test_static_files_are_copied(generated: tuple[Path, DemandSummary]) -> None:
    """All static files of the scenario are copied verbatim next to the demand files."""
    out, _ = generated
    for path in BERGSLAGEN.iterdir():
        if path.is_file() and path.name not in GENERATED_FILES:
            assert (out / path.name).read_bytes() == path.read_bytes()


def test_volumes_and_shares_are_realistic(generated: tuple[Path, DemandSummary]) -> None:
    """Sizes, status shares, transport need and transfer share are in the intended ranges."""
    out, summary = generated
    items = _rows(out / "items.csv")
    assert 3000 <= summary.items <= 4000
    status = Counter(i["status"] for i in items)
    assert 0.65 < status["available"] / len(items) < 0.75
    assert 0.20 < status["on_loan"] / len(items) < 0.30
    assert 150 <= summary.reservations_needing_transport / 5 <= 500
    moves = summary.reservations_needing_transport + summary.transfers
    assert 0.33 <= summary.transfers / moves <= 0.45
    queue = Counter(r["title_id"] for r in _rows(out / "reservations.csv"))
    assert queue.most_common(1)[0][1] >= 10  # popular titles get queues


def test_same_arguments_give_identical_files(
    generated: tuple[Path, DemandSummary], tmp_path: Path
) -> None:
    """Generation is deterministic: same arguments give byte-identical files."""
    out, _ = generated
    generate_demand(BERGSLAGEN, tmp_path, START, days=5, seed=1)
    for name in GENERATED_FILES:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes()


def test_different_seed_gives_different_files(
    generated: tuple[Path, DemandSummary], tmp_path: Path
) -> None:
    """A different seed gives different demand."""
    out, _ = generated
    generate_demand(BERGSLAGEN, tmp_path, START, days=5, seed=2)
    for name in GENERATED_FILES:
        assert (tmp_path / name).read_bytes() != (out / name).read_bytes()


def test_scale_two_doubles_reservations(
    generated: tuple[Path, DemandSummary], tmp_path: Path
) -> None:
    """Scale 2 gives about twice the reservations (and items) of scale 1."""
    _, base = generated
    double = generate_demand(BERGSLAGEN, tmp_path, START, days=5, seed=1, scale=2.0)
    assert 1.8 < double.reservations / base.reservations < 2.2
    assert 1.9 < double.items / base.items < 2.1
    _check_invariants(tmp_path, START, 5)


def test_other_consortium_without_population_or_hub(tmp_path: Path) -> None:
    """Works for other branch ids, no hub and no population_served column (equal weights)."""
    static = tmp_path / "static"
    static.mkdir()
    (static / "branches.csv").write_text(
        "branch_id,name,lat,lon\nAAA,A,60.0,15.0\nBBB,B,60.1,15.1\nCCC,C,60.2,15.2\n",
        encoding="utf-8",
    )
    (static / "opening_hours.csv").write_text(
        "branch_id,weekday,opens,closes\n"
        + "".join(f"{b},{d},10:00,16:00\n" for b in ("AAA", "BBB", "CCC") for d in WEEKDAYS[:5]),
        encoding="utf-8",
    )
    (static / "closures.csv").write_text("branch_id,date,reason\n", encoding="utf-8")
    out = tmp_path / "out"
    summary = generate_demand(static, out, date(2027, 3, 1), days=3, seed=7)
    assert summary.items >= 300
    assert summary.reservations > 0 and summary.transfers > 0
    _check_invariants(out, date(2027, 3, 1), 3)
    homes = Counter(i["home_branch_id"] for i in _rows(out / "items.csv"))
    assert set(homes) == {"AAA", "BBB", "CCC"}


def test_main_writes_files(tmp_path: Path) -> None:
    """The command-line entry point generates into --out and returns 0."""
    args = ["--start", "2026-11-30", "--days", "2", "--seed", "3", "--scale", "0.5"]
    code = main(["--static", str(BERGSLAGEN), "--out", str(tmp_path), *args])
    assert code == 0
    _check_invariants(tmp_path, START, 2)


def test_bundled_demand_satisfies_invariants() -> None:
    """The demand files shipped in data/bergslagen are valid for the week 2026-11-30..12-04."""
    _check_invariants(BERGSLAGEN, START, 5)


def test_bundled_demand_is_reproducible(generated: tuple[Path, DemandSummary]) -> None:
    """The shipped demand is exactly what the documented command (seed 1) generates."""
    out, _ = generated
    for name in GENERATED_FILES:
        assert (BERGSLAGEN / name).read_bytes() == (out / name).read_bytes()


def test_bundled_static_files() -> None:
    """Branches, hours, vans, closures and settings match the scenario brief."""
    branches = _rows(BERGSLAGEN / "branches.csv")
    assert len(branches) == 16
    kinds = {r["branch_id"]: r["kind"] for r in branches}
    assert kinds.pop("ORE") == "hub" and set(kinds.values()) == {"library"}
    assert sum(int(r["population_served"]) for r in branches) == 109150
    vans = _rows(BERGSLAGEN / "vans.csv")
    assert [(v["depot_branch_id"], v["weekdays"], v["capacity_crates"]) for v in vans] == [
        ("ORE", "mon;wed;fri", "60")
    ]
    two = _rows(BERGSLAGEN / "vans_two_daily.csv")
    assert len(two) == 2 and all(v["weekdays"] == "mon;tue;wed;thu;fri" for v in two)
    for row in _rows(BERGSLAGEN / "closures.csv"):
        assert date.fromisoformat(row["date"]).weekday() < 5
        assert row["branch_id"] == "*" or row["branch_id"] in kinds
    ids = {r["branch_id"] for r in branches}
    assert {r["branch_id"] for r in _rows(BERGSLAGEN / "opening_hours.csv")} == ids


def _road_graph() -> nx.Graph:
    graph = nx.Graph()
    for row in _rows(BERGSLAGEN / "junctions.csv"):
        graph.add_node(row["id"])
    for row in _rows(BERGSLAGEN / "roads.csv"):
        graph.add_edge(row["from"], row["to"], km=float(row["km"]), speed=float(row["speed_kmh"]))
    return graph


def test_road_graph_connects_every_branch() -> None:
    """roads.csv + junctions.csv form one connected graph containing every branch."""
    graph = _road_graph()
    branch_ids = {r["branch_id"] for r in _rows(BERGSLAGEN / "branches.csv")}
    junction_ids = {r["id"] for r in _rows(BERGSLAGEN / "junctions.csv")}
    assert set(graph.nodes) == branch_ids | junction_ids
    assert nx.is_connected(graph)
    assert all(40 <= d["speed"] <= 110 and d["km"] > 0 for _, _, d in graph.edges(data=True))


@pytest.mark.parametrize(("a", "b", "km"), PUBLISHED_KM)
def test_road_graph_reproduces_published_km(a: str, b: str, km: int) -> None:
    """The shortest road path between two towns is within 15% of the published road km."""
    length = nx.shortest_path_length(_road_graph(), a, b, weight="km")
    assert abs(length - km) <= 0.15 * km
