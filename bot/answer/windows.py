"""Pure window arithmetic in the tenant timezone: days, splitting at tomorrow, shifting, slots."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from bot.queries import Window


def day_start(moment: datetime) -> datetime:
    """Local midnight at the start of `moment`'s day (same tzinfo)."""
    return datetime.combine(moment.date(), time(0), tzinfo=moment.tzinfo)


def next_day_start(moment: datetime) -> datetime:
    """Local midnight at the end of `moment`'s day."""
    return datetime.combine(moment.date() + timedelta(days=1), time(0), tzinfo=moment.tzinfo)


def whole_day(moment: datetime, label: str = "") -> Window:
    """The whole local day of `moment`."""
    return Window(day_start(moment), next_day_start(moment), True, label)


def shift(window: Window, delta: timedelta) -> Window:
    """The same window moved by `delta` (a day, a half hour ...); the label no longer applies."""
    return Window(window.start + delta, window.end + delta, window.whole_day, "")


def from_(window: Window, start: datetime) -> Window:
    """The rest of `window` from `start` on (a later page of a long answer)."""
    return Window(start, window.end, False, "")


def slot(start: datetime, minutes: int) -> Window:
    """A slot of `minutes` from `start`, to the minute."""
    begin = start.replace(second=0, microsecond=0)
    return Window(begin, begin + timedelta(minutes=minutes))


def one_day(window: Window) -> bool:
    """True if the window lies within one local day (an end at the next midnight counts)."""
    return window.end <= next_day_start(window.start)


def is_past(window: Window, now: datetime) -> bool:
    """True if the window has already ended."""
    return window.end <= now


def spans_days(window: Window) -> bool:
    """True if the window covers more than one local day."""
    return not one_day(window)


def describe(window: Window) -> dict[str, Any]:
    """A window as card data; `last_day` is the last day it covers (its end is exclusive)."""
    return {"start": window.start, "end": window.end, "whole_day": window.whole_day,
            "label": window.label, "last_day": window.end - timedelta(microseconds=1)}


def bookable_slot(window: Window, now: datetime, minutes: int) -> Window:
    """A concrete slot for follow-up buttons: the window itself, or for a whole day a slot from now
    (today) or from 09:00 (another day)."""
    if not window.whole_day:
        return window
    if window.start <= now < window.end:
        return slot(now, minutes)
    return slot(window.start.replace(hour=9, minute=0), minutes)
