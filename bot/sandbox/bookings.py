"""Reservations of the sandbox tenant, generated lazily per local day (shown.py shows them at a given moment).

A day looks like an office: meetings start most often mid-morning and mid-afternoon, rarely at
lunch or in the evening; each room's demand and head-counts follow its RoomProfile (some rooms idle,
some big rooms booked by 2-3 people); a few habitual people often do not show up. Any day, past
or future, is generated on demand from (seed, day, room), so history goes back as far as asked.

Each booking gets a hidden outcome when it is generated (checked in, no-show, released early ...).
What the API reveals depends on the sandbox clock: a meeting still to come is 预定成功 / 待签到, and
its outcome appears only once the clock passes the moment it happens. Value strings are the
documented ones (contract section 6.2, full-width parentheses).
"""
from __future__ import annotations

import random
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from bot.sandbox import names
from bot.sandbox.directory import Directory, RoomProfile, Series, User

if TYPE_CHECKING:
    from bot.sandbox.releases import Release

BOOKED = "预定成功"
PENDING_APPROVAL = "审批中"
RELEASED_MANUAL = "已释放（手动释放）"
RELEASED_AFTER_END = "已释放（会议结束后自动释放）"
RELEASED_NO_SHOW = "已释放（未签到被释放）"
RELEASED_SENSOR = "已释放（传感器自动释放）"

CHECKED_IN = "已签到"
AWAITING = "待签到"
WINDOW_OPEN = "签到时间未结束"
NO_SHOW_STATUS = "超时未签到"
EXEMPT_STATUSES = ("无需签到（未开启签到设置）", "无需签到（即时预定）", "无需签到（未安装签到设备）", "无需签到")
CHECK_IN_DEVICES = ("签到板", "签到二维码", "控制器", "触屏板", "设备离线，自动签到")

# Hidden outcomes, and how often each happens; habitual no-shows miss HABITUAL_NO_SHOW of theirs.
OUT_CHECKED_IN, OUT_NO_SHOW, OUT_MANUAL, OUT_SENSOR = "checked_in", "no_show", "manual", "sensor"
OUT_AFTER_END, OUT_EXEMPT, OUT_PENDING = "after_end", "exempt", "pending"
OUTCOME_WEIGHTS = ((OUT_CHECKED_IN, 40), (OUT_AFTER_END, 17), (OUT_NO_SHOW, 1), (OUT_MANUAL, 13),
                   (OUT_SENSOR, 5), (OUT_EXEMPT, 15), (OUT_PENDING, 5))
HABITUAL_NO_SHOW = 0.6
_OUTCOMES = tuple(o for o, _ in OUTCOME_WEIGHTS)
_CUM_WEIGHTS = tuple(sum(w for _, w in OUTCOME_WEIGHTS[: i + 1]) for i in range(len(OUTCOME_WEIGHTS)))

CHECK_IN_OPENS = 15 * 60  # check-in opens this long before the start ...
CHECK_IN_CLOSES = 15 * 60  # ... and a no-show is released this long after it
DURATIONS = (15, 15, 15, 30, 30, 30, 30, 30, 45, 60, 60)  # quick syncs: ~10 a room a day
# The chance that a meeting starts in a free quarter-hour of a room of demand 1, per hour from
# 08:00 to 19:00: a morning peak, a lunch dip, an afternoon peak, a quiet evening.
START_CHANCE = (0.06, 0.44, 0.68, 0.5, 0.1, 0.44, 0.68, 0.62, 0.4, 0.16, 0.06, 0.05)
DAY_START, DAY_END = 8 * 60, 20 * 60  # minutes after midnight
WEEKEND_DEMAND = 0.08
DAY_CACHE_SIZE = 40


@dataclass(slots=True)
class Booking:
    """One generated reservation with its hidden outcome; times are unix seconds."""

    uid: str
    room_id: str
    room_name: str
    start: int
    end: int
    organizer: User
    topic: str
    guests: int
    accepted: int
    outcome: str
    private: bool
    series: bool
    device: str = ""
    check_in_at: int = 0
    release_at: int = 0
    exempt_status: str = ""
    app_id: str = ""  # booked by an app's calendar event: its app_id and bot open_id (calendar_api)
    app_open_id: str = ""
    release: Release | None = None  # an instance/reply, a deleted event ... ending it early

    def overlaps(self, start: int, end: int) -> bool:
        """True when the booking overlaps [start, end]; a zero-length window is a point in time."""
        return self.start < max(end, start + 1) and self.end > start


class Overlay(Protocol):
    """Bookings kept beside the generated ones (the calendar's), and a look at each generated day."""

    def between(self, start: int, end: int, room_ids: list[str]) -> list[Booking]: ...

    def generated(self, bookings: list[Booking]) -> None: ...


class BookingBook:
    """Generates, caches and queries the bookings of a Directory, one local day at a time."""

    def __init__(self, directory: Directory, tz: ZoneInfo) -> None:
        self.directory = directory
        self.tz = tz
        self.overlay: Overlay | None = None
        self._room_ids = [r.room_id for r in directory.rooms]
        self._known = set(self._room_ids)
        self._days: OrderedDict[date, dict[str, list[Booking]]] = OrderedDict()
        self._cancelled: set[tuple[str, str]] = set()  # (room id, uid) of generated bookings
        self._lock = threading.Lock()

    def day(self, day: date) -> dict[str, list[Booking]]:
        """Bookings starting on a local day, by room id, for every room."""
        return {room_id: self.room_day(day, room_id) for room_id in self._room_ids}

    def room_day(self, day: date, room_id: str) -> list[Booking]:
        """One room's bookings starting on a local day (generated once per room and day, then cached)."""
        with self._lock:
            rooms = self._days.get(day)
            if rooms is None:
                rooms = self._days[day] = {}
                while len(self._days) > DAY_CACHE_SIZE:
                    self._days.popitem(last=False)
            else:
                self._days.move_to_end(day)
            cached = rooms.get(room_id)
        if cached is None:
            cached = [b for b in self._generate(day, room_id) if (room_id, b.uid) not in self._cancelled]
            if self.overlay is not None:
                self.overlay.generated(cached)
            with self._lock:
                rooms[room_id] = cached
        return cached

    def cancel_between(self, room_id: str, start: int, end: int) -> list[Booking]:
        """Cancel a room's generated bookings overlapping [start, end], as if their organisers had
        cancelled them before anyone looked: they are gone from every read from now on."""
        gone: list[Booking] = []
        for day in self._days_reaching(start, end):
            bookings = self.room_day(day, room_id)
            with self._lock:
                gone += [b for b in bookings if b.overlaps(start, end)]
                bookings[:] = [b for b in bookings if not b.overlaps(start, end)]
        self._cancelled.update((room_id, b.uid) for b in gone)
        return gone

    def _days_reaching(self, start: int, end: int) -> list[date]:
        """The local days whose bookings may overlap [start, end] (from the day before: a late
        meeting runs past midnight)."""
        first = datetime.fromtimestamp(start, self.tz).date() - timedelta(days=1)
        last = datetime.fromtimestamp(max(start, end), self.tz).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def cached(self, room_id: str) -> list[Booking]:
        """One room's bookings on the days generated so far (for finding a uid)."""
        with self._lock:
            return [b for rooms in self._days.values() for b in rooms.get(room_id, ())]

    def between(self, start: int, end: int, room_ids: Iterable[str] | None = None) -> list[Booking]:
        """Bookings overlapping [start, end], optionally only in some rooms, sorted by start then room."""
        wanted = self._room_ids if room_ids is None else [r for r in room_ids if r in self._known]
        found: list[Booking] = []
        for day in self._days_reaching(start, end):
            for room_id in wanted:
                found.extend(b for b in self.room_day(day, room_id) if b.overlaps(start, end))
        if self.overlay is not None:
            found.extend(self.overlay.between(start, end, wanted))
        found.sort(key=lambda b: (b.start, b.room_name, b.uid))
        return found

    def _generate(self, day: date, room_id: str) -> list[Booking]:
        room = self.directory.room(room_id)
        if room is None or not room.enabled:
            return []
        midnight = int(datetime.combine(day, time(0), self.tz).timestamp())
        rng = random.Random(f"{self.directory.seed}:{day.isoformat()}:{room_id}")
        weekend = day.weekday() >= 5
        series = None if weekend else self.directory.series.get(room_id)
        profile = self.directory.profiles.get(room_id, RoomProfile())
        slots = _slots(rng, profile.demand * (WEEKEND_DEMAND if weekend else 1.0), series)
        return [_booking(rng, room_id, room.name, room.capacity, profile, midnight + s * 60,
                         midnight + e * 60, sr, self.directory)
                for s, e, sr in slots]


def _slots(rng: random.Random, demand: float,
           series: Series | None) -> list[tuple[int, int, Series | None]]:
    """One room's meetings of a day as minutes after midnight: walk the quarter-hours 08:00-20:00.

    In each free quarter a meeting starts with START_CHANCE of its hour times the demand; the
    weekday series slot is kept free for the series; rarely a late meeting runs past midnight.
    """
    block = (series.start_minute, series.start_minute + series.minutes) if series else (0, 0)
    slots: list[tuple[int, int, Series | None]] = [(block[0], block[1], series)] if series else []
    minute = DAY_START
    while minute < DAY_END:
        if block[0] <= minute < block[1]:
            minute = block[1]
            continue
        if rng.random() >= START_CHANCE[(minute - DAY_START) // 60] * demand:
            minute += 15
            continue
        end = minute + rng.choice(DURATIONS)
        if minute < block[0] < end:
            end = block[0]
        slots.append((minute, end, None))
        minute = end
    if demand > 0.1 and rng.random() < 0.01:
        late = rng.choice((1320, 1350, 1380, 1410))
        slots.append((late, late + rng.choice((60, 90, 120, 150)), None))
    return sorted(slots, key=lambda slot: slot[0])


def draw_outcome(rng: random.Random, b: Booking, *, habitual: bool = False) -> None:
    """Give a booking of a room that needs check-in a hidden outcome as the generator would
    (never 审批中 nor 无需签到), and settle it."""
    b.outcome = OUT_PENDING
    while b.outcome in (OUT_PENDING, OUT_EXEMPT):
        b.outcome = rng.choices(_OUTCOMES, cum_weights=_CUM_WEIGHTS)[0]
    if habitual and rng.random() < HABITUAL_NO_SHOW:
        b.outcome = OUT_NO_SHOW
    _settle(rng, b)


def _heads(rng: random.Random, capacity: int, fit: str) -> tuple[int, int]:
    """(invited, accepted): oversized rooms get 2-3 people, too-small ones often more than fit."""
    if fit == "oversized":
        guests = rng.randint(2, 3)
    elif rng.random() < (0.4 if fit == "too_small" else 0.04):
        guests = capacity + rng.randint(1, 3)
    else:
        guests = rng.randint(max(2, capacity // 2), capacity)
    accepted = 0 if rng.random() < 0.1 else rng.randint(max(1, guests * 2 // 3), guests)
    return guests, accepted


def _booking(rng: random.Random, room_id: str, room_name: str, capacity: int, profile: RoomProfile,
             start: int, end: int, series: Series | None, directory: Directory) -> Booking:
    """A booking with its organizer, topic, head-count and hidden outcome."""
    organizer = series.organizer if series else rng.choice(directory.users)
    guests, accepted = _heads(rng, capacity, profile.fit)
    outcome = rng.choices(_OUTCOMES, cum_weights=_CUM_WEIGHTS)[0]
    if organizer.open_id in directory.habitual and rng.random() < HABITUAL_NO_SHOW:
        outcome = OUT_NO_SHOW
    booking = Booking(
        uid=series.uid if series else str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        room_id=room_id, room_name=room_name, start=start, end=end, organizer=organizer,
        topic=series.topic if series else rng.choice(names.TOPICS), guests=guests,
        accepted=accepted, outcome=outcome, private=rng.random() < 0.1, series=series is not None)
    _settle(rng, booking)
    return booking


def _settle(rng: random.Random, b: Booking) -> None:
    """Fix when the hidden outcome happens: check-in time, device, release time."""
    if b.outcome == OUT_EXEMPT:
        b.exempt_status = rng.choice(EXEMPT_STATUSES)
        return
    if b.outcome in (OUT_NO_SHOW, OUT_PENDING):
        return
    b.device = rng.choice(CHECK_IN_DEVICES)
    b.check_in_at = b.start + rng.randint(-10, 10) * 60 + rng.randint(0, 59)
    if b.outcome in (OUT_MANUAL, OUT_SENSOR):
        earliest, latest = b.check_in_at + 300, b.end - 300
        if latest <= earliest:
            b.outcome = OUT_CHECKED_IN
            return
        b.release_at = rng.randint(earliest, latest)
    elif b.outcome == OUT_AFTER_END:
        b.release_at = b.end
