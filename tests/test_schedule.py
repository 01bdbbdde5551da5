"""Timing a run: earliest times, windows, breaks placed where they cost least, capacity."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from logistics.calendar import Calendar
from logistics.load import load_scenario
from logistics.schedule import Stop, time_run

MONDAY = date(2026, 11, 30)


def _run(folder: Path, stops: list[Stop], **settings: int):  # type: ignore[no-untyped-def]
    scenario = load_scenario(folder)
    scenario = dataclasses.replace(
        scenario, settings=dataclasses.replace(scenario.settings, **settings)
    )
    van = scenario.vans[0]
    return time_run(scenario, Calendar.of(scenario), MONDAY, van, stops)


def test_earliest_times_by_hand(tiny: Path) -> None:
    """HUB -> AAA (35 min) -> BBB (22) -> HUB (30): AAA opens 08:00, so the van leaves 07:25;
    AAA hands over 2 crates (5 + 2 min), BBB unloads 2 (5 + 2), the end is reached 09:06."""
    stops = [
        Stop("start", "HUB"),
        Stop("stop", "AAA", loads=["c1", "c2"]),
        Stop("stop", "BBB", unloads=["c1", "c2"]),
        Stop("end", "HUB"),
    ]
    rows = _run(tiny, stops)
    assert rows is not None
    times = [(r.kind, r.branch_id, r.arrival, r.departure, r.load_after) for r in rows]
    assert times == [
        ("start", "HUB", None, 7 * 60 + 25, 0),
        ("stop", "AAA", 8 * 60, 8 * 60 + 7, 2),
        ("stop", "BBB", 8 * 60 + 29, 8 * 60 + 36, 0),
        ("end", "HUB", 9 * 60 + 6, None, 0),
    ]


def test_break_taken_in_a_wait(tiny: Path) -> None:
    """With at most 60 min of work, the break goes where the van would wait anyway: loading at
    AAA from 08:00, CCC only ready at 10:00 -> the break ends at 10:00 and costs nothing."""
    stops = [
        Stop("start", "HUB"),
        Stop("stop", "AAA", loads=["c1"]),
        Stop("stop", "CCC", loads=["c2"], ready=10 * 60),
        Stop("end", "HUB", unloads=["c1", "c2"]),
    ]
    rows = _run(tiny, stops, break_after_minutes=60, break_minutes=30)
    assert rows is not None
    breaks = [(r.arrival, r.departure) for r in rows if r.kind == "break"]
    ccc = next(r for r in rows if r.branch_id == "CCC")
    assert ccc.arrival == 10 * 60
    assert (9 * 60 + 30, 10 * 60) in breaks
    # every stretch of work is within the limit
    work = [rows[0].departure] + [
        t for r in rows if r.kind == "break" for t in (r.arrival, r.departure)
    ]
    end = rows[-1]
    assert end.arrival is not None
    work.append(end.arrival + 5 + 2)
    for a, b in zip(work[::2], work[1::2], strict=True):
        assert a is not None and b is not None and b - a <= 60


def test_infeasible_when_shift_too_short(tiny: Path) -> None:
    """A run that cannot be back by the end of the shift has no schedule."""
    stops = [
        Stop("start", "HUB"),
        Stop("stop", "AAA", loads=["c1"], ready=15 * 60 + 50),
        Stop("end", "HUB", unloads=["c1"]),
    ]
    assert _run(tiny, stops) is None


def test_capacity_is_kept(tiny: Path) -> None:
    """Eleven crates on a van of ten is no schedule; ten is."""
    eleven = [f"c{k}" for k in range(11)]
    over = [
        Stop("start", "HUB"),
        Stop("stop", "AAA", loads=eleven),
        Stop("end", "HUB", unloads=eleven),
    ]
    assert _run(tiny, over) is None
    ten = eleven[:10]
    fits = [Stop("start", "HUB"), Stop("stop", "AAA", loads=ten), Stop("end", "HUB", unloads=ten)]
    assert _run(tiny, fits) is not None


def test_empty_stop_is_not_visited(tiny: Path) -> None:
    """A stop that hands over nothing is left out of the run."""
    stops = [
        Stop("start", "HUB"),
        Stop("stop", "CCC"),
        Stop("stop", "AAA", loads=["c1"]),
        Stop("end", "HUB", unloads=["c1"]),
    ]
    rows = _run(tiny, stops)
    assert rows is not None and [r.branch_id for r in rows if r.kind == "stop"] == ["AAA"]
