"""The reminder scan, run every minute by the scheduler's leader: read who holds each room over
the next minutes, note what is new, and DM each holder whose booking is due a reminder, once.

    run = run_reminders(responder)      # ReminderRun(sent=3, skipped={"quiet_hours": 1}, ...)

Reads: free/busy of the enabled rooms over [now, now + minutes_before + skip_booked_within + 1 min]
(batches of 20, concurrently), the ledger of roombot's own bookings, and, when the tenant reminds
only rooms with check-in, the reservation list of the due rooms (its 签到状态 says 无需签到 where
a room has no check-in). Sends: one `im/v1/messages` per due booking, to the holder's open_id,
with a uuid made from the instance, after claiming the reminder row: two scans (two instances, a
retry after a crash) cannot both send it, and Feishu drops a repeated uuid within an hour.

Pacing: the gateway keeps every send under Feishu's app quotas (50/s, 1,000/min); the scan also
keeps to `per_second` and to Feishu's 5 per second for one user (SAME_USER_GAP between two
messages to the same person).
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.answer.reminders import reminder_reply
from bot.digest.nudges import UNREACHABLE_CODES
from bot.feishu.errors import ChatUnreachable, FeishuError
from bot.feishu.models import Reservation
from bot.remind.due import Upcoming, skip_reason, upcoming, without_check_in
from bot.render.cards import render
from bot.respond import Responder, send_uuid
from bot.store.reminders import UNKNOWN_AGE, Reminder

log = logging.getLogger(__name__)

SCAN_GAP_SECONDS = 180.0  # a last scan older than this: what we find now may be old, not new
SAME_USER_GAP = 0.2  # Feishu: 5 messages a second to one user
KEEP_ROWS = timedelta(days=2)
ROOMS_PER_LIST_CALL = 50
LIST_LEAD = timedelta(minutes=2)


@dataclass
class ReminderRun:
    """What one scan did: instances looked at, reminders sent, skipped (by reason), failed."""

    seen: int = 0
    sent: list[str] = field(default_factory=list)  # "room/uid" of each reminder sent
    skipped: Counter[str] = field(default_factory=Counter)
    failed: int = 0

    def __str__(self) -> str:
        skipped = ", ".join(f"{why} {n}" for why, n in sorted(self.skipped.items())) or "none"
        return f"{self.seen} upcoming, {len(self.sent)} sent, skipped: {skipped}, {self.failed} failed"


def run_reminders(responder: Responder, *, sleep: Callable[[float], None] = time.sleep,
                  monotonic: Callable[[], float] = time.monotonic) -> ReminderRun:
    """One scan: see, skip or send (see the module doc). Feishu errors on reads propagate."""
    settings, store, gateway = responder.settings.reminders, responder.store, responder.gateway
    now = responder.now()
    ahead = timedelta(minutes=settings.minutes_before + settings.skip_booked_within_minutes + 1)
    rooms = [room.room_id for room in responder.directory.get().rooms if room.enabled]
    busy = gateway.freebusy(rooms, now, now + ahead)
    ours = store.bookings_between(now.timestamp(), (now + ahead).timestamp())
    found = upcoming(busy, ours, now, ahead)
    run = ReminderRun(seen=len(found))
    last = store.last_reminder_scan()
    # a scan looked lately (or another's clock is a little ahead): what is new to the table is new
    known_since = now.timestamp() if last and now.timestamp() - last <= SCAN_GAP_SECONDS else UNKNOWN_AGE
    store.see_reminders([(u.room_id, u.uid, u.start.timestamp(), u.end.timestamp(), u.holder,
                          u.booking_key) for u in found], known_since=known_since)
    store.mark_reminder_scan(max(last, now.timestamp()))
    due_by = now + timedelta(minutes=settings.minutes_before)
    rows = {(r.room_id, r.uid, r.start): r
            for r in store.reminders_between(now.timestamp(), due_by.timestamp() + 1)}
    open_rows = [(u, rows[u.key]) for u in found if u.start <= due_by and u.key in rows
                 and rows[u.key].state in ("seen", "sending")]
    if not open_rows:
        _forget_old(responder, now.timestamp())
        return run
    opted_out = store.reminder_opt_outs()
    exempt = _rooms_without_check_in(responder, [u for u, _ in open_rows]) \
        if settings.check_in_rooms_only else set()
    pace = _Pace(settings.per_second, sleep, monotonic)
    for item, row in open_rows:
        why = skip_reason(item, now, settings, first_seen=row.first_seen, opted_out=opted_out,
                          no_check_in=exempt)
        if why:
            if row.state == "seen":
                store.move_reminder(item.room_id, item.uid, row.start, "skipped", was="seen")
            run.skipped[why] += 1
            continue
        if not store.claim_reminder(item.room_id, item.uid, row.start, item.holder):
            continue  # another scan has it
        pace.wait(item.holder)
        _send(responder, item, row, run)
    _forget_old(responder, now.timestamp())
    return run


def _send(responder: Responder, item: Upcoming, row: Reminder, run: ReminderRun) -> None:
    store, start = responder.store, row.start
    lang = "zh" if item.lang == "zh" else "en"
    card = render(reminder_reply(row, lang, responder.context(user_open_id=item.holder)))
    try:
        sent = responder.gateway.send_card(item.holder, card, receive_id_type="open_id",
                                           uuid=send_uuid(f"reminder:{item.room_id}:{item.uid}:{start:.0f}"))
    except (ChatUnreachable, FeishuError) as exc:
        if isinstance(exc, ChatUnreachable) or exc.code in UNREACHABLE_CODES:
            log.info("reminder %s/%s: holder %s cannot be messaged (%s)", item.room_id, item.uid,
                     item.holder, exc.code)
            store.move_reminder(item.room_id, item.uid, start, "skipped", was="sending")
            run.skipped["unreachable"] += 1
        else:  # the next scan, a minute later, tries again (same uuid: posted once)
            log.warning("reminder %s/%s: not sent: %s log_id=%s", item.room_id, item.uid, exc,
                        exc.log_id)
            store.move_reminder(item.room_id, item.uid, start, "seen", was="sending")
            run.failed += 1
        return
    store.move_reminder(item.room_id, item.uid, start, "sent", was="sending",
                        message_id=sent.message_id)
    run.sent.append(f"{item.room_id}/{item.uid}")


def _rooms_without_check_in(responder: Responder, items: list[Upcoming]) -> set[tuple[str, float]]:
    """(room, start) of the due bookings whose room needs no check-in, from the reservation list
    (read from LIST_LEAD before now: Feishu refuses a start after its own now, and clocks drift).
    If the list cannot be read, every due booking is taken to have check-in (a reminder too many
    beats one missing)."""
    first = min(u.start for u in items)
    last = max(u.start for u in items) + timedelta(minutes=1)
    room_ids = sorted({u.room_id for u in items})
    rows: list[Reservation] = []
    try:
        for i in range(0, len(room_ids), ROOMS_PER_LIST_CALL):
            rows += responder.gateway.reservations(
                responder.settings.bot.room_level_id, min(first, responder.now()) - LIST_LEAD,
                last, room_ids=room_ids[i:i + ROOMS_PER_LIST_CALL])
    except FeishuError as exc:
        log.warning("reminders: check-in rules not read (%s, log_id=%s); reminding every due "
                    "booking", exc, exc.log_id)
        return set()
    return without_check_in(rows)


def _forget_old(responder: Responder, now: float) -> None:
    responder.store.forget_reminders(now - KEEP_ROWS.total_seconds())


class _Pace:
    """At most `per_second` sends a second, and SAME_USER_GAP between two to one person."""

    def __init__(self, per_second: float, sleep: Callable[[float], None],
                 monotonic: Callable[[], float]) -> None:
        self._gap, self._sleep, self._monotonic = 1.0 / per_second, sleep, monotonic
        self._next = 0.0
        self._by_user: dict[str, float] = {}

    def wait(self, user: str) -> None:
        now = self._monotonic()
        at = max(now, self._next, self._by_user.get(user, 0.0) + SAME_USER_GAP)
        if at > now:
            self._sleep(at - now)
        self._next = at + self._gap
        self._by_user[user] = at
