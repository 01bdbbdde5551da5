"""notebooks/week.ipynb runs top to bottom and shows a map and a consistent runs table."""

from __future__ import annotations

import csv
import itertools
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from logistics.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "week.ipynb"
VANS = "vans_two_daily.csv"

# A row of the printed runs table: index, day, weekday, van, stops, km, hours, crates, route.
RUN_ROW = re.compile(
    r"^\s*\d+\s+(?P<day>\d{4}-\d{2}-\d{2})\s+\w{3}\s+(?P<van>\S+)\s+(?P<stops>\d+)\s+"
    r"(?P<km>\d+(?:\.\d+)?)\s+(?P<hours>\d+(?:\.\d+)?)\s+(?P<crates>\d+)\s+(?P<route>\S+)\s*$"
)
TOTAL_KM = re.compile(r"^total km: (?P<km>\S+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BOKFLYT_NOTEBOOK_SECONDS", "5")
        mp.setenv("BOKFLYT_NOTEBOOK_VANS", VANS)
        client.execute()  # raises CellExecutionError on the first failing cell
    return nb


def _outputs(nb: nbformat.NotebookNode) -> list[Any]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def _runs_table_text(nb: nbformat.NotebookNode) -> str:
    cells = [c for c in nb.cells if "runs-table" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "exactly one cell is tagged runs-table"
    return "".join(o.text for o in cells[0].outputs if o.output_type == "stream")


def test_notebook_saved_without_outputs() -> None:
    """The committed notebook carries no outputs or execution counts."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code)


def test_every_cell_runs_without_error(executed: nbformat.NotebookNode) -> None:
    """Every code cell ran and none left an error output."""
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert not [o for o in _outputs(executed) if o.output_type == "error"]


def test_notebook_draws_the_maps(executed: nbformat.NotebookNode) -> None:
    """The notebook shows figures as PNG images (maps, load chart, transit histogram)."""
    images = [o for o in _outputs(executed) if "image/png" in o.get("data", {})]
    assert len(images) >= 4


def test_total_km_is_the_sum_of_the_runs_table(executed: nbformat.NotebookNode) -> None:
    """The printed 'total km' is positive and equals the sum of the runs' km in the table."""
    text = _runs_table_text(executed)
    runs = [m for m in map(RUN_ROW.match, text.splitlines()) if m]
    total = TOTAL_KM.search(text)
    assert runs and total
    assert float(total["km"]) > 0
    assert float(total["km"]) == pytest.approx(sum(float(m["km"]) for m in runs), abs=0.05)
    assert f"runs: {len(runs)}" in text


def test_runs_table_km_follow_the_roads(executed: nbformat.NotebookNode) -> None:
    """Each run goes from its van's depot back to it, its km the road km along its route."""
    scenario = load_scenario(ROOT / "data" / "bergslagen")
    with (ROOT / "data" / "bergslagen" / VANS).open(encoding="utf-8") as handle:
        depots = {row["van_id"]: row["depot_branch_id"] for row in csv.DictReader(handle)}
    runs = [m for m in map(RUN_ROW.match, _runs_table_text(executed).splitlines()) if m]
    assert runs
    for m in runs:
        route = m["route"].split("-")
        assert route[0] == route[-1] == depots[m["van"]], m.group(0)
        assert 2 <= len(route) <= int(m["stops"]) + 2, m.group(0)
        road_km = sum(scenario.travel[(a, b)].km for a, b in itertools.pairwise(route))
        # the plan rounds each leg to 0.1 km
        assert float(m["km"]) == pytest.approx(road_km, abs=0.05 * len(route)), m.group(0)
