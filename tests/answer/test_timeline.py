"""Free/busy arithmetic: merging, busy-until, the next free slot, gaps; and result pagination."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.answer.timeline import busy_until, free_gaps, is_free, merge, next_free_slot
from bot.answer.who_booked import paginate

SH = ZoneInfo("Asia/Shanghai")
HALF = timedelta(minutes=30)


def at(hm: str) -> datetime:
    hour, minute = map(int, hm.split(":"))
    return datetime(2024, 5, 14, hour, minute, tzinfo=SH)


@dataclass(frozen=True)
class B:
    start: datetime
    end: datetime


def spans(*pairs: str) -> list[B]:
    return [B(at(p.split("-")[0]), at(p.split("-")[1])) for p in pairs]


def test_merge_joins_overlapping_and_touching() -> None:
    assert merge(spans("10:00-11:00", "09:00-09:30", "09:30-10:15", "12:00-12:30")) == [
        (at("09:00"), at("11:00")), (at("12:00"), at("12:30"))]


@pytest.mark.parametrize("window, free", [
    ("09:00-10:00", True), ("09:30-10:30", False), ("11:00-11:30", True), ("10:59-11:00", False)])
def test_is_free(window: str, free: bool) -> None:
    start, end = (at(x) for x in window.split("-"))
    assert is_free(spans("10:00-11:00"), start, end) is free


def test_busy_until_follows_back_to_back_bookings() -> None:
    busy = spans("10:00-10:30", "10:30-11:00", "11:15-12:00")
    assert busy_until(busy, at("10:10")) == at("11:00")
    assert busy_until(busy, at("11:05")) == at("12:00")  # the next stretch
    assert busy_until(busy, at("12:00")) is None


@pytest.mark.parametrize("start, duration, expected", [
    ("10:00", timedelta(minutes=15), "11:00"),  # right after the stretch
    ("10:00", HALF, "12:00"),            # the 15-minute gap at 11:00 is too short
    ("09:00", HALF, "09:00"),            # free already
    ("09:30", HALF, "09:30"),            # ends exactly when the booking starts
    ("09:45", HALF, "12:00"),            # 09:45-10:15 would overlap
])
def test_next_free_slot(start: str, duration: timedelta, expected: str) -> None:
    busy = spans("10:00-10:30", "10:30-11:00", "11:15-12:00")
    slot = next_free_slot(busy, at(start), duration, at("23:59"))
    assert slot == (at(expected), at(expected) + duration)


def test_next_free_slot_none_before_horizon() -> None:
    assert next_free_slot(spans("10:00-18:00"), at("10:00"), HALF, at("18:15")) is None


def test_free_gaps() -> None:
    assert free_gaps(spans("10:00-10:30", "11:00-11:30"), at("09:30"), at("11:15")) == [
        (at("09:30"), at("10:00")), (at("10:30"), at("11:00"))]


def rows(*starts: str) -> list[dict]:
    return [{"start": at(s)} for s in starts]


def test_paginate_cuts_at_a_start_time_boundary() -> None:
    shown, more_from, omitted = paginate(rows("09:00", "09:00", "10:00", "10:00", "11:00"), 3)
    assert len(shown) == 2 and more_from == at("10:00") and omitted == 0


def test_paginate_short_list_is_untouched() -> None:
    assert paginate(rows("09:00", "10:00"), 3) == (rows("09:00", "10:00"), None, 0)


def test_paginate_too_many_at_one_moment_skips_the_rest_of_that_moment() -> None:
    shown, more_from, omitted = paginate(rows("09:00", "09:00", "09:00", "09:00", "10:00"), 2)
    assert len(shown) == 2 and more_from == at("10:00") and omitted == 2
