"""How the dashboard measures time: working hours as weights on the clock hours its facts keep,
and percentages as the cards print them.

Utilisation follows the cards' definition (bot/insights/usage.py): a group's held time inside
working time ÷ (its rooms × the working time), over the window's working days that are
remembered (rollup.py sums it). Held time is kept per clock hour, so a working day that starts or
ends inside an hour (09:30) counts that hour's held time in proportion to its working part: with
whole hours (the default 09:00-18:00) the numbers are the usage card's exactly
(tests/dashboard/test_use.py).
"""
from __future__ import annotations

from collections.abc import Sequence
from statistics import median

from bot.insights.working_time import WorkingTime


def hour_weights(working: WorkingTime) -> dict[int, float]:
    """{clock hour: the share of it that is working time}: 1.0 for whole hours."""
    start = working.start.hour * 3600 + working.start.minute * 60 + working.start.second
    end = working.end.hour * 3600 + working.end.minute * 60 + working.end.second
    return {h: (min(end, 3600 * (h + 1)) - max(start, 3600 * h)) / 3600 for h in working.hours}


def working_seconds(working: WorkingTime) -> float:
    """The working seconds of one working day."""
    return sum(hour_weights(working).values()) * 3600


def pct(share: float | None) -> float | None:
    """A share as the cards show it: percent with one decimal."""
    return None if share is None else round(100 * share, 1)


def median_people(people: Sequence[int]) -> float | None:
    """The median head-count of a room's bookings (None without bookings)."""
    return float(median(people)) if people else None
