"""The calendar: Swedish public holidays, opening windows, working days and van days.

Every expected date is worked out by hand in the comments (weekdays from a printed calendar),
never by the code under test.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest

from logistics.calendar import Calendar, _swedish_eves, public_holidays, runs_on
from logistics.check import check_plan
from logistics.errors import DataErrors
from logistics.load import load_scenario
from logistics.model import Closure, OpeningInterval, Scenario, Van
from logistics.planner import plan
from tests.conftest import TINY, write_scenario

# A branch open every day 10:00-18:00, and one open only on Tuesdays and Thursdays.
EVERY_DAY = tuple(OpeningInterval("ALL", d, 600, 1080) for d in range(7))
TUE_THU = (OpeningInterval("TT", 1, 600, 1080), OpeningInterval("TT", 3, 600, 1080))
VAN = Van("V1", "ALL", 10, 420, 960, frozenset(range(5)))  # Monday to Friday


def sweden(closures: tuple[Closure, ...] = (), vans_on_holidays: bool = False) -> Calendar:
    return Calendar(EVERY_DAY + TUE_THU, closures, country="SE", vans_on_holidays=vans_on_holidays)


def plain(closures: tuple[Closure, ...] = ()) -> Calendar:
    """No public holidays: the constructor's default."""
    return Calendar(EVERY_DAY + TUE_THU, closures)


def test_swedish_holidays_2026() -> None:
    """Every public holiday of 2026, the three eves included, and nothing else (Sundays are no
    holidays as such): from a printed 2026 calendar."""
    expected = {
        date(2026, 1, 1),  # Thu Nyårsdagen
        date(2026, 1, 6),  # Tue Trettondedag jul
        date(2026, 4, 3),  # Fri Långfredagen (Easter Sunday is 5 April 2026)
        date(2026, 4, 5),  # Sun Påskdagen
        date(2026, 4, 6),  # Mon Annandag påsk
        date(2026, 5, 1),  # Fri Första maj
        date(2026, 5, 14),  # Thu Kristi himmelsfärdsdag (Easter + 39 days)
        date(2026, 5, 24),  # Sun Pingstdagen (Easter + 49 days)
        date(2026, 6, 6),  # Sat Nationaldagen
        date(2026, 6, 19),  # Fri Midsommarafton (the Friday 19-25 June)
        date(2026, 6, 20),  # Sat Midsommardagen (the Saturday 20-26 June)
        date(2026, 10, 31),  # Sat Alla helgons dag (the Saturday 31 Oct - 6 Nov)
        date(2026, 12, 24),  # Thu Julafton
        date(2026, 12, 25),  # Fri Juldagen
        date(2026, 12, 26),  # Sat Annandag jul
        date(2026, 12, 31),  # Thu Nyårsafton
    }
    cal = sweden()
    days = [date(2026, 1, 1) + timedelta(days=k) for k in range(365)]
    assert {d for d in days if cal.is_holiday(d)} == expected
    assert not cal.is_holiday(date(2026, 6, 21))  # an ordinary Sunday


def test_holiday_names_are_swedish() -> None:
    """Names come in Swedish; the eves are named too; an ordinary day has no name."""
    cal = sweden()
    assert cal.holiday_name(date(2026, 6, 19)) == "Midsommarafton"
    assert cal.holiday_name(date(2026, 6, 20)) == "Midsommardagen"
    assert cal.holiday_name(date(2026, 12, 24)) == "Julafton"
    assert cal.holiday_name(date(2026, 12, 31)) == "Nyårsafton"
    assert cal.holiday_name(date(2027, 1, 6)) == "Trettondedag jul"
    assert cal.holiday_name(date(2026, 5, 14)) == "Kristi himmelsfärdsdag"
    assert cal.holiday_name(date(2026, 6, 18)) == ""


def test_swedish_eves_by_hand() -> None:
    """The eves added when the package lacks them: Midsommarafton is the Friday 19-25 June."""
    # 2026: 19 June is a Friday. 2027: 19 June is a Saturday, so Friday 25 June.
    # 2022: 19 June is a Sunday, so Friday 24 June.
    assert set(_swedish_eves(2026)) == {date(2026, 6, 19), date(2026, 12, 24), date(2026, 12, 31)}
    assert date(2027, 6, 25) in _swedish_eves(2027)
    assert date(2022, 6, 24) in _swedish_eves(2022)
    # ... and the package agrees for 2027 (Midsommardagen Sat 26 June 2027).
    holidays_2027 = public_holidays("SE", 2027)
    assert date(2027, 6, 25) in holidays_2027 and date(2027, 6, 26) in holidays_2027


def test_midsummer_working_days() -> None:
    """Thu 18 June -> Mon 22 June 2026: Fri 19 Midsommarafton, Sat 20 Midsommardagen, Sun 21;
    only Mon 22 is a working day. Without public holidays Fri 19 counts too."""
    assert sweden().working_days_between(date(2026, 6, 18), date(2026, 6, 22)) == 1
    assert plain().working_days_between(date(2026, 6, 18), date(2026, 6, 22)) == 2
    assert not sweden().is_working_day(date(2026, 6, 19))
    assert plain().is_working_day(date(2026, 6, 19))


def test_christmas_and_new_year_working_days() -> None:
    """Wed 23 Dec 2026 -> Thu 7 Jan 2027. Off: Thu 24 Julafton, Fri 25 Juldagen, Sat 26, Sun 27,
    Thu 31 Nyårsafton, Fri 1 Jan Nyårsdagen, Sat 2, Sun 3, Wed 6 Jan Trettondedag jul.
    Working: Mon 28, Tue 29, Wed 30 Dec, Mon 4, Tue 5, Thu 7 Jan = 6.
    Mon-Fri alone: 24, 25, 28, 29, 30, 31 Dec, 1, 4, 5, 6, 7 Jan = 11."""
    start, end = date(2026, 12, 23), date(2027, 1, 7)
    assert sweden().working_days_between(start, end) == 6
    assert plain().working_days_between(start, end) == 11
    for day in (date(2026, 12, 24), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 6)):
        assert not sweden().is_working_day(day), day


def test_easter_2027() -> None:
    """Easter Sunday is 28 March 2027: Långfredagen Fri 26, Annandag påsk Mon 29 March.
    Thu 25 -> Tue 30 March: Fri 26 off, Sat 27, Sun 28, Mon 29 off; Tue 30 works = 1."""
    cal = sweden()
    assert cal.is_holiday(date(2027, 3, 26)) and cal.is_holiday(date(2027, 3, 29))
    assert cal.working_days_between(date(2027, 3, 25), date(2027, 3, 30)) == 1
    # The branch open every day is not staffed on Påskdagen, a Sunday holiday (28 March).
    assert cal.windows("ALL", date(2027, 3, 28)) == ()
    # ... but it is on an ordinary Sunday, 21 March 2027.
    assert cal.windows("ALL", date(2027, 3, 21)) == ((600, 1080),)


def test_ascension_day() -> None:
    """Kristi himmelsfärdsdag: Thu 14 May 2026 (Easter 5 April + 39 days) and Thu 6 May 2027
    (Easter 28 March + 39 days). Wed 13 -> Fri 15 May 2026: only Fri 15 works."""
    cal = sweden()
    assert cal.is_holiday(date(2026, 5, 14)) and cal.is_holiday(date(2027, 5, 6))
    assert not cal.is_holiday(date(2026, 5, 7))  # Thursday a week before
    assert cal.working_days_between(date(2026, 5, 13), date(2026, 5, 15)) == 1


def test_tuesday_thursday_branch_skips_the_holiday() -> None:
    """A branch open Tue and Thu 10:00-18:00. After Wed 13 May 2026 its next staffed day would be
    Thu 14, Kristi himmelsfärdsdag, so it is Tue 19 May at 10:00. Without holidays: Thu 14."""
    cal = sweden()
    assert cal.windows("TT", date(2026, 5, 14)) == ()
    assert cal.windows("TT", date(2026, 5, 21)) == ((600, 1080),)  # the Thursday after
    assert cal.next_open("TT", date(2026, 5, 13), 0) == (date(2026, 5, 19), 600)
    # From Tue 12 May after closing (19:00): also Tue 19 May.
    assert cal.next_open("TT", date(2026, 5, 12), 19 * 60) == (date(2026, 5, 19), 600)
    assert plain().next_open("TT", date(2026, 5, 13), 0) == (date(2026, 5, 14), 600)


def test_no_windows_on_a_holiday() -> None:
    """Fri 19 June 2026 (Midsommarafton): no branch is staffed, whatever its hours say."""
    assert sweden().windows("ALL", date(2026, 6, 19)) == ()
    assert sweden().windows("ALL", date(2026, 6, 18)) == ((600, 1080),)
    assert plain().windows("ALL", date(2026, 6, 19)) == ((600, 1080),)


def test_vans_and_holidays() -> None:
    """A Mon-Fri van does not run on Fri 19 June 2026 (Midsommarafton) unless vans_on_holidays;
    it runs on Thu 18 June; never on a day closed for all."""
    midsummer_eve, thursday = date(2026, 6, 19), date(2026, 6, 18)
    assert not sweden().van_day(midsummer_eve)
    assert not runs_on(VAN, midsummer_eve, sweden())
    assert runs_on(VAN, thursday, sweden())
    assert sweden(vans_on_holidays=True).van_day(midsummer_eve)
    assert runs_on(VAN, midsummer_eve, sweden(vans_on_holidays=True))
    # Saturday 20 June is still no weekday of this van.
    assert not runs_on(VAN, date(2026, 6, 20), sweden(vans_on_holidays=True))
    closed = (Closure("*", midsummer_eve, "strike"),)
    assert not runs_on(VAN, midsummer_eve, sweden(closed, vans_on_holidays=True))
    assert runs_on(VAN, midsummer_eve, plain())


def test_closures_still_apply() -> None:
    """A '*' closure on Wed 17 June 2026 is no working day; a branch's own closure is one."""
    cal = sweden((Closure("*", date(2026, 6, 17), "strike"), Closure("TT", date(2026, 6, 16), "")))
    assert not cal.is_working_day(date(2026, 6, 17))
    assert cal.is_working_day(date(2026, 6, 16)) and cal.windows("TT", date(2026, 6, 16)) == ()
    # Mon 15 -> Mon 22 June: Tue 16, Thu 18, Mon 22 (17 closed, 19 Midsommarafton) = 3.
    assert cal.working_days_between(date(2026, 6, 15), date(2026, 6, 22)) == 3


def test_unknown_country_in_the_constructor() -> None:
    with pytest.raises(ValueError, match="'XX'"):
        Calendar((), (), country="XX")


# --- settings.toml -------------------------------------------------------------------------


def _load(tmp_path: Path, settings: str) -> Scenario:
    return load_scenario(write_scenario(tmp_path / "s", {**TINY, "settings.toml": settings}))


def _errors(tmp_path: Path, settings: str) -> list[str]:
    with pytest.raises(DataErrors) as caught:
        _load(tmp_path, settings)
    return [str(e) for e in caught.value.errors]


def test_settings_default_to_sweden(tiny: Path) -> None:
    s = load_scenario(tiny).settings
    assert s.holidays_country == "SE" and s.vans_on_holidays is False
    assert Calendar.of(load_scenario(tiny)).is_holiday(date(2026, 6, 19))


def test_settings_load(tmp_path: Path) -> None:
    """holidays_country = "" gives plain Monday to Friday; vans_on_holidays is read."""
    scenario = _load(tmp_path, 'holidays_country = ""\nvans_on_holidays = true\n')
    assert scenario.settings.holidays_country == "" and scenario.settings.vans_on_holidays
    cal = Calendar.of(scenario)
    assert not cal.is_holiday(date(2026, 6, 19)) and cal.is_working_day(date(2026, 6, 19))
    # Thu 18 -> Mon 22 June 2026 without holidays: Fri 19 and Mon 22.
    assert cal.working_days_between(date(2026, 6, 18), date(2026, 6, 22)) == 2


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ('holidays_country = "XX"\n', "settings.toml, column holidays_country, value 'XX': unknown country code"),
        ('holidays_country = "se"\n', "settings.toml, column holidays_country, value 'se': unknown country code"),
        ("holidays_country = 46\n", "settings.toml, column holidays_country, value 46: expected a country code"),
        ('vans_on_holidays = "yes"\n', "settings.toml, column vans_on_holidays, value 'yes': expected true or false"),
    ],
)  # fmt: skip
def test_bad_holiday_settings(tmp_path: Path, settings: str, expected: str) -> None:
    """A wrong holidays_country or vans_on_holidays names settings.toml, the key and value."""
    messages = _errors(tmp_path, settings)
    assert any(m.startswith(expected) for m in messages), messages


# --- planning across a holiday -------------------------------------------------------------

# The tiny consortium moved to the week of Kristi himmelsfärdsdag: Wed 13 May 2026 is the first
# planned day, Thu 14 May the holiday, Fri 15 May the last planned day.
WEDNESDAY, ASCENSION, FRIDAY = date(2026, 5, 13), date(2026, 5, 14), date(2026, 5, 15)
ASCENSION_WEEK = {
    **TINY,
    "items.csv": TINY["items.csv"].replace("2026-12-10", "2026-05-25")
    + "I7,T7,Sju,Hc G,CCC,CCC,available,\n",
    "reservations.csv": TINY["reservations.csv"]
    .replace("2026-11-27", "2026-05-11")
    .replace("2026-11-28", "2026-05-12")
    .replace("2026-11-30", "2026-05-13")
    # Placed Wed 13 May at 10:00, after the pull list: pulled on the next staffed day of CCC,
    # which is Fri 15 May (Thu 14 is the holiday).
    + "R7,T7,AAA,2026-05-13T10:00\n",
    "transfers.csv": TINY["transfers.csv"].replace("2026-11-30", "2026-05-13"),
}


def _ascension_scenario(tmp_path: Path, settings: str = "") -> Scenario:
    files = {**ASCENSION_WEEK, "settings.toml": settings + "solution_limit = 50\n"}
    return load_scenario(write_scenario(tmp_path / "ascension", files))


def test_no_routes_on_a_public_holiday(tmp_path: Path) -> None:
    """Over Wed 13 - Fri 15 May 2026 nothing runs or is delivered on Thu 14 May, items pulled
    after the holiday are ready on Fri 15, and the plan passes the checker."""
    scenario = _ascension_scenario(tmp_path)
    result = plan(scenario, WEDNESDAY, 3, seconds=3)
    assert check_plan(scenario, result) == []
    assert {r.day for r in result.routes} == {WEDNESDAY, FRIDAY}
    assert all(c.day != ASCENSION for c in result.crates)
    assert all(d.delivered_date != ASCENSION for d in result.deliveries)
    (r7,) = [d for d in result.deliveries if d.reservation_id == "R7"]
    assert r7.ready_date == FRIDAY


def test_checker_rejects_a_run_on_a_holiday(tmp_path: Path) -> None:
    """A plan made without public holidays runs on Thu 14 May; checked against Swedish holidays
    it breaks public-holiday (and its handovers that day break opening-hours); with
    vans_on_holidays the run itself is allowed, the handovers still are not."""
    plain_week = _ascension_scenario(tmp_path, 'holidays_country = ""\n')
    result = plan(plain_week, WEDNESDAY, 3, seconds=3)
    assert check_plan(plain_week, result) == []
    assert ASCENSION in {r.day for r in result.routes}

    swedish = dataclasses.replace(
        plain_week, settings=dataclasses.replace(plain_week.settings, holidays_country="SE")
    )
    found = check_plan(swedish, result)
    holiday = [v for v in found if v.rule == "public-holiday"]
    assert holiday and all("2026-05-14" in v.where for v in holiday)
    assert "Kristi himmelsfärdsdag" in holiday[0].message
    assert "vans_on_holidays is false" in holiday[0].message
    assert "opening-hours" in {v.rule for v in found}

    allowed = dataclasses.replace(
        swedish, settings=dataclasses.replace(swedish.settings, vans_on_holidays=True)
    )
    rules = {v.rule for v in check_plan(allowed, result)}
    assert "public-holiday" not in rules and "opening-hours" in rules
