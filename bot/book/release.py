"""Giving a room back: the bookings under way that nobody checked into, and a Release that ends
one instance early through meeting_room/instance/reply (only its holder or an admin may).

Feishu's free/busy gives each busy instance its event `uid` and `original_time`; the release
always passes the instance's own start as `original_time`, because 0 on a recurring series
answers every instance of it [contract §11]. A 105003 (the series was re-timed) reads free/busy
again and retries once. Every release, and every refusal, is a row of the audit log.

instance/reply has no idempotency key, so a release is made exactly once by its ledger row
(bot/store/releases.py), written before the call, and by free/busy, read again when an answer is
lost, instead of a second call.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.feishu.errors import FeishuError, FeishuUnavailable, RateLimited
from bot.feishu.freebusy import STALE_ORIGINAL_TIME
from bot.feishu.models import BusyInterval
from bot.insights import outcomes
from bot.store.releases import ReleaseRow

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


class InProgress(Exception):
    """Another click is giving this instance back at this moment."""


class StillHeld(Exception):
    """Feishu did not act on the release now (an outage, a rate limit): the room is still held,
    and the Release button may be pressed again."""


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
    """End the instance now (ENDED_BEFORE_DUE), exactly once; (when, Feishu's log_id or "").

    The releases ledger row is written before instance/reply (keyed by the instance, carried by
    the click's idempotency key, `ctx.click`) and completed with its audit row in one transaction. An
    answer lost on the way, or a process killed before it kept the answer, leaves the row
    `calling`: the next attempt reads free/busy and, when the instance has gone, completes the
    row as confirmed rather than calling again. Raises NotAllowed (audited), AlreadyFree,
    InProgress (another click is giving it back right now) or StillHeld (Feishu did not act)."""
    store, click = ctx.store, ctx.click
    assert store is not None and click, "a release is a click, and clicks come with a store"
    target = f"{room_id}/{uid}/{start}"
    before = store.release_row(target)
    if before is not None and before.status == "released":
        raise AlreadyFree
    try:
        interval = _holding(room_id, uid, start, ctx)
    except AlreadyFree:
        if before is not None and before.status == "calling" and store.may_take_release(before, click):
            return _confirmed(before, click, ctx)  # an earlier attempt's call went through
        raise
    actor = ctx.user_open_id
    role = ("holder" if actor == interval.organizer_open_id
            else "admin" if actor in ctx.settings.reminders.admins else "")
    if not role:
        store.audit(actor, "refused:release", target, room_id,
                    {"holder": interval.organizer_open_id, "source": source})
        raise NotAllowed
    row, created = store.begin_release(ReleaseRow(
        target, click, actor, role, source, room_id, uid, float(start),
        interval.end.timestamp(), interval.organizer_open_id))
    if not created:
        if row.status == "released":
            raise AlreadyFree
        if row.status == "calling" and not store.may_take_release(row, click):
            raise InProgress
        # the same click resumed, a claim gone stale, or a failed release tried again
        taken = store.move_release(row, "calling", click=click, actor=actor, role=role,
                                   source=source)
        if taken is None:
            raise InProgress
        row = taken
    return _end(row, interval, ctx)


def _end(row: ReleaseRow, interval: BusyInterval, ctx: AnswerContext) -> tuple[datetime, str]:
    """Call instance/reply for a `calling` row and complete it (with its audit row)."""
    assert ctx.store is not None
    start = int(row.start)
    try:
        try:
            log_id = ctx.gateway.release_instance(row.room_id, row.uid, start)
        except FeishuError as exc:
            if exc.code != STALE_ORIGINAL_TIME:
                raise
            log.info("release %s: original_time stale (log_id %s); reading free/busy again",
                     row.target, exc.log_id)
            interval = _holding(row.room_id, row.uid, start, ctx)  # re-timed: pass its start
            start = int(interval.start.timestamp())
            log_id = ctx.gateway.release_instance(row.room_id, row.uid, start)
    except FeishuUnavailable as exc:  # the answer is lost: Feishu may have ended it all the same
        try:
            _holding(row.room_id, row.uid, start, ctx)
        except AlreadyFree:
            return _confirmed(row, row.click, ctx, start)
        _failed(row, ctx, f"still held after {exc.code}: {exc.msg}", exc.log_id)
        raise StillHeld from exc
    except RateLimited as exc:  # refused before Feishu acted on it
        _failed(row, ctx, f"rate limited: {exc.code}", exc.log_id)
        raise StillHeld from exc
    except AlreadyFree:  # re-read after a 105003: it has gone, not by this release
        _failed(row, ctx, "gone before it was released")
        raise
    except FeishuError as exc:  # a final refusal: say so, and let a later click try anew
        _failed(row, ctx, f"{exc.code}: {exc.msg}", exc.log_id)
        raise
    done = ctx.store.move_release(row, "released", start=float(start), log_id=log_id,
                                  note="answered", audit=_detail(row, interval, ctx, "answered"))
    if done is None:  # another hand completed it meanwhile (it is audited there)
        raise AlreadyFree
    return ctx.now, log_id


def _failed(row: ReleaseRow, ctx: AnswerContext, note: str, log_id: str = "") -> None:
    """The call did not end the instance (free/busy or Feishu's answer says so): any click may
    try again at once."""
    assert ctx.store is not None
    ctx.store.move_release(row, "failed", note=note, log_id=log_id)


def _confirmed(row: ReleaseRow, click: str, ctx: AnswerContext,
               start: int | None = None) -> tuple[datetime, str]:
    """Complete a `calling` row whose instance free/busy no longer shows: the call went through
    (its answer, and so its log_id, was lost). Audited once, saying how it was confirmed."""
    assert ctx.store is not None
    note = "confirmed by free/busy"
    done = ctx.store.move_release(
        row, "released", click=click, start=float(row.start if start is None else start),
        note=note, audit=_detail(row, None, ctx, note))
    if done is None:
        raise AlreadyFree
    log.info("release %s: free/busy shows it gone; completed without calling again", row.target)
    return ctx.now, ""


def _detail(row: ReleaseRow, interval: BusyInterval | None, ctx: AnswerContext,
            how: str) -> dict[str, object]:
    return {"source": row.source, "holder": row.holder, "as": row.role,
            "start": interval.start.timestamp() if interval else row.start,
            "end": interval.end.timestamp() if interval else row.end,
            "released_at": ctx.now.timestamp(), "how": how}


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
