"""Usage against hand-checked rows: utilisation, used and ghost time, peak hours, right-sizing."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.directory.tree import Directory
from bot.feishu.models import Reservation, Room, RoomLevel
from bot.insights.usage import (
    RoomUsage,
    by_level,
    group,
    idle_rooms,
    measure,
    peak_hours,
    right_sizing,
)
from bot.insights.working_time import Window, WorkingTime

SH = ZoneInfo("Asia/Shanghai")
MON = date(2025, 11, 17)  # a Monday
H = timedelta(hours=1)
M = timedelta(minutes=1)
ROOT = RoomLevel("root", "Tenant", "")
T2 = RoomLevel("t2", "T2", "root", ("root",), True)
A = RoomLevel("a", "A座", "root", ("root",), True)
T2_4F = RoomLevel("t2-4", "4F", "t2", ("root", "t2"))
T2_5F = RoomLevel("t2-5", "5F", "t2", ("root", "t2"))
A_1F = RoomLevel("a-1", "1F", "a", ("root", "a"))


def room(name: str = "Mercury", capacity: int = 8, floor: RoomLevel = T2_4F) -> Room:
    return Room(f"omm_{name}", name, capacity, floor.level_id, floor.path + (floor.level_id,))


MERCURY = room()


def at(hour: int, minute: int = 0, day: date = MON) -> datetime:
    return datetime.combine(day, time(0), SH) + timedelta(hours=hour, minutes=minute)


def row(start: datetime, end: datetime, where: Room = MERCURY, *, status: str = "预定成功",
        check_in: str = "已签到", release: datetime | None = None, guests: int = 4,
        accepted: int = 0, room_id: str | None = None) -> Reservation:
    return Reservation(where.room_id if room_id is None else room_id, where.name, "张三", "ou_1",
                       "研发", start, end, end - start, status, check_in, guests=guests,
                       accepted=accepted, release_time=release)


def one_day(day: date = MON) -> Window:
    """The whole local day, seen from the next morning."""
    return Window(day, day, at(8, day=day + timedelta(days=1)))


def only(rows: list[Reservation], window: Window | None = None, where: Room = MERCURY) -> RoomUsage:
    [usage] = measure(rows, [where], window or one_day())
    return usage


def test_overlapping_bookings_count_once() -> None:
    usage = only([row(at(10), at(11)), row(at(10, 30), at(12)), row(at(11), at(11, 30))])
    assert usage.held == 2 * H and usage.working == 9 * H and usage.bookings == 3
    assert usage.utilisation == pytest.approx(2 / 9)
    assert usage.used == 2 * H and usage.ghost == 0 * H
    mixed = only([row(at(10), at(11)), row(at(10, 30), at(12), check_in="超时未签到")])
    assert (mixed.held, mixed.used, mixed.ghost) == (2 * H, H, 90 * M)  # each counted as a union


@pytest.mark.parametrize(("status", "check_in", "release", "held"), [
    ("已释放（手动释放）", "已签到", at(13, 40), 40 * M),
    ("已释放（传感器自动释放）", "已签到", at(14), H),
    ("已释放（未签到被释放）", "超时未签到", at(13, 15), 15 * M),
    ("已释放（会议结束后自动释放）", "已签到", at(15), 2 * H),
    ("已释放（会议结束后自动释放）", "已签到", at(15, 10), 2 * H),  # a release after the end
    ("已释放（会议结束后自动释放）", "已签到", at(14, 30), 90 * M),  # any release status
    ("已释放(手动释放)", "已签到", at(13, 30), 30 * M),  # half-width parentheses
    ("预定成功", "已签到", None, 2 * H),
])
def test_released_time_counts_only_up_to_the_release(
        status: str, check_in: str, release: datetime | None, held: timedelta) -> None:
    usage = only([row(at(13), at(15), status=status, check_in=check_in, release=release)])
    assert usage.held == held and usage.bookings == 1


def test_used_ghost_and_neither() -> None:
    usage = only([row(at(9), at(10)),  # checked in
                  row(at(10), at(11), check_in="无需签到（即时预定）"),  # needs no check-in
                  row(at(11), at(12), check_in="超时未签到"),  # a no-show never released
                  row(at(13), at(14), status="已释放（未签到被释放）", check_in="超时未签到",
                      release=at(13, 15)),
                  row(at(14), at(15), status="审批中", check_in="")])  # pending: held, neither
    assert usage.held == 4 * H + 15 * M
    assert usage.used == 2 * H and usage.ghost == H + 15 * M
    assert usage.used_share == pytest.approx(2 / 9) and usage.ghost_share == pytest.approx(1.25 / 9)


def test_booking_partly_outside_working_hours() -> None:
    usage = only([row(at(7), at(9, 30)), row(at(17, 30), at(20)), row(at(19), at(21))])
    assert usage.held == H and usage.bookings == 3


def test_booking_crossing_midnight() -> None:
    overnight = row(at(17), at(10, day=MON + timedelta(days=1)))
    two_days = Window(MON, MON + timedelta(days=1), at(8, day=MON + timedelta(days=2)))
    usage = only([overnight], two_days)
    assert usage.held == 2 * H and usage.working == 18 * H and usage.bookings == 1
    tuesday = only([overnight], one_day(MON + timedelta(days=1)))
    assert tuesday.held == H and tuesday.bookings == 0  # it started on Monday


def test_window_with_a_weekend() -> None:
    friday, monday = date(2025, 11, 21), date(2025, 11, 24)
    window = Window(friday, monday, at(8, day=monday + timedelta(days=1)))
    saturday = friday + timedelta(days=1)
    rows = [row(at(10, day=friday), at(11, day=friday)),
            row(at(10, day=saturday), at(12, day=saturday)),
            row(at(16, day=friday), at(10, day=monday))]  # Friday afternoon to Monday morning
    usage = only(rows, window)
    assert usage.working == 18 * H and usage.held == 4 * H  # Fri 10-11, Fri 16-18, Mon 9-10
    weekend = Window(friday + timedelta(days=1), friday + timedelta(days=2), at(8, day=monday))
    empty = only(rows, weekend)
    assert empty.working == 0 * H and empty.utilisation == 0.0 and not empty.idle


def test_room_with_no_bookings_is_idle_and_the_five_percent_boundary() -> None:
    quiet, edge, busy = room("Oslo"), room("Paris"), room("Rome")
    rows = [row(at(10), at(10, 27), edge), row(at(10), at(10, 26), busy)]  # 27 min = 5 % of 9 h
    usages = measure(rows, [quiet, edge, busy], one_day())
    assert [u.utilisation for u in usages] == pytest.approx([0.0, 0.05, 26 / 540])
    assert [u.room.name for u in idle_rooms(usages)] == ["Oslo", "Rome"]
    assert usages[0].held == 0 * H and usages[0].working == 9 * H and usages[0].hourly == (0.0,) * 9


def test_today_counts_up_to_now() -> None:
    now = at(11)
    rows = [row(at(10), at(12)), row(at(11, 30), at(12)), row(at(8), at(9, 30))]
    usage = only(rows, Window(MON, MON, now))
    assert usage.working == 2 * H and usage.held == H + 30 * M and usage.utilisation == 0.75
    assert usage.bookings == 2  # the 11:30 meeting has not started
    before_work = only(rows, Window(MON, MON, at(8)))
    assert before_work.working == 0 * H and before_work.held == 0 * H


def test_peak_hours_are_averaged_over_working_days() -> None:
    tue, sat = MON + timedelta(days=1), MON - timedelta(days=2)
    other = room("Oslo")
    rows = [row(at(9), at(10)), row(at(9, 30), at(10), other),  # Monday 9h: 90 of 120 room-minutes
            row(at(9, day=tue), at(9, 30, day=tue)),  # Tuesday 9h: 30 of 120
            row(at(14, 30, day=tue), at(16, day=tue), other),  # Tuesday: 14h 30 min, 15h 60 min
            row(at(9, day=sat), at(12, day=sat))]  # Saturday: not a working day
    window = Window(sat, tue, at(8, day=tue + timedelta(days=1)))
    peaks = dict(peak_hours(measure(rows, [MERCURY, other], window), window))
    assert list(peaks) == list(range(9, 18))
    assert peaks[9] == pytest.approx(0.5) and peaks[10] == 0.0
    assert peaks[14] == pytest.approx(30 / 240) and peaks[15] == pytest.approx(60 / 240)


def test_peak_hours_today_only_count_hours_begun() -> None:
    window = Window(MON, MON, at(10, 30))
    peaks = dict(peak_hours(measure([row(at(9, 30), at(12))], [MERCURY], window), window))
    assert peaks[9] == 0.5 and peaks[10] == 1.0 and peaks[11] == 0.0


def test_working_time_is_a_parameter() -> None:
    working = WorkingTime.parse("09:30-17:30", ["Mon", "tue", "Wednesday"])
    assert working.days == frozenset({0, 1, 2}) and working.hours == tuple(range(9, 18))
    window = Window(MON, MON + timedelta(days=6), at(8, day=MON + timedelta(days=7)), working)
    usage = only([row(at(9), at(10)), row(at(10, day=MON + timedelta(days=3)),
                                          at(11, day=MON + timedelta(days=3)))], window)
    assert usage.working == 24 * H and usage.held == 30 * M
    assert dict(peak_hours([usage], window))[9] == pytest.approx(30 / 90)
    with pytest.raises(ValueError):
        WorkingTime.parse("18:00-09:00")
    with pytest.raises(ValueError):
        WorkingTime.parse("09:00-18:00", ["Mon", "Funday"])


def test_groups_sum_held_over_working_time() -> None:
    jupiter, oslo = room("Jupiter", floor=T2_4F), room("Oslo", floor=T2_5F)
    lobby = room("Lobby", floor=A_1F)
    rooms = [MERCURY, jupiter, oslo, lobby]
    rows = [row(at(9), at(18)), row(at(9), at(12), oslo), row(at(10), at(11), lobby),
            row(at(10), at(11), room_id="", where=jupiter)]  # an export row: matched by name
    usages = measure(rows, rooms, one_day())
    directory = Directory(rooms, [ROOT, T2, A, T2_4F, T2_5F, A_1F], "root")
    floors = by_level(usages, directory, "floor")
    assert [(g.label, g.rooms, g.held) for g in floors] == [("4F", 2, 10 * H), ("5F", 1, 3 * H),
                                                            ("1F", 1, H)]
    assert floors[0].utilisation == pytest.approx(10 / 18)
    buildings = by_level(usages, directory, "building")
    assert [(g.label, g.utilisation) for g in buildings] == [("T2", pytest.approx(13 / 27)),
                                                             ("A座", pytest.approx(1 / 9))]
    tenant = group(usages)
    assert tenant.utilisation == pytest.approx(14 / 36) and tenant.bookings == 4
    assert tenant.idle_rooms == 0 and tenant.kind == "tenant"


def test_rows_of_other_rooms_are_ignored() -> None:
    stranger = row(at(9), at(18), room("Narnia"))
    assert only([stranger]).held == 0 * H


def sized(capacity: int, people: list[int], invited: list[int] | None = None) -> list[Reservation]:
    where = room(f"Cap{capacity}-{len(people)}-{sum(people)}", capacity)
    guests = invited or [max(n, 1) for n in people]
    return [row(at(9 + i % 8), at(9 + i % 8, 30), where, accepted=n, guests=g)
            for i, (n, g) in enumerate(zip(people, guests, strict=True))]


def size_rows(*groups: list[Reservation]) -> dict[str, tuple[float, bool, bool]]:
    rooms = {r.room_name: room(r.room_name, int(r.room_name[3:].split("-")[0]))
             for rows in groups for r in rows}
    window = Window(MON, MON, at(20))
    found = right_sizing([r for rows in groups for r in rows], list(rooms.values()), window)
    return {s.room.name: (s.median_people, s.oversized, s.too_small) for s in found}


def test_right_sizing_oversized_at_exactly_a_third() -> None:
    at_third = sized(12, [4, 4, 4, 1, 9])  # median 4 = 12 / 3: oversized
    above = sized(12, [5, 5, 5, 1, 9])  # median 5
    guests_when_nobody_accepted = sized(12, [0, 0, 0, 0, 0], invited=[6, 6, 6, 2, 2])
    even = sized(15, [2, 3, 4, 6, 7, 8])  # median 5 = 15 / 3
    found = size_rows(at_third, above, guests_when_nobody_accepted, even)
    assert found[at_third[0].room_name] == (4, True, False)
    assert found[above[0].room_name] == (5, False, False)
    assert found[guests_when_nobody_accepted[0].room_name] == (6, False, False)
    assert found[even[0].room_name] == (5, True, False)


def test_right_sizing_too_small_above_twenty_percent() -> None:
    exactly = sized(4, [3] * 10, invited=[5, 6] + [4] * 8)  # 2 of 10 over: 20 %, not flagged
    over = sized(4, [3] * 9, invited=[5, 6] + [4] * 7)  # 2 of 9: 22 %
    few = sized(4, [3] * 4, invited=[9] * 4)  # 4 bookings: not judged
    found = size_rows(exactly, over, few)
    assert found[exactly[0].room_name] == (3, False, False)
    assert found[over[0].room_name] == (3, False, True)
    assert few[0].room_name not in found
    assert next(iter(found)) == over[0].room_name  # flagged rooms first
