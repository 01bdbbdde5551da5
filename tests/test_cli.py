"""The bokflyt command: plan then check; bad data plans nothing."""

from __future__ import annotations

import csv
from pathlib import Path

from logistics.cli import main


def test_plan_then_check(tiny: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`plan` writes the five files and a summary; `check` accepts them, then rejects a
    plan whose van is overloaded."""
    out = tmp_path / "plan"
    args = ["plan", "--data", str(tiny), "--start", "2026-11-30", "--days", "2"]
    assert main([*args, "--out", str(out), "--seconds", "2", "--quiet"]) == 0
    for name in ("routes.csv", "crates.csv", "deliveries.csv", "unplanned.csv", "summary.json"):
        assert (out / name).exists()
    printed = capsys.readouterr().out
    assert "delivered within 1 working day" in printed
    # R4's only copy is on loan: counted under its reason, without ids or dates
    assert "1 x no available copy\n" in printed
    assert main(["check", "--data", str(tiny), "--plan", str(out)]) == 0

    rows = list(csv.DictReader((out / "routes.csv").open()))
    rows[1]["load_after"] = "99"
    with (out / "routes.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["check", "--data", str(tiny), "--plan", str(out)]) == 1


def test_bad_data_plans_nothing(tiny: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A scenario with an unknown branch exits 2, names the problem and writes no plan."""
    vans = (tiny / "vans.csv").read_text().replace("V1,HUB", "V1,XXX")
    (tiny / "vans.csv").write_text(vans)
    out = tmp_path / "plan"
    code = main(["plan", "--data", str(tiny), "--start", "2026-11-30", "--out", str(out)])
    assert code == 2 and not out.exists()
    assert "vans.csv, row 2, column depot_branch_id, value 'XXX': unknown branch" in (
        capsys.readouterr().err
    )


def test_eta_prints_the_patron_dates(tiny: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`eta` prints a reservation's dates and sentences from the plan's reservations.csv;
    an unknown reservation exits 1."""
    out = tmp_path / "plan"
    args = ["plan", "--data", str(tiny), "--start", "2026-11-30", "--days", "2", "--quiet"]
    assert main([*args, "--out", str(out), "--seconds", "2"]) == 0
    rows = {r["reservation_id"]: r for r in csv.DictReader((out / "reservations.csv").open())}
    capsys.readouterr()
    assert main(["eta", "--data", str(tiny), "--plan", str(out), "--reservation", "R1"]) == 0
    printed = capsys.readouterr().out
    assert f"promised: {rows['R1']['promise_date']}" in printed
    assert rows["R1"]["message_sv"] in printed and "B library" in printed
    assert main(["eta", "--data", str(tiny), "--plan", str(out), "--reservation", "R77"]) == 1
    assert "R77 is not in reservations.csv" in capsys.readouterr().err
