"""What digests remember about finished days, so a run reads only the days it reports on.

Two facts per finished day live in the store's `day_facts`:
- `room_counts`: each room's `incidents.Counts` (13 numbers), for "the change versus the day (or
  week) before" at any scope: a scope's totals are the sum over its rooms;
- `no_show_rows`: each no-show (reserver, department, reserver id, room, start, end), for repeat
  offenders and nudges over the last 7 days.
A day is final, and only then remembered, once it has been over for `FINAL_AFTER` (statuses of
late meetings may still change just after midnight).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from bot.answer.digest import room_counts
from bot.feishu.models import Reservation
from bot.insights import outcomes
from bot.insights.incidents import Counts, NoShowMark

ROOM_COUNTS = "room_counts"
NO_SHOW_ROWS = "no_show_rows"
FINAL_AFTER = timedelta(hours=6)  # a day's statuses are taken as final this long after it ended
_FIELDS = tuple(f.name for f in fields(Counts))
_DURATIONS = frozenset(f.name for f in fields(Counts) if f.type in ("timedelta", timedelta))


class FactStore(Protocol):
    """The store's day-facts calls (bot.store.leases.LeaseTable)."""

    def put_fact(self, name: str, day: date, data: Any) -> None: ...
    def facts(self, name: str, first: date, last: date) -> dict[date, Any]: ...
    def fact_days(self, name: str, first: date, last: date) -> set[date]: ...


@dataclass(frozen=True)
class NoShow:
    """One no-show, as much as a repeat-offender count and a nudge need."""

    day: date
    reserver: str
    department: str
    reserver_id: str
    room_id: str
    room_name: str
    start: datetime
    end: datetime

    @property
    def mark(self) -> NoShowMark:
        """The no-show as insights counts offenders."""
        return NoShowMark(self.day, self.reserver, self.department, self.room_id)


def no_shows(rows: Iterable[Reservation], tz: tzinfo) -> list[NoShow]:
    """Every no-show among (de-duplicated) rows, on its local start day."""
    return [NoShow(outcomes.local_day(r, tz), r.reserver, r.department, r.reserver_id, r.room_id,
                   r.room_name, r.start, r.end)
            for r in rows if outcomes.outcome(r) == "no_show"]


def is_final(day: date, now: datetime) -> bool:
    """True when `day` ended at least FINAL_AFTER before `now`."""
    return datetime.combine(day + timedelta(days=1), time(0), now.tzinfo) + FINAL_AFTER <= now


def reduce_days(rows: Iterable[Reservation], days: Iterable[date],
                tz: tzinfo) -> dict[date, tuple[dict[str, Counts], list[NoShow]]]:
    """Each day's room counts and no-shows, of the meetings that start on it (one pass over the
    rows to sort them by day, whatever the number of days)."""
    by_day: dict[date, list[Reservation]] = {day: [] for day in days}
    for row in rows:
        mine = by_day.get(outcomes.local_day(row, tz))
        if mine is not None:
            mine.append(row)
    return {day: (room_counts(mine), no_shows(mine, tz)) for day, mine in by_day.items()}


def remember(store: FactStore, day: date, counts: dict[str, Counts], misses: Sequence[NoShow],
             now: datetime) -> None:
    """Store both facts of `day` (from `reduce_days`), if the day is final."""
    if not is_final(day, now):
        return
    store.put_fact(ROOM_COUNTS, day, {key: _encode(c) for key, c in counts.items()})
    store.put_fact(NO_SHOW_ROWS, day, [
        [n.reserver, n.department, n.reserver_id, n.room_id, n.room_name,
         int(n.start.timestamp()), int(n.end.timestamp())] for n in misses])


def remembered_days(store: FactStore, first: date, last: date) -> set[date]:
    """The days first..last whose two facts are both remembered."""
    return (store.fact_days(ROOM_COUNTS, first, last)
            & store.fact_days(NO_SHOW_ROWS, first, last))


def known_counts(store: FactStore, first: date, last: date) -> dict[date, dict[str, Counts]]:
    """The remembered room counts of the days first..last (missing days are absent)."""
    return {day: {key: _decode(values) for key, values in data.items()}
            for day, data in store.facts(ROOM_COUNTS, first, last).items()}


def known_no_shows(store: FactStore, first: date, last: date,
                   tz: tzinfo) -> dict[date, list[NoShow]]:
    """The remembered no-shows of the days first..last (missing days are absent)."""
    found: dict[date, list[NoShow]] = {}
    for day, items in store.facts(NO_SHOW_ROWS, first, last).items():
        found[day] = [NoShow(day, who, dept, who_id, room_id, room_name,
                             datetime.fromtimestamp(start, tz), datetime.fromtimestamp(end, tz))
                      for who, dept, who_id, room_id, room_name, start, end in items]
    return found


def _encode(counts: Counts) -> list[float]:
    return [v.total_seconds() if isinstance(v, timedelta) else v
            for v in (getattr(counts, name) for name in _FIELDS)]


def _decode(values: Sequence[float]) -> Counts:
    return Counts(*(timedelta(seconds=v) if name in _DURATIONS else int(v)
                    for name, v in zip(_FIELDS, values, strict=True)))


def days_between(first: date, last: date) -> list[date]:
    """The days first..last."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
