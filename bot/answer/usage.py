"""Usage answers over past days: utilisation, peak hours, idle rooms and right-sizing of a room, a
floor, a building or the whole tenant, with charts.

The rows come the way reports get theirs (the reservation list for up to two days, the export
beyond, de-duplicated); `bot.insights.usage` computes; `templates/usage.json.j2` words it and draws the
charts from the lists here. A card stays small whatever the tenant's size: at most `MAX_ROWS`
rows a table and `MAX_BARS` bars a chart (floors or buildings for the tenant, the busiest first).
The card names no people and shows no meeting titles, so every privacy setting gives the same card.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.answer import AnswerContext
from bot.answer.digest import given_back
from bot.answer.report import LIST_DAYS, report_days
from bot.directory.tree import Directory
from bot.feishu.errors import FeishuError
from bot.feishu.models import Reservation, Room
from bot.insights import outcomes, usage, working_time
from bot.queries import USAGE_FOCUSES, Place, Reply, Usage, Window
from bot.understand import actions

log = logging.getLogger(__name__)

MAX_ROWS = 20  # rows of a table (the card must stay under 30 KB)
MAX_BARS = 20  # bars of a room, floor or building chart
MAX_DAYS = 31  # bars of a room's day-by-day chart
MAX_FIT_BARS = 12  # rooms in the right-sizing chart
LEAST_USED = 5  # rooms shown when none is idle
BANDS = ((0.05, "<5%"), (0.2, "5–20%"), (0.4, "20–40%"), (0.6, "40–60%"),
         (float("inf"), "≥60%"))  # utilisation bands of the idle-rooms chart
DAY = timedelta(days=1)


def answer_usage(query: Usage, ctx: AnswerContext) -> Reply:
    """The place's usage over the window's past days, focused on one question."""
    days = report_days(query.window, ctx.now)
    base = {"focus": query.focus, "place": query.place.label, "kind": query.place.kind,
            "label": query.window.label, "start": query.window.start,
            "buttons": follow_ups(query)}
    if not days:
        return Reply("usage", {**base, "status": "future"}, query.lang)
    window = working_time.Window(days[0], days[-1], ctx.now, ctx.settings.insights.working)
    rows, method = fetch(query.place, ctx, window)
    rooms = ctx.directory.place_rooms(query.place)
    data = usage_data(query, rows, rooms, window, ctx.directory)
    ids = None if query.place.kind == "tenant" else {room.room_id for room in rooms}
    data["via_roombot"] = given_back(ctx, _through_now(query.window, ctx.now), ids)
    return Reply("usage", {**base, **data, "status": "ok", "method": method}, query.lang)


def _through_now(window: Window, now: datetime) -> Window:
    """A window "up to now" ends at the minute now is in: releases made this minute count."""
    minute = now.replace(second=0, microsecond=0)
    return replace(window, end=minute + timedelta(minutes=1)) if minute <= window.end <= now else window


def fetch(place: Place, ctx: AnswerContext, window: working_time.Window) -> tuple[list[Reservation], str]:
    """The window's rows, de-duplicated: the list API for short windows, the export for longer."""
    level, room_ids = ctx.settings.bot.room_level_id, ()
    if place.kind in ("floor", "building"):
        level = place.id
    elif place.kind == "room":
        room_ids = (place.id,)
    start = datetime.combine(window.first, time(0), window.tz)
    end = min(datetime.combine(window.last + DAY, time(0), window.tz), ctx.now)
    if (window.last - window.first).days + 1 > LIST_DAYS:
        try:
            rows = ctx.gateway.export_reservations(level, start, end, room_ids=room_ids,
                                                  room_ids_by_name=ctx.directory.ids_by_name)
            return outcomes.dedupe(outcomes.resolve_rooms(rows, ctx.directory)), "export"
        except FeishuError as exc:
            log.warning("usage export failed, paging instead: %s", exc)
    return outcomes.dedupe(ctx.gateway.reservations(level, start, end, room_ids=room_ids)), "paging"


def usage_data(query: Usage, rows: Sequence[Reservation], rooms: Sequence[Room],
               window: working_time.Window, directory: Directory) -> dict[str, Any]:
    """Template data: the place's numbers, then what the focus shows (pure; for tests too)."""
    measured = usage.measure(rows, rooms, window)
    sizes = usage.right_sizing(rows, rooms, window)
    data = summary(usage.group(measured), sizes, window)
    if query.focus == "utilisation":
        ranked = sorted(measured, key=lambda u: (-u.utilisation, u.room.name))
        data.update(rooms=[room_row(u, directory) for u in ranked[:MAX_ROWS]],
                    rooms_more=max(0, len(ranked) - MAX_ROWS),
                    bars=bars(query.place, measured, rows, window, directory))
    elif query.focus == "peak":
        data["hours"] = [{"hour": f"{hour:02d}:00", "value": pct(share)}
                         for hour, share in usage.peak_hours(measured, window)]
    elif query.focus == "idle":
        idle = usage.idle_rooms(measured)
        least = [] if idle else sorted(measured, key=lambda u: (u.utilisation, u.room.name))
        data.update(idle=[room_row(u, directory) for u in idle[:MAX_ROWS]],
                    idle_more=max(0, len(idle) - MAX_ROWS),
                    least=[room_row(u, directory) for u in least[:LEAST_USED]],
                    bands=bands(measured))
    else:
        data.update(sizes=[size_row(s, directory) for s in sizes[:MAX_ROWS]],
                    sizes_more=max(0, len(sizes) - MAX_ROWS),
                    fit_bars=min(len(sizes), MAX_FIT_BARS))
    return data


def summary(total: usage.GroupUsage, sizes: Sequence[usage.SizeRow],
            window: working_time.Window) -> dict[str, Any]:
    """What every usage card shows: the place's numbers, the working time, the flag counts."""
    working, days = window.working, (window.last - window.first).days + 1
    return {"first": window.first, "last": window.last, "total": numbers(total),
            "rooms_count": total.rooms, "idle_count": total.idle_rooms,
            "working": {"hours": f"{working.start:%H:%M}–{working.end:%H:%M}",
                        "days": [working_time.DAY_NAMES[d] for d in sorted(working.days)],
                        "count": sum((window.first + n * DAY).weekday() in working.days
                                     for n in range(days))},
            "sized": len(sizes), "oversized": sum(s.oversized for s in sizes),
            "too_small": sum(s.too_small for s in sizes)}


def pct(share: float) -> float:
    """A share as a percentage with one decimal."""
    return round(100 * share, 1)


def hours(span: timedelta) -> float:
    """A duration in hours with one decimal."""
    return round(span.total_seconds() / 3600, 1)


def numbers(found: usage.Usage) -> dict[str, Any]:
    """Utilisation, used and ghost shares (percent), held and working hours, bookings."""
    return {"util": pct(found.utilisation), "used": pct(found.used_share),
            "ghost": pct(found.ghost_share), "held": hours(found.held),
            "working": hours(found.working), "bookings": found.bookings}


def room_row(found: usage.RoomUsage, directory: Directory) -> dict[str, Any]:
    """One room's numbers for a table."""
    return {"name": found.room.name, "where": directory.location_label(found.room),
            "capacity": found.room.capacity, **numbers(found)}


def size_row(found: usage.SizeRow, directory: Directory) -> dict[str, Any]:
    """One room's fit: capacity against the median head-count, and how often it overflowed."""
    flag = "oversized" if found.oversized else "too_small" if found.too_small else ""
    median = found.median_people
    return {"name": found.room.name, "where": directory.location_label(found.room),
            "capacity": found.room.capacity, "bookings": found.bookings,
            "median": int(median) if median.is_integer() else median,
            "over": pct(found.over_share), "flag": flag}


def bars(place: Place, measured: Sequence[usage.RoomUsage], rows: Sequence[Reservation],
         window: working_time.Window, directory: Directory) -> dict[str, Any]:
    """The utilisation chart's bars: a room by day, a floor by room, a building by floor, the
    tenant by floor (by building when there are too many floors), busiest first."""
    if place.kind == "room":
        return {"by": "day", "points": by_day(measured, rows, window), "more": 0}
    if place.kind == "floor":
        items = [(u.room.name, u.utilisation) for u in measured]
        by = "room"
    else:
        groups = usage.by_level(measured, directory, "floor")
        by = "floor"
        if place.kind == "tenant" and len(groups) > MAX_BARS:
            buildings = usage.by_level(measured, directory, "building")
            groups, by = (buildings, "building") if len(buildings) > 1 else (groups, by)
        items = [(_level_label(g, place, directory), g.utilisation) for g in groups]
    items.sort(key=lambda item: (-item[1], item[0]))
    points = [{"name": name, "value": pct(share)} for name, share in items[:MAX_BARS]]
    return {"by": by, "points": points,
            "more": max(0, len(items) - MAX_BARS)}


def _level_label(found: usage.GroupUsage, place: Place, directory: Directory) -> str:
    """A floor as "4F" inside its building, "T2 · 4F" across the tenant."""
    level = directory.level(found.key)
    if level is None or place.kind == "building":
        return found.label
    return directory.level_place(level).label


def by_day(measured: Sequence[usage.RoomUsage], rows: Sequence[Reservation],
           window: working_time.Window) -> list[dict[str, Any]]:
    """One room's utilisation on each working day of the window that has begun."""
    rooms = [u.room for u in measured]
    items = []
    day = window.first
    while day <= window.last and len(items) < MAX_DAYS:
        one = replace(window, first=day, last=day)
        if rooms and day.weekday() in window.working.days:
            [found] = usage.measure(rows, rooms, one)
            if found.working:
                items.append({"name": f"{day:%m-%d}", "value": pct(found.utilisation)})
        day += DAY
    return items


def bands(measured: Sequence[usage.RoomUsage]) -> list[dict[str, Any]]:
    """How many rooms fall in each utilisation band (<5 %, 5–20 %, ... ≥60 %)."""
    counts = [0] * len(BANDS)
    for found in measured:
        counts[next(i for i, (top, _) in enumerate(BANDS) if found.utilisation < top)] += 1
    return [{"band": label, "rooms": n} for (_, label), n in zip(BANDS, counts, strict=True)]


def follow_ups(query: Usage) -> list[dict[str, Any]]:
    """The period before, then the other three questions about the same place and period."""
    previous = replace(query, window=previous_window(query.window))
    return [{"key": "previous", "value": actions.encode(previous)},
            *({"key": focus, "value": actions.encode(replace(query, focus=focus))}
              for focus in USAGE_FOCUSES if focus != query.focus)]


def previous_window(window: Window) -> Window:
    """The period before: the previous calendar month or week when the window is one (maybe cut
    at now), else as many whole days as the window covers."""
    start, end = window.start, window.end
    partial = end.timetz().replace(tzinfo=None) != time(0)  # cut at now, not at a midnight
    month_end = _midnight((start.date().replace(day=28) + 4 * DAY).replace(day=1), start)
    if start.day == 1 and (end == month_end or (partial and end <= month_end)):
        return Window(_midnight((start.date() - DAY).replace(day=1), start), start, True)
    if start.weekday() == 0 and (end == start + 7 * DAY or (partial and end <= start + 7 * DAY)):
        return Window(start - 7 * DAY, start, True)
    covered = max(1, -(-(end - start) // DAY))
    return Window(start - covered * DAY, start, True)


def _midnight(day: date, like: datetime) -> datetime:
    """Local midnight starting `day`, in `like`'s timezone."""
    return datetime.combine(day, time(0), like.tzinfo)
