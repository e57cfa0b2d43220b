"""Insights against hand-checked rows: every documented status string, midnight and timezone edges."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.feishu.models import Reservation, Room, RoomLevel
from bot.insights.incidents import analyse, count, events, repeat_offenders
from bot.insights.outcomes import (
    dedupe,
    given_back,
    outcome,
    release_kind,
    resolve_rooms,
    starting_on,
)

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2025, 11, 17)


def at(hour: int, minute: int = 0, day: date = DAY, tz: ZoneInfo = SH) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(hours=hour, minutes=minute)


def row(room: str = "Mercury", start: datetime | None = None, hours: float = 1, *,
        status: str = "预定成功", check_in: str = "已签到", who: str = "张三", dept: str = "研发",
        room_id: str | None = None, release: datetime | None = None, releaser: str = "",
        release_early: str = "") -> Reservation:
    start = start or at(10)
    end = start + timedelta(hours=hours)
    return Reservation(room_id if room_id is not None else f"omm_{room}", room, who, f"ou_{who}", dept,
                       start, end, end - start, status, check_in, release_time=release,
                       releaser=releaser, release_early=release_early)


# (reservation_status, room_check_in_status) -> outcome; every documented string appears.
OUTCOMES = [
    ("预定成功", "已签到", "checked_in"),
    ("预定成功", "超时未签到", "no_show"),
    ("已释放（未签到被释放）", "超时未签到", "no_show"),
    ("已释放（未签到被释放）", "", "no_show"),
    ("已释放(未签到被释放)", "", "no_show"),  # half-width parentheses tolerated
    ("预定成功", "无需签到（即时预定）", "exempt"),
    ("预定成功", "无需签到（未开启签到设置）", "exempt"),
    ("预定成功", "无需签到", "exempt"),
    ("预定成功", "无需签到（未安装签到设备）", "exempt"),
    ("预定成功", "不可签到（会议室被禁用）", "exempt"),
    ("审批中", "", "pending"),
    ("审批中", "无需签到", "pending"),
    ("预定成功", "签到时间未结束", "pending"),
    ("预定成功", "待签到", "pending"),
    ("已释放（手动释放）", "已签到", "checked_in"),
    ("已释放（传感器自动释放）", "已签到", "checked_in"),
    ("已释放（会议结束后自动释放）", "已签到", "checked_in"),
    ("已释放（会议结束后自动释放）", "无需签到", "exempt"),
    ("预定成功", "", "unknown"),
]


@pytest.mark.parametrize(("status", "check_in", "expected"), OUTCOMES)
def test_outcome_of_every_documented_status(status: str, check_in: str, expected: str) -> None:
    assert outcome(row(status=status, check_in=check_in)) == expected


def test_manual_release_gives_back_the_rest_of_the_booking() -> None:
    released = row(start=at(10), hours=2, status="已释放（手动释放）", release=at(10, 30), releaser="李四")
    assert release_kind(released) == "manual"
    assert given_back(released) == timedelta(minutes=90)


def test_sensor_release_is_early() -> None:
    released = row(start=at(14), hours=1, status="已释放（传感器自动释放）", release=at(14, 20))
    assert release_kind(released) == "sensor"
    assert given_back(released) == timedelta(minutes=40)


def test_release_after_the_end_is_not_early() -> None:
    after_end = row(start=at(9), status="已释放（会议结束后自动释放）", release=at(10))
    assert release_kind(after_end) is None and given_back(after_end) == timedelta(0)
    late_manual = row(start=at(9), status="已释放（手动释放）", release=at(10, 5))
    assert release_kind(late_manual) is None


def test_is_release_early_column_counts_too() -> None:
    flagged = row(start=at(9), hours=1, release_early="已释放（手动释放）", release=at(9, 15))
    assert release_kind(flagged) == "manual" and given_back(flagged) == timedelta(minutes=45)


def test_no_show_release_reclaims_time_but_is_not_an_early_release() -> None:
    freed = row(start=at(9), hours=1, status="已释放（未签到被释放）", check_in="超时未签到", release=at(9, 15))
    assert outcome(freed) == "no_show" and release_kind(freed) is None
    assert given_back(freed) == timedelta(minutes=45)
    totals = count([freed])
    assert (totals.no_shows, totals.early_releases, totals.reclaimed, totals.reclaimed_early) == (
        1, 0, timedelta(minutes=45), timedelta(0))


def test_rates_have_an_honest_denominator() -> None:
    rows = [
        row(check_in="已签到"), row(check_in="已签到", start=at(11)), row(check_in="超时未签到", start=at(12)),
        row(check_in="无需签到", start=at(13)), row(status="审批中", check_in="", start=at(14)),
        row(check_in="待签到", start=at(15)),
        row(status="已释放（手动释放）", check_in="已签到", start=at(16), release=at(16, 30)),
    ]
    totals = count(rows)
    assert (totals.bookings, totals.checked_in, totals.no_shows, totals.exempt, totals.pending) == (7, 3, 1, 1, 2)
    assert totals.needed_check_in == 4
    assert totals.no_show_rate == pytest.approx(0.25)
    assert totals.early_releases == 1 and totals.manual_releases == 1
    assert totals.early_release_rate == pytest.approx(1 / 4)  # of the 4 bookings held (not pending, not no-show)
    assert count([]).no_show_rate is None


def test_meeting_over_midnight_counts_once_on_its_start_day() -> None:
    late = row(start=at(23), hours=2, check_in="超时未签到")
    assert starting_on([late], DAY, SH) == [late]
    assert starting_on([late], DAY + timedelta(days=1), SH) == []
    # fetched in both day-chunks: counted once
    assert analyse([late, late], [DAY], SH).totals.no_shows == 1
    assert analyse([late], [DAY + timedelta(days=1)], SH).totals.bookings == 0


def test_days_are_the_tenant_timezone_days() -> None:
    # 16:30 UTC on the 16th is 00:30 on the 17th in Shanghai
    early = row(start=datetime(2025, 11, 16, 16, 30, tzinfo=ZoneInfo("UTC")), check_in="超时未签到")
    assert starting_on([early], DAY, SH) == [early]
    assert starting_on([early], DAY, ZoneInfo("UTC")) == []
    # 23:59 in Shanghai is the same day even when the row carries another offset
    last = row(start=at(23, 59).astimezone(ZoneInfo("America/New_York")))
    assert starting_on([last], DAY, SH) == [last]


def test_dedupe_keeps_the_most_final_row() -> None:
    pending = row(check_in="签到时间未结束")
    final = row(check_in="超时未签到")
    assert dedupe([pending, final]) == [final]
    assert dedupe([final, pending]) == [final]
    other_room = row(room="Oslo", check_in="超时未签到")
    assert len(dedupe([final, other_room])) == 2


class FakeDirectory:
    """Two floors of building T2."""

    def __init__(self) -> None:
        self.levels = {"b": RoomLevel("b", "T2", "0"), "f4": RoomLevel("f4", "4F", "b"),
                       "f7": RoomLevel("f7", "7F", "b")}
        self.rooms = {r.room_id: r for r in (
            Room("omm_Mercury", "Mercury", 6, "f4", ("0", "b", "f4")),
            Room("omm_Jupiter", "Jupiter 木星", 12, "f4", ("0", "b", "f4")),
            Room("omm_Oslo", "Oslo", 4, "f7", ("0", "b", "f7")))}

    def room(self, room_id: str) -> Room | None:
        return self.rooms.get(room_id)

    def room_by_name(self, name: str) -> Room | None:
        return next((r for r in self.rooms.values() if r.name == name.strip()), None)

    def floor_of(self, room: Room) -> RoomLevel | None:
        return self.levels[room.level_id]

    def building_of(self, room: Room) -> RoomLevel | None:
        return self.levels["b"]


def test_resolve_rooms_maps_export_rows_by_name() -> None:
    exported = [row(room="Oslo", room_id=""), row(room="Gone", room_id="")]
    resolved = resolve_rooms(exported, FakeDirectory())
    assert [r.room_id for r in resolved] == ["omm_Oslo", ""]


def hand_checked_day() -> list[Reservation]:
    """Mercury: 2 no-shows of 3 needing check-in; Jupiter: 1 manual release (90 min back);
    Oslo: 1 sensor release (40 min), 1 exempt, 1 pending; one meeting from the day before."""
    return [
        row("Mercury", at(9), check_in="超时未签到", who="王五"),
        row("Mercury", at(10), status="已释放（未签到被释放）", check_in="超时未签到", who="王五",
            release=at(10, 15)),
        row("Mercury", at(11)),
        row("Jupiter 木星", at(10), hours=2, status="已释放（手动释放）", release=at(10, 30),
            releaser="李四", who="李四", room_id="omm_Jupiter"),
        row("Oslo", at(14), status="已释放（传感器自动释放）", release=at(14, 20), who="赵六"),
        row("Oslo", at(16), check_in="无需签到（即时预定）"),
        row("Oslo", at(18), status="审批中", check_in=""),
        row("Oslo", at(23, 30, DAY - timedelta(days=1)), check_in="超时未签到", who="王五"),
    ]


def test_day_insights_hand_checked() -> None:
    insight = analyse(hand_checked_day(), [DAY], SH, FakeDirectory())
    totals = insight.totals
    assert (totals.bookings, totals.no_shows, totals.checked_in, totals.exempt, totals.pending) == (7, 2, 3, 1, 1)
    assert totals.no_show_rate == pytest.approx(2 / 5)
    assert (totals.early_releases, totals.manual_releases, totals.sensor_releases) == (2, 1, 1)
    assert totals.reclaimed == timedelta(minutes=45 + 90 + 40)
    assert totals.reclaimed_early == timedelta(minutes=130)
    assert [(g.label, g.counts.no_shows, g.counts.early_releases) for g in insight.rooms] == [
        ("Mercury", 2, 0), ("Jupiter 木星", 0, 1), ("Oslo", 0, 1)]
    assert insight.rooms[0].detail == "T2 · 4F"
    assert [(g.label, g.counts.no_shows) for g in insight.floors] == [("4F", 2), ("7F", 0)]
    assert [(g.label, g.counts.bookings) for g in insight.buildings] == [("T2", 7)]
    assert [(g.label, g.counts.no_shows, g.counts.early_releases) for g in insight.reservers] == [
        ("王五", 2, 0), ("李四", 0, 1), ("赵六", 0, 1)]
    assert [g.label for g in insight.busiest] == ["Oslo", "Mercury", "Jupiter 木星"]  # 2:20, 2:15, 0:30 held
    assert [(e.kind, e.room_label) for e in insight.events] == [
        ("no_show", "Mercury"), ("early_release", "Jupiter 木星"), ("no_show", "Mercury"),
        ("early_release", "Oslo")]


def test_repeat_offenders_need_two_no_shows_in_seven_days() -> None:
    rows = hand_checked_day() + [
        row("Oslo", at(9, day=DAY - timedelta(days=6)), check_in="超时未签到", who="赵六"),
        row("Oslo", at(9, day=DAY - timedelta(days=7)), check_in="超时未签到", who="赵六"),  # too old
        row("Oslo", at(9, day=DAY - timedelta(days=3)), check_in="超时未签到", who="钱七"),
    ]
    offenders = repeat_offenders(rows, DAY, SH)
    assert [(o.name, o.department, o.no_shows) for o in offenders] == [("王五", "研发", 3)]


def test_events_lists_no_shows_and_early_releases_only() -> None:
    found = events(hand_checked_day())
    assert [e.kind for e in found] == ["no_show", "no_show", "early_release", "early_release", "no_show"]
