"""When branches are staffed and which days are working days.

A working day is Monday to Friday unless closures.csv closes every branch ('*') that day.
Transit days count working days, not calendar days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from logistics.model import Closure, OpeningInterval, Scenario


class Calendar:
    """Opening windows of each branch on each date, closures applied."""

    def __init__(self, opening: Iterable[OpeningInterval], closures: Iterable[Closure]) -> None:
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

    @classmethod
    def of(cls, scenario: Scenario) -> Calendar:
        return cls(scenario.opening, scenario.closures)

    def is_closed(self, branch_id: str, day: date) -> bool:
        """Closed by closures.csv (for that branch or for all)."""
        closed = self._closed.get(day, ())
        return "*" in closed or branch_id in closed

    def windows(self, branch_id: str, day: date) -> tuple[tuple[int, int], ...]:
        """Staffed intervals (minutes after midnight) of a branch on a date; empty when closed."""
        if self.is_closed(branch_id, day):
            return ()
        return tuple(self._hours.get((branch_id, day.weekday()), ()))

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, and not closed for the whole consortium."""
        return day.weekday() < 5 and "*" not in self._closed.get(day, ())

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
