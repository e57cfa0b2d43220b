"""The bookings ledger and the audit log: every room roombot books, and every change it makes.

A booking's row is written before the first Feishu call, under its idempotency key, and moved on
by compare-and-set at every step (`advance_booking`), each step appended to its history. So a
process killed mid-booking leaves a row saying how far it got, the next worker resumes from it,
and two hands can never move one booking twice. Audit rows are only ever added.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.store.db import Database

# new -> event -> pending -> booked | declined | unconfirmed; booked -> extending -> booked;
# booked | unconfirmed -> cancelled; any -> failed (Feishu refused with a final error)
OPEN_STATUSES = ("new", "event", "pending", "unconfirmed", "booked", "extending")
_COLS = ("key, requester, chat_id, message_id, room_id, room_name, start_ts, end_ts, lang, "
         "calendar_id, event_id, attendee_id, status, reason, history, created_at, updated_at, "
         "source")
BOOKING_SQL = {
    "insert_booking": f"INSERT INTO bookings ({_COLS}) VALUES "
                      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT (key) DO NOTHING",
    "select_booking": f"SELECT {_COLS} FROM bookings WHERE key = ?",
    "advance_booking": "UPDATE bookings SET message_id = ?, start_ts = ?, end_ts = ?, "
                       "calendar_id = ?, event_id = ?, attendee_id = ?, status = ?, reason = ?, "
                       "history = ?, updated_at = ? WHERE key = ? AND status = ? AND updated_at = ?",
    "bookings_of": f"SELECT {_COLS} FROM bookings WHERE requester = ? AND end_ts > ? "
                   "ORDER BY start_ts, key",
    "bookings_between": f"SELECT {_COLS} FROM bookings WHERE end_ts > ? AND start_ts < ? "
                        "AND status IN ('booked', 'extending') ORDER BY start_ts, key",
    "insert_audit": "INSERT INTO audit (at, actor, action, target, room_id, detail, log_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
    "audit_since": "SELECT id, at, actor, action, target, room_id, detail, log_id FROM audit "
                   "WHERE at >= ? AND (? = '' OR action = ?) ORDER BY id",
}


@dataclass(frozen=True)
class Booking:
    """One booking roombot makes: who for, where, when, and how far Feishu has got with it."""

    key: str  # the idempotency key, also sent to Feishu with the event
    requester: str  # open_id
    room_id: str
    room_name: str
    start: float  # epoch seconds
    end: float
    lang: str = "en"
    chat_id: str = ""
    message_id: str = ""  # the card that shows this booking
    source: str = "click"  # click | typed
    calendar_id: str = ""
    event_id: str = ""
    attendee_id: str = ""
    status: str = "new"
    reason: str = ""
    history: tuple[tuple[float, str, str], ...] = ()  # (at, status, note)
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class AuditRow:
    """One change roombot made in someone's calendar, or refused to make."""

    id: int
    at: float
    actor: str  # the open_id that asked
    action: str  # book | cancel | extend | release | refused:<action>
    target: str  # a booking key, or room/uid/start of a released instance
    room_id: str
    detail: dict[str, Any] = field(default_factory=dict)
    log_id: str = ""


def _booking(row: Sequence[Any]) -> Booking:
    (key, requester, chat_id, message_id, room_id, room_name, start, end, lang, calendar_id,
     event_id, attendee_id, status, reason, history, created_at, updated_at, source) = row
    steps = tuple((float(at), str(s), str(note)) for at, s, note in json.loads(history or "[]"))
    return Booking(key=key, requester=requester, room_id=room_id, room_name=room_name,
                   start=float(start), end=float(end), lang=lang, chat_id=chat_id or "",
                   message_id=message_id or "", source=source, calendar_id=calendar_id or "",
                   event_id=event_id or "", attendee_id=attendee_id or "", status=status,
                   reason=reason or "", history=steps, created_at=float(created_at),
                   updated_at=float(updated_at))


class BookingTable(Database):
    """The bookings ledger and the audit log."""

    def begin_booking(self, booking: Booking) -> tuple[Booking, bool]:
        """Write a new booking's row (status new); (the row as stored, whether it is new).

        A second call with the same key (a double click, a redelivery, a re-run) changes
        nothing and returns the row the first one wrote.
        """
        now = self._clock()
        history = json.dumps([[now, "new", booking.source]])
        created = self._write("insert_booking", (
            booking.key, booking.requester, booking.chat_id, booking.message_id, booking.room_id,
            booking.room_name, booking.start, booking.end, booking.lang, "", "", "", "new", "",
            history, now, now, booking.source)) > 0
        stored = self.booking(booking.key)
        assert stored is not None, "the insert or the row before it is there"
        return stored, created

    def booking(self, key: str) -> Booking | None:
        rows = self._read("select_booking", (key,))
        return _booking(rows[0]) if rows else None

    def advance_booking(self, booking: Booking, status: str, note: str = "",
                        **changes: Any) -> Booking | None:
        """Move `booking` (as last read) to `status` with `changes`; None when someone else
        moved it first (read it again and decide anew)."""
        now = max(self._clock(), booking.updated_at + 1e-6)
        moved = replace(booking, status=status, updated_at=now,
                        history=(*booking.history, (now, status, note)), **changes)
        history = json.dumps([list(step) for step in moved.history], ensure_ascii=False)
        done = self._write("advance_booking", (
            moved.message_id, moved.start, moved.end, moved.calendar_id, moved.event_id,
            moved.attendee_id, moved.status, moved.reason, history, now, booking.key,
            booking.status, booking.updated_at))
        return moved if done else None

    def bookings_of(self, requester: str, ending_after: float) -> list[Booking]:
        """A person's bookings that end after `ending_after`, soonest first (every status)."""
        return [_booking(r) for r in self._read("bookings_of", (requester, ending_after))]

    def bookings_between(self, start: float, end: float) -> list[Booking]:
        """Booked rooms (of any requester) overlapping [start, end)."""
        return [_booking(r) for r in self._read("bookings_between", (start, end))]

    def audit(self, actor: str, action: str, target: str, room_id: str = "",
              detail: dict[str, Any] | None = None, log_id: str = "") -> None:
        """Add one audit row."""
        self._write("insert_audit", (self._clock(), actor, action, target, room_id,
                                     json.dumps(detail or {}, ensure_ascii=False), log_id))

    def audit_since(self, since: float, action: str = "") -> list[AuditRow]:
        rows = self._read("audit_since", (since, action, action))
        return [AuditRow(int(i), float(at), actor, act, target, room or "", json.loads(detail),
                         log_id or "") for i, at, actor, act, target, room, detail, log_id in rows]
