"""What digests remember about finished days, so a run reads only the days it reports on.

Three facts per finished day live in the store's `day_facts`:
- `room_counts`: each room's `incidents.Counts` (13 numbers), for "the change versus the day (or
  week) before" at any scope: a scope's totals are the sum over its rooms;
- `no_show_rows`: each no-show (reserver, department, reserver id, room, start, end), for repeat
  offenders and nudges over the last 7 days;
- `room_use`: each room's held seconds per clock hour (flat: hour, seconds, hour, seconds...: a
  list per room reads five times faster than a list of pairs) and the head-counts of its
  bookings, and each department's `Counts`, for the dashboard's utilisation, heatmap,
  right-sizing and departments (`DayUse`).
A day is final, and only then remembered, once it has been over for `FINAL_AFTER` (statuses of
late meetings may still change just after midnight).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple, Protocol

from bot.answer.digest import room_counts, room_key
from bot.feishu.models import Reservation
from bot.insights import outcomes, usage
from bot.insights.incidents import Counts, NoShowMark, count

ROOM_COUNTS = "room_counts"
NO_SHOW_ROWS = "no_show_rows"
ROOM_USE = "room_use"
FACTS = (ROOM_COUNTS, NO_SHOW_ROWS, ROOM_USE)
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


@dataclass(frozen=True)
class DayUse:
    """What the dashboard needs of a day beyond the digests' counts.

    `hours`: per room key, {clock hour: held seconds} (held as usage.py defines it: start to end,
    or to the release; overlaps once; clipped to the day); `people`: per room key, each booking's
    head-count (accepted, or invited when nobody accepted); `departments`: per department, the
    `Counts` of the bookings its people made; `releasers`: per booker, their early releases
    (counted as `incidents.count` counts them) and the seconds they gave back.
    """

    hours: dict[str, dict[int, float]]
    people: dict[str, list[int]]
    departments: dict[str, Counts]
    releasers: dict[str, list[float]]  # booker ("name · department"): [early releases, s given back]


class DayFacts(NamedTuple):
    """One day reduced: its room counts, its no-shows and its use."""

    counts: dict[str, Counts]
    misses: list[NoShow]
    use: DayUse


def day_use(rows: Sequence[Reservation], day: date, tz: tzinfo) -> DayUse:
    """The day's use, from the (de-duplicated) rows that start on it."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    people: dict[str, list[int]] = defaultdict(list)
    by_department: dict[str, list[Reservation]] = defaultdict(list)
    released: dict[tuple[str, str], bool] = {}  # the status strings repeat: look each pair up once
    releasers: dict[str, list[float]] = {}
    for row in rows:
        if outcomes.release_kind(row) and outcomes.outcome(row) != "no_show":
            mine = releasers.setdefault(booker(row.reserver, row.department), [0, 0.0])
            mine[0] += 1
            mine[1] += outcomes.given_back(row).total_seconds()
        key = room_key(row)
        statuses = (row.reservation_status, row.release_early)
        if statuses not in released:
            released[statuses] = usage.is_released(row)
        spans[key].append((row.start.timestamp(),
                           usage.held_end(row, released[statuses]).timestamp()))
        people[key].append(row.accepted or row.guests)
        by_department[row.department.strip()].append(row)
    midnight = datetime.combine(day, time(0), tz).timestamp()
    return DayUse({key: usage.held_by_hour(found, midnight) for key, found in spans.items()},
                  dict(people), {dept: count(found) for dept, found in by_department.items()},
                  releasers)


def booker(reserver: str, department: str) -> str:
    """How the dashboard names a booker: "name · department", or the name alone."""
    return f"{reserver} · {department}" if department else reserver


def is_final(day: date, now: datetime) -> bool:
    """True when `day` ended at least FINAL_AFTER before `now`."""
    return datetime.combine(day + timedelta(days=1), time(0), now.tzinfo) + FINAL_AFTER <= now


def reduce_days(rows: Iterable[Reservation], days: Iterable[date],
                tz: tzinfo) -> dict[date, DayFacts]:
    """Each day's room counts, no-shows and use, of the meetings that start on it (one pass over
    the rows to sort them by day, whatever the number of days)."""
    by_day: dict[date, list[Reservation]] = {day: [] for day in days}
    for row in rows:
        mine = by_day.get(outcomes.local_day(row, tz))
        if mine is not None:
            mine.append(row)
    return {day: DayFacts(room_counts(mine), no_shows(mine, tz), day_use(mine, day, tz))
            for day, mine in by_day.items()}


def remember(store: FactStore, day: date, reduced: DayFacts, now: datetime) -> None:
    """Store the three facts of `day` (from `reduce_days`), if the day is final."""
    if not is_final(day, now):
        return
    for name, data in stored(reduced).items():
        store.put_fact(name, day, data)


def stored(reduced: DayFacts) -> dict[str, Any]:
    """The three facts of a day as the store keeps them (JSON-able), by fact name."""
    use = reduced.use
    return {
        ROOM_COUNTS: {key: encode_counts(c) for key, c in reduced.counts.items()},
        NO_SHOW_ROWS: [[n.reserver, n.department, n.reserver_id, n.room_id, n.room_name,
                        int(n.start.timestamp()), int(n.end.timestamp())] for n in reduced.misses],
        ROOM_USE: {"rooms": {key: [v for h, s in sorted(hours.items()) for v in (h, round(s))]
                             for key, hours in use.hours.items()},
                   "people": use.people,
                   "departments": {dept: encode_counts(c) for dept, c in use.departments.items()},
                   "releasers": {who: [n, round(secs)] for who, (n, secs) in use.releasers.items()}},
    }


def remembered_days(store: FactStore, first: date, last: date) -> set[date]:
    """The days first..last whose three facts are all remembered (a day remembered before
    `room_use` existed is read again)."""
    found = store.fact_days(FACTS[0], first, last)
    for name in FACTS[1:]:
        found &= store.fact_days(name, first, last)
    return found


def known_counts(store: FactStore, first: date, last: date) -> dict[date, dict[str, Counts]]:
    """The remembered room counts of the days first..last (missing days are absent)."""
    return {day: {key: decode_counts(values) for key, values in data.items()}
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


COUNT_FIELDS = _FIELDS  # the order of a stored counts vector
NO_SHOWS_AT, NO_SHOW_TIME_AT = _FIELDS.index("no_shows"), _FIELDS.index("no_show_time")
BOOKINGS_AT = _FIELDS.index("bookings")


def encode_counts(counts: Counts) -> list[float]:
    """Counts as the stored vector (durations in seconds); vectors add field by field."""
    return [v.total_seconds() if isinstance(v, timedelta) else v
            for v in (getattr(counts, name) for name in _FIELDS)]


def decode_counts(values: Sequence[float]) -> Counts:
    """The Counts of a stored vector (or of a sum of them)."""
    return Counts(*(timedelta(seconds=v) if name in _DURATIONS else int(v)
                    for name, v in zip(_FIELDS, values, strict=True)))


def days_between(first: date, last: date) -> list[date]:
    """The days first..last."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
