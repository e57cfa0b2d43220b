"""The weekly digest of one subscription: a Monday-to-Sunday week of a place, with charts.

No-shows and early releases with the change versus the week before, utilisation per floor (a
chart), peak hours (a chart), idle rooms, right-sizing flags and repeat offenders (when privacy
allows). The run (bot/digest/weekly.py) reads the week once for every subscription and reduces it
to per-room numbers (`WeekData`); this module only selects a scope's rooms and adds them up, so a
card costs milliseconds whatever the tenant's size. Usage numbers come from `bot.insights.usage`, shaped
like the on-demand usage answer's (bot/answer/usage.py).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.answer import AnswerContext
from bot.answer.digest import TOP_PEOPLE, given_back, report_kinds, scope_total, totals_data
from bot.answer.usage import bars, numbers, pct, room_row, size_row
from bot.insights import incidents, usage, working_time
from bot.insights.incidents import Counts, NoShowMark
from bot.queries import Place, Reply, Report, Unsubscribe, Usage, WeeklyDigest, Window
from bot.understand import actions

MAX_IDLE = 10  # idle rooms listed
MAX_FLAGS = 10  # right-sizing flags listed


@dataclass(frozen=True)
class WeekData:
    """One week reduced to per-room numbers: everything a weekly card of any scope needs."""

    window: working_time.Window  # Monday..Sunday, cut at now
    counts: Mapping[str, Counts]  # this week, per room key (bot.answer.digest.room_key)
    before: Mapping[str, Counts] | None  # the week before; None when it could not be read
    usages: Mapping[str, usage.RoomUsage]  # per room id, every room of the directory
    sizes: Mapping[str, usage.SizeRow]  # right-sizing per room id (rooms with enough bookings)
    marks: Sequence[NoShowMark]  # the week's no-shows
    method: str


def week_of(day: date) -> tuple[date, date]:
    """The Monday and Sunday of the week that contains `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def answer_weekly_digest(query: WeeklyDigest, ctx: AnswerContext, data: WeekData) -> Reply:
    """The weekly card's data for one place, from a week reduced once per run."""
    directory, window = ctx.directory, data.window
    rooms = directory.place_rooms(query.place)
    ids = None if query.place.kind == "tenant" else {room.room_id for room in rooms}
    this = scope_total(data.counts, ids)
    before = scope_total(data.before, ids) if data.before is not None else None
    measured = [data.usages[room.room_id] for room in rooms if room.room_id in data.usages]
    total = usage.group(measured, "place", query.place.id, query.place.label)
    idle = usage.idle_rooms(measured)
    sizes = [data.sizes[room.room_id] for room in rooms if room.room_id in data.sizes]
    flagged = sorted((s for s in sizes if s.oversized or s.too_small),
                     key=lambda s: (not s.too_small, s.median_people / s.room.capacity, s.room.name))
    repeat = incidents.offenders(data.marks, window.first, window.last, ids)
    kinds = report_kinds(query.kinds)
    found: dict[str, Any] = {
        "first": window.first, "last": window.last, "place": query.place.label,
        "kinds": list(kinds), "partial": window.now < _midnight(window.last + timedelta(days=1), ctx),
        "now": window.now, "totals": totals_data(this),
        "previous": totals_data(before) if before is not None else None,
        "change": _change(this, before), "use": numbers(total), "rooms_count": len(rooms),
        "working": f"{window.working.start:%H:%M}–{window.working.end:%H:%M}",
        "bars": bars(query.place, measured, [], window, directory),
        "hours": [{"hour": f"{hour:02d}:00", "value": pct(share)}
                  for hour, share in usage.peak_hours(measured, window)],
        "idle": [room_row(u, directory) for u in idle[:MAX_IDLE]], "idle_count": len(idle),
        "sizes": [size_row(s, directory) for s in flagged[:MAX_FLAGS]], "sized": len(sizes),
        "oversized": sum(s.oversized for s in sizes), "too_small": sum(s.too_small for s in sizes),
        "names": query.names, "repeat_count": len(repeat),
        "repeat": [{"name": o.name, "department": o.department, "no_shows": o.no_shows}
                   for o in repeat[:TOP_PEOPLE]] if query.names else [],
    }
    found["via_roombot"] = given_back(ctx, week_window(query.first, ctx), ids)
    found.update(buttons(query, ctx))
    return Reply("weekly_digest", found, query.lang)


def _change(this: Counts, before: Counts | None) -> dict[str, Any] | None:
    """This week minus the week before (None when the week before is unknown)."""
    if before is None:
        return None
    return {"no_shows": this.no_shows - before.no_shows,
            "early_releases": this.early_releases - before.early_releases,
            "reclaimed_hours": round((this.reclaimed - before.reclaimed).total_seconds() / 3600, 1)}


def buttons(query: WeeklyDigest, ctx: AnswerContext) -> dict[str, Any]:
    """Details (every incident of the week), the week's utilisation, unsubscribe from weekly."""
    week = week_window(query.first, ctx)
    return {"details": actions.encode(Report(query.lang, report_kinds(query.kinds), week, query.place)),
            "usage": actions.encode(Usage(query.lang, query.place, week, "utilisation")),
            "unsubscribe": actions.encode(Unsubscribe(query.lang, query.place, "weekly"))}


def week_window(first: date, ctx: AnswerContext) -> Window:
    """Monday 00:00 to the next Monday 00:00, as a whole-day Window."""
    return Window(_midnight(first, ctx), _midnight(first + timedelta(days=7), ctx), True,
                  f"{first:%m-%d} – {first + timedelta(days=6):%m-%d}")


def weekly_query(lang: str, place: Place, first: date, kinds: Sequence[str],
                 names: bool) -> WeeklyDigest:
    """The WeeklyDigest query of a subscription."""
    return WeeklyDigest("zh" if lang == "zh" else "en", place, first, report_kinds(kinds), names)


def _midnight(day: date, ctx: AnswerContext) -> datetime:
    return datetime.combine(day, time(0), ctx.settings.bot.tz)
