"""Who booked a room (or every room of a floor) during a window.

Up to the end of today the reservation list answers (it also lists today's meetings still to come,
as 待签到 / 签到时间未结束); days after today only exist in calendar free/busy, which names the
organizer. A window spanning both uses both, with no booking counted twice.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.answer import followups, windows
from bot.answer.bookings import Row, busy_row, ledger_row, names_visible, sort_rows
from bot.answer.timeline import overlaps
from bot.queries import Place, Reply, WhoBooked

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.feishu.models import Room

MAX_ROWS = 40  # per card; later bookings are one button away (keeps the card far below 30 KB)
# Up to this many rooms, one read of the whole tenant's day (a page per 100 bookings) answers
# every room, floor and building for the ledger cache's lifetime: a 40-room tenant's day is 2
# pages, well under Feishu's 100 reads a minute however many rooms people ask about.
WHOLE_TENANT_ROOMS = 100
MAX_ROOM_FILTER = 100  # several places named at once: their rooms as the list API's room filter


def answer_who_booked(query: WhoBooked, ctx: AnswerContext) -> Reply:
    """List the bookings of the place's rooms over the window: reserver, times, check-in state."""
    # every place asked about at once ("Mercury and Jupiter"): one card, the same calls
    places = (query.place, *query.more)
    rooms = list({r.room_id: r for p in places for r in ctx.directory.place_rooms(p)}.values())
    show_names = names_visible(ctx.settings, ctx.chat_type)
    ledger, data_age = _ledger_rows(query, rooms, ctx, show_names)
    rows = sort_rows(via_roombot(ledger + _future_rows(query, rooms, ctx, show_names), query, ctx,
                                 show_names))
    shown, more_from, omitted = paginate(rows, MAX_ROWS)
    data: dict[str, Any] = {
        "place": _place(query.place, rooms, ctx, query.more),
        "window": windows.describe(query.window),
        "now": ctx.now,
        "multi_day": windows.spans_days(query.window),
        "multi_room": len(rooms) != 1,
        "names_shown": show_names,
        "topics_shown": ctx.settings.privacy.show_topics,
        "uses_freebusy": query.window.end > windows.next_day_start(ctx.now),
        "rows": shown,
        "total": len(rows),
        "omitted": omitted,
        "more_from": more_from,
        "buttons": _buttons(query, ctx, more_from),
        "data_age": int(data_age),  # seconds; > 0 when the ledger came from the cache
    }
    return Reply(card="who_booked", data=data, lang=query.lang)


def _ledger_rows(query: WhoBooked, rooms: Sequence[Room], ctx: AnswerContext,
                 show_names: bool) -> tuple[list[Row], float]:
    """Bookings up to the end of today from the reservation list (whole days, through the
    gateway's ledger cache), and the age of that data in seconds."""
    window = query.window
    end = min(window.end, windows.next_day_start(ctx.now))
    if window.start >= end or not rooms:
        return [], 0.0
    level_id, room_ids = _scope(query.place, rooms, ctx, several=bool(query.more))
    # Read from the day's midnight so meetings that began before the window but overlap it are
    # included; the list API never takes a future start, and its end may lie later today.
    found = ctx.gateway.ledger(level_id, windows.day_start(window.start), end, room_ids=room_ids,
                               need_topic=ctx.settings.privacy.show_topics, fresh=ctx.fresh)
    wanted = {room.room_id for room in rooms}
    return [ledger_row(r, show_names=show_names, show_topics=ctx.settings.privacy.show_topics)
            for r in found.rows
            if overlaps(r, window.start, end) and (not r.room_id or r.room_id in wanted)
            ], found.age_seconds


def _future_rows(query: WhoBooked, rooms: Sequence[Room], ctx: AnswerContext,
                 show_names: bool) -> list[Row]:
    """Bookings on days after today, from free/busy (organizer only)."""
    start = max(query.window.start, windows.next_day_start(ctx.now))
    if start >= query.window.end or not rooms:
        return []
    names = {room.room_id: room.name for room in rooms}
    busy = ctx.gateway.freebusy(list(names), start, query.window.end)
    return [busy_row(b, names.get(room_id, room_id), show_names=show_names)
            for room_id, intervals in busy.items() for b in intervals
            if overlaps(b, start, query.window.end)]


def _scope(place: Place, rooms: Sequence[Room], ctx: AnswerContext,
           several: bool = False) -> tuple[str, tuple[str, ...]]:
    """The reservation list's room level and room filter: the whole tenant when it is small
    and reads are shared, else the room's own level for one room, or the floor or building."""
    if ctx.gateway.ledger_shared and len(ctx.directory.rooms) <= WHOLE_TENANT_ROOMS:
        return ctx.settings.bot.room_level_id, ()
    if place.kind == "room" and len(rooms) == 1:
        return rooms[0].level_id or ctx.settings.bot.room_level_id, (rooms[0].room_id,)
    if several:  # several places named at once: their rooms, or the whole tenant for many
        ids = tuple(room.room_id for room in rooms) if len(rooms) <= MAX_ROOM_FILTER else ()
        return ctx.settings.bot.room_level_id, ids
    if place.kind in ("floor", "building") and place.id:
        return place.id, ()
    return ctx.settings.bot.room_level_id, ()


def via_roombot(rows: list[Row], query: WhoBooked, ctx: AnswerContext, show_names: bool) -> list[Row]:
    """Mark the rows roombot booked: Feishu shows an app's event with no organizer, so the person
    it was booked for comes from the bookings ledger (shown as a mention Feishu names)."""
    if ctx.store is None:
        return rows
    ours = {(b.room_id, int(b.start), int(b.end)): b for b in ctx.store.bookings_between(
        query.window.start.timestamp(), query.window.end.timestamp())}
    for row in rows:
        booking = ours.get((row["room_id"], int(row["start"].timestamp()), int(row["end"].timestamp())))
        if booking is not None:
            row["via_roombot"] = True
            row["private"] = False
            row["booked_for"] = booking.requester if show_names else ""
    return rows


def paginate(rows: list[Row], limit: int) -> tuple[list[Row], datetime | None, int]:
    """Cut rows at a start-time boundary: (shown, start of the next page or None, rows skipped).

    The next page is the same question from that start time, so a cut never splits the bookings
    starting at one moment; only when more than `limit` start together are some skipped.
    """
    if len(rows) <= limit:
        return rows, None, 0
    boundary = rows[limit]["start"]
    cut = limit
    while cut > 0 and rows[cut - 1]["start"] == boundary:
        cut -= 1
    if cut:
        return rows[:cut], boundary, 0
    later = [i for i, row in enumerate(rows) if row["start"] > boundary]
    if not later:
        return rows[:limit], None, len(rows) - limit
    return rows[:limit], rows[later[0]]["start"], later[0] - limit


def _place(place: Place, rooms: Sequence[Room], ctx: AnswerContext,
           more: tuple[Place, ...] = ()) -> dict[str, Any]:
    room = rooms[0] if place.kind == "room" and len(rooms) == 1 else None
    return {"kind": place.kind, "label": " / ".join(p.label for p in (place, *more)),
            "location": ctx.directory.location_label(room) if room else "",
            "rooms": len(rooms)}


def _buttons(query: WhoBooked, ctx: AnswerContext, more_from: datetime | None) -> list[dict[str, Any]]:
    lang, place, window = query.lang, query.place, query.window
    buttons = []
    if more_from is not None:
        later = WhoBooked(lang, place, windows.from_(window, more_from), query.more)
        buttons.append(followups.button("more", later, more_from, "primary"))
    refresh = followups.button("refresh", query)
    refresh["value"]["fresh"] = True  # Refresh reads Feishu now, past the ledger cache
    buttons.append(refresh)
    buttons += followups.day_buttons(WhoBooked, lang, place, window, query.more)
    buttons += followups.free_here(lang, place, window, ctx)
    buttons += followups.subscribe_here(lang, place, ctx)
    return buttons
