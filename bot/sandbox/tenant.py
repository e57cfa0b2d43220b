"""The sandbox tenant: a deterministic directory (from seed and room count) plus lazily generated reservations."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.feishu.models import BusyInterval, Reservation, Room, RoomLevel
from bot.sandbox.bookings import Booking, BookingBook
from bot.sandbox.directory import Directory, User, build_directory
from bot.sandbox.shown import to_busy, to_reservation

Clock = Callable[[], datetime]
TENANT_TZ = ZoneInfo("Asia/Shanghai")


class Tenant:
    """Everything the fake Feishu knows: levels, rooms, users, the bot, and reservations at the sandbox clock."""

    def __init__(self, seed: int = 7, rooms: int = 60, clock: Clock | None = None,
                 tz: ZoneInfo = TENANT_TZ) -> None:
        self.seed = seed
        self.tz = tz
        self.clock: Clock = clock or (lambda: datetime.now(tz))
        self.directory: Directory = build_directory(seed, rooms)
        self.book = BookingBook(self.directory, tz)

    @property
    def root(self) -> RoomLevel:
        """The tenant root level (GET room_levels/0)."""
        return self.directory.root

    @property
    def levels(self) -> list[RoomLevel]:
        """Every level, the root first."""
        return self.directory.levels

    @property
    def rooms(self) -> list[Room]:
        """Every room."""
        return self.directory.rooms

    @property
    def users(self) -> list[User]:
        """Every person of the tenant."""
        return self.directory.users

    @property
    def bot_open_id(self) -> str:
        """The bot's open_id (GET bot/v3/info)."""
        return self.directory.bot_open_id

    def now_ts(self) -> int:
        """The sandbox clock as unix seconds."""
        return int(self.clock().timestamp())

    def room_by_name(self, name: str) -> Room | None:
        """The room with exactly this name, or None."""
        return next((r for r in self.rooms if r.name == name), None)

    def level_by_name(self, name: str, parent_name: str = "") -> RoomLevel | None:
        """The level with this name (under a parent of `parent_name`, when given), or None."""
        for level in self.levels:
            parent = self.directory.level(level.parent_id)
            if level.name == name and (not parent_name or (parent and parent.name == parent_name)):
                return level
        return None

    def bookings(self, start: datetime, end: datetime, room_ids: Iterable[str] | None = None) -> list[Booking]:
        """Raw generated bookings overlapping [start, end] (hidden outcomes included)."""
        return self.book.between(int(start.timestamp()), int(end.timestamp()), room_ids)

    def shown(self, bookings: Iterable[Booking], need_topic: bool = True) -> list[Reservation]:
        """Bookings as the list API shows them at the sandbox clock."""
        now = self.now_ts()
        return [to_reservation(b, now, self.tz, need_topic) for b in bookings]

    def reservations(self, start: datetime, end: datetime, room_ids: Iterable[str] | None = None,
                     need_topic: bool = True) -> list[Reservation]:
        """Reservations overlapping [start, end] as the list API shows them at the sandbox clock."""
        return self.shown(self.bookings(start, end, room_ids), need_topic)

    def reservations_on(self, day: date) -> list[Reservation]:
        """Ground truth for one local day (00:00 to 24:00), as the list API would return it now."""
        start = datetime.combine(day, time(0), self.tz)
        return self.reservations(start, start + timedelta(days=1))

    def busy(self, room_id: str, start: datetime, end: datetime) -> list[BusyInterval]:
        """Busy intervals of one room overlapping [start, end], as free/busy reports them now."""
        now = self.now_ts()
        found = (to_busy(b, now, self.tz) for b in self.bookings(start, end, {room_id}))
        lo, hi = start.timestamp(), end.timestamp()
        return [i for i in found if i is not None and i.start.timestamp() < hi and i.end.timestamp() > lo]
