"""When branches are staffed, which days are working days, and on which days vans may run.

Public holidays come from the `holidays` package for settings.holidays_country ("SE" by
default; "" for none), together with the days that country treats like public holidays (for
Sweden: Midsommarafton, Julafton and Nyårsafton). Sundays are not counted as holidays here:
whether a branch is staffed on a Sunday is up to opening_hours.csv.

- A branch is staffed in its opening hours of the weekday, except on a public holiday and on a
  day closures.csv closes it (or every branch, '*').
- A working day is Monday to Friday, not a public holiday and not closed for all ('*').
  Transit days count working days, not calendar days.
- Vans may run on a day unless it is closed for all, or it is a public holiday and
  settings.vans_on_holidays is off.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from typing import Any

import holidays

from logistics.model import Closure, OpeningInterval, Scenario, Van

# Categories of the `holidays` package that are days off: official public holidays, and the
# days the law treats like them ("de facto", e.g. the Swedish eves), where a country has them.
_DAY_OFF_CATEGORIES = ("public", "de_facto")


@cache
def holiday_countries() -> frozenset[str]:
    """Country codes the `holidays` package knows (ISO 3166-1, upper case)."""
    return frozenset(holidays.list_supported_countries())


def _swedish_eves(year: int) -> dict[date, str]:
    """Midsommarafton (the Friday from 19 to 25 June), Julafton and Nyårsafton.

    Not public holidays by law, but treated like Sundays (Semesterlag 1977:480, 7 §): libraries
    and couriers do not work them. Newer versions of the `holidays` package list them in its
    "de_facto" category; for versions without it they are added here.
    """
    midsummer = date(year, 6, 19)
    midsummer += timedelta(days=(4 - midsummer.weekday()) % 7)
    return {
        midsummer: "Midsommarafton",
        date(year, 12, 24): "Julafton",
        date(year, 12, 31): "Nyårsafton",
    }


@cache
def public_holidays(country: str, year: int) -> dict[date, str]:
    """Public holidays (and de facto ones) of a country in a year: {date: name}.

    Names are in the country's own language. Raises ValueError for an unknown country code.
    """
    if not country:
        return {}
    if country not in holiday_countries():
        raise ValueError(f"unknown country code {country!r} for public holidays")
    probe = holidays.country_holidays(country)
    options: dict[str, Any] = {}
    if "include_sundays" in inspect.signature(type(probe).__init__).parameters:
        # Sweden (and Norway) can count every Sunday as a holiday; older versions of the
        # package do so by default. Sundays follow opening_hours.csv instead.
        options["include_sundays"] = False
    supported = getattr(probe, "supported_categories", ("public",))
    table = holidays.country_holidays(
        country,
        years=year,
        categories=tuple(c for c in _DAY_OFF_CATEGORIES if c in supported),
        language=getattr(probe, "default_language", None),
        **options,
    )
    days = {day: str(name) for day, name in table.items() if day.year == year}
    if country == "SE":
        for day, name in _swedish_eves(year).items():
            days.setdefault(day, name)
    return days


class Calendar:
    """Opening windows of each branch on each date, public holidays and closures applied."""

    def __init__(
        self,
        opening: Iterable[OpeningInterval],
        closures: Iterable[Closure],
        *,
        country: str = "",
        vans_on_holidays: bool = False,
    ) -> None:
        self._hours: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
        for o in opening:
            self._hours[(o.branch_id, o.weekday)].append((o.opens, o.closes))
        for spans in self._hours.values():
            spans.sort()
        self._closed: dict[date, set[str]] = defaultdict(set)
        self._reasons: dict[tuple[str, date], str] = {}
        for c in closures:
            self._closed[c.day].add(c.branch_id)
            self._reasons[(c.branch_id, c.day)] = c.reason
        if country and country not in holiday_countries():
            raise ValueError(f"unknown country code {country!r} for public holidays")
        self.country = country
        self.vans_on_holidays = vans_on_holidays

    @classmethod
    def of(cls, scenario: Scenario) -> Calendar:
        s = scenario.settings
        return cls(
            scenario.opening,
            scenario.closures,
            country=s.holidays_country,
            vans_on_holidays=s.vans_on_holidays,
        )

    def holiday_name(self, day: date) -> str:
        """Name of the public holiday on a date ("" if it is none)."""
        return public_holidays(self.country, day.year).get(day, "")

    def is_holiday(self, day: date) -> bool:
        """A public holiday of the calendar's country (or a day treated like one)."""
        return day in public_holidays(self.country, day.year)

    def is_closed(self, branch_id: str, day: date) -> bool:
        """Closed by closures.csv (for that branch or for all)."""
        closed = self._closed.get(day, ())
        return "*" in closed or branch_id in closed

    def windows(self, branch_id: str, day: date) -> tuple[tuple[int, int], ...]:
        """Staffed intervals (minutes after midnight) of a branch on a date; empty when closed
        or on a public holiday."""
        if self.is_closed(branch_id, day) or self.is_holiday(day):
            return ()
        return tuple(self._hours.get((branch_id, day.weekday()), ()))

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, not a public holiday, and not closed for the whole consortium."""
        return day.weekday() < 5 and not self.is_holiday(day) and not self.is_closed("*", day)

    def van_day(self, day: date) -> bool:
        """Vans may run: not closed for the whole consortium, and not a public holiday unless
        vans_on_holidays. (Each van also runs only on its own weekdays.)"""
        if self.is_closed("*", day):
            return False
        return self.vans_on_holidays or not self.is_holiday(day)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: 0 for the same day; negative never (end < start -> 0)."""
        count = 0
        day = start + timedelta(days=1)
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += timedelta(days=1)
        return count

    def next_open(
        self, branch_id: str, after: date, minute: int, limit_days: int = 28
    ) -> tuple[date, int] | None:
        """First (date, minute) at or after `minute` on `after` when the branch is staffed."""
        day = after
        for _ in range(limit_days):
            for opens, closes in self.windows(branch_id, day):
                if closes > minute:
                    return day, max(opens, minute)
            day += timedelta(days=1)
            minute = 0
        return None


def runs_on(van: Van, day: date, calendar: Calendar) -> bool:
    """A van runs on its weekdays, except on days closed for the whole consortium and on public
    holidays (unless settings.vans_on_holidays)."""
    return day.weekday() in van.weekdays and calendar.van_day(day)


WEEKDAYS_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
MONTHS_SV = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip


def long_day(day: date, lang: str) -> str:
    """'måndag 30 november' or 'Monday 30 November'."""
    return day_sv(day) if lang == "sv" else day_en(day)


def day_sv(day: date) -> str:
    return f"{WEEKDAYS_SV[day.weekday()]} {day.day} {MONTHS_SV[day.month - 1]}"


def day_en(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"
