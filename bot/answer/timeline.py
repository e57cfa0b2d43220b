"""Pure free/busy arithmetic over busy intervals: merge, overlap, busy-until and the next free slot."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar


class Span(Protocol):
    """Anything with an aware start and end (BusyInterval, Reservation, Window)."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


S = TypeVar("S", bound=Span)
Interval = tuple[datetime, datetime]


def overlaps(span: Span, start: datetime, end: datetime) -> bool:
    """True if `span` shares any time with [start, end)."""
    return span.start < end and span.end > start


def overlapping(spans: Iterable[S], start: datetime, end: datetime) -> list[S]:
    """The spans that share time with [start, end), by start time."""
    return sorted((s for s in spans if overlaps(s, start, end)), key=lambda s: (s.start, s.end))


def merge(spans: Iterable[Span]) -> list[Interval]:
    """Busy time as sorted, disjoint intervals (touching intervals are joined)."""
    merged: list[Interval] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if merged and span.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span.end))
        elif span.start < span.end:
            merged.append((span.start, span.end))
    return merged


def is_free(spans: Iterable[Span], start: datetime, end: datetime) -> bool:
    """True if nothing in `spans` overlaps [start, end)."""
    return not any(overlaps(s, start, end) for s in spans)


def busy_until(spans: Iterable[Span], at: datetime) -> datetime | None:
    """When the busy stretch that covers or first follows `at` ends; None if free from `at` on."""
    for block_start, block_end in merge(spans):
        if block_end > at:
            return block_end
    return None


def next_free_slot(spans: Sequence[Span], start: datetime, duration: timedelta,
                   horizon: datetime) -> Interval | None:
    """The earliest [s, s + duration) with s >= start, ending by `horizon`, that overlaps nothing."""
    candidate = start
    for block_start, block_end in merge(spans):
        if block_end <= candidate:
            continue
        if block_start >= candidate + duration:
            break
        candidate = block_end
    if candidate + duration > horizon:
        return None
    return (candidate, candidate + duration)


def free_gaps(spans: Iterable[Span], start: datetime, end: datetime) -> list[Interval]:
    """The free intervals inside [start, end)."""
    gaps: list[Interval] = []
    cursor = start
    for block_start, block_end in merge(spans):
        if block_end <= cursor:
            continue
        if block_start >= end:
            break
        if block_start > cursor:
            gaps.append((cursor, block_start))
        cursor = max(cursor, block_end)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps
