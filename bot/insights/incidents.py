"""Pure insights over reservation rows: counts, no-shows and early releases per room, place or person,
and repeat offenders (the definitions are in outcomes.py)."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from typing import Literal

from bot.feishu.models import Reservation
from bot.insights.outcomes import (
    RoomDirectory,
    dedupe,
    given_back,
    local_day,
    norm,
    outcome,
    release_kind,
    starting_on,
)

REPEAT_THRESHOLD = 2  # no-shows in the look-back window that make a repeat offender
REPEAT_DAYS = 7


@dataclass(frozen=True)
class Counts:
    """Totals over a set of bookings."""

    bookings: int = 0
    checked_in: int = 0
    no_shows: int = 0
    exempt: int = 0
    pending: int = 0
    unknown: int = 0
    early_releases: int = 0
    manual_releases: int = 0
    sensor_releases: int = 0
    booked: timedelta = timedelta(0)
    no_show_time: timedelta = timedelta(0)  # booked time of the no-shows
    reclaimed: timedelta = timedelta(0)  # time given back by early releases and no-show releases
    reclaimed_early: timedelta = timedelta(0)  # of which by early releases

    @property
    def needed_check_in(self) -> int:
        """The honest denominator of the no-show rate: bookings whose check-in was required and is over."""
        return self.checked_in + self.no_shows

    @property
    def held(self) -> timedelta:
        """Booked time not given back: how long the room was actually kept."""
        return self.booked - self.reclaimed

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.needed_check_in if self.needed_check_in else None

    @property
    def early_release_rate(self) -> float | None:
        held = self.bookings - self.pending - self.no_shows
        return self.early_releases / held if held > 0 else None


def count(rows: Iterable[Reservation]) -> Counts:
    """Totals and times over rows."""
    tally: Counter[str] = Counter()
    booked = no_show_time = reclaimed = reclaimed_early = timedelta(0)
    for row in rows:
        result = outcome(row)
        tally["bookings"] += 1
        tally[result] += 1
        kind = release_kind(row)
        if kind and result != "no_show":
            tally["early"] += 1
            tally[kind] += 1
            reclaimed_early += given_back(row)
        booked += row.end - row.start
        no_show_time += row.end - row.start if result == "no_show" else timedelta(0)
        reclaimed += given_back(row)
    return Counts(tally["bookings"], tally["checked_in"], tally["no_show"], tally["exempt"],
                  tally["pending"], tally["unknown"], tally["early"], tally["manual"], tally["sensor"],
                  booked, no_show_time, reclaimed, reclaimed_early)


@dataclass(frozen=True)
class Group:
    """Counts for one room, floor, building or reserver."""

    key: str
    label: str
    counts: Counts
    detail: str = ""  # location of a room, department of a person


@dataclass(frozen=True)
class Event:
    """One no-show or early release, for detail lists."""

    kind: Literal["no_show", "early_release"]
    row: Reservation
    room_label: str
    given_back: timedelta = timedelta(0)
    release_kind: str = ""


@dataclass(frozen=True)
class DayInsights:
    """Everything a digest or report shows for one set of days."""

    days: tuple[date, ...]
    totals: Counts
    rooms: tuple[Group, ...]  # worst first (no-shows, then early releases)
    floors: tuple[Group, ...]
    buildings: tuple[Group, ...]
    reservers: tuple[Group, ...]  # people with a no-show or early release, worst first
    busiest: tuple[Group, ...]  # rooms by time held (booked minus given back)
    events: tuple[Event, ...] = field(default=())


def _label(room_id: str, name: str, directory: RoomDirectory | None) -> tuple[str, str, str]:
    """(room label, floor label, building label)."""
    room = directory.room(room_id) if directory and room_id else None
    if room is None or directory is None:
        return name, "", ""
    floor, building = directory.floor_of(room), directory.building_of(room)
    return room.name, floor.name if floor else "", building.name if building else ""


def _groups(rows: list[Reservation], key: Callable[[Reservation], tuple[str, str, str]]) -> list[Group]:
    buckets: dict[str, list[Reservation]] = defaultdict(list)
    labels: dict[str, tuple[str, str]] = {}
    for row in rows:
        ident, label, detail = key(row)
        if ident:
            buckets[ident].append(row)
            labels[ident] = (label, detail)
    return [Group(ident, labels[ident][0], count(items), labels[ident][1])
            for ident, items in buckets.items()]


def _worst(groups: list[Group]) -> tuple[Group, ...]:
    return tuple(sorted(groups, key=lambda g: (-g.counts.no_shows, -g.counts.early_releases,
                                               -g.counts.reclaimed, g.label)))


def reserver_key(row: Reservation) -> tuple[str, str, str]:
    """People are grouped by name and department: the export has no user id column."""
    return f"{row.reserver}|{row.department}", row.reserver, row.department


def analyse(rows: Iterable[Reservation], days: Sequence[date], tz: tzinfo,
            directory: RoomDirectory | None = None) -> DayInsights:
    """Deduplicated insights over the meetings that start on `days` (tenant-local)."""
    picked = dedupe(starting_on(rows, days, tz))
    places = {(r.room_id, r.room_name): _label(r.room_id, r.room_name, directory) for r in picked}

    def room_key(row: Reservation) -> tuple[str, str, str]:
        room, floor, building = places[(row.room_id, row.room_name)]
        return row.room_id or norm(row.room_name), room, " · ".join(x for x in (building, floor) if x)

    def place_key(index: int) -> Callable[[Reservation], tuple[str, str, str]]:
        return lambda row: (places[(row.room_id, row.room_name)][index],) * 2 + ("",)

    rooms = _groups(picked, room_key)
    offenders = [g for g in _groups(picked, reserver_key)
                 if g.counts.no_shows or g.counts.early_releases]
    busiest = sorted(rooms, key=lambda g: (-g.counts.held, g.label))
    return DayInsights(tuple(sorted(days)), count(picked), _worst(rooms),
                       _worst(_groups(picked, place_key(1))), _worst(_groups(picked, place_key(2))),
                       _worst(offenders), tuple(busiest), tuple(events(picked, room_key)))


def events(rows: Iterable[Reservation],
           room_key: Callable[[Reservation], tuple[str, str, str]] | None = None) -> list[Event]:
    """Every no-show and early release, in start order."""
    found = []
    for row in rows:
        label = room_key(row)[1] if room_key else row.room_name
        if outcome(row) == "no_show":
            found.append(Event("no_show", row, label, given_back(row)))
        elif (kind := release_kind(row)) is not None:
            found.append(Event("early_release", row, label, given_back(row), kind))
    return found


@dataclass(frozen=True)
class NoShowMark:
    """The little a repeat-offender count needs to remember about one no-show."""

    day: date
    reserver: str
    department: str
    room_id: str


@dataclass(frozen=True)
class Offender:
    """A person with repeated no-shows."""

    name: str
    department: str
    no_shows: int


def no_show_marks(rows: Iterable[Reservation], tz: tzinfo) -> list[NoShowMark]:
    """One mark per (deduplicated) no-show, on its local start day."""
    return [NoShowMark(local_day(r, tz), r.reserver, r.department, r.room_id)
            for r in dedupe(rows) if outcome(r) == "no_show"]


def offenders(marks: Iterable[NoShowMark], first: date, last: date,
              room_ids: set[str] | None = None, threshold: int = REPEAT_THRESHOLD) -> list[Offender]:
    """People with >= `threshold` no-shows on the days first..last (in these rooms), worst first."""
    tally: Counter[tuple[str, str]] = Counter(
        (m.reserver, m.department) for m in marks
        if first <= m.day <= last and (room_ids is None or m.room_id in room_ids) and m.reserver)
    found = [Offender(name, dept, n) for (name, dept), n in tally.items() if n >= threshold]
    return sorted(found, key=lambda o: (-o.no_shows, o.name, o.department))


def repeat_offenders(rows: Iterable[Reservation], last_day: date, tz: tzinfo,
                     days: int = REPEAT_DAYS, threshold: int = REPEAT_THRESHOLD) -> list[Offender]:
    """People with >= `threshold` no-shows in the `days` local days ending with `last_day`."""
    first = last_day - timedelta(days=days - 1)
    return offenders(no_show_marks(rows, tz), first, last_day, threshold=threshold)
