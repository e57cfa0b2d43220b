"""Time phrases resolved to a Window: the defaults a person expects for each kind of question.

`extract(text)` (from `timewords`) finds what was said; `resolve(spec, now, mode, ...)` turns it
into a `Window` or a `BadTime`. Readings worth knowing:
- "in 45 minutes", "二十分钟后": a meeting starting then, one slot long (not the span until then);
- a bare weekday ("Thursday", "周四", "this Thursday") is the coming one (today counts), except
  in reports, which look back; "last Tuesday" is the latest Tuesday before today; "next"/"下"
  and "上" name the calendar week; "这周四" and "本周四" are this calendar week (the coming
  Thursday for free-room questions once it has passed);
- "weekend"/"周末" is Saturday and Sunday;
- "end of day"/"下班前" ends at 18:00.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Literal

from bot.queries import BadTime, Lang, Window
from bot.understand.timewords import PM_PARTS, Clock, DayRef, TimeSpec, extract

__all__ = ["Clock", "DayRef", "Mode", "TimeSpec", "clock_time", "extract", "resolve"]

Mode = Literal["who", "free", "find", "report"]
FORWARD_MODES = ("free", "find")

PART_HOURS: dict[str, tuple[int, int]] = {
    "morning": (9, 12), "noon": (12, 13), "afternoon": (13, 18), "afternoon_zh": (12, 18),
    "evening": (18, 22), "after_lunch": (13, 14), "early": (0, 6),
}
WORK_START = 9  # "tomorrow for an hour" starts at 09:00
MAX_DAYS_AWAY = 366
MAX_MINUTES = 24 * 60


def hour_of(clock: Clock, part: str) -> tuple[int, bool]:
    """The 24-hour hour of a clock and whether a bare 1-7 was taken as pm."""
    hour = clock.hour
    if clock.marker:
        return hour % 12 + (12 if clock.marker == "pm" else 0), False
    if part in PM_PARTS and hour < 12:
        return hour + 12, False
    if part == "noon" and 1 <= hour <= 5:
        return hour + 12, False
    if part or hour >= 13 or hour == 0:
        return hour, False
    return (hour + 12, True) if hour <= 7 else (hour, False)


def clock_time(clock: Clock, part: str = "") -> time:
    """A clock as a time of day (bare 1-7 means pm)."""
    hour, _ = hour_of(clock, part)
    return time(hour % 24, clock.minute)


def range_minutes(start: Clock, end: Clock, part: str) -> tuple[int, int]:
    """Minutes since midnight of both ends of a range, sharing am/pm the way people do."""
    if not part and end.marker and not start.marker:
        shared = hour_of(replace(start, marker=end.marker), part)[0] * 60 + start.minute
        tail = hour_of(end, part)[0] * 60 + end.minute
        return (shared if shared < tail else start.hour * 60 + start.minute), tail
    (h1, pm1), (h2, pm2) = hour_of(start, part), hour_of(end, part)
    first, last = h1 * 60 + start.minute, h2 * 60 + end.minute
    if last <= first and pm1 and not pm2:
        first -= 12 * 60  # "7-9" is 07:00-09:00
    elif last <= first and start.marker == "pm" and not end.marker and end.hour < 12:
        last += 12 * 60  # "8pm-10" is 20:00-22:00
    return first, last


def resolve(spec: TimeSpec, now: datetime, mode: Mode, lang: Lang,
            slot_minutes: int = 30) -> Window | BadTime:
    """Turn what was said into a concrete Window, using the defaults of the question kind."""
    if spec.error:
        return BadTime(lang, spec.said, spec.error)
    if spec.minutes > MAX_MINUTES or (spec.after or 0) > MAX_MINUTES:
        return BadTime(lang, spec.said, "duration_too_long")
    today = now.date()
    day = resolve_day(spec.day, today, mode) if spec.day else today
    if isinstance(day, str):
        return BadTime(lang, spec.said, day)
    window = _window(spec, day, now, mode, slot_minutes)
    if isinstance(window, str):
        return BadTime(lang, spec.said, window)
    return replace(window, label=spec.said or default_label(mode, lang))


def _window(spec: TimeSpec, day: date, now: datetime, mode: Mode, slot: int) -> Window | str:
    """The window for a resolved day: a range, a slot, a part of day, a week or the whole day."""
    minute_now = now.replace(second=0, microsecond=0)
    length = timedelta(minutes=spec.minutes or slot)
    if spec.after is not None:
        start = minute_now + timedelta(minutes=spec.after)
        return Window(start, start + length)
    if spec.recent:
        return Window(at_minutes(now.date() - timedelta(days=spec.recent), 0, now),
                      max(minute_now, at_minutes(now.date(), 1, now)), whole_day=True)
    if spec.month is not None and spec.day is None and spec.start is None:
        return month_window(spec.month, minute_now, mode)
    if spec.week is not None and spec.day is None and spec.start is None:
        return week_window(spec.week, minute_now, mode)
    if spec.start is not None and spec.end is not None:
        first, last = range_minutes(spec.start, spec.end, spec.part)
        return _checked(at_minutes(day, first, now), at_minutes(day, last, now))
    if spec.start is not None:
        start = at_minutes(day, _minutes_of(spec.start, spec.part), now)
        return Window(start, start + length)
    if spec.end is not None:
        end = at_minutes(day, _minutes_of(spec.end, spec.part), now)
        return _checked(minute_now if day == now.date() else at_minutes(day, WORK_START * 60, now), end)
    if spec.part:
        return _part_window(spec, day, minute_now)
    if spec.now or (spec.minutes and day == now.date()):
        return Window(minute_now, minute_now + length)
    if spec.minutes:
        start = at_minutes(day, WORK_START * 60, now)
        return Window(start, start + length)
    if spec.day is not None and spec.day.kind == "weekend":
        return _capped(whole_days(day, 2, now), minute_now, mode)
    if spec.day is not None:
        return whole_days(day, 1, now)
    return default_window(mode, minute_now, slot)


def _minutes_of(clock: Clock, part: str) -> int:
    """Minutes since midnight of a clock."""
    return hour_of(clock, part)[0] * 60 + clock.minute


def _checked(start: datetime, end: datetime) -> Window | str:
    """A window, or "end_before_start"."""
    return Window(start, end) if end > start else "end_before_start"


def _capped(window: Window, minute_now: datetime, mode: Mode) -> Window:
    """A report window running into the future stops now (a report covers what happened)."""
    if mode == "report" and window.start <= minute_now < window.end:
        return replace(window, end=max(minute_now, window.start + timedelta(minutes=1)))
    return window


def _part_window(spec: TimeSpec, day: date, minute_now: datetime) -> Window:
    """A part of the day; with a duration, a slot of that length at its start (or now)."""
    first, last = PART_HOURS.get(spec.part, PART_HOURS["morning"])
    start = at_minutes(day, first * 60, minute_now)
    end = at_minutes(day, last * 60, minute_now)
    if not spec.minutes:
        return Window(start, end)
    if start < minute_now < end:
        start = minute_now
    return Window(start, start + timedelta(minutes=spec.minutes))


def at_minutes(day: date, minutes: int, now: datetime) -> datetime:
    """An aware datetime `minutes` after midnight of `day` (24:00 is the next midnight)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo)
    return midnight + timedelta(minutes=minutes)


def whole_days(day: date, count: int, now: datetime) -> Window:
    """`count` whole local days from `day`."""
    start = at_minutes(day, 0, now)
    return Window(start, at_minutes(day + timedelta(days=count), 0, now), whole_day=True)


def week_window(weeks: int, minute_now: datetime, mode: Mode) -> Window:
    """A Monday-to-Monday week; this week for a report runs Monday 00:00 up to now."""
    monday = minute_now.date() - timedelta(days=minute_now.weekday()) + timedelta(weeks=weeks)
    return _capped(whole_days(monday, 7, minute_now), minute_now, mode)


def month_window(months: int, minute_now: datetime, mode: Mode) -> Window:
    """A calendar month; this month for a report runs from the 1st up to now."""
    index = minute_now.year * 12 + minute_now.month - 1 + months
    first = date(index // 12, index % 12 + 1, 1)
    following = date((index + 1) // 12, (index + 1) % 12 + 1, 1)
    window = whole_days(first, (following - first).days, minute_now)
    return _capped(window, minute_now, mode)


def default_window(mode: Mode, minute_now: datetime, slot: int) -> Window:
    """No time said: who-booked = today, reports = yesterday, free questions = now + slot."""
    today = minute_now.date()
    if mode == "who":
        return whole_days(today, 1, minute_now)
    if mode == "report":
        return whole_days(today - timedelta(days=1), 1, minute_now)
    return Window(minute_now, minute_now + timedelta(minutes=slot))


def default_label(mode: Mode, lang: Lang) -> str:
    """How to name a default window on a card."""
    words = {"who": ("today", "今天"), "report": ("yesterday", "昨天")}.get(mode, ("now", "现在"))
    return words[1] if lang == "zh" else words[0]


def resolve_day(ref: DayRef, today: date, mode: Mode) -> date | str:
    """The date a DayRef points to, or an error key ("invalid_date", "too_far")."""
    if ref.kind == "offset":
        return today + timedelta(days=ref.offset)
    if ref.kind in ("weekday", "weekend"):
        return _weekday(ref, today, mode)
    found = _calendar_day(ref, today, mode)
    if isinstance(found, date) and abs((found - today).days) > MAX_DAYS_AWAY:
        return "too_far"
    return found


def _weekday(ref: DayRef, today: date, mode: Mode) -> date:
    """A weekday (or the Saturday of a weekend): the coming one, or the last one for reports."""
    monday = today - timedelta(days=today.weekday())
    day = monday + timedelta(weeks=ref.offset, days=ref.weekday)
    last_day = day + timedelta(days=1 if ref.kind == "weekend" else 0)
    if ref.offset == -1 and not ref.literal and ref.kind == "weekday":
        return today - timedelta(days=(today.weekday() - ref.weekday) % 7 or 7)  # "last Tuesday"
    if ref.offset or (ref.literal and mode not in FORWARD_MODES):
        return day  # "next Monday", "上周二", "这周四": the calendar week said
    if mode == "report":
        return day - timedelta(weeks=1) if day > today else day
    return day + timedelta(weeks=1) if last_day < today else day


def _calendar_day(ref: DayRef, today: date, mode: Mode) -> date | str:
    """A calendar date: the year said, else the nearest; a bare day is in this month."""
    if not ref.month:
        return _day_of_month(ref.day, today, mode)
    years = [ref.year] if ref.year else [today.year - 1, today.year, today.year + 1]
    candidates = [d for d in (_safe_date(y, ref.month, ref.day) for y in years) if d]
    if not candidates:
        return "invalid_date"
    if mode in FORWARD_MODES and not ref.year:
        ahead = [d for d in candidates if d >= today]
        candidates = ahead or candidates
    return min(candidates, key=lambda d: abs((d - today).days))


def _day_of_month(day: int, today: date, mode: Mode) -> date | str:
    """"25号": that day of this month (next month for a free question when it has passed)."""
    found = _safe_date(today.year, today.month, day)
    if found is None:
        return "invalid_date"
    if found < today and mode in FORWARD_MODES:
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        return _safe_date(year, month, day) or "invalid_date"
    return found


def _safe_date(year: int, month: int, day: int) -> date | None:
    """date(year, month, day), or None when there is no such day."""
    try:
        return date(year, month, day)
    except ValueError:
        return None
