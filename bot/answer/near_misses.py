"""Near misses: when no room is free for the whole window, what comes closest, each with a button.

- rooms free for most of the window (the longest free stretch, at least half of it), from the
  free/busy the search already holds;
- the next window of the same length in which a checked room is free, looking ahead within the
  span the search's calls already covered (bot/answer/search.py LOOKAHEAD);
- rooms with enough seats on the nearest floors of the same building: one more free/busy call
  (at most 20 rooms), made only for a floor and only within the answer's call budget.
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.answer import windows
from bot.answer.finder import floor_number
from bot.answer.search import CALL_BUDGET, ROOMS_PER_CALL, Found, fit
from bot.answer.timeline import Interval, free_gaps, is_free, next_free_slot
from bot.queries import FindFree, IsFree, Window
from bot.understand import actions

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.feishu.models import Room, RoomLevel

MIN_SHARE = 0.5  # "free for most of the window": at least half of it in one stretch
MIN_STRETCH = timedelta(minutes=15)
MAX_PARTLY = 3
MAX_FLOORS = 3
MAX_NEARBY_ROOMS = 5


def near_misses(query: FindFree, found: Found, ctx: AnswerContext) -> dict[str, Any]:
    """What comes closest to the question when no room is free for all of it (card data)."""
    if windows.is_past(query.window, ctx.now):
        return {"partly": [], "later": None, "nearby": None}
    return {"partly": partly_free(query, found, ctx), "later": next_window(query, found),
            "nearby": nearby_floors(query, found, ctx)}


def partly_free(query: FindFree, found: Found, ctx: AnswerContext) -> list[dict[str, Any]]:
    """Checked rooms free for most of the window: their longest free stretch inside it."""
    start, end = query.window.start, query.window.end
    need = max(MIN_STRETCH, (end - start) * MIN_SHARE)
    best: list[tuple[timedelta, Room, Interval]] = []
    for room in found.checked:
        gaps = free_gaps(found.busy.get(room.room_id, []), start, end)
        if gaps:
            gap = max(gaps, key=lambda g: g[1] - g[0])
            if gap[1] - gap[0] >= need:
                best.append((gap[1] - gap[0], room, gap))
    best.sort(key=lambda item: (-item[0], fit(item[1])))
    return [{**_row(room, ctx), "start": gap[0], "end": gap[1],
             "minutes": int(length.total_seconds() // 60),
             "value": actions.encode(IsFree(query.lang, ctx.directory.room_place(room), query.window))}
            for length, room, gap in best[:MAX_PARTLY]]


def next_window(query: FindFree, found: Found) -> dict[str, Any] | None:
    """The earliest later window of the same length with a checked room free for all of it."""
    length = query.window.end - query.window.start
    slots = [next_free_slot(found.busy.get(r.room_id, []), query.window.start, length, found.horizon)
             for r in found.checked]
    starts = [slot[0] for slot in slots if slot is not None]
    if not starts:
        return None
    later = Window(min(starts), min(starts) + length)
    rooms = sum(1 for r in found.checked if is_free(found.busy.get(r.room_id, []), later.start, later.end))
    return {"start": later.start, "end": later.end, "rooms": rooms,
            "value": actions.encode(FindFree(query.lang, later, query.capacity, query.place))}


def nearby_floors(query: FindFree, found: Found, ctx: AnswerContext) -> dict[str, Any] | None:
    """Rooms with enough seats on the floors nearest the asked one, free for the whole window."""
    if query.place.kind != "floor" or found.calls >= CALL_BUDGET:
        return None
    level = ctx.directory.level(query.place.id)
    floors = _neighbours(level, ctx) if level is not None else []
    rooms = [r for floor in floors for r in ctx.directory.rooms_under(floor.level_id)
             if r.enabled and r.capacity >= query.capacity]
    order = {floor.level_id: rank for rank, floor in enumerate(floors)}
    rooms.sort(key=lambda r: (order.get(_floor_id(r, ctx), len(order)), fit(r)))
    rooms = rooms[:ROOMS_PER_CALL]
    if not rooms:
        return None
    window = query.window
    busy = ctx.gateway.freebusy([r.room_id for r in rooms], window.start, window.end)
    free = [r for r in rooms if is_free(busy.get(r.room_id, []), window.start, window.end)]
    places = [ctx.directory.level_place(f) for f in floors
              if any(_floor_id(r, ctx) == f.level_id for r in free)]
    return {"rooms": [{**_row(r, ctx), "value": actions.encode(IsFree(
                query.lang, ctx.directory.room_place(r), window))} for r in free[:MAX_NEARBY_ROOMS]],
            "free": len(free), "checked": len(rooms),
            "floors": [{"label": p.label, "value": actions.encode(
                FindFree(query.lang, window, query.capacity, p))} for p in places]}


def _neighbours(level: RoomLevel, ctx: AnswerContext) -> list[RoomLevel]:
    """The other floors of the same building (or under the same parent), nearest first."""
    building = ctx.directory.building_of_level(level)
    if building is not None:
        floors = ctx.directory.floors_in(building.level_id)
    else:
        floors = [lv for lv in ctx.directory.levels
                  if ctx.directory.is_floor(lv) and lv.parent_id == level.parent_id]
    mine = floor_number(level.name)
    others = [f for f in floors if f.level_id != level.level_id]
    others.sort(key=lambda f: (abs(floor_number(f.name) - mine), floor_number(f.name)))
    return others[:MAX_FLOORS]


def _floor_id(room: Room, ctx: AnswerContext) -> str:
    floor = ctx.directory.floor_of(room)
    return floor.level_id if floor is not None else ""


def _row(room: Room, ctx: AnswerContext) -> dict[str, Any]:
    return {"room": room.name, "room_id": room.room_id, "capacity": room.capacity,
            "location": ctx.directory.location_label(room)}
