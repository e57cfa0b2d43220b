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


def answer_who_booked(query: WhoBooked, ctx: AnswerContext) -> Reply:
    """List the bookings of the place's rooms over the window: reserver, times, check-in state."""
    rooms = ctx.directory.place_rooms(query.place)
    show_names = names_visible(ctx.settings, ctx.chat_type)
    rows = sort_rows(_ledger_rows(query, rooms, ctx, show_names)
                     + _future_rows(query, rooms, ctx, show_names))
    shown, more_from, omitted = paginate(rows, MAX_ROWS)
    data: dict[str, Any] = {
        "place": _place(query.place, rooms, ctx),
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
    }
    return Reply(card="who_booked", data=data, lang=query.lang)


def _ledger_rows(query: WhoBooked, rooms: Sequence[Room], ctx: AnswerContext,
                 show_names: bool) -> list[Row]:
    """Bookings up to the end of today, from the reservation list (one call per day)."""
    window = query.window
    end = min(window.end, windows.next_day_start(ctx.now))
    if window.start >= end or not rooms:
        return []
    level_id, room_ids = _scope(query.place, rooms, ctx)
    # Ask from the day's midnight so meetings that began before the window but overlap it are
    # included; the list API never takes a future start, and its end may lie later today.
    found = ctx.gateway.reservations(level_id, windows.day_start(window.start), end,
                                     room_ids=room_ids, need_topic=ctx.settings.privacy.show_topics)
    wanted = {room.room_id for room in rooms}
    return [ledger_row(r, show_names=show_names, show_topics=ctx.settings.privacy.show_topics)
            for r in found
            if overlaps(r, window.start, end) and (not r.room_id or r.room_id in wanted)]


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


def _scope(place: Place, rooms: Sequence[Room], ctx: AnswerContext) -> tuple[str, tuple[str, ...]]:
    """The reservation list's room level and room filter: the room's own level for one room."""
    if place.kind == "room" and len(rooms) == 1:
        return rooms[0].level_id or ctx.settings.bot.room_level_id, (rooms[0].room_id,)
    if place.kind in ("floor", "building") and place.id:
        return place.id, ()
    return ctx.settings.bot.room_level_id, ()


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


def _place(place: Place, rooms: Sequence[Room], ctx: AnswerContext) -> dict[str, Any]:
    room = rooms[0] if place.kind == "room" and rooms else None
    return {"kind": place.kind, "label": place.label,
            "location": ctx.directory.location_label(room) if room else "",
            "rooms": len(rooms)}


def _buttons(query: WhoBooked, ctx: AnswerContext, more_from: datetime | None) -> list[dict[str, Any]]:
    lang, place, window = query.lang, query.place, query.window
    buttons = []
    if more_from is not None:
        later = WhoBooked(lang, place, windows.from_(window, more_from))
        buttons.append(followups.button("more", later, more_from, "primary"))
    buttons.append(followups.button("refresh", query))
    buttons += followups.day_buttons(WhoBooked, lang, place, window)
    buttons += followups.free_here(lang, place, window, ctx)
    buttons += followups.subscribe_here(lang, place, ctx)
    return buttons
