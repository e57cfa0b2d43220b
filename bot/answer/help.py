"""The help card: what roombot answers, with examples in the user's language that run on a click,
and the room finder (a form) for asking without typing."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.answer import finder, followups, windows
from bot.queries import FindFree, Help, IsFree, Place, Reply, Report, WhoBooked, Window
from bot.understand import actions

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.directory.tree import Directory
    from bot.feishu.models import Room

FALLBACK_ROOM = "Mercury"
FALLBACK_FLOOR = "4F"
EXAMPLE_SEATS = 6


def answer_help(query: Help, ctx: AnswerContext) -> Reply:
    """Help with examples named after a real room of this tenant, each a button that asks it."""
    room = example_room(ctx.directory)
    place = ctx.directory.room_place(room) if room else None
    floor = followups.area_of(place, ctx.directory) if place else None
    data: dict[str, Any] = {
        "reason": query.reason,
        "room": place.label if place else FALLBACK_ROOM,
        "floor": floor.label if floor else FALLBACK_FLOOR,
        "seats": EXAMPLE_SEATS,
        "examples": examples(query, ctx, place, floor),
        "finder": finder.form_data(query.lang, ctx),
    }
    return Reply(card="help", data=data, lang=query.lang)


def example_room(directory: Directory) -> Room | None:
    """An enabled room that sits on a floor, for the examples (the first by name)."""
    rooms = sorted((r for r in directory.rooms if r.enabled), key=lambda r: r.name.casefold())
    on_floor = [r for r in rooms if directory.floor_of(r) is not None]
    chosen = on_floor or rooms
    return chosen[0] if chosen else None


def examples(query: Help, ctx: AnswerContext, place: Place | None,
             floor: Place | None) -> dict[str, dict[str, Any]]:
    """Button values for the examples that can run here: key -> {"value": ...}."""
    lang, now = query.lang, ctx.now
    today = windows.whole_day(now)
    slot = next_slot(now, ctx.settings.bot.slot_minutes)
    hour = Window(slot.start, slot.start + timedelta(hours=1))
    found: dict[str, Any] = {
        "find": FindFree(lang, hour, EXAMPLE_SEATS),
        "report": Report(lang, ("no_shows",), windows.whole_day(now - timedelta(days=1))),
    }
    if place is not None:
        found["who_today"] = WhoBooked(lang, place, today)
        found["who_tomorrow"] = WhoBooked(lang, place, windows.shift(today, timedelta(days=1)))
        found["is_free"] = IsFree(lang, place, slot)
    if floor is not None:
        found["floor_free"] = IsFree(lang, floor, slot)
    return {key: {"value": actions.encode(q), "at": q.window.start}
            for key, q in found.items()}


def next_slot(now: datetime, minutes: int) -> Window:
    """The next slot boundary from now (e.g. 10:20 -> 10:30-11:00), as the example time."""
    midnight = windows.day_start(now)
    elapsed = int((now - midnight).total_seconds() // 60)
    start = midnight + timedelta(minutes=(elapsed // minutes + 1) * minutes)
    return windows.slot(start, minutes)
