"""POST meeting_room/instance/reply: what was answered, which instances it reaches, and when it is refused.

`original_time` is 0 for a one-off meeting and for a series [DOC 回复会议室日程实例]. On a series,
0 reaches every instance that has not ended yet (the contract's caution): the one in progress ends
now, the later ones never hold the room. The instance's own start (unix seconds) reaches only that
instance. Anything else, or the stale-original_time knob, answers 105003.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from bot.sandbox.bookings import Booking, BookingBook
from bot.sandbox.releases import Release

STALE_ORIGINAL_TIME = 105003


class ReplyRefused(Exception):
    """An instance/reply the room does not take: `code` 105003 (stale original_time) or 10003."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


@dataclass(frozen=True)
class InstanceReply:
    """One answered instance/reply: room, uid, original_time (0 = all) and the release it made."""

    room_id: str
    uid: str
    original_time: int
    release: Release

    def reaches(self, b: Booking) -> bool:
        """True when this reply applies to booking `b`."""
        if (b.room_id, b.uid) != (self.room_id, self.uid):
            return False
        if self.original_time:
            return b.start == self.original_time
        return b.end > self.release.at


class ReplyBook:
    """Every instance/reply answered, applied to bookings as they are generated or already cached."""

    def __init__(self, book: BookingBook) -> None:
        self.book = book
        self.replies: list[InstanceReply] = []
        self.stale = 0  # the next `stale` replies answer 105003
        self._lock = threading.Lock()

    def answer(self, room_id: str, uid: str, original_time: int, release: Release) -> InstanceReply:
        """Check the reply against the room's bookings, record it and end the instances it reaches."""
        with self._lock:
            if self.stale > 0:
                self.stale -= 1
                raise ReplyRefused(STALE_ORIGINAL_TIME, "original_time is invalid")
        instances = self._instances(room_id, uid, original_time)
        series = self.book.directory.series.get(room_id)
        if not instances and not (series and series.uid == uid):
            raise ReplyRefused(10003, f"invalid param: no event {uid} in room {room_id}")
        if original_time and not any(b.start == original_time for b in instances):
            raise ReplyRefused(STALE_ORIGINAL_TIME, "original_time is invalid")
        reply = InstanceReply(room_id, uid, original_time, release)
        with self._lock:
            self.replies.append(reply)
        for b in instances:
            if reply.reaches(b):
                b.release = release
        return reply

    def apply(self, bookings: Iterable[Booking]) -> None:
        """Attach the latest reply reaching each booking (a freshly generated day, or the calendar's)."""
        with self._lock:
            replies = list(self.replies)
        if not replies:
            return
        for b in bookings:
            reached = [r for r in replies if r.reaches(b)]
            if reached:
                b.release = reached[-1].release

    def _instances(self, room_id: str, uid: str, original_time: int) -> list[Booking]:
        """The room's bookings of this uid that the reply may reach (the instance asked for is generated)."""
        if original_time:
            self.book.between(original_time, original_time, [room_id])
        cached = self.book.cached(room_id)
        overlay = self.book.overlay.between(0, 2**40, [room_id]) if self.book.overlay else []
        return [b for b in cached + overlay if b.uid == uid]
