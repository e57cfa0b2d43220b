"""Bookings beyond the generated ones: rooms the app's events hold, and bookings tests add.

RoomHolds is the booking book's overlay: free/busy, the reservation list and exports see these
bookings beside the generated ones, and a room's accept-or-decline looks at both for conflicts.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from bot.sandbox.bookings import Booking, BookingBook
from bot.sandbox.instance_replies import ReplyBook
from bot.sandbox.shown import busy_span


class RoomHolds:
    """Extra bookings by (uid, room_id); `before_read` runs first on every read (the calendar settles)."""

    def __init__(self, book: BookingBook, replies: ReplyBook) -> None:
        self.book = book
        self.replies = replies
        self.before_read: Callable[[], None] = lambda: None
        self.version = 0  # bumped on every change, so cached query results are not reused
        self._held: dict[tuple[str, str], Booking] = {}
        self._lock = threading.Lock()

    def between(self, start: int, end: int, room_ids: list[str]) -> list[Booking]:
        """Held bookings overlapping [start, end] in these rooms (the Overlay protocol)."""
        self.before_read()
        rooms = set(room_ids)
        with self._lock:
            return [b for b in self._held.values() if b.room_id in rooms and b.overlaps(start, end)]

    def generated(self, bookings: list[Booking]) -> None:
        """A day was generated: attach the instance replies that reach it (the Overlay protocol)."""
        self.replies.apply(bookings)

    def hold(self, booking: Booking) -> None:
        """Add or replace a booking."""
        self.replies.apply([booking])
        with self._lock:
            self._held[(booking.uid, booking.room_id)] = booking
            self.version += 1

    def drop(self, uid: str, room_id: str) -> Booking | None:
        """Forget a booking entirely (it never held the room in what the API shows)."""
        with self._lock:
            self.version += 1
            return self._held.pop((uid, room_id), None)

    def get(self, uid: str, room_id: str) -> Booking | None:
        """The held booking of this uid in this room, or None."""
        with self._lock:
            return self._held.get((uid, room_id))

    def all(self) -> list[Booking]:
        """Every held booking."""
        with self._lock:
            return list(self._held.values())

    def touch(self) -> None:
        """Mark a change made to a held booking in place."""
        with self._lock:
            self.version += 1

    def conflict(self, room_id: str, start: int, end: int, uid: str, now: int) -> Booking | None:
        """A booking other than `uid` holding the room somewhere in [start, end) at `now`, or None."""
        for b in self.book.between(start, max(start, end - 1), [room_id]):
            span = busy_span(b, now)
            if b.uid != uid and span is not None and span[0] < end and span[1] > start:
                return b
        return None
