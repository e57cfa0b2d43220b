"""Find rooms free over the whole window with enough seats: best fit first (smallest room that fits)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.answer import followups, windows
from bot.answer.timeline import is_free
from bot.queries import TENANT, FindFree, Reply, Window

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.feishu.models import Room

MAX_ROWS = 25  # the best fits; the rest are counted


def answer_find_free(query: FindFree, ctx: AnswerContext) -> Reply:
    """Rooms in the place that are free over the whole window and seat `capacity`, best fit first."""
    candidates = candidates_for(query, ctx)
    free = free_rooms(candidates, query, ctx)
    data: dict[str, Any] = {
        "place": {"kind": query.place.kind, "label": query.place.label},
        "window": windows.describe(query.window),
        "now": ctx.now,
        "past": windows.is_past(query.window, ctx.now),
        "capacity": query.capacity,
        "checked": len(candidates),
        "total": len(free),
        "rooms": [_row(room, ctx) for room in free[:MAX_ROWS]],
        "buttons": _buttons(query, ctx, found=bool(free)),
    }
    return Reply(card="free_rooms", data=data, lang=query.lang)


def candidates_for(query: FindFree, ctx: AnswerContext) -> list[Room]:
    """Enabled rooms in the place with at least `capacity` seats (only these are asked about)."""
    rooms = ctx.directory.place_rooms(query.place)
    return [r for r in rooms if r.enabled and r.capacity >= query.capacity]


def free_rooms(candidates: Sequence[Room], query: FindFree, ctx: AnswerContext) -> list[Room]:
    """The candidates with nothing booked in the window, smallest fitting capacity first, then name."""
    if not candidates:
        return []
    start, end = query.window.start, query.window.end
    busy = ctx.gateway.freebusy([r.room_id for r in candidates], start, end)
    free = [r for r in candidates if is_free(busy.get(r.room_id, []), start, end)]
    return sorted(free, key=lambda r: (r.capacity, r.name.casefold(), r.room_id))


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


def _buttons(query: FindFree, ctx: AnswerContext, found: bool) -> list[dict[str, Any]]:
    buttons = [followups.button(key, FindFree(query.lang, window, query.capacity, query.place), arg)
               for key, window, arg in _later(query.window, ctx.settings.bot.slot_minutes)]
    buttons.append(followups.button("refresh", query))
    if not found and query.capacity:
        buttons.append(followups.button("any_size", FindFree(query.lang, query.window, 0, query.place)))
    if not found and query.place.kind != "tenant":
        buttons.append(followups.button("anywhere", FindFree(query.lang, query.window, query.capacity, TENANT)))
    return buttons
