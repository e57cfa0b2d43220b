"""Find rooms free over the whole window with enough seats: best fit first, a few calls, near misses.

The search (bot/answer/search.py) asks about the best-fitting candidates first and stops once
about five are free, so a 2,000-room tenant costs at most five free/busy calls; "more rooms"
continues where it stopped. When nothing is free for all of the window, bot/answer/near_misses.py
says what comes closest. Every free-room card carries the room-finder form.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.answer import booking, finder, followups, windows
from bot.answer.near_misses import near_misses
from bot.answer.search import Found, candidates_for, search
from bot.queries import TENANT, FindFree, Reply, Window

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.feishu.models import Room

def answer_find_free(query: FindFree, ctx: AnswerContext) -> Reply:
    """Rooms in the place that are free over the whole window and seat `capacity`, best fit first."""
    candidates = candidates_for(query, ctx)
    found = search(query, candidates, ctx)
    data: dict[str, Any] = {
        "place": {"kind": query.place.kind, "label": query.place.label},
        "window": windows.describe(query.window),
        "now": ctx.now,
        "past": windows.is_past(query.window, ctx.now),
        "capacity": query.capacity,
        "candidates": found.candidates,
        "offset": min(query.offset, found.candidates),
        "checked": len(found.checked),
        "exhausted": found.next_offset is None,
        "total": len(found.free),
        "rooms": [_row(room, ctx) for room in found.free],
        "near": near_misses(query, found, ctx) if not found.free else None,
        "offers": booking.offers(found.free, query.window, ctx, query.lang),
        "buttons": _buttons(query, ctx, found),
        "finder": finder.form_data(query.lang, ctx, query.window, query.capacity, query.place),
    }
    return Reply(card="free_rooms", data=data, lang=query.lang)


def _row(room: Room, ctx: AnswerContext) -> dict[str, Any]:
    return {"room": room.name, "room_id": room.room_id, "capacity": room.capacity,
            "location": ctx.directory.location_label(room)}


def _later(window: Window, minutes: int) -> list[tuple[str, Window, Any]]:
    """The next slot for a short window; the previous and next day for a long one."""
    if window.end - window.start <= followups.LONG_WINDOW:
        return [("next_slot", followups.next_slot(window, minutes), minutes)]
    if not windows.one_day(window):
        return []
    return [("prev_day", windows.shift(window, -followups.DAY), ""),
            ("next_day", windows.shift(window, followups.DAY), "")]


def _buttons(query: FindFree, ctx: AnswerContext, found: Found) -> list[dict[str, Any]]:
    fresh = replace(query, offset=0)
    buttons = []
    if found.next_offset is not None:
        buttons.append(followups.button("more_rooms", replace(query, offset=found.next_offset),
                                        found.next_offset, "primary"))
    if found.candidates:
        buttons += [followups.button(key, replace(fresh, window=window), arg)
                    for key, window, arg in _later(query.window, ctx.settings.bot.slot_minutes)]
    buttons.append(followups.button("refresh", query))
    if not found.free and query.capacity:
        buttons.append(followups.button("any_size", replace(fresh, capacity=0)))
    if not found.free and query.place.kind != "tenant":
        buttons.append(followups.button("anywhere", replace(fresh, place=TENANT)))
    return buttons
