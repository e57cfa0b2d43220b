"""Giving a room back: the bookings under way that nobody checked into, and a Release that ends
one instance early through meeting_room/instance/reply (only its holder or an admin may).

Feishu's free/busy gives each busy instance its event `uid` and `original_time`; the release
always passes the instance's own start as `original_time`, because 0 on a recurring series
answers every instance of it [contract §11]. A 105003 (the series was re-timed) reads free/busy
again and retries once. Every release, and every refusal, is a row of the audit log.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.feishu.errors import FeishuError
from bot.feishu.freebusy import STALE_ORIGINAL_TIME
from bot.feishu.models import BusyInterval
from bot.insights import outcomes

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.queries import Place

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unused:
    """A booking under way that nobody checked into."""

    room_id: str
    room: str
    start: datetime
    end: datetime
    holder: str  # the reserver's name ("" when hidden)
    holder_open_id: str
    uid: str


class NotAllowed(Exception):
    """The clicker is neither the booking's holder nor an admin."""


class AlreadyFree(Exception):
    """The instance is no longer holding the room (released, ended or never there)."""


def current_no_shows(place: Place, ctx: AnswerContext) -> list[Unused]:
    """Bookings of the place's rooms that began over `no_show_after_minutes` ago, end later and
    have no check-in yet: the reservation list says who and how, free/busy gives the uid."""
    rooms = {r.room_id: r for r in ctx.directory.place_rooms(place) if r.enabled}
    if not rooms:
        return []
    now = ctx.now
    cutoff = now - timedelta(minutes=ctx.settings.reminders.no_show_after_minutes)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = [r for r in ctx.gateway.reservations(ctx.settings.bot.room_level_id, day, now + timedelta(minutes=1),
                                                room_ids=list(rooms))
            if r.room_id in rooms and r.start <= cutoff and r.end > now
            and outcomes.outcome(r) == "pending"]
    if not rows:
        return []
    busy = ctx.gateway.freebusy(list({r.room_id for r in rows}), now, now + timedelta(minutes=1))
    found = []
    for row in rows:
        interval = next((b for b in busy.get(row.room_id, []) if b.start == row.start), None)
        if interval is not None and interval.uid:
            found.append(Unused(row.room_id, rooms[row.room_id].name, row.start, row.end, row.reserver,
                                interval.organizer_open_id, interval.uid))
    return sorted(found, key=lambda u: (u.start, u.room))


def release(room_id: str, uid: str, start: int, ctx: AnswerContext, source: str) -> tuple[datetime, str]:
    """End the instance now (ENDED_BEFORE_DUE); (when the room is free again, Feishu's log_id).

    Raises NotAllowed (audited) or AlreadyFree."""
    interval = _holding(room_id, uid, start, ctx)
    actor = ctx.user_open_id
    admins = ctx.settings.reminders.admins
    if actor != interval.organizer_open_id and actor not in admins:
        if ctx.store is not None:
            ctx.store.audit(actor, "refused:release", f"{room_id}/{uid}/{start}", room_id,
                            {"holder": interval.organizer_open_id, "source": source})
        raise NotAllowed
    try:
        log_id = ctx.gateway.release_instance(room_id, uid, start)
    except FeishuError as exc:
        if exc.code != STALE_ORIGINAL_TIME:
            raise
        log.info("release %s/%s: original_time stale (log_id %s); reading free/busy again", room_id, uid,
                 exc.log_id)
        interval = _holding(room_id, uid, start, ctx)  # re-timed: its start is the one to pass
        start = int(interval.start.timestamp())
        log_id = ctx.gateway.release_instance(room_id, uid, start)
    if ctx.store is not None:
        ctx.store.audit(actor, "release", f"{room_id}/{uid}/{start}", room_id,
                        {"source": source, "holder": interval.organizer_open_id,
                         "as": "holder" if actor == interval.organizer_open_id else "admin",
                         "start": interval.start.timestamp(), "end": interval.end.timestamp(),
                         "released_at": ctx.now.timestamp()}, log_id=log_id)
    return ctx.now, log_id


def free_again_from(room_id: str, start: float, end: float, ctx: AnswerContext) -> datetime | None:
    """After a release: free/busy read again, the first moment of the instance's time (from now
    on) that no booking holds; None if others now hold all of it."""
    moment = max(ctx.now, datetime.fromtimestamp(start, ctx.now.tzinfo))
    until = datetime.fromtimestamp(end, ctx.now.tzinfo)
    if moment >= until:
        return moment
    for busy in ctx.gateway.freebusy([room_id], moment, until).get(room_id, []):
        if busy.start <= moment < busy.end:
            moment = busy.end
    return moment if moment < until else None


def _holding(room_id: str, uid: str, start: int, ctx: AnswerContext) -> BusyInterval:
    """The instance as free/busy shows it now (it may be under way or about to start)."""
    now = ctx.now
    until = max(now, datetime.fromtimestamp(start, now.tzinfo)) + timedelta(minutes=1)
    busy = ctx.gateway.freebusy([room_id], now, until).get(room_id, [])
    match = [b for b in busy if b.uid == uid]
    if not match:
        raise AlreadyFree
    exact = [b for b in match if int(b.start.timestamp()) == start]
    return (exact or match)[0]
