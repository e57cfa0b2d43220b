"""The generated tenant: fixed example rooms, determinism, realistic outcomes and density, scale."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sandbox_helpers import NOW, SH

from bot.feishu.models import Reservation
from bot.insights import usage, working_time
from bot.insights.incidents import repeat_offenders
from bot.sandbox import Tenant
from bot.sandbox.bookings import EXEMPT_STATUSES, RELEASED_MANUAL, RELEASED_NO_SHOW

DOCUMENTED_RESERVATION_STATUSES = {"审批中", "预定成功", "已释放（手动释放）", "已释放（会议结束后自动释放）",
                                   "已释放（未签到被释放）", "已释放（传感器自动释放）"}
DOCUMENTED_CHECK_IN_STATUSES = {"无需签到（即时预定）", "无需签到（未开启签到设置）", "无需签到", "超时未签到",
                                "签到时间未结束", "无需签到（未安装签到设备）", "已签到", "待签到",
                                "不可签到（会议室被禁用）"}
DOCUMENTED_DEVICES = {"", "签到板", "签到二维码", "控制器", "触屏板", "设备离线，自动签到"}


def tenant(rooms: int = 60, seed: int = 7) -> Tenant:
    return Tenant(seed, rooms, clock=lambda: NOW)


def test_examples_rooms_exist_on_t2() -> None:
    t = tenant()
    t2 = t.level_by_name("T2")
    assert t2 is not None and t2.parent_id == t.root.level_id
    floors = {lv.name for lv in t.levels if lv.parent_id == t2.level_id}
    assert floors == {f"{n}F" for n in range(3, 10)}
    for name, floor, capacity in (("Mercury", "4F", 6), ("Jupiter 木星", "4F", 12), ("Room 402", "4F", 8),
                                  ("青城山", "7F", 10), ("Oslo", "7F", 4)):
        room = t.room_by_name(name)
        assert room is not None and room.capacity == capacity
        level = t.directory.level(room.level_id)
        assert level is not None and level.name == floor and level.parent_id == t2.level_id
        assert room.path == (t.root.level_id, t2.level_id, room.level_id)


def test_tenant_size_names_and_capacities() -> None:
    t = tenant()
    assert len(t.rooms) == 60
    assert len({r.name for r in t.rooms}) == 60
    assert all(4 <= r.capacity <= 20 for r in t.rooms)
    assert any(not r.name.isascii() for r in t.rooms) and any(r.name.isascii() for r in t.rooms)
    assert any(not u.name.isascii() for u in t.users) and any(u.name.isascii() for u in t.users)
    assert t.levels[0] == t.root


def test_same_seed_same_tenant_and_bookings() -> None:
    one, two = tenant(), tenant()
    assert one.rooms == two.rooms and one.levels == two.levels and one.users == two.users
    day = date(2025, 3, 3)
    assert one.reservations_on(day) == two.reservations_on(day)
    assert tenant(seed=8).rooms != one.rooms


def test_past_day_shows_documented_outcomes() -> None:
    rows = tenant().reservations_on(date(2025, 3, 3))
    assert 400 <= len(rows) <= 800
    assert {r.reservation_status for r in rows} == DOCUMENTED_RESERVATION_STATUSES
    assert {r.check_in_status for r in rows} <= DOCUMENTED_CHECK_IN_STATUSES
    assert {r.check_in_device for r in rows} <= DOCUMENTED_DEVICES
    for r in rows:
        if r.reservation_status == RELEASED_MANUAL:
            assert r.releaser == r.reserver and r.release_time is not None and r.release_time < r.end
            assert r.check_in_status == "已签到" and r.release_early == RELEASED_MANUAL
        if r.reservation_status == RELEASED_NO_SHOW:
            assert r.check_in_status == "超时未签到" and r.check_in_time is None


def test_meetings_still_to_come_are_booked_and_awaiting_check_in() -> None:
    rows = [r for r in tenant().reservations_on(NOW.date()) if r.start > NOW + timedelta(minutes=15)]
    assert rows
    assert {r.reservation_status for r in rows} <= {"预定成功", "审批中"}
    assert {r.check_in_status for r in rows} <= {"待签到", *EXEMPT_STATUSES}
    assert all(r.release_time is None and r.check_in_time is None for r in rows)


def test_weekends_are_quieter_and_recurring_meetings_repeat() -> None:
    t = tenant()
    monday, tuesday, saturday = date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 8)
    assert len(t.reservations_on(saturday)) * 4 < len(t.reservations_on(monday))
    room_id, series = next(iter(t.directory.series.items()))

    def slot(day: date) -> list[tuple[str, str]]:
        start = datetime.combine(day, datetime.min.time(), SH)
        return [(b.uid, f"{datetime.fromtimestamp(b.start, SH):%H:%M}")
                for b in t.bookings(start, start + timedelta(days=1), [room_id]) if b.series]

    assert slot(monday) == slot(tuesday) == [(series.uid, (f"{series.start_minute // 60:02d}:"
                                                          f"{series.start_minute % 60:02d}"))]


def test_some_events_are_private_and_some_cross_midnight() -> None:
    t = tenant(rooms=300)
    start = datetime(2025, 3, 3, tzinfo=SH)
    bookings = t.bookings(start, start + timedelta(days=5))
    assert any(b.private for b in bookings)
    assert any(datetime.fromtimestamp(b.end, SH).date() > datetime.fromtimestamp(b.start, SH).date()
               for b in bookings)


def test_two_thousand_rooms_make_about_twenty_thousand_reservations_a_day() -> None:
    t = tenant(rooms=2000)
    assert len(t.rooms) == 2000
    count = sum(len(rows) for rows in t.book.day(date(2025, 3, 4)).values())
    assert 18_000 <= count <= 22_000
    assert t.book.day(date(2025, 3, 4))[t.rooms[0].room_id] is t.book.day(date(2025, 3, 4))[t.rooms[0].room_id]


WEEK = date(2025, 2, 24)  # Monday to Sunday before NOW


def week(t: Tenant) -> tuple[list[Reservation], working_time.Window]:
    start = datetime.combine(WEEK, time(0), SH)
    return (t.reservations(start, start + timedelta(days=7)),
            working_time.Window(WEEK, WEEK + timedelta(days=6), NOW))


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_a_week_is_thirty_to_sixty_percent_used_with_two_peaks(seed: int) -> None:
    t = tenant(seed=seed)
    rows, window = week(t)
    rooms = usage.measure(rows, t.rooms, window)
    assert 0.3 <= usage.group(rooms).utilisation <= 0.6
    peaks = dict(usage.peak_hours(rooms, window))
    assert peaks[10] > peaks[12] + 0.2 and max(peaks[14], peaks[15]) > peaks[12] + 0.2  # lunch dip
    assert peaks[10] > peaks[9] and max(peaks[14], peaks[15]) > peaks[17]


def test_some_rooms_idle_some_oversized_and_a_few_repeat_no_shows() -> None:
    t = tenant()
    rows, window = week(t)
    idle = usage.idle_rooms(usage.measure(rows, t.rooms, window))
    assert 1 <= len(idle) <= 8 and all(r.room.name not in {"Mercury", "Oslo"} for r in idle)
    sizing = usage.right_sizing(rows, t.rooms, window)
    oversized = [s for s in sizing if s.oversized]
    assert oversized and all(s.room.capacity >= 10 and s.median_people <= 3 for s in oversized)
    assert any(s.too_small for s in sizing)
    assert sum(not (s.oversized or s.too_small) for s in sizing) > 30
    offenders = repeat_offenders(rows, WEEK + timedelta(days=6), SH)
    habitual = {u.name for u in t.users if u.open_id in t.directory.habitual}
    assert 3 <= len(offenders) <= 12 and habitual <= {o.name for o in offenders}
    assert sum(o.no_shows for o in offenders[:3]) > 15  # habits, not chance


def test_density_is_deterministic_for_a_seed() -> None:
    one, two = tenant(), tenant()
    rows, window = week(one)
    assert rows == week(two)[0] and rows != week(tenant(seed=8))[0]
    assert usage.measure(rows, one.rooms, window) == usage.measure(week(two)[0], two.rooms, window)
    assert one.directory.profiles == two.directory.profiles
    assert one.directory.habitual == two.directory.habitual


def test_five_weeks_of_history_in_any_order() -> None:
    old = NOW.date() - timedelta(days=35)
    fresh = tenant().reservations_on(old)
    t = tenant()
    for back in range(34, -1, -1):  # generate the other days first: the old day is the same
        t.reservations_on(NOW.date() - timedelta(days=back))
    assert t.reservations_on(old) == fresh and len(fresh) > 300
    assert not {r.check_in_status for r in fresh} & {"待签到", "签到时间未结束"}
    assert {r.reservation_status for r in fresh} == DOCUMENTED_RESERVATION_STATUSES


def test_big_tenants_have_unique_people() -> None:
    t = tenant(rooms=2000)
    assert len(t.users) == 6000 and len({u.name for u in t.users}) == 6000
    assert t.directory.user(t.users[-1].open_id) == t.users[-1]
