"""The app's calendar in the sandbox: its events, their attendees, and rooms deciding asynchronously.

A room added to an event is `needs_action` until `decision_delay` seconds (monotonic clock) have
passed; it then decides the first time anything reads: attendees, free/busy, the reservation list.
Rooms decide in the order they were asked, at the sandbox clock, against the room's rules and every
other booking [DOC 添加日程参与人: 会议室会进入异步的预约流程]. No threads.
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field

from bot.sandbox import names
from bot.sandbox.bookings import EXEMPT_STATUSES, OUT_EXEMPT, Booking, draw_outcome
from bot.sandbox.directory import User, stable_hex
from bot.sandbox.releases import REMOVED, Release
from bot.sandbox.reserve_rules import RoomRules, refusal
from bot.sandbox.room_holds import RoomHolds
from bot.sandbox.tenant import Tenant

NEEDS_ACTION, ACCEPT, DECLINE = "needs_action", "accept", "decline"
RACE_LOST, DISABLED, CONFLICT = "lost a race to another booking", "room disabled", "conflicts with"
OVER, TOO_LONG_FOR_A_ROOM = "already over", "longer than a day"
DAY = 86400  # a room holds one meeting for at most this long (the sandbox's limit, not Feishu's)


@dataclass
class Attendee:
    """A person or a room on an event; `reason` says why a room declined (sandbox-only)."""

    attendee_id: str
    type: str  # "user" or "resource"
    user: User | None = None  # the person, or for a room the person it is booked for (operate_id)
    room_id: str = ""
    display_name: str = ""
    rsvp: str = NEEDS_ACTION
    due: float = 0.0  # time.monotonic() at which a pending room decides
    reason: str = ""


@dataclass
class Event:
    """An event on the app's calendar; times are unix seconds."""

    uid: str
    calendar_id: str
    summary: str
    start: int
    end: int
    timezone: str
    create_time: int
    details: dict[str, object] = field(default_factory=dict)  # description, visibility ... as given
    idempotency_key: str = ""
    deleted: bool = False
    attendees: list[Attendee] = field(default_factory=list)

    @property
    def event_id(self) -> str:
        """"<uid>_0": a one-off event's id [DOC 回复会议室日程实例, ID说明]."""
        return f"{self.uid}_0"

    def rooms(self) -> list[Attendee]:
        """The event's room attendees."""
        return [a for a in self.attendees if a.type == "resource"]


class CalendarStore:
    """Events of the app's primary calendar, with the knobs that steer room decisions."""

    def __init__(self, tenant: Tenant, holds: RoomHolds, rules: dict[str, RoomRules], app_id: str) -> None:
        self.tenant = tenant
        self.holds = holds
        self.rules = rules
        self.app_id = app_id
        self.calendar_id = f"feishu.cn_{stable_hex('calendar', app_id, length=20)}@group.calendar.feishu.cn"
        self.decision_delay = 1.0  # seconds before a room added to an event decides
        self.holding = False  # True: rooms stay needs_action
        self.races: dict[str, int] = {}  # room_id -> how many coming decisions lose a race
        self.events: dict[str, Event] = {}
        self._keys: dict[str, str] = {}  # idempotency_key -> event_id
        self._lock = threading.RLock()
        self._settling = False
        holds.before_read = self.settle

    # --- events ------------------------------------------------------------------------------

    def create(self, summary: str, start: int, end: int, timezone: str, details: dict[str, object],
               key: str) -> Event:
        """A new event, or the one made earlier with the same idempotency key."""
        with self._lock:
            if key and key in self._keys:
                return self.events[self._keys[key]]
            uid = str(uuid.UUID(stable_hex("event", self.app_id, len(self.events), key), version=4))
            event = Event(uid, self.calendar_id, summary, start, end, timezone, self.tenant.now_ts(), details, key)
            self.events[event.event_id] = event
            if key:
                self._keys[key] = event.event_id
            return event

    def retime(self, event: Event, start: int, end: int) -> None:
        """Move the event; each of its rooms is asked again (and keeps its old slot until it answers)."""
        with self._lock:
            if (start, end) == (event.start, event.end):
                return
            event.start, event.end = start, end
            for room in event.rooms():
                self._ask(room)

    def delete(self, event: Event) -> None:
        """Delete the event: its rooms are free again."""
        with self._lock:
            for room in event.rooms():
                self._leave(event, room)
            event.attendees.clear()
            event.deleted = True

    # --- attendees -----------------------------------------------------------------------------

    def add_person(self, event: Event, user: User) -> Attendee:
        """Invite a person (once)."""
        with self._lock:
            found = next((a for a in event.attendees if a.user == user and a.type == "user"), None)
            if found is None:
                found = Attendee(self._attendee_id("user", event, user.open_id), "user", user,
                                 display_name=user.name)
                event.attendees.append(found)
            return found

    def add_room(self, event: Event, room_id: str, operator: User) -> Attendee:
        """Ask a room for the event on behalf of `operator` (once per room): needs_action for now."""
        with self._lock:
            found = next((a for a in event.rooms() if a.room_id == room_id), None)
            if found is None:
                room = self.tenant.directory.room(room_id)
                found = Attendee(self._attendee_id("resource", event, room_id), "resource", operator, room_id,
                                 room.name if room else room_id)
                event.attendees.append(found)
                self._ask(found)
            return found

    def remove(self, event: Event, attendee: Attendee) -> None:
        """Take an attendee off the event; a room it held is free again."""
        with self._lock:
            if attendee.type == "resource":
                self._leave(event, attendee)
            event.attendees.remove(attendee)

    def _attendee_id(self, kind: str, event: Event, ref: str) -> str:
        return f"{kind}_{stable_hex('attendee', event.uid, ref, len(event.attendees), length=24)}"

    def _ask(self, room: Attendee) -> None:
        room.rsvp, room.reason = NEEDS_ACTION, ""
        room.due = time.monotonic() + self.decision_delay

    def _leave(self, event: Event, room: Attendee) -> None:
        """The room stops holding the event: gone if the meeting had not begun, else released now."""
        booking = self.holds.get(event.uid, room.room_id)
        if booking is None:
            return
        now = self.tenant.now_ts()
        if now <= booking.start:
            self.holds.drop(event.uid, room.room_id)
        else:
            booking.release = Release(REMOVED, now, self.tenant.directory.bot_name)
            self.holds.touch()

    # --- decisions -----------------------------------------------------------------------------

    def settle(self) -> None:
        """Let every room whose decision is due accept or decline, oldest request first."""
        with self._lock:
            if self._settling or self.holding:
                return
            self._settling = True
            try:
                moment = time.monotonic()
                due = [(r.due, e, r) for e in self.events.values() if not e.deleted for r in e.rooms()
                       if r.rsvp == NEEDS_ACTION and r.due <= moment]
                for _, event, room in sorted(due, key=lambda item: item[0]):
                    self._decide(event, room)
            finally:
                self._settling = False

    def _decide(self, event: Event, room: Attendee) -> None:
        reason = self._refusal(event, room)
        room.rsvp, room.reason = (DECLINE, reason) if reason else (ACCEPT, "")
        if reason:
            self._leave(event, room)
        else:
            self.holds.hold(self._booking(event, room))

    def _refusal(self, event: Event, room: Attendee) -> str:
        """Why the room declines the event now, or ""."""
        assert room.user is not None
        found = self.tenant.directory.room(room.room_id)
        if found is None or not found.enabled:
            return DISABLED
        if event.end <= self.tenant.now_ts():
            return OVER
        if event.end - event.start > DAY:
            return TOO_LONG_FOR_A_ROOM
        if self.races.get(room.room_id, 0) > 0:
            self.races[room.room_id] -= 1
            self.holds.hold(self._rival(event, room))
            return RACE_LOST
        rules = self.rules.get(room.room_id, RoomRules())
        why = refusal(rules, event.start, event.end, room.user, self.tenant.clock(), self.tenant.seed, self.tenant.tz)
        if why:
            return why
        taken = self.holds.conflict(room.room_id, event.start, event.end, event.uid, self.tenant.now_ts())
        return f"{CONFLICT} {taken.uid}" if taken else ""

    def _booking(self, event: Event, room: Attendee) -> Booking:
        """The booking an accepted room holds: made for its operator, organised by the app."""
        assert room.user is not None
        people = sum(1 for a in event.attendees if a.type == "user")
        booking = Booking(event.uid, room.room_id, room.display_name, event.start, event.end, room.user,
                          event.summary, people, 0, OUT_EXEMPT, event.details.get("visibility") == "private",
                          False, app_id=self.app_id, app_open_id=self.tenant.directory.bot_open_id)
        self._outcome(booking)
        return booking

    def _outcome(self, booking: Booking) -> None:
        """A hidden check-in outcome where the room needs check-in, else 无需签到（未开启签到设置）."""
        rng = random.Random(f"{self.tenant.seed}:{booking.uid}:{booking.room_id}:{booking.start}")
        if self.rules.get(booking.room_id, RoomRules()).needs_check_in:
            draw_outcome(rng, booking, habitual=booking.organizer.open_id in self.tenant.directory.habitual)
        else:
            booking.outcome, booking.exempt_status = OUT_EXEMPT, EXEMPT_STATUSES[0]

    def _rival(self, event: Event, room: Attendee) -> Booking:
        """Someone else's booking of the same slot, made just before the room decided."""
        rng = random.Random(f"race:{event.uid}:{room.room_id}")
        others = [u for u in self.tenant.users if u != room.user]
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rival = Booking(uid, room.room_id, room.display_name, event.start, event.end, rng.choice(others),
                        rng.choice(names.TOPICS), 2, 1, OUT_EXEMPT, False, False)
        self._outcome(rival)
        return rival
