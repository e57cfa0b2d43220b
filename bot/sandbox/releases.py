"""Early ends of a booking: an instance/reply, a deleted event or a room taken off it while in use.

A Release is attached to a Booking (`booking.release`); from `at` on, shown.shown_at shows the
booking as released at `moment(booking)`, the release clamped into the meeting. A meeting already
released by itself before that moment (a no-show, a manual release) keeps its own release.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from bot.sandbox.bookings import (
    BOOKED,
    NO_SHOW_STATUS,
    PENDING_APPROVAL,
    RELEASED_MANUAL,
    RELEASED_NO_SHOW,
    Booking,
)
from bot.sandbox.shown import Shown

# The instance/reply statuses [DOC 回复会议室日程实例], and the sandbox's own for a deleted event.
ENDED_BEFORE_DUE, NOT_CHECK_IN = "ENDED_BEFORE_DUE", "NOT_CHECK_IN"
ACCEPTED_BY_ADMIN, DECLINED_BY_ADMIN = "ACCEPTED_BY_ADMIN", "DECLINED_BY_ADMIN"
REPLY_STATUSES = (ENDED_BEFORE_DUE, NOT_CHECK_IN, ACCEPTED_BY_ADMIN, DECLINED_BY_ADMIN)
REMOVED = "REMOVED"  # the event was deleted, or its room taken off, while the meeting was on


@dataclass(frozen=True)
class Release:
    """An early end made at `at` (unix seconds, sandbox clock); `releaser` is shown as releasing_person."""

    status: str
    at: int
    releaser: str = ""

    def moment(self, b: Booking) -> int:
        """When the booking stops holding the room: `at`, or its start when `at` is before it."""
        return max(b.start, min(self.at, b.end))

    def shown(self, before: Shown, moment: int) -> Shown:
        """What the list shows from `moment` on, given what it showed just before."""
        if self.status == ACCEPTED_BY_ADMIN:
            return replace(before, reservation_status=BOOKED) if before.reservation_status == PENDING_APPROVAL \
                else before
        if before.release_at and before.release_at <= moment:
            return before
        if self.status == NOT_CHECK_IN:
            return Shown(RELEASED_NO_SHOW, NO_SHOW_STATUS, release_early=RELEASED_NO_SHOW, release_at=moment)
        return Shown(RELEASED_MANUAL, before.check_in_status, before.device, before.check_in_at,
                     RELEASED_MANUAL, self.releaser, moment)
