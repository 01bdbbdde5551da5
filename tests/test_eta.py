"""Expected and promised pickup dates, with dates computed by hand.

The tiny consortium (tests/conftest.py): HUB is the hub and the van's depot; AAA, BBB, CCC are
libraries, all staffed Mon-Fri 08:00-17:00 unless a test changes it. Travel HUB-AAA 35 min,
the van's shift 07:00-16:00. Defaults: pull list at 08:00, items ready 60 min after opening,
check-in 30 min, promise = expected + 1 working day on which the pickup branch is staffed.

The regular schedule (logistics.eta.Timetable): a van collects at a branch on a van day and the
item can leave its depot the next day; it delivers from its depot on a van day when the pickup
branch is staffed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from logistics.calendar import Calendar
from logistics.check import check_plan, check_plan_folder
from logistics.eta import Timetable, patron_messages, told
from logistics.load import load_scenario
from logistics.plan import PatronDate, read_plan, write_plan
from logistics.planner import plan
from tests.conftest import TINY, write_scenario

DAILY = "V1,HUB,10,07:00,16:00,mon;tue;wed;thu;fri\n"
MWF = "V1,HUB,10,07:00,16:00,mon;wed;fri\n"
VANS_HEADER = "van_id,depot_branch_id,capacity_crates,shift_start,shift_end,weekdays\n"


def _scenario(tmp_path: Path, vans: str = DAILY, ccc_days: tuple[str, ...] = (), **files: str):
    data = dict(TINY, **files)
    data["vans.csv"] = VANS_HEADER + vans
    if ccc_days:
        rows = [r for r in data["opening_hours.csv"].splitlines() if not r.startswith("CCC,")]
        rows += [f"CCC,{d},08:00,17:00" for d in ccc_days]
        data["opening_hours.csv"] = "\n".join(rows) + "\n"
    return load_scenario(write_scenario(tmp_path / "s", data))


def _timetable(scenario, start: date) -> Timetable:  # type: ignore[no-untyped-def]
    return Timetable(scenario, Calendar.of(scenario), start)


def test_regular_schedule_mon_wed_fri(tmp_path: Path) -> None:
    t = _timetable(_scenario(tmp_path, MWF), date(2026, 11, 30))
    # Ready Mon 09:00 at AAA: collected Mon, at the hub Tue, next van day Wed: on the shelf.
    assert t.on_shelf("AAA", date(2026, 11, 30), 9 * 60, "BBB") == date(2026, 12, 2)
    # Ready Mon 16:00: the van must be back at 16:00, so the last handover at AAA starts by
    # 16:00 - 35 - 6 = 15:19; collected Wed, delivered Fri 4 Dec.
    assert t.on_shelf("AAA", date(2026, 11, 30), 16 * 60, "BBB") == date(2026, 12, 4)
    # Ready on Tue (no van): collected Wed, delivered Fri.
    assert t.on_shelf("AAA", date(2026, 12, 1), 9 * 60, "BBB") == date(2026, 12, 4)
    # Already at the pickup branch at 09:00: on the shelf the same day; at 16:45 (closes 17:00,
    # check-in takes 30 min) the next staffed day.
    assert t.on_shelf("BBB", date(2026, 11, 30), 9 * 60, "BBB") == date(2026, 11, 30)
    assert t.on_shelf("BBB", date(2026, 11, 30), 16 * 60 + 45, "BBB") == date(2026, 12, 1)
    # The promise: the next working day BBB is staffed after the expected day.
    assert t.promise("BBB", date(2026, 12, 4)) == date(2026, 12, 7)


def test_branch_open_two_days_a_week(tmp_path: Path) -> None:
    t = _timetable(_scenario(tmp_path, DAILY, ccc_days=("tue", "thu")), date(2026, 11, 30))
    # Daily van; CCC staffed Tue and Thu only.
    assert t.on_shelf("AAA", date(2026, 11, 30), 9 * 60, "CCC") == date(2026, 12, 1)  # Tue
    assert t.on_shelf("AAA", date(2026, 12, 1), 9 * 60, "CCC") == date(2026, 12, 3)  # Thu
    # Ready Thu: at the hub Fri; CCC closed Fri and Mon: Tue 8 Dec.
    assert t.on_shelf("AAA", date(2026, 12, 3), 9 * 60, "CCC") == date(2026, 12, 8)
    # Promise after Tue 8 Dec: CCC's next staffed working day is Thu 10 Dec.
    assert t.promise("CCC", date(2026, 12, 8)) == date(2026, 12, 10)


def test_no_van_ever_reaches_a_branch(tmp_path: Path) -> None:
    # Vans Mon/Wed/Fri, CCC staffed Tue/Thu only: nothing can be delivered there.
    t = _timetable(_scenario(tmp_path, MWF, ccc_days=("tue", "thu")), date(2026, 11, 30))
    assert t.on_shelf("AAA", date(2026, 11, 30), 9 * 60, "CCC") is None


def _reservation(rid: str, placed: str) -> str:
    return f"reservation_id,title_id,pickup_branch_id,placed_at\n{rid},T1,BBB,{placed}\n"


def _one_day(scenario, start: date):  # type: ignore[no-untyped-def]
    result = plan(scenario, start, 1, seconds=1)
    assert check_plan(scenario, result) == []
    return {p.reservation_id: p for p in result.reservations}


def test_reservation_placed_on_midsummer_eve(tmp_path: Path) -> None:
    """Placed on Midsommarafton, Fri 19 June 2026, copy at AAA, pickup BBB, daily van.

    19 June is not a working day (libraries closed), 20-21 June weekend: the copy is pulled
    Mon 22 June (ready 09:00), collected that day, at the hub Tue 23, delivered Tue 23 June.
    That is 2 working days (Mon 22, Tue 23) after the plan's first day, so the promise takes
    no margin day (promise_far_days = 2): Tue 23 June. With a margin of one it is the next
    working day BBB is staffed, Wed 24 June."""
    s = _scenario(tmp_path, DAILY, **{"reservations.csv": _reservation("R9", "2026-06-19T10:00")})
    dates = _one_day(s, date(2026, 6, 19))
    r9 = dates["R9"]
    assert (r9.item_id, r9.source_branch_id, r9.status) == ("I1", "AAA", "sourced")
    assert r9.expected_ready_date == date(2026, 6, 23)
    assert r9.promise_date == date(2026, 6, 23)
    assert "tisdag 23 juni" in r9.message_sv and "B library" in r9.message_sv
    assert "Tuesday 23 June" in r9.message_en
    # Preliminary until the copy is pulled on Mon 22 June, then told as the promise.
    assert r9.pull_date == date(2026, 6, 22)
    assert "bekräftas när exemplaret har plockats" in r9.message_sv
    assert (told(r9, date(2026, 6, 19)), told(r9, date(2026, 6, 22))) == (False, True)
    t = _timetable(s, date(2026, 6, 19))
    assert t.promise("BBB", date(2026, 6, 23)) == date(2026, 6, 24)


def test_reservation_placed_before_christmas(tmp_path: Path) -> None:
    """Placed Wed 23 Dec 2026 at 09:00 (after the 08:00 pull list), planning from Thu 24 Dec.

    24 (julafton), 25, 26 Dec closed, 27 Sunday: pulled Mon 28 Dec, at the hub Tue 29 Dec and
    delivered Tue 29, 2 working days ahead: promised without a margin day, Tue 29 Dec; with
    one, Wed 30 Dec. (31 Dec nyårsafton and 1 Jan are closed too.)"""
    s = _scenario(tmp_path, DAILY, **{"reservations.csv": _reservation("R9", "2026-12-23T09:00")})
    r9 = _one_day(s, date(2026, 12, 24))["R9"]
    assert r9.expected_ready_date == date(2026, 12, 29)
    assert r9.promise_date == date(2026, 12, 29)
    assert _timetable(s, date(2026, 12, 24)).promise("BBB", date(2026, 12, 29)) == date(
        2026, 12, 30
    )
    # Ready Wed 30 Dec: at the hub from Thu 31 Dec (nyårsafton, no van), Fri 1 Jan a holiday,
    # then the weekend: the van delivers Mon 4 Jan 2027.
    t = _timetable(s, date(2026, 12, 24))
    assert t.on_shelf("AAA", date(2026, 12, 30), 9 * 60, "BBB") == date(2027, 1, 4)
    # The promise for an expected Tue 5 Jan skips Wed 6 Jan (trettondedag jul): Thu 7 Jan.
    assert t.promise("BBB", date(2027, 1, 5)) == date(2027, 1, 7)


def test_pickup_branch_open_two_days_a_week_through_the_planner(tmp_path: Path) -> None:
    """Placed Sat 5 Dec 2026 for pickup at CCC (staffed Tue and Thu), copy I1 at AAA.

    Pulled Mon 7 Dec, at the hub Tue 8 Dec, CCC staffed Tue: expected Tue 8 Dec, 2 working
    days ahead, so promised that day (no margin day); with one, CCC's next staffed day, Thu
    10 Dec. Planning Sat 5 Dec (no van): the copy is chosen, nothing moves."""
    res = "reservation_id,title_id,pickup_branch_id,placed_at\nR9,T1,CCC,2026-12-05T11:00\n"
    s = _scenario(tmp_path, DAILY, ccc_days=("tue", "thu"), **{"reservations.csv": res})
    r9 = _one_day(s, date(2026, 12, 5))["R9"]
    assert r9.expected_ready_date == date(2026, 12, 8)
    assert r9.promise_date == date(2026, 12, 8)
    assert "tisdag 8 december" in r9.message_sv
    assert _timetable(s, date(2026, 12, 5)).promise("CCC", date(2026, 12, 8)) == date(2026, 12, 10)


def test_delivered_reservations_take_their_date_from_the_plan(tmp_path: Path) -> None:
    s = load_scenario(write_scenario(tmp_path / "tiny", TINY))
    result = plan(s, date(2026, 11, 30), 3, seconds=3)
    out = tmp_path / "out"
    write_plan(result, out)
    _, violations = check_plan_folder(s, out)
    assert violations == []
    delivered = {d.reservation_id: d for d in result.deliveries if d.reservation_id}
    assert delivered, "the tiny week delivers its reservations"
    for p in read_plan(out).reservations:
        d = delivered.get(p.reservation_id)
        if d is None:
            continue
        assert p.status == "delivered"
        assert p.expected_ready_date is not None and p.promise_date is not None
        # checked in the day it arrives, or the next staffed day when it arrives too late
        assert d.delivered_date <= p.expected_ready_date
        assert p.expected_ready_date < p.promise_date
    # R4's title has its only copy on loan: an uncertain date from its due date.
    r4 = next(p for p in result.reservations if p.reservation_id == "R4")
    assert r4.status == "awaiting_return"


def test_items_left_waiting_queue_at_the_pace_the_plan_moved_them() -> None:
    """The plan took 3 reserved items from AAA on Monday and 1 on Tuesday (a returned item in
    the Tuesday crate does not count): 2 a day. Five reservations left at AAA wait 0, 0, 1, 1
    and 2 working days more; one at BBB, where the plan took nothing, gets no delay."""
    from logistics.eta import _queue_days
    from logistics.plan import CrateLeg

    mon, tue = date(2026, 11, 30), date(2026, 12, 1)
    legs = [
        CrateLeg("C1", "AAA", "BBB", 3, 1, mon, "V1", "AAA", "HUB", 600, 640),
        CrateLeg("C1", "AAA", "BBB", 3, 2, tue, "V1", "HUB", "BBB", 500, 530),
        CrateLeg("C2", "AAA", "CCC", 2, 1, tue, "V1", "AAA", "HUB", 600, 640),
    ]
    contents = [("C1", "i1"), ("C1", "i2"), ("C1", "i3"), ("C2", "i4"), ("C2", "ret")]
    reserved = {"i1", "i2", "i3", "i4"}
    left = {f"R{k}": "AAA" for k in range(5)} | {"RB": "BBB"}
    queue = ["R0", "R1", "R2", "RB", "R3", "R4"]
    assert _queue_days(left, queue, legs, contents, reserved) == {
        "R0": 0, "R1": 0, "R2": 1, "R3": 1, "R4": 2, "RB": 0,
    }  # fmt: skip


def test_an_item_at_the_depot_leaves_with_the_van_only_when_ready_before_it_starts(
    tmp_path: Path,
) -> None:
    t = _timetable(_scenario(tmp_path, DAILY), date(2026, 11, 30))
    # The van leaves HUB at 07:00: ready at 06:30, on BBB's shelf Monday; at 10:00, Tuesday.
    assert t.on_shelf("HUB", date(2026, 11, 30), 6 * 60 + 30, "BBB") == date(2026, 11, 30)
    assert t.on_shelf("HUB", date(2026, 11, 30), 10 * 60, "BBB") == date(2026, 12, 1)
    # Left waiting after a plan that ends Friday: the next van day is Monday 7 December.
    assert t.van_days_after(date(2026, 12, 5), 0) == date(2026, 12, 7)
    assert t.van_days_after(date(2026, 12, 5), 2) == date(2026, 12, 9)


def test_a_promise_is_told_once_the_copy_is_in_hand() -> None:
    """A copy on a shelf is promised from its pull day on, a copy already on its way at once; a
    date that waits for a return, or no date, is never a promise."""
    mon, tue, wed = date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)

    def dates(status: str, pull: date | None, promise: date | None = wed) -> PatronDate:
        return PatronDate("R1", "I1", "AAA", "BBB", tue, promise, status, "", "", pull)

    assert [told(dates("delivered", tue), day) for day in (mon, tue, wed)] == [False, True, True]
    assert told(dates("in_transit", None), mon)
    assert not told(dates("awaiting_return", None), wed)
    assert not told(dates("no_date", None, None), wed)
    sure, _ = patron_messages("delivered", "B library", wed)
    maybe, _ = patron_messages("delivered", "B library", wed, preliminary=True)
    assert maybe.startswith(sure[:-1]) and maybe != sure and "bekräftas" in maybe
