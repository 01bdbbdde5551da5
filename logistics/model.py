"""The values bokflyt plans with, in the library's own words.

Times of day are minutes after midnight (int); dates are `datetime.date`; distances are km
(float) in the data and metres (int) only at the solver boundary (see `routing`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BranchKind(StrEnum):
    LIBRARY = "library"
    HUB = "hub"


class ItemStatus(StrEnum):
    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    IN_TRANSIT = "in_transit"
    MISSING = "missing"


@dataclass(frozen=True)
class Branch:
    """A service point: a member library or a hub where crates are re-sorted."""

    branch_id: str
    name: str
    municipality: str
    lat: float
    lon: float
    kind: BranchKind
    # At most this many copies pulled here on one day are sent to other branches (None: no
    # limit); copies filling a reservation at this branch do not count.
    max_sent_per_day: int | None = None


@dataclass(frozen=True)
class OpeningInterval:
    """Staffed hours on one weekday, when crates can be handed over; minutes after midnight."""

    branch_id: str
    weekday: int  # 0 = Monday
    opens: int
    closes: int


@dataclass(frozen=True)
class Van:
    """A courier van: its depot, capacity in crates, daily shift (minutes) and running weekdays."""

    van_id: str
    depot_branch_id: str
    capacity_crates: int
    shift_start: int
    shift_end: int
    weekdays: frozenset[int]


@dataclass(frozen=True)
class Item:
    """One physical copy, identified by its barcode."""

    item_id: str
    title_id: str
    title: str
    call_number: str
    home_branch_id: str
    current_branch_id: str
    status: ItemStatus
    due_date: date | None
    may_travel: bool = True  # False for a reference copy: it fills reservations only where it is


@dataclass(frozen=True)
class Reservation:
    """A patron's hold on a title, to be collected at the pickup branch. No patron data."""

    reservation_id: str
    title_id: str
    pickup_branch_id: str
    placed_at: datetime


@dataclass(frozen=True)
class Transfer:
    """An item that must move: a return going home, or a copy already on its way."""

    item_id: str
    from_branch_id: str
    to_branch_id: str
    ready_at: datetime
    # The reservation the item is already on its way to fill (a copy pulled earlier that has
    # not arrived yet); empty for a return going home.
    reservation_id: str = ""


@dataclass(frozen=True)
class NoTransfer:
    """Items may not be sent from one branch to another ('*' on either side: any branch)."""

    from_branch_id: str
    to_branch_id: str


@dataclass(frozen=True)
class Closure:
    """A date on which a branch (or every branch, branch_id '*') is closed."""

    branch_id: str
    day: date
    reason: str


@dataclass(frozen=True)
class Leg:
    """Travel between two branches: km and minutes."""

    km: float
    minutes: float


@dataclass(frozen=True)
class Settings:
    """Planning parameters of a consortium, from settings.toml; every field has a default."""

    items_per_crate: int = 20
    stop_minutes: int = 5  # per stop, for parking and walking in
    crate_minutes: int = 1  # per crate handed over
    break_after_minutes: int = 300  # most minutes of work before a break
    break_minutes: int = 30
    solver_seconds: float = 10.0  # per planned day
    seed: int = 1
    # The pull rule: staff pull the reserved items of the day's pull list, printed at
    # pull_list_at on each day the source branch is open; items are ready to travel
    # pull_minutes after the branch opens that day.
    pull_list_at: int = 8 * 60
    pull_minutes: int = 60
    # Patrons first: cost, in km, of one item waiting one more working day, by how many
    # working days it has waited already (the last value repeats).
    wait_cost_km: tuple[float, ...] = (8.0, 60.0, 120.0)
    transfer_weight: float = 0.25  # a return going home weighs this much of a reservation
    hub_credit: float = 0.25  # share of the waiting cost saved by a crate already at a hub
    same_day_relay: bool = True  # crates may change vans at a hub on the same day
    # Route each collected crate with the choice of going straight to its destination (True),
    # or collect the crates of a library in bundles to the hub (False: a smaller model).
    direct_in_model: bool = False
    direct_after_days: int = 1  # ... for crates that have waited this many working days
    slack_minutes: int = 0  # of each shift kept free in routing, for direct and relayed crates
    workers: int = 1  # parallel searches per day (processes)
    # Stop each day's search after this many solutions (0: only the time limit). With a limit
    # that is reached before the time limit, plans repeat exactly for the same seed.
    solution_limit: int = 0
    # Patron dates: an item handed over at its pickup branch is on the shelf checkin_minutes
    # later (while staffed); the promise adds promise_margin_days staffed working days.
    checkin_minutes: int = 30
    promise_margin_days: int = 1
    promise_far_days: int = 2  # ... minus one for dates this many working days ahead or more
    # Cost (km) per item of leaving it where it is when that breaks its promise (promises.csv):
    # the promise is at most a working day away, or the regular service from there, from
    # tomorrow on, would reach the pickup shelf after the promised date.
    promise_cost_km: float = 150.0
    # Public holidays of this country (ISO code for the `holidays` package; "" for none): no
    # branch is staffed and it is no working day. Vans run on them only with vans_on_holidays.
    holidays_country: str = "SE"
    vans_on_holidays: bool = False
    # Reservations waiting for a return: a copy lent again comes back this many days later.
    loan_days: int = 28

    def wait_cost(self, waited_days: int) -> float:
        """Cost (km) of one more working day of waiting for an item that waited `waited_days`."""
        costs = self.wait_cost_km
        return costs[min(waited_days, len(costs) - 1)]


@dataclass(frozen=True)
class Scenario:
    """Everything in one scenario folder, validated."""

    name: str
    branches: dict[str, Branch]
    opening: tuple[OpeningInterval, ...]
    vans: tuple[Van, ...]
    items: dict[str, Item]
    reservations: tuple[Reservation, ...]
    transfers: tuple[Transfer, ...]
    closures: tuple[Closure, ...]
    settings: Settings
    travel: dict[tuple[str, str], Leg] = field(repr=False)
    travel_source: str = "roads"  # 'travel.csv', 'roads' or 'great-circle'
    no_transfer: tuple[NoTransfer, ...] = ()  # pairs of branches that may not exchange items
    # The pickup dates patrons were told (promises.csv): the planner treats them as deadlines.
    promises: dict[str, date] = field(default_factory=dict)

    @cached_property
    def _travelling(self) -> frozenset[str]:
        return frozenset(t.item_id for t in self.transfers)

    def on_shelf(self, item_id: str, branch_id: str) -> bool:
        """True when the copy stands on a shelf at the branch, so filling a reservation with it
        means pulling it (available there, and not a return or a copy on its way)."""
        item = self.items.get(item_id)
        return (
            item is not None
            and item.status is ItemStatus.AVAILABLE
            and item.current_branch_id == branch_id
            and item_id not in self._travelling
        )
