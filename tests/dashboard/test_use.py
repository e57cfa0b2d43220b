"""The dashboard's utilisation, heatmap, head-counts and departments, from day facts as the store
keeps them through week rollups, equal what the usage card computes from the rows themselves
(bot/insights/usage.py)."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dashboard import numbers, use
from bot.dashboard.rollup import Layout, Rollup, week_rollup
from bot.digest import facts
from bot.directory.tree import Directory
from bot.feishu.models import Reservation
from bot.insights import usage
from bot.insights.working_time import Window, WorkingTime
from tests.insights.test_usage import ROOT, SH, T2, T2_4F, T2_5F, room

MON = date(2025, 11, 17)
WEEK = [MON + timedelta(days=n) for n in range(7)]
ROOMS = [room("Mercury", 8), room("Venus", 4), room("Mars", 12, T2_5F)]
DIRECTORY = Directory(ROOMS, [ROOT, T2, T2_4F, T2_5F], "root")
STATUSES = [("预定成功", "已签到", ""), ("预定成功", "超时未签到", ""),
            ("已释放（手动释放）", "已签到", "已释放（手动释放）"),
            ("预定成功", "无需签到", "")]

booking = st.tuples(st.integers(0, 6), st.integers(0, 2), st.integers(6 * 4, 20 * 4),
                    st.integers(1, 12), st.integers(0, 3), st.integers(0, 12),
                    st.integers(0, 20), st.sampled_from(["研发", "销售", ""]))


def as_row(spec: tuple[int, int, int, int, int, int, int, str]) -> Reservation:
    day, which, quarter, quarters, status, released_after, people, dept = spec
    where = ROOMS[which]
    start = datetime.combine(WEEK[day], time(0), SH) + timedelta(minutes=15 * quarter)
    end = start + timedelta(minutes=15 * quarters)
    reservation, check_in, release = STATUSES[status]
    release_time = start + timedelta(minutes=5 * released_after) if release else None
    return Reservation(where.room_id, where.name, "张三", "ou_1", dept, start, end, end - start,
                       reservation, check_in, guests=people, accepted=0, release_early=release,
                       release_time=release_time)


def remembered(rows: list[Reservation]) -> dict[date, facts.DayUse]:
    return {day: reduced.use for day, reduced in facts.reduce_days(rows, WEEK, SH).items()}


def stored(rows: list[Reservation], days: list[date] = WEEK) -> dict[str, dict[date, object]]:
    """The facts of the days as the store would give them back (through JSON)."""
    found: dict[str, dict[date, object]] = {name: {} for name in facts.FACTS}
    for day, reduced in facts.reduce_days(rows, days, SH).items():
        for name, data in facts.stored(reduced).items():
            found[name][day] = json.loads(json.dumps(data))
    return found


OFFICE_HOURS = WorkingTime()


def rolled(rows: list[Reservation], working: WorkingTime = OFFICE_HOURS,
           days: list[date] = WEEK) -> Rollup:
    kept = stored(rows, days)
    layout = Layout.of(DIRECTORY, {}, 0.0, working)
    return week_rollup(MON, kept[facts.ROOM_COUNTS], kept[facts.ROOM_USE], layout)


@settings(max_examples=150, deadline=None)
@given(st.lists(booking, max_size=25), st.sampled_from([WorkingTime(),
                                                        WorkingTime(time(8), time(20), frozenset(range(6)))]))
def test_utilisation_and_heatmap_equal_the_usage_cards(specs: list, working: WorkingTime) -> None:
    rows = [as_row(spec) for spec in specs]
    week = rolled(rows, working)
    window = Window(WEEK[0], WEEK[-1], datetime.combine(WEEK[-1] + timedelta(days=1), time(8), SH),
                    working)
    measured = usage.measure(rows, ROOMS, window)
    assert use.pct(week.utilisation(week.tenant, working)) == use.pct(usage.group(measured).utilisation)
    for level in (T2, T2_4F, T2_5F):  # the building and each floor
        mine = [u for u in measured if level.level_id in (u.room.level_id, *u.room.path)]
        assert use.pct(week.utilisation(week.group(level.level_id), working)) == \
            use.pct(usage.group(mine).utilisation)
    table = {r["name"]: r for r in numbers.rooms_table(
        stored(rows)[facts.ROOM_COUNTS], stored(rows)[facts.ROOM_USE], numbers.Weeks(1, WEEK[-1]),
        DIRECTORY, Layout.of(DIRECTORY, {}, 0.0, working))}
    for one in measured:
        assert table[one.room.name]["utilisation"] == use.pct(one.utilisation)
    for weekday in sorted(working.days):
        day = WEEK[weekday]
        one_day = usage.measure(rows, ROOMS, Window(day, day, window.now, working))
        expected = [use.pct(share) for _, share in usage.peak_hours(one_day, Window(day, day, window.now,
                                                                                     working))]
        cells = [c["value"] for c in week.heatmap(week.tenant, working) if c["weekday"] == weekday]
        assert cells == expected


def test_held_time_is_cut_at_the_release_and_overlaps_count_once() -> None:
    nine = datetime.combine(MON, time(9), SH)
    rows = [as_row((0, 0, 9 * 4, 8, 0, 0, 3, "研发")),  # 09:00-11:00
            as_row((0, 0, 10 * 4, 4, 0, 0, 5, "研发")),  # 10:00-11:00, inside the first
            as_row((0, 1, 9 * 4 + 2, 4, 2, 3, 2, "销售"))]  # 09:30-10:30 released at 09:45
    day = remembered(rows)[MON]
    assert day.hours[ROOMS[0].room_id] == {9: 3600.0, 10: 3600.0}
    assert day.hours[ROOMS[1].room_id] == {9: 900.0}
    assert rows[2].release_time == nine + timedelta(minutes=45)
    assert day.people == {ROOMS[0].room_id: [3, 5], ROOMS[1].room_id: [2]}
    assert day.departments["研发"].bookings == 2 and day.departments["销售"].early_releases == 1


def test_a_half_hour_working_day_counts_its_hours_in_proportion() -> None:
    working = WorkingTime(time(9, 30), time(18))
    assert use.hour_weights(working)[9] == 0.5 and use.working_seconds(working) == 8.5 * 3600
    rows = [as_row((0, 0, 10 * 4, 4, 0, 0, 1, ""))]  # 10:00-11:00 in one of three rooms
    week = rolled(rows, working)
    share = week.utilisation(week.tenant, working)
    assert share is not None and abs(share - 3600 / (3 * 5 * 8.5 * 3600)) < 1e-12


def test_head_counts_medians_and_departments() -> None:
    rows = [as_row((d, 0, 40, 4, s, 1, n, dept)) for d, s, n, dept in
            [(0, 0, 2, "研发"), (1, 1, 6, "研发"), (2, 1, 4, "销售"), (3, 2, 9, "销售")]]
    kept = stored(rows)
    table = {r["name"]: r for r in numbers.rooms_table(
        kept[facts.ROOM_COUNTS], kept[facts.ROOM_USE], numbers.Weeks(1, WEEK[-1]), DIRECTORY,
        Layout.of(DIRECTORY, {}, 0.0, WorkingTime()))}
    assert table["Mercury"]["median_people"] == 5.0 and table["Mercury"]["fit"] == round(100 * 5 / 8)
    assert table["Venus"]["median_people"] is None and use.median_people([]) is None
    depts = {row["name"]: row for row in numbers.departments(rolled(rows))}
    assert depts["研发"]["no_shows"] == 1 and depts["销售"]["no_shows"] == 1
    assert depts["销售"]["early_releases"] == 1 and depts["销售"]["bookings"] == 2
    releasers = remembered(rows)[WEEK[3]].releasers  # the release on Thursday, by 张三 of 销售
    assert releasers == {"张三 · 销售": [1, 55 * 60.0]}  # 10:00-11:00 released at 10:05


def test_days_not_remembered_are_left_out_of_the_denominator() -> None:
    rows = [as_row((0, 0, 9 * 4, 36, 0, 0, 1, ""))]  # Monday 09:00-18:00 in Mercury
    floor = T2_4F.level_id  # Mercury and Venus
    only_monday = rolled(rows, days=[MON])
    assert only_monday.utilisation(only_monday.group(floor), WorkingTime()) == 0.5
    week = rolled(rows)
    assert week.utilisation(week.group(floor), WorkingTime()) == 0.1
    nothing = rolled(rows, days=[])
    assert nothing.utilisation(nothing.tenant, WorkingTime()) is None
