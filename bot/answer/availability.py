"""Is a room free over a window (or, for a floor or building, each room's state then): free/busy only.

Several places in one question ("is Mercury or Jupiter free at 3") are answered on one card from
one free/busy call for all their rooms (the gateway batches 20 rooms a call): named rooms each get
their own line, a floor or building among them turns the card into the area listing.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.answer import booking, followups, windows
from bot.answer.bookings import holder, names_visible
from bot.answer.timeline import busy_until, free_gaps, next_free_slot, overlapping
from bot.feishu.models import BusyInterval
from bot.queries import IsFree, Reply, WhoBooked

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.feishu.models import Room

MAX_BUSY_ROWS = 30  # busy rooms listed one per line; free rooms are listed compactly
LONG_WINDOW = followups.LONG_WINDOW  # longer windows list their free stretches, not a next slot
MIN_GAP = timedelta(minutes=15)
MAX_GAPS = 12


def answer_is_free(query: IsFree, ctx: AnswerContext) -> Reply:
    """Say whether the place's rooms are free over the window; when busy, who holds them and when
    they are free next."""
    places = (query.place, *query.more)
    rooms = list({r.room_id: r for p in places for r in ctx.directory.place_rooms(p)}.values())
    per_room = all(p.kind == "room" for p in places)
    busy = _busy(rooms, query, ctx)
    show_names = names_visible(ctx.settings, ctx.chat_type)
    states = [room_state(r, busy.get(r.room_id, []), query, ctx, show_names) for r in rooms]
    free = [s for s in states if s["free"]]
    taken = sorted((s for s in states if not s["free"] and not s["disabled"]),
                   key=lambda s: (s["until"] or query.window.end, s["room"]))
    single = per_room and len(states) == 1
    data: dict[str, Any] = {
        "place": {"kind": query.place.kind, "label": query.place.label,
                  "location": states[0]["location"] if single else ""},
        "labels": [p.label for p in places],
        "window": windows.describe(query.window),
        "now": ctx.now,
        "past": windows.is_past(query.window, ctx.now),
        "long": query.window.end - query.window.start > LONG_WINDOW,
        "single": single,
        "per_room": per_room and len(states) > 1,  # several rooms named: one line each
        "room": states[0] if single else None,
        "states": states if per_room else [],
        "free": free,
        "busy": taken[:MAX_BUSY_ROWS],
        "busy_total": len(taken),
        "disabled": [s["room"] for s in states if s["disabled"]],
        "names_shown": show_names,
        "buttons": _buttons(query, ctx),
        "offers": booking.offers([r for r, s in zip(rooms, states, strict=True) if s["free"]],
                                 query.window, ctx, query.lang),
    }
    return Reply(card="availability", data=data, lang=query.lang)


def horizon(query: IsFree) -> datetime:
    """How far to look for the next free slot: the rest of the window's day (at least one more
    window length after the window)."""
    window = query.window
    return max(window.end + (window.end - window.start), windows.next_day_start(window.start))


def _busy(rooms: Sequence[Room], query: IsFree, ctx: AnswerContext) -> dict[str, list[BusyInterval]]:
    ids = [r.room_id for r in rooms if r.enabled]
    if not ids:
        return {}
    return ctx.gateway.freebusy(ids, query.window.start, horizon(query))


def room_state(room: Room, busy: list[BusyInterval], query: IsFree, ctx: AnswerContext,
               show_names: bool) -> dict[str, Any]:
    """One room's state over the window: free, or who holds it, until when, and the next free slot."""
    start, end = query.window.start, query.window.end
    holding = overlapping(busy, start, end)
    slot = next_free_slot(busy, start, end - start, horizon(query)) if holding else None
    long_window = end - start > LONG_WINDOW
    gaps = free_gaps(busy, start, end) if holding and long_window else []
    return {
        "room": room.name, "room_id": room.room_id, "capacity": room.capacity,
        "location": ctx.directory.location_label(room),
        "disabled": not room.enabled,
        "free": room.enabled and not holding,
        "holders": [holder(b, show_names=show_names) for b in holding],
        "until": busy_until(busy, start) if holding else None,
        "next": {"start": slot[0], "end": slot[1]} if slot and not long_window else None,
        # for a long window ("tomorrow", "this afternoon") the free stretches inside it say more
        "gaps": [{"start": s, "end": e} for s, e in gaps if e - s >= MIN_GAP][:MAX_GAPS],
    }


def _buttons(query: IsFree, ctx: AnswerContext) -> list[dict[str, Any]]:
    lang, place, window, more = query.lang, query.place, query.window, query.more
    buttons = followups.later(IsFree, lang, place, window, ctx.settings.bot.slot_minutes, more)
    buttons.append(followups.button("refresh", query))
    if place.kind == "room":
        day = windows.whole_day(window.start)
        key = "who_today" if window.start.date() == ctx.now.date() else "who_day"
        key += "_all" if more else ""  # "who booked them today" for several rooms
        buttons.append(followups.button(key, WhoBooked(lang, place, day, more)))
    buttons += followups.free_here(lang, place, window, ctx)
    return buttons
