"""Which bookings get a keep-or-release reminder now: pure functions over what Feishu and the
store said (no I/O here; bot/remind/scan.py reads and sends).

A booking is due when it starts within `minutes_before` of now. It is skipped, with the reason
kept, when its start is in the quiet hours, its holder is unknown or said "stop reminding me",
its room has no check-in (when the tenant reminds only those), or it was booked less than
`skip_booked_within_minutes` before now (as far as anyone can tell: the scan notes each instance
the first time it sees it; one found after a gap in scanning counts as booked long ago).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import ReleaseSettings
from bot.feishu.models import BusyInterval, Reservation
from bot.insights.outcomes import EXEMPT_PREFIXES
from bot.store.bookings import Booking
from bot.store.reminders import UNKNOWN_AGE

CJK = re.compile(r"[\u3400-\u9fff]")
SKIP_REASONS = ("quiet_hours", "no_holder", "opted_out", "no_check_in", "booked_recently")


@dataclass(frozen=True)
class Upcoming:
    """One room instance about to start, and who holds it."""

    room_id: str
    uid: str
    start: datetime
    end: datetime
    holder: str  # open_id: the free/busy organizer, or the requester of roombot's own booking
    booking_key: str = ""  # roombot's own booking (the ledger's key), else ""
    booked_at: float = UNKNOWN_AGE  # epoch seconds, when known
    lang: str = "zh"  # the ledger's, else Chinese for a Chinese organizer name, else English

    @property
    def key(self) -> tuple[str, str, float]:
        return self.room_id, self.uid, self.start.timestamp()


def upcoming(busy: Mapping[str, Iterable[BusyInterval]], ours: Iterable[Booking], now: datetime,
             ahead: timedelta) -> list[Upcoming]:
    """Instances starting in (now, now + ahead], with their holders (soonest first)."""
    by_slot = {(b.room_id, b.start): b for b in ours if b.status in ("booked", "extending")}
    found = []
    for room_id, intervals in busy.items():
        for interval in intervals:
            if not (interval.uid and now < interval.start <= now + ahead):
                continue
            mine = by_slot.get((room_id, interval.start.timestamp()))
            if mine is not None:
                found.append(Upcoming(room_id, interval.uid, interval.start, interval.end,
                                      mine.requester, mine.key, mine.created_at, mine.lang))
            else:
                lang = "zh" if CJK.search(interval.organizer_name) or not interval.organizer_name else "en"
                found.append(Upcoming(room_id, interval.uid, interval.start, interval.end,
                                      interval.organizer_open_id, lang=lang))
    return sorted(found, key=lambda u: (u.start, u.room_id, u.uid))


def without_check_in(rows: Iterable[Reservation]) -> set[tuple[str, float]]:
    """(room, start) of the reservations whose room needs no check-in (无需签到… / 不可签到…)."""
    return {(r.room_id, r.start.timestamp()) for r in rows
            if r.check_in_status.startswith(EXEMPT_PREFIXES)}


def skip_reason(item: Upcoming, now: datetime, settings: ReleaseSettings, *, first_seen: float,
                opted_out: set[str], no_check_in: set[tuple[str, float]]) -> str:
    """Why `item` gets no reminder now ("" when it is due one). `first_seen` is when the scan
    first saw it (UNKNOWN_AGE: before scanning began)."""
    if now.timestamp() < item.start.timestamp() - settings.minutes_before * 60:
        return "not_yet"
    if settings.quiet(item.start.time()):
        return "quiet_hours"
    if not item.holder:
        return "no_holder"
    if item.holder in opted_out:
        return "opted_out"
    if settings.check_in_rooms_only and (item.room_id, item.start.timestamp()) in no_check_in:
        return "no_check_in"
    booked_at = item.booked_at if item.booking_key else first_seen
    if booked_at != UNKNOWN_AGE and now.timestamp() - booked_at < settings.skip_booked_within_minutes * 60:
        return "booked_recently"
    return ""
