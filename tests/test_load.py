"""Loading a scenario: the bundled data loads, and bad input is rejected with where and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from logistics.errors import DataErrors
from logistics.load import load_scenario, parse_hhmm
from tests.conftest import BUNDLED, TINY, write_scenario


def _errors(folder: Path) -> list[str]:
    with pytest.raises(DataErrors) as caught:
        load_scenario(folder)
    return [str(e) for e in caught.value.errors]


def _mutated_errors(
    tmp_path: Path, files: dict[str, str], file: str, old: str, new: str
) -> list[str]:
    """The load errors of `files` with the first `old` in `file` replaced by `new`."""
    files = dict(files)
    assert old in files[file]
    files[file] = files[file].replace(old, new, 1)
    return _errors(write_scenario(tmp_path / "bad", files))


def test_bundled_scenario_loads_with_roads() -> None:
    """The bundled consortium loads, travel comes from its road graph and is symmetric."""
    s = load_scenario(BUNDLED)
    assert len(s.branches) == 16 and s.travel_source == "roads"
    assert s.travel[("LIN", "NOR")].km == pytest.approx(s.travel[("NOR", "LIN")].km)
    assert 18 < s.travel[("LIN", "NOR")].km < 30


def test_travel_csv_is_the_truth(tiny: Path) -> None:
    """With travel.csv, its km and minutes are used as given."""
    s = load_scenario(tiny)
    assert s.travel_source == "travel.csv"
    assert s.travel[("AAA", "BBB")].km == 24 and s.travel[("AAA", "BBB")].minutes == 22


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("vans.csv", "V1,HUB,10", "V1,NOPE,10", "vans.csv, row 2, column depot_branch_id, value 'NOPE': unknown branch"),
        ("vans.csv", "V1,HUB,10", "V1,HUB,-3", "vans.csv, row 2, column capacity_crates, value '-3': must be greater than 0"),
        ("vans.csv", "07:00,16:00", "7h,16:00", "vans.csv, row 2, column shift_start, value '7h': expected a time HH:MM"),
        ("items.csv", "I2,T2", "I1,T2", "items.csv, row 3, column item_id, value 'I1': duplicate id (first on row 2)"),
        ("opening_hours.csv", "branch_id,weekday", "branch,weekday", "opening_hours.csv, row 1: missing column(s) branch_id"),
        ("reservations.csv", "2026-11-27T12:00", "27/11/2026", "reservations.csv, row 2, column placed_at, value '27/11/2026'"),
        ("items.csv", "AAA,on_loan", "AAA,lost", "items.csv, row 5, column status, value 'lost': expected one of"),
    ],
)  # fmt: skip
def test_bad_input_names_file_row_column_value(
    tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    """Each kind of bad input gives one message naming file, row, column and value."""
    messages = _mutated_errors(tmp_path, TINY, file, old, new)
    assert any(m.startswith(expected) for m in messages), messages


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    """Two unrelated mistakes in two files are both reported."""
    files = dict(TINY)
    files["vans.csv"] = files["vans.csv"].replace("V1,HUB,10", "V1,HUB,0")
    files["transfers.csv"] = files["transfers.csv"].replace("I5,AAA", "I9,AAA")
    messages = _errors(write_scenario(tmp_path / "bad", files))
    assert len(messages) == 2
    assert any("vans.csv" in m for m in messages) and any("transfers.csv" in m for m in messages)


def test_missing_file_is_named(tmp_path: Path) -> None:
    """A required file that is absent is named."""
    files = {k: v for k, v in TINY.items() if k != "vans.csv"}
    assert any(
        "vans.csv: required file is missing" in m
        for m in _errors(write_scenario(tmp_path / "x", files))
    )


def test_parse_hhmm() -> None:
    """Times parse to minutes; 24:00 closes a day; 25:00 and 9:5 do not parse."""
    assert parse_hhmm("08:30") == 510 and parse_hhmm("24:00") == 1440
    for bad in ("25:00", "9:5", "noon", "12:60"):
        with pytest.raises(ValueError):
            parse_hhmm(bad)


def _with_rules(files: dict[str, str]) -> dict[str, str]:
    """TINY with the optional rules: a no_transfer.csv, may_travel and max_sent_per_day."""
    files = dict(files)
    files["no_transfer.csv"] = "from_branch_id,to_branch_id\nAAA,BBB\n*,CCC\n"
    items = files["items.csv"].splitlines()
    files["items.csv"] = (
        "\n".join([items[0] + ",may_travel", items[1] + ",no", items[2] + ",YES", *items[3:]])
        + "\n"
    )
    branches = files["branches.csv"].splitlines()
    files["branches.csv"] = (
        "\n".join(
            [branches[0] + ",max_sent_per_day", branches[1], branches[2] + ",3", *branches[3:]]
        )
        + "\n"
    )
    return files


def test_rules_of_the_consortium_load(tmp_path: Path) -> None:
    """no_transfer.csv, items.csv may_travel and branches.csv max_sent_per_day are read; empty
    means: may travel, no limit; without them nothing is barred."""
    s = load_scenario(write_scenario(tmp_path / "rules", _with_rules(TINY)))
    assert [(n.from_branch_id, n.to_branch_id) for n in s.no_transfer] == [
        ("AAA", "BBB"), ("*", "CCC"),
    ]  # fmt: skip
    assert (s.items["I1"].may_travel, s.items["I2"].may_travel, s.items["I3"].may_travel) == (
        False, True, True,
    )  # fmt: skip
    assert s.branches["AAA"].max_sent_per_day == 3 and s.branches["BBB"].max_sent_per_day is None
    plain = load_scenario(write_scenario(tmp_path / "plain", TINY))
    assert plain.no_transfer == () and all(i.may_travel for i in plain.items.values())


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("no_transfer.csv", "AAA,BBB", "AAA,NOPE", "no_transfer.csv, row 2, column to_branch_id, value 'NOPE': unknown branch"),
        ("no_transfer.csv", "*,CCC", "CCC,CCC", "no_transfer.csv, row 3, column to_branch_id, value 'CCC': same as from_branch_id"),
        ("no_transfer.csv", "from_branch_id,", "from,", "no_transfer.csv, row 1: missing column(s) from_branch_id"),
        ("items.csv", ",no", ",maybe", "items.csv, row 2, column may_travel, value 'maybe': expected one of true, yes, 1, false, no, 0"),
        ("branches.csv", "library,3", "library,-1", "branches.csv, row 3, column max_sent_per_day, value '-1': must be 0 or more"),
        ("branches.csv", "library,3", "library,two", "branches.csv, row 3, column max_sent_per_day, value 'two': expected a whole number"),
    ],
)  # fmt: skip
def test_bad_rules_name_file_row_column_value(
    tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    """Each bad rule gives one message naming file, row, column and value."""
    messages = _mutated_errors(tmp_path, _with_rules(TINY), file, old, new)
    assert len(messages) == 1 and messages[0].startswith(expected), messages


def test_loan_days_must_be_positive(tmp_path: Path) -> None:
    """settings.toml loan_days is a whole number of days greater than 0."""
    files = dict(TINY, **{"settings.toml": "loan_days = 0\n"})
    assert _errors(write_scenario(tmp_path / "bad", files)) == [
        "settings.toml, column loan_days, value 0: must be greater than 0"
    ]


def test_a_transfer_carrying_a_reservation_is_validated(tiny: Path) -> None:
    """One transfer per reservation, of its title, to its pickup branch."""
    from logistics.errors import DataErrors

    (tiny / "transfers.csv").write_text(
        "item_id,from_branch_id,to_branch_id,ready_at,reservation_id\n"
        "I5,AAA,CCC,2026-11-30T09:00,R1\n"  # R1 is for T1 at BBB; I5 is T5
        "I2,BBB,AAA,2026-11-30T09:00,R3\n"  # R3 is T3 at AAA; I2 is T2
        "I6,BBB,CCC,2026-11-30T09:00,R5\n"  # R5 is T6 (I6's title) but picked up at BBB
        "I3,CCC,AAA,2026-11-30T09:00,R3\n",  # R3 carried twice
        encoding="utf-8",
    )
    with pytest.raises(DataErrors) as caught:
        load_scenario(tiny)
    text = str(caught.value)
    assert "transfers.csv, row 2, column reservation_id, value 'R1': is for title T1" in text
    assert "row 3, column reservation_id, value 'R3': is for title T3" in text
    assert "row 4, column to_branch_id, value 'CCC': reservation R5 is picked up at BBB" in text
    assert "row 5, column reservation_id, value 'R3': another transfer already carries" in text
