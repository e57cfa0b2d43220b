"""What the API shows for a sandbox booking at a given moment: status strings, busy span, wire models.

A booking's hidden outcome (bookings.py) is revealed only once the sandbox clock passes the moment
it happens; an early release (releases.py) takes over from the moment it was made.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.feishu.models import BusyInterval, Reservation
from bot.sandbox.bookings import (
    AWAITING,
    BOOKED,
    CHECK_IN_CLOSES,
    CHECK_IN_OPENS,
    CHECKED_IN,
    EXEMPT_STATUSES,
    NO_SHOW_STATUS,
    OUT_EXEMPT,
    OUT_MANUAL,
    OUT_NO_SHOW,
    OUT_PENDING,
    OUT_SENSOR,
    PENDING_APPROVAL,
    RELEASED_AFTER_END,
    RELEASED_MANUAL,
    RELEASED_NO_SHOW,
    RELEASED_SENSOR,
    WINDOW_OPEN,
    Booking,
)


@dataclass(frozen=True)
class Shown:
    """What the API shows for a booking at one moment."""

    reservation_status: str
    check_in_status: str
    device: str = ""
    check_in_at: int = 0
    release_early: str = ""
    releaser: str = ""
    release_at: int = 0


def shown_at(b: Booking, now: int) -> Shown:
    """The booking's status strings as Feishu would show them at `now`, its early release included."""
    release = b.release
    if release is None or now < release.at:
        return _shown(b, now)
    moment = release.moment(b)
    return release.shown(_shown(b, moment), moment)


def _shown(b: Booking, now: int) -> Shown:
    before = AWAITING if now < b.start - CHECK_IN_OPENS else WINDOW_OPEN
    if b.outcome == OUT_PENDING:
        return Shown(PENDING_APPROVAL, before if now < b.start + CHECK_IN_CLOSES else EXEMPT_STATUSES[3])
    if b.outcome == OUT_EXEMPT:
        return Shown(BOOKED, b.exempt_status)
    if b.outcome == OUT_NO_SHOW:
        released = b.start + CHECK_IN_CLOSES
        if now < released:
            return Shown(BOOKED, before)
        return Shown(RELEASED_NO_SHOW, NO_SHOW_STATUS, release_early=RELEASED_NO_SHOW, release_at=released)
    if now < b.check_in_at:
        return Shown(BOOKED, before)
    if not b.release_at or now < b.release_at:
        return Shown(BOOKED, CHECKED_IN, b.device, b.check_in_at)
    status = {OUT_MANUAL: RELEASED_MANUAL, OUT_SENSOR: RELEASED_SENSOR}.get(b.outcome, RELEASED_AFTER_END)
    early = status if b.outcome in (OUT_MANUAL, OUT_SENSOR) else ""
    releaser = b.organizer.name if b.outcome == OUT_MANUAL else ""
    return Shown(status, CHECKED_IN, b.device, b.check_in_at, early, releaser, b.release_at)


def busy_span(b: Booking, now: int) -> tuple[int, int] | None:
    """The part of the booking that holds the room at `now`: released time is free again."""
    shown = shown_at(b, now)
    end = min(b.end, shown.release_at) if shown.release_at else b.end
    return (b.start, end) if end > b.start else None


def to_reservation(b: Booking, now: int, tz: ZoneInfo, need_topic: bool = True) -> Reservation:
    """The booking as roombot's Reservation model, as shown at `now`."""
    s = shown_at(b, now)

    def at(ts: int) -> datetime | None:
        return datetime.fromtimestamp(ts, tz) if ts else None

    start, end = datetime.fromtimestamp(b.start, tz), datetime.fromtimestamp(b.end, tz)
    # An app's booking names the person it was made for and the bot: "ou_…(UserID);cli_…(BotID)",
    # the reserver_user_id of the doc's example [DOC 查询会议室预定数据].
    reserver_id = f"{b.organizer.open_id}(UserID);{b.app_id}(BotID)" if b.app_id else b.organizer.open_id
    return Reservation(
        room_id=b.room_id, room_name=b.room_name, reserver=b.organizer.name,
        reserver_id=reserver_id, department=b.organizer.department,
        start=start, end=end, duration=end - start,
        reservation_status=s.reservation_status, check_in_status=s.check_in_status,
        topic=b.topic if need_topic else "", guests=b.guests, accepted=b.accepted,
        check_in_device=s.device, check_in_time=at(s.check_in_at), release_early=s.release_early,
        releaser=s.releaser, release_time=at(s.release_at))


def to_busy(b: Booking, now: int, tz: ZoneInfo) -> BusyInterval | None:
    """The booking as a free/busy interval at `now` (None once fully released).

    A private event has no organizer; an app's event has no organizer name, and its organizer is
    the app's bot [DOC 查询会议室忙闲].
    """
    span = busy_span(b, now)
    if span is None:
        return None
    if b.private:
        organizer = ("", "")
    else:
        organizer = ("", b.app_open_id) if b.app_id else (b.organizer.name, b.organizer.open_id)
    return BusyInterval(b.room_id, datetime.fromtimestamp(span[0], tz), datetime.fromtimestamp(span[1], tz),
                        b.uid, organizer[0], organizer[1], 0)
