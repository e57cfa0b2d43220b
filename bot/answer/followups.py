"""Follow-up buttons for answer cards: each is a Query encoded by bot.understand.actions, plus a wording key.

The template words the key ("refresh" -> "Refresh" / "刷新"); `arg` carries a detail for the
label, e.g. the start time of a later page.
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.answer import windows
from bot.queries import FindFree, IsFree, Lang, Place, Query, Subscribe, WhoBooked, Window
from bot.understand import actions

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.directory.tree import Directory

Button = dict[str, Any]
DAY = timedelta(days=1)
LONG_WINDOW = timedelta(hours=2)  # "the same question a half hour later" only makes sense for short ones


def button(key: str, query: Query, arg: Any = "", kind: str = "default") -> Button:
    """One follow-up: wording key, encoded value, optional label detail, button type."""
    return {"key": key, "value": actions.encode(query), "arg": arg, "type": kind}


def area_of(place: Place, directory: Directory) -> Place | None:
    """The floor of a room (the place itself for a floor or building); None for the tenant."""
    if place.kind in ("floor", "building"):
        return place
    if place.kind != "room":
        return None
    room = directory.room(place.id)
    floor = directory.floor_of(room) if room is not None else None
    return directory.level_place(floor) if floor is not None else None


def day_buttons(make: type[WhoBooked | IsFree], lang: Lang, place: Place,
                window: Window, more: tuple[Place, ...] = ()) -> list[Button]:
    """Previous day / next day for a window within one day (for every place asked about)."""
    if not windows.one_day(window):
        return []
    return [button("prev_day", make(lang, place, windows.shift(window, -DAY), more)),
            button("next_day", make(lang, place, windows.shift(window, DAY), more))]


def free_here(lang: Lang, place: Place, window: Window, ctx: AnswerContext,
              capacity: int = 0) -> list[Button]:
    """"Free rooms on this floor" for a concrete slot of the window."""
    area = area_of(place, ctx.directory)
    if area is None:
        return []
    slot = windows.bookable_slot(window, ctx.now, ctx.settings.bot.slot_minutes)
    return [button("free_here", FindFree(lang, slot, capacity, area), area.label)]


def subscribe_here(lang: Lang, place: Place, ctx: AnswerContext) -> list[Button]:
    """"Subscribe this chat" to the daily digest for the room's floor (or the floor/building)."""
    area = area_of(place, ctx.directory)
    return [button("subscribe", Subscribe(lang, place=area), area.label)] if area else []


def later(make: type[IsFree], lang: Lang, place: Place, window: Window,
          minutes: int, more: tuple[Place, ...] = ()) -> list[Button]:
    """The same question for the next slot, or for a long window the previous/next day."""
    if window.end - window.start > LONG_WINDOW:
        return day_buttons(make, lang, place, window, more)
    return [button("next_slot", make(lang, place, next_slot(window, minutes), more), minutes,
                   "primary")]


def next_slot(window: Window, minutes: int) -> Window:
    """The same question for the next slot (e.g. the next half hour)."""
    return windows.shift(window, timedelta(minutes=minutes))
