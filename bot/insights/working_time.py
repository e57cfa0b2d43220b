"""The working time utilisation is measured against, and a window of local days cut at now.

`WorkingTime` (default 09:00-18:00, Monday to Friday, in the tenant timezone) and `Window` are
the inputs of every usage computation (usage.py); `working_clock` turns a window into its working
spans, split by the clock hour, as unix seconds.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Span = tuple[float, float]


@dataclass(frozen=True)
class WorkingTime:
    """The hours and weekdays (Monday = 0) that utilisation is measured against."""

    start: time = time(9)
    end: time = time(18)
    days: frozenset[int] = frozenset(range(5))

    @classmethod
    def parse(cls, hours: str = "09:00-18:00", days: Sequence[str] = DAY_NAMES[:5]) -> WorkingTime:
        """Read `working_hours = "09:00-18:00"` and `working_days = ["Mon", ...]`."""
        start, _, end = hours.partition("-")
        first, last = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        if last <= first:
            raise ValueError(f"working hours must end after they start: {hours!r}")
        unknown = [d for d in days if d.strip().title()[:3] not in DAY_NAMES]
        if unknown:
            raise ValueError(f"unknown working days {unknown}: use {', '.join(DAY_NAMES)}")
        return cls(first, last, frozenset(DAY_NAMES.index(d.strip().title()[:3]) for d in days))

    @property
    def hours(self) -> tuple[int, ...]:
        """The clock hours that hold some working time: 9..17 for 09:00-18:00."""
        last = self.end.hour if (self.end.minute, self.end.second) == (0, 0) else self.end.hour + 1
        return tuple(range(self.start.hour, last))


@dataclass(frozen=True)
class Window:
    """Local days first..last (inclusive), cut at `now` (aware, in the tenant timezone)."""

    first: date
    last: date
    now: datetime
    working: WorkingTime = WorkingTime()

    @property
    def tz(self) -> tzinfo:
        """The tenant timezone: the one `now` is in."""
        assert self.now.tzinfo is not None, "Window.now must be an aware datetime"
        return self.now.tzinfo

    def bounds(self) -> Span:
        """The window as unix seconds: first 00:00 to the earlier of last+1 00:00 and now."""
        start = datetime.combine(self.first, time(0), self.tz).timestamp()
        end = datetime.combine(self.last + timedelta(days=1), time(0), self.tz).timestamp()
        return start, max(start, min(end, self.now.timestamp()))


@dataclass(frozen=True)
class WorkingClock:
    """The window's working spans (sorted) and their hour slices, in unix seconds."""

    spans: tuple[Span, ...]
    slices: tuple[tuple[tuple[int, float, float], ...], ...]  # per span: (hour index, lo, hi)
    slice_starts: tuple[tuple[float, ...], ...]  # per span: the slices' lo, for bisect
    hour_working: tuple[float, ...]  # working seconds per hour of the day, summed over days


def working_clock(window: Window) -> WorkingClock:
    """Working spans of the window's working days, cut at now, each split by the clock hour."""
    wt, tz, cut = window.working, window.tz, window.bounds()[1]
    hours = wt.hours
    spans, slices, per_hour = [], [], [0.0] * len(hours)
    day = window.first
    while day <= window.last:
        lo = datetime.combine(day, wt.start, tz).timestamp()
        hi = min(datetime.combine(day, wt.end, tz).timestamp(), cut)
        if day.weekday() in wt.days and hi > lo:
            cuts = []
            for index, hour in enumerate(hours):
                top = datetime.combine(day, time(hour), tz).timestamp()
                a, b = max(lo, top), min(hi, top + 3600)
                if b > a:
                    cuts.append((index, a, b))
                    per_hour[index] += b - a
            spans.append((lo, hi))
            slices.append(tuple(cuts))
        day += timedelta(days=1)
    return WorkingClock(tuple(spans), tuple(slices), tuple(tuple(c[1] for c in cuts) for cuts in slices),
                  tuple(per_hour))
