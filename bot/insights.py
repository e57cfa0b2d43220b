"""Pure insights over reservation rows: no-shows, early releases, reclaimed hours, per room/place/person.

Definitions (status strings from the Feishu docs, feishu-contract §6.2; full-width parentheses):
- no-show: room_check_in_status 超时未签到, or reservation_status 已释放（未签到被释放）.
- checked in: 已签到. With no-shows these are the bookings that needed a check-in: the rate's denominator.
- exempt: 无需签到… / 不可签到… (no check-in needed or possible); pending: 审批中, 签到时间未结束, 待签到.
  Neither is a no-show nor counts in the rate.
- early release: 已释放（手动释放） or 已释放（传感器自动释放） before the booked end; the time given back is
  end - release time. 已释放（会议结束后自动释放） is not an early release.
- A meeting belongs to the local day (tenant timezone) on which it starts.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Literal, Protocol

from bot.feishu.models import Reservation, Room, RoomLevel

CHECKED_IN = "已签到"
TIMED_OUT = "超时未签到"
RELEASED_NO_CHECK_IN = "已释放（未签到被释放）"
RELEASED_MANUALLY = "已释放（手动释放）"
RELEASED_BY_SENSOR = "已释放（传感器自动释放）"
RELEASED_AFTER_END = "已释放（会议结束后自动释放）"
APPROVING = "审批中"
PENDING_CHECK_IN = ("签到时间未结束", "待签到")
EXEMPT_PREFIXES = ("无需签到", "不可签到")
EARLY_RELEASES = {RELEASED_MANUALLY: "manual", RELEASED_BY_SENSOR: "sensor"}
REPEAT_THRESHOLD = 2  # no-shows in the look-back window that make a repeat offender
REPEAT_DAYS = 7

Outcome = Literal["no_show", "checked_in", "exempt", "pending", "unknown"]
_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", ",": "，"})


class RoomDirectory(Protocol):
    """The parts of bot.directory.Directory that insights use."""

    def room(self, room_id: str) -> Room | None: ...
    def room_by_name(self, name: str) -> Room | None: ...
    def floor_of(self, room: Room) -> RoomLevel | None: ...
    def building_of(self, room: Room) -> RoomLevel | None: ...


@lru_cache(maxsize=8192)
def norm(status: str) -> str:
    """A status string with half-width punctuation and stray spaces made canonical (cached: a
    2,000-room day asks for the same few statuses some 250,000 times)."""
    return "".join(status.split()).translate(_HALF_TO_FULL)


def outcome(row: Reservation) -> Outcome:
    """What happened to the check-in of one booking."""
    check_in, status = norm(row.check_in_status), norm(row.reservation_status)
    if check_in == TIMED_OUT or status == RELEASED_NO_CHECK_IN:
        return "no_show"
    if check_in == CHECKED_IN:
        return "checked_in"
    if status == APPROVING or check_in in PENDING_CHECK_IN:
        return "pending"
    if check_in.startswith(EXEMPT_PREFIXES):
        return "exempt"
    return "unknown"


def release_kind(row: Reservation) -> str | None:
    """'manual' or 'sensor' for an early release, else None (a release after the end is none)."""
    for text in (row.reservation_status, row.release_early):
        kind = EARLY_RELEASES.get(norm(text))
        if kind:
            if row.release_time is not None and row.release_time >= row.end:
                return None
            return kind
    return None


def given_back(row: Reservation) -> timedelta:
    """Booked time returned to others by a release before the end (zero when unknown or none)."""
    status = norm(row.reservation_status)
    if row.release_time is None or status == RELEASED_AFTER_END or row.release_time >= row.end:
        return timedelta(0)
    if release_kind(row) is None and status != RELEASED_NO_CHECK_IN:
        return timedelta(0)
    return row.end - max(row.release_time, row.start)


def local_day(row: Reservation, tz: tzinfo) -> date:
    """The tenant-local day on which the meeting starts (a meeting over midnight counts once)."""
    return row.start.astimezone(tz).date()


def _finality(row: Reservation) -> int:
    return {"pending": 0, "unknown": 1}.get(outcome(row), 2) + (1 if row.release_time else 0)


def dedupe(rows: Iterable[Reservation]) -> list[Reservation]:
    """One row per meeting (the same meeting may come in two day-chunks); keep the most final row."""
    best: dict[tuple[str, datetime, datetime, str], Reservation] = {}
    for row in rows:
        key = (row.room_id or norm(row.room_name), row.start, row.end, row.reserver_id or row.reserver)
        kept = best.get(key)
        if kept is None or _finality(row) > _finality(kept):
            best[key] = row
    return sorted(best.values(), key=lambda r: (r.start, r.room_name, r.reserver))


def resolve_rooms(rows: Iterable[Reservation], directory: RoomDirectory) -> list[Reservation]:
    """Fill in room_id for export rows (which have only the room name) from the directory."""
    resolved = []
    for row in rows:
        if not row.room_id:
            room = directory.room_by_name(row.room_name)
            if room is not None:
                row = replace(row, room_id=room.room_id)
        resolved.append(row)
    return resolved


def starting_on(rows: Iterable[Reservation], days: Sequence[date] | date, tz: tzinfo) -> list[Reservation]:
    """Rows whose meeting starts on one of these local days."""
    wanted = {days} if isinstance(days, date) else set(days)
    return [row for row in rows if local_day(row, tz) in wanted]


def in_rooms(rows: Iterable[Reservation], room_ids: set[str] | None) -> list[Reservation]:
    """Rows in these rooms (None = every room)."""
    return list(rows) if room_ids is None else [row for row in rows if row.room_id in room_ids]


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
