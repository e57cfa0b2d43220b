"""One booking from the ledger row to Feishu's answer, and the changes its requester may make.

    new ──create event──> event ──add room──> pending ──poll──> booked | declined | unconfirmed
    booked ──extend──> extending ──poll──> booked (longer, or back to its old end)
    booked | unconfirmed | pending ──cancel──> cancelled

Each arrow is one Feishu call and one compare-and-set of the ledger row, written before the next
call, so a worker that dies anywhere leaves a row the next worker resumes: the event's
idempotency key makes a repeated create return the same event, and a resumed `event` row first
looks whether the room is already on it.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.book import rules as booking_rules
from bot.book.rules import RulesCache, refusal
from bot.config import BookingSettings
from bot.feishu.errors import FeishuError
from bot.feishu.gateway import FeishuGateway
from bot.store import Booking, Store

log = logging.getLogger(__name__)

POLL_DELAYS = (0.5, 1.0, 1.5, 2.0)  # then every 2 s until BookingSettings.poll_seconds: an accept
# is seen at most 2 s after Feishu decided
TAKEN, EXTEND_DECLINED, REMOVED = "taken", "extend_declined", "removed"
EVENT_GONE = (193001, 193003)  # event not found / deleted [contract §10]
EXTEND_FROM = "extend from end "  # + the old end's epoch: the history says what to put back


class NotYours(Exception):
    """Only the person a booking was made for may change it."""


@dataclass(frozen=True)
class Outcome:
    """A change asked of a booking: the booking as it now stands, and whether anything changed."""

    booking: Booking
    changed: bool


class Booker:
    """Carries bookings through Feishu and keeps the ledger and the audit log."""

    def __init__(self, gateway: FeishuGateway, store: Store, settings: BookingSettings,
                 rules: RulesCache, tz: ZoneInfo, *, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.gateway, self.store, self.settings, self.rules, self.tz = gateway, store, settings, rules, tz
        self._sleep, self._monotonic = sleep, monotonic

    # -- starting ----------------------------------------------------------------------------

    def begin(self, booking: Booking) -> tuple[Booking, bool]:
        """Write the ledger row (nothing is sent to Feishu yet); (the row, whether it is new)."""
        row, created = self.store.begin_booking(booking)
        if created:
            log.info("booking %s: %s %s–%s for %s", row.key[:12], row.room_name,
                     self._at(row.start), self._at(row.end), row.requester)
        return row, created

    def run(self, key: str) -> Booking:
        """Carry the booking as far as Feishu lets it go now; the row as it ends."""
        booking = self._load(key)
        resumed = booking.status == "event"  # a worker died after the create: is the room on it?
        while True:
            if booking.status == "new":
                moved = self._create(booking)
            elif booking.status == "event":
                moved = self._add_room(booking, look_first=resumed)
            elif booking.status in ("pending", "extending"):
                moved = self._await_unless_gone(booking)
            else:
                return booking
            booking = moved or self._load(key)  # None: someone else moved it; see where it is

    def _await_unless_gone(self, booking: Booking) -> Booking | None:
        """Wait for Feishu; an event deleted meanwhile (a Cancel, or someone in Feishu) ends it."""
        try:
            return self._await(booking)
        except FeishuError as exc:
            if exc.code not in EVENT_GONE:
                raise
            code = exc.code
        now = self._load(booking.key)
        if now.status != booking.status:
            return now  # cancelled through roombot while this worker waited
        return self.store.advance_booking(booking, "declined", f"event gone ({code})", reason=REMOVED)

    def check(self, booking: Booking) -> Booking:
        """Look again at a booking Feishu had not answered in time: back to pending, for `run`."""
        if booking.status != "unconfirmed":
            return booking
        return self.store.advance_booking(booking, "pending", "check again") or self._load(booking.key)

    # -- the requester's changes ---------------------------------------------------------------

    def cancel(self, booking: Booking, actor: str) -> Outcome:
        """Delete the event, giving the room back; only its requester may."""
        self._authorise(booking, actor, "cancel")
        if booking.status in ("cancelled", "declined", "failed"):
            return Outcome(booking, False)
        if booking.event_id:
            self.gateway.delete_event(booking.calendar_id, booking.event_id, notify=False)
        moved = self.store.advance_booking(booking, "cancelled", f"by {actor}")
        if moved is None:
            return Outcome(self._load(booking.key), False)
        self.store.audit(actor, "cancel", booking.key, booking.room_id, self._detail(booking))
        return Outcome(moved, True)

    def extend(self, booking: Booking, actor: str, minutes: int) -> Outcome:
        """Move the end `minutes` later (then `run` waits for Feishu's new answer; a decline puts
        the old end back, so the booking itself is kept)."""
        self._authorise(booking, actor, "extend")
        if booking.status != "booked":
            return Outcome(booking, False)
        start = self._dt(booking.start)
        end = self._dt(booking.end) + timedelta(minutes=minutes)
        why = refusal(self.rules.get(booking.room_id), start, end, datetime.now(self.tz), actor,
                      self.settings.max_minutes)
        if why and why != booking_rules.PAST:
            moved = self.store.advance_booking(booking, "booked", f"extend refused: {why}", reason=why)
            return Outcome(moved or self._load(booking.key), False)
        self.gateway.move_event(booking.calendar_id, booking.event_id, start, end)
        extending = self.store.advance_booking(booking, "extending", f"{EXTEND_FROM}{booking.end:.0f}",
                                               end=end.timestamp(), reason="")
        return Outcome(extending or self._load(booking.key), extending is not None)

    # -- the steps -----------------------------------------------------------------------------

    def _create(self, booking: Booking) -> Booking | None:
        calendar_id = self.gateway.primary_calendar()
        event_id = self.gateway.create_event(
            calendar_id, summary=self.settings.title.format(room=booking.room_name),
            start=self._dt(booking.start), end=self._dt(booking.end), idempotency_key=booking.key,
            notify=self.settings.notify)
        return self.store.advance_booking(booking, "event", "event created",
                                          calendar_id=calendar_id, event_id=event_id)

    def _add_room(self, booking: Booking, *, look_first: bool) -> Booking | None:
        room = None
        if look_first:
            room = self.gateway.room_attendee(booking.calendar_id, booking.event_id, booking.room_id)
        if room is None:
            room = self.gateway.add_room(booking.calendar_id, booking.event_id,
                                         room_id=booking.room_id, requester=booking.requester,
                                         notify=self.settings.notify)
        return self.store.advance_booking(booking, "pending", "room added",
                                          attendee_id=room.attendee_id)

    def _await(self, booking: Booking, delays: tuple[float, ...] = POLL_DELAYS) -> Booking | None:
        """Poll the room attendee (after 0.5 s, 1 s, 1.5 s, then every 2 s) until Feishu decides."""
        deadline = self._monotonic() + self.settings.poll_seconds
        step = 0
        while True:
            delay = delays[step] if step < len(delays) else delays[-1]
            self._sleep(max(0.0, min(delay, deadline - self._monotonic())))
            step += 1
            room = self.gateway.room_attendee(booking.calendar_id, booking.event_id, booking.room_id)
            status = room.rsvp_status if room else REMOVED
            if status == "accept":
                return self._accepted(booking)
            if status in ("decline", REMOVED):
                return self._declined(booking, status)
            if self._monotonic() >= deadline:
                log.info("booking %s: no answer from Feishu in %.0f s", booking.key[:12],
                         self.settings.poll_seconds)
                return self.store.advance_booking(booking, "unconfirmed", "no answer in time")

    def _accepted(self, booking: Booking) -> Booking | None:
        moved = self.store.advance_booking(booking, "booked", "accept")
        if moved is None:
            return None
        if booking.status == "extending":
            self.store.audit(booking.requester, "extend", booking.key, booking.room_id,
                             self._detail(moved))
        elif booking.reason == EXTEND_DECLINED:  # the old end is back: the extension was declined
            self.store.audit(booking.requester, "extend_declined", booking.key, booking.room_id,
                             self._detail(moved))
        elif not any(status == "booked" for _at, status, _note in booking.history):
            self.store.audit(booking.requester, "book", booking.key, booking.room_id,
                             self._detail(moved))
        return moved

    def _declined(self, booking: Booking, status: str) -> Booking | None:
        if booking.status == "extending":  # put the old end back; Feishu checks the room again
            old_end = self._old_end(booking)
            self.gateway.move_event(booking.calendar_id, booking.event_id, self._dt(booking.start),
                                    self._dt(old_end))
            return self.store.advance_booking(booking, "pending", "extension declined; old end back",
                                              end=old_end, reason=EXTEND_DECLINED)
        why = refusal(self.rules.get(booking.room_id), self._dt(booking.start), self._dt(booking.end),
                      datetime.now(self.tz), booking.requester, self.settings.max_minutes)
        reason = why if why and why != booking_rules.PAST else (REMOVED if status == REMOVED else TAKEN)
        self.gateway.delete_event(booking.calendar_id, booking.event_id, notify=False)  # no orphan
        moved = self.store.advance_booking(booking, "declined", f"{status}: {reason}", reason=reason)
        if moved is not None:
            self.store.audit(booking.requester, "book_declined", booking.key, booking.room_id,
                             {**self._detail(moved), "reason": reason})
        return moved

    # -- helpers -------------------------------------------------------------------------------

    def _authorise(self, booking: Booking, actor: str, action: str) -> None:
        if actor != booking.requester:
            self.store.audit(actor, f"refused:{action}", booking.key, booking.room_id,
                             {"requester": booking.requester})
            raise NotYours(action)

    def _old_end(self, booking: Booking) -> float:
        """The end before the extension now being declined (from the history)."""
        for _at, status, note in reversed(booking.history):
            if status == "extending" and note.startswith(EXTEND_FROM):
                return float(note[len(EXTEND_FROM):])
        return booking.end

    def _load(self, key: str) -> Booking:
        booking = self.store.booking(key)
        if booking is None:
            raise KeyError(f"no booking {key[:12]} in the ledger")
        return booking

    def _dt(self, epoch: float) -> datetime:
        return datetime.fromtimestamp(epoch, self.tz)

    def _at(self, epoch: float) -> str:
        return f"{self._dt(epoch):%m-%d %H:%M}"

    def _detail(self, booking: Booking) -> dict[str, object]:
        return {"room": booking.room_name, "start": booking.start, "end": booking.end,
                "event_id": booking.event_id, "status": booking.status}
