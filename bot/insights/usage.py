"""Pure room-usage computations: utilisation, used and ghost time, peak hours, idle, right-sizing.

Definitions (README "Utilisation and peak hours"; checked by tests/insights/test_usage.py):
- working time: `WorkingTime` (default 09:00-18:00, Monday to Friday) in the tenant timezone;
- held time of a booking: start to end, or to its release time when it was released (any release
  status), intersected with working time; a room's held time is the union over its bookings;
- utilisation = held ÷ working time; of a group = sum of held ÷ sum of working time;
- used time: held time of bookings checked in or needing no check-in; ghost time: of no-shows;
- peak hours: per working hour, held time of the rooms ÷ (the hour × the rooms), averaged over the
  window's working days; idle rooms: utilisation under 5 %;
- the window is local days `first`..`last` and ends at `now`;
- right-sizing: rooms with ≥ 5 bookings; oversized when the median head-count ≤ capacity ÷ 3,
  too small when more than 20 % of bookings invited more people than the capacity.
Times are computed as unix seconds: one sort per room, then sweeps.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Literal

from bot.feishu.models import Reservation, Room
from bot.insights.outcomes import (
    RELEASED_AFTER_END,
    RELEASED_BY_SENSOR,
    RELEASED_MANUALLY,
    RELEASED_NO_CHECK_IN,
    Outcome,
    RoomDirectory,
    norm,
    outcome,
)
from bot.insights.working_time import (
    Span,
    Window,
    WorkingClock,
    working_clock,
)

IDLE_BELOW = 0.05
MIN_BOOKINGS = 5  # right-sizing looks only at rooms booked at least this often
OVERSIZED_DIVISOR = 3  # oversized: median head-count <= capacity / 3
TOO_SMALL_SHARE = 0.2  # too small: more than this share of bookings invited more than the capacity
_RELEASED = frozenset((RELEASED_MANUALLY, RELEASED_BY_SENSOR,
                       RELEASED_NO_CHECK_IN, RELEASED_AFTER_END))
_USED: frozenset[Outcome] = frozenset(("checked_in", "exempt"))

@dataclass(frozen=True)
class Usage:
    """Held, working, used and ghost time of a room or a group of rooms, and its bookings."""

    held: timedelta
    working: timedelta
    used: timedelta
    ghost: timedelta
    bookings: int  # bookings that start in the window (before now)

    @property
    def utilisation(self) -> float:
        """Held ÷ working time (0.0 when the window has no working time)."""
        return self.held / self.working if self.working else 0.0

    @property
    def used_share(self) -> float:
        """Used ÷ working time."""
        return self.used / self.working if self.working else 0.0

    @property
    def ghost_share(self) -> float:
        """Ghost ÷ working time."""
        return self.ghost / self.working if self.working else 0.0

    @property
    def idle(self) -> bool:
        """Utilisation under 5 % in a window that had working time."""
        return bool(self.working) and self.utilisation < IDLE_BELOW


@dataclass(frozen=True)
class RoomUsage(Usage):
    """One room's usage; `hourly` is its held seconds per hour of `WorkingTime.hours`, all days."""

    room: Room
    hourly: tuple[float, ...] = ()


@dataclass(frozen=True)
class GroupUsage(Usage):
    """A floor's, building's or the tenant's usage: sums over its rooms."""

    kind: str  # "floor", "building", "tenant" or "place"
    key: str  # level id ("" for the tenant)
    label: str
    rooms: int
    idle_rooms: int


_Piece = tuple[int, float, float, str]  # (working span index, lo, hi, kind of its one booking)
_MIXED = "mixed"  # the kind of a piece merged from overlapping bookings


def _pieces(spans: Iterable[tuple[float, float, str]], work: Sequence[Span]) -> list[_Piece]:
    """The union of spans (sorted by start) inside working spans, one piece per working span."""
    pieces: list[_Piece] = []
    k = 0
    cur_lo = cur_hi = -1.0
    cur_kind = ""
    for lo, hi, kind in spans:
        if lo < cur_hi:  # an overlap: touching spans stay apart and keep their kinds
            cur_hi, cur_kind = max(cur_hi, hi), _MIXED
            continue
        if cur_hi > cur_lo:
            k = _clip(cur_lo, cur_hi, cur_kind, work, k, pieces)
        cur_lo, cur_hi, cur_kind = lo, hi, kind
    if cur_hi > cur_lo:
        _clip(cur_lo, cur_hi, cur_kind, work, k, pieces)
    return pieces


def _clip(lo: float, hi: float, kind: str, work: Sequence[Span], k: int,
          pieces: list[_Piece]) -> int:
    """Append the parts of [lo, hi) inside working spans k...; return where to search next."""
    n = len(work)
    while k < n and work[k][1] <= lo:
        k += 1
    j = k
    while j < n and work[j][0] < hi:
        w_lo, w_hi = work[j]
        a, b = max(w_lo, lo), min(w_hi, hi)
        if b > a:
            pieces.append((j, a, b, kind))
        j += 1
    return k


def _seconds(pieces: Iterable[_Piece], kind: str | None = None) -> timedelta:
    """The length of the pieces (of one kind)."""
    return timedelta(seconds=sum(b - a for _, a, b, of in pieces if kind is None or of == kind))


def _room_ids(rows: Iterable[Reservation],
              rooms: Sequence[Room]) -> Iterable[tuple[str, Reservation]]:
    """(room id, row) for rows in these rooms; export rows (no room id) are matched by name."""
    known = {r.room_id for r in rooms}
    by_name = {r.name: r.room_id for r in rooms}
    for row in rows:
        room_id = row.room_id or by_name.get(row.room_name.strip(), "")
        if room_id in known:
            yield room_id, row


def _classify(row: Reservation) -> tuple[bool, str]:
    """(released with any release status, "used" / "ghost" / "") from the row's status strings."""
    released = is_released(row)
    result = outcome(row)
    return released, "used" if result in _USED else "ghost" if result == "no_show" else ""


def is_released(row: Reservation) -> bool:
    """Whether the row's statuses say it was released (any release status)."""
    return bool({norm(row.reservation_status), norm(row.release_early)} & _RELEASED)


def held_end(row: Reservation, released: bool | None = None) -> datetime:
    """When a booking stopped holding its room: its release time when released early, else its
    end (`released`: is_released(row), when the caller knows it already)."""
    if released is None:
        released = is_released(row)
    if released and row.release_time is not None and row.release_time < row.end:
        return row.release_time
    return row.end


DAY_SECONDS = 86400


def held_by_hour(spans: Iterable[tuple[float, float]], midnight: float) -> dict[int, float]:
    """{clock hour: held seconds} of one room's (start, end) spans in unix seconds, overlaps
    counted once, clipped to the day that begins at `midnight`; hours held for 0 s are left out."""
    hours: dict[int, float] = {}
    cur_lo = cur_hi = -1.0
    for lo, hi in sorted((max(lo, midnight), min(hi, midnight + DAY_SECONDS)) for lo, hi in spans):
        if lo < cur_hi:
            cur_hi = max(cur_hi, hi)
            continue
        _split_hours(cur_lo, cur_hi, midnight, hours)
        cur_lo, cur_hi = lo, hi
    _split_hours(cur_lo, cur_hi, midnight, hours)
    return hours


def _split_hours(lo: float, hi: float, midnight: float, hours: dict[int, float]) -> None:
    while hi > lo:
        hour = int((lo - midnight) // 3600)
        cut = min(hi, midnight + 3600 * (hour + 1))
        hours[hour] = hours.get(hour, 0.0) + cut - lo
        lo = cut


def measure(rows: Iterable[Reservation], rooms: Sequence[Room],
            window: Window) -> tuple[RoomUsage, ...]:
    """Usage of every room in `rooms` (in that order) over the window.

    Rows should be deduplicated (outcomes.dedupe): overlaps count once in held time anyway, but a
    duplicate row counts twice in `bookings`. Export rows (no room id) are matched by room name.
    """
    clock, (t0, t1) = working_clock(window), window.bounds()
    spans: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    starts: dict[str, int] = defaultdict(int)
    classes: dict[tuple[str, str, str], tuple[bool, str]] = {}
    for room_id, row in _room_ids(rows, rooms):
        start = row.start.timestamp()
        if start >= t1:
            continue
        if start >= t0:
            starts[room_id] += 1
        key = (row.check_in_status, row.reservation_status, row.release_early)
        if key not in classes:  # the status strings repeat: classify each combination once
            classes[key] = _classify(row)
        released, kind = classes[key]
        end = row.end
        if released and row.release_time is not None and row.release_time < end:
            end = row.release_time
        lo, hi = max(t0, start), min(t1, end.timestamp())
        if hi > lo:
            spans[room_id].append((lo, hi, kind))
    working = timedelta(seconds=sum(hi - lo for lo, hi in clock.spans))
    return tuple(_room_usage(room, sorted(spans.get(room.room_id, ())), starts[room.room_id],
                             clock, working) for room in rooms)


def _room_usage(room: Room, spans: list[tuple[float, float, str]], bookings: int, clock: WorkingClock,
                working: timedelta) -> RoomUsage:
    """One room's usage from its clipped spans, sorted by start."""
    pieces = _pieces(spans, clock.spans)
    hourly = [0.0] * len(clock.hour_working)
    for k, lo, hi, _ in pieces:  # each piece lies in one working span: split it by the hour
        cuts = clock.slices[k]
        i = max(0, bisect_right(clock.slice_starts[k], lo) - 1)
        while i < len(cuts) and cuts[i][1] < hi:
            index, a, b = cuts[i]
            a, b = max(a, lo), min(b, hi)
            if b > a:
                hourly[index] += b - a
            i += 1
    if any(piece[3] == _MIXED for piece in pieces):  # overlaps: used and ghost need own unions
        used = _seconds(_pieces([span for span in spans if span[2] == "used"], clock.spans))
        ghost = _seconds(_pieces([span for span in spans if span[2] == "ghost"], clock.spans))
    else:
        used, ghost = _seconds(pieces, "used"), _seconds(pieces, "ghost")
    return RoomUsage(held=_seconds(pieces), working=working, used=used, ghost=ghost,
                     bookings=bookings, room=room, hourly=tuple(hourly))


GroupKind = Literal["floor", "building", "tenant", "place"]


def group(usages: Sequence[RoomUsage], kind: GroupKind = "tenant", key: str = "",
          label: str = "") -> GroupUsage:
    """The sums over some rooms' usage: utilisation is total held ÷ total working time."""
    return GroupUsage(held=sum((u.held for u in usages), timedelta(0)),
                      working=sum((u.working for u in usages), timedelta(0)),
                      used=sum((u.used for u in usages), timedelta(0)),
                      ghost=sum((u.ghost for u in usages), timedelta(0)),
                      bookings=sum(u.bookings for u in usages), kind=kind, key=key, label=label,
                      rooms=len(usages), idle_rooms=sum(1 for u in usages if u.idle))


def by_level(usages: Sequence[RoomUsage], directory: RoomDirectory,
             kind: Literal["floor", "building"]) -> tuple[GroupUsage, ...]:
    """One group per floor or building that has rooms here, busiest first."""
    members: dict[str, list[RoomUsage]] = defaultdict(list)
    labels: dict[str, str] = {}
    for usage in usages:
        level = (directory.floor_of if kind == "floor" else directory.building_of)(usage.room)
        if level is not None:
            members[level.level_id].append(usage)
            labels[level.level_id] = level.name
    groups = (group(found, kind, level_id, labels[level_id]) for level_id, found in members.items())
    return tuple(sorted(groups, key=lambda g: (-g.utilisation, g.label)))


def peak_hours(usages: Sequence[RoomUsage], window: Window) -> list[tuple[int, float]]:
    """(hour, share) per working hour: held time in that hour ÷ (its working time × the rooms).

    Over whole working days this is the held minutes ÷ (60 × rooms) averaged over the window's
    working days; an hour of today counts only the part before now, an hour not yet begun is 0.
    """
    clock = working_clock(window)
    shares = []
    for index, hour in enumerate(window.working.hours):
        room_seconds = clock.hour_working[index] * len(usages)
        held = sum(u.hourly[index] for u in usages if u.hourly)
        shares.append((hour, held / room_seconds if room_seconds else 0.0))
    return shares


def idle_rooms(usages: Iterable[RoomUsage]) -> list[RoomUsage]:
    """Rooms with utilisation under 5 % (in a window with working time), least used first."""
    return sorted((u for u in usages if u.idle), key=lambda u: (u.utilisation, u.room.name))


@dataclass(frozen=True)
class SizeRow:
    """How a room's bookings fit its capacity."""

    room: Room
    bookings: int
    median_people: float  # accepted_number, or guests_number when nobody accepted
    over_capacity: int  # bookings that invited more people than the capacity
    oversized: bool
    too_small: bool

    @property
    def over_share(self) -> float:
        """The share of bookings that invited more people than the capacity."""
        return self.over_capacity / self.bookings if self.bookings else 0.0


def right_sizing(rows: Iterable[Reservation], rooms: Sequence[Room], window: Window,
                 min_bookings: int = MIN_BOOKINGS) -> list[SizeRow]:
    """Rooms with ≥ `min_bookings` bookings starting in the window: flagged first, then by fit."""
    t0, t1 = window.bounds()
    people: dict[str, list[int]] = defaultdict(list)
    invited: dict[str, list[int]] = defaultdict(list)
    for room_id, row in _room_ids(rows, rooms):
        if t0 <= row.start.timestamp() < t1:
            people[room_id].append(row.accepted or row.guests)
            invited[room_id].append(row.guests)
    found = []
    for room in rooms:
        counts = people.get(room.room_id, [])
        if len(counts) < min_bookings or room.capacity <= 0:
            continue
        middle = float(median(counts))
        over = sum(1 for n in invited[room.room_id] if n > room.capacity)
        found.append(SizeRow(room, len(counts), middle, over,
                             oversized=OVERSIZED_DIVISOR * middle <= room.capacity,
                             too_small=over / len(counts) > TOO_SMALL_SHARE))
    return sorted(found, key=lambda s: (not (s.oversized or s.too_small),
                                        s.median_people / s.room.capacity, s.room.name))
