"""Booking on cards: the Book buttons offered next to free rooms, and the cards that show a booking
(booking…, booked, declined, still pending, cancelled) and a person's bookings.

A room is offered only when roombot knows of no rule that would make Feishu decline it (the
room's reserve rules, the longest booking allowed); otherwise the card says why instead.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.answer import followups
from bot.book.rules import refusal
from bot.queries import Book, ChangeBooking, FindFree, Lang, MyBookings, Reply, Window
from bot.store import Booking
from bot.understand import actions

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.feishu.models import Room

MAX_OFFERS = 5  # Book buttons on one card (each room's rules are read once, then cached)
EXTEND_MINUTES = 30


def slot_of(window: Window, ctx: AnswerContext) -> Window | None:
    """The slot a Book button books for a card about `window`: the window itself when it is a
    concrete stretch of time, from now when it has begun; None for a whole day or a past window."""
    if window.whole_day or window.end <= ctx.now:
        return None
    start = max(window.start, ctx.now.replace(second=0, microsecond=0))
    return Window(start, window.end, False, window.label)


def offers(rooms: Sequence[Room], window: Window, ctx: AnswerContext,
           lang: Lang) -> list[dict[str, Any]]:
    """For the first free rooms of a card: a Book button's value, or why it cannot be booked."""
    slot = slot_of(window, ctx)
    if slot is None or not ctx.settings.booking.enabled or ctx.rules is None:
        return []
    found = []
    for room in rooms[:MAX_OFFERS]:
        place = ctx.directory.room_place(room)
        why = refusal(ctx.rules.get(room.room_id), slot.start, slot.end, ctx.now, ctx.user_open_id,
                      ctx.settings.booking.max_minutes)
        found.append({"room": room.name, "room_id": room.room_id, "why": why,
                      "value": None if why else actions.encode(Book(lang, place, slot))})
    return found


def booking_data(booking: Booking, ctx: AnswerContext,
                 alternatives: Sequence[Room] = (), problem: str = "") -> dict[str, Any]:
    """A booking as card data (with its buttons), in the tenant timezone."""
    tz = ctx.settings.bot.tz
    start, end = datetime.fromtimestamp(booking.start, tz), datetime.fromtimestamp(booking.end, tz)
    room = ctx.directory.room(booking.room_id)
    lang: Lang = "zh" if booking.lang == "zh" else "en"
    buttons = []
    if booking.status == "booked":
        buttons = [_change(lang, "extend", booking.key, "primary"), _change(lang, "cancel", booking.key)]
    elif booking.status == "unconfirmed":
        buttons = [_change(lang, "check", booking.key, "primary"), _change(lang, "cancel", booking.key)]
    window = Window(start, end)
    alts = offers(alternatives, window, ctx, lang) if alternatives else []
    if booking.status in ("declined", "cancelled") and room is not None and end > ctx.now:
        area = followups.area_of(ctx.directory.room_place(room), ctx.directory)
        if area is not None:
            buttons.append(followups.button("free_here", FindFree(lang, window, 0, area), area.label))
    if booking.status in ("booked", "cancelled", "declined", "unconfirmed"):
        buttons.append(followups.button("my_bookings", MyBookings(lang)))
    return {
        "status": booking.status, "reason": booking.reason, "problem": problem,
        "room": booking.room_name, "location": ctx.directory.location_label(room) if room else "",
        "start": start, "end": end, "requester": booking.requester, "key": booking.key,
        "alternatives": [a for a in alts if a["value"]], "buttons": buttons, "now": ctx.now,
        "extend_minutes": EXTEND_MINUTES,
    }


def booking_reply(booking: Booking, ctx: AnswerContext, alternatives: Sequence[Room] = (),
                  problem: str = "") -> Reply:
    lang: Lang = "zh" if booking.lang == "zh" else "en"
    return Reply("booking", booking_data(booking, ctx, alternatives, problem), lang)


def refused_reply(query: Book, room: Room | None, why: str, ctx: AnswerContext) -> Reply:
    """A typed or clicked booking roombot will not try: the room and the reason, in plain words."""
    return Reply("booking", {
        "status": "refused", "reason": why, "problem": "", "room": room.name if room else "",
        "location": ctx.directory.location_label(room) if room else "",
        "start": query.window.start, "end": query.window.end, "requester": ctx.user_open_id,
        "key": "", "alternatives": [], "now": ctx.now, "extend_minutes": EXTEND_MINUTES,
        "buttons": [followups.button("free_here", FindFree(query.lang, query.window, query.capacity, a),
                                     a.label)
                    for a in [followups.area_of(query.place, ctx.directory)] if a is not None],
    }, query.lang)


def my_bookings_reply(bookings: Sequence[Booking], lang: Lang, ctx: AnswerContext,
                      note: str = "") -> Reply:
    """The asker's upcoming bookings made through roombot, each with Cancel and Extend."""
    tz = ctx.settings.bot.tz
    rows = []
    for b in bookings:
        room = ctx.directory.room(b.room_id)
        buttons = []
        if b.status == "booked":
            buttons = [_change(lang, "extend", b.key), _change(lang, "cancel", b.key)]
        elif b.status in ("unconfirmed", "pending", "new", "event"):
            buttons = [_change(lang, "check", b.key), _change(lang, "cancel", b.key)]
        rows.append({"room": b.room_name, "location": ctx.directory.location_label(room) if room else "",
                     "start": datetime.fromtimestamp(b.start, tz), "end": datetime.fromtimestamp(b.end, tz),
                     "status": b.status, "reason": b.reason, "buttons": buttons})
    return Reply("my_bookings", {"rows": rows, "note": note, "now": ctx.now,
                                 "extend_minutes": EXTEND_MINUTES}, lang)


def _change(lang: Lang, action: str, key: str, kind: str = "default") -> dict[str, Any]:
    query = ChangeBooking(lang, action, key, minutes=EXTEND_MINUTES)  # type: ignore[arg-type]
    return followups.button(action + "_booking", query, EXTEND_MINUTES, kind)
