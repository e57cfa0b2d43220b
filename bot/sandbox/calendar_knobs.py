"""`sb.calendar`: the app's calendar, the rooms' booking rules and instance replies, with the knobs tests turn.

    sb.calendar.decision_delay = 0.2          # rooms answer 0.2 s after they were asked
    room_id = sb.calendar.rooms_needing_approval()[0]
    sb.calendar.race(room_id)                 # the next room decision there loses to someone else
    uid = sb.calendar.add_booking(room_id, start, end, "ou_…")   # someone's booking, at any hour
"""
from __future__ import annotations

import uuid
from datetime import datetime

from bot.sandbox import names
from bot.sandbox.bookings import (
    CHECK_IN_DEVICES,
    EXEMPT_STATUSES,
    OUT_CHECKED_IN,
    OUT_EXEMPT,
    OUT_NO_SHOW,
    Booking,
)
from bot.sandbox.calendars import CalendarStore, Event
from bot.sandbox.directory import Series, User, stable_hex
from bot.sandbox.instance_replies import InstanceReply, ReplyBook
from bot.sandbox.reserve_rules import (
    KIND_APPROVAL,
    KIND_NARROW,
    KIND_OPEN,
    KIND_RESTRICTED,
    RoomRules,
    build_rules,
    department_id,
)
from bot.sandbox.room_holds import RoomHolds
from bot.sandbox.tenant import Tenant


class SandboxCalendar:
    """Calendar state of one sandbox, wired into its booking book so free/busy and lists see it."""

    def __init__(self, tenant: Tenant, app_id: str) -> None:
        self.tenant = tenant
        self.rules: dict[str, RoomRules] = build_rules(tenant.directory)
        self.replies = ReplyBook(tenant.book)
        self.holds = RoomHolds(tenant.book, self.replies)
        tenant.book.overlay = self.holds
        self.store = CalendarStore(tenant, self.holds, self.rules, app_id)

    @property
    def calendar_id(self) -> str:
        """The app's primary calendar id."""
        return self.store.calendar_id

    @property
    def version(self) -> int:
        """Changes with every booking added, moved or released (for caches of query results)."""
        return self.holds.version

    # --- room decisions ---------------------------------------------------------------------

    @property
    def decision_delay(self) -> float:
        """Seconds (monotonic) a room added to an event stays needs_action before it decides (default 1)."""
        return self.store.decision_delay

    @decision_delay.setter
    def decision_delay(self, seconds: float) -> None:
        self.store.decision_delay = seconds

    def race(self, room_id: str, times: int = 1) -> None:
        """The next `times` decisions in this room lose: someone else's booking of the slot appears, the room declines."""
        self.store.races[room_id] = self.store.races.get(room_id, 0) + times

    def hold_pending(self, on: bool = True) -> None:
        """While on, rooms stay needs_action however long one waits."""
        self.store.holding = on

    def settle(self) -> None:
        """Let every room whose decision is due decide now (reads do this by themselves)."""
        self.store.settle()

    # --- finding rooms and series -------------------------------------------------------------

    def rooms_of_kind(self, kind: str) -> list[str]:
        """Room ids whose rules are of this kind: "open", "approval", "restricted" or "narrow"."""
        return [r.room_id for r in self.tenant.rooms if r.enabled and self.rules.get(r.room_id, RoomRules()).kind == kind]

    def open_rooms(self) -> list[str]:
        """Rooms anyone may book at any time without approval."""
        return self.rooms_of_kind(KIND_OPEN)

    def rooms_needing_approval(self, condition: int | None = None) -> list[str]:
        """Approval rooms (approval_condition 0: every booking; 1: those over meeting_duration)."""
        return [r for r in self.rooms_of_kind(KIND_APPROVAL)
                if condition is None or self.rules[r].approval_condition == condition]

    def restricted_rooms(self) -> list[str]:
        """Rooms only some people or departments may book (allow_all_users 0)."""
        return self.rooms_of_kind(KIND_RESTRICTED)

    def narrow_window_rooms(self) -> list[str]:
        """Rooms with a time limit: days_in_advance 7 or 14, 09:00-18:00, max_duration 1 or 2 hours."""
        return self.rooms_of_kind(KIND_NARROW)

    def allowed(self, room_id: str, user: User) -> bool:
        """True when the room's reserve scope lets this person book it."""
        rules = self.rules.get(room_id, RoomRules())
        return bool(rules.allow_all_users) or user.open_id in rules.allow_users \
            or department_id(self.tenant.seed, user.department) in rules.allow_depts

    def outsider(self, room_id: str) -> User:
        """Someone the room's reserve scope does not let book it (restricted rooms only)."""
        return next(u for u in self.tenant.users if not self.allowed(room_id, u))

    def insider(self, room_id: str) -> User:
        """Someone the room's reserve scope lets book it."""
        return next(u for u in self.tenant.users if self.allowed(room_id, u))

    def recurring_series(self) -> dict[str, Series]:
        """Room id -> the weekday series held there: one uid, an instance every weekday at its slot."""
        return dict(self.tenant.directory.series)

    # --- bookings -------------------------------------------------------------------------------

    def add_booking(self, room_id: str, start: datetime, end: datetime, organizer_open_id: str, *,
                    checkin: bool = True, topic: str = "", private: bool = False) -> str:
        """Someone's own booking of a room (not the app's), at any hour; returns its uid.

        With `checkin` it awaits check-in (待签到) and, if nobody checks in (see check_in), is
        released as a no-show 15 minutes after its start; without, it is 无需签到. Conflicts are not checked.
        """
        room, organizer = self.tenant.directory.room(room_id), self.tenant.directory.user(organizer_open_id)
        if room is None or organizer is None:
            raise ValueError(f"unknown room {room_id!r} or person {organizer_open_id!r}")
        uid = str(uuid.UUID(stable_hex("added", room_id, start.timestamp(), len(self.holds.all())), version=4))
        booking = Booking(uid, room_id, room.name, int(start.timestamp()), int(end.timestamp()), organizer,
                          topic or names.TOPICS[0], 3, 2, OUT_NO_SHOW if checkin else OUT_EXEMPT, private, False,
                          exempt_status="" if checkin else EXEMPT_STATUSES[0])
        self.holds.hold(booking)
        return uid

    def vacate(self, room_id: str, start: datetime, end: datetime) -> int:
        """Make a room free over [start, end) for a test that needs one at a busy hour: its
        generated bookings there are cancelled, as their organisers might have done before anyone
        read them (gone from free/busy, the list and the export). Bookings added here or made by
        the app stay. Returns how many were cancelled."""
        return len(self.tenant.book.cancel_between(room_id, int(start.timestamp()), int(end.timestamp())))

    def check_in(self, uid: str, at: datetime | None = None, device: str = CHECK_IN_DEVICES[0]) -> None:
        """Make the booking(s) of this uid checked in at `at` (default: their start)."""
        found = [b for b in self.holds.all() if b.uid == uid]
        if not found:
            raise KeyError(uid)
        for b in found:
            b.outcome, b.device, b.release_at = OUT_CHECKED_IN, device, 0
            b.check_in_at = int(at.timestamp()) if at else b.start
        self.holds.touch()

    def bookings(self, uid: str) -> list[Booking]:
        """The calendar's and added bookings of this uid (one per room)."""
        return [b for b in self.holds.all() if b.uid == uid]

    # --- records and instance replies -----------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        """Every event the app created, deleted ones included."""
        return list(self.store.events.values())

    def event(self, event_id: str) -> Event:
        """One event by its id."""
        return self.store.events[event_id]

    @property
    def instance_replies(self) -> list[InstanceReply]:
        """Every instance/reply answered with code 0, in order."""
        return list(self.replies.replies)

    def stale_original_time(self, times: int = 1) -> None:
        """The next `times` instance/reply calls answer 105003 (original_time invalid)."""
        self.replies.stale += times
