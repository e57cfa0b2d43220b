"""On-demand insight reports ("no-shows yesterday", "这周谁提前释放了会议室") over whole local days."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from bot.answer import AnswerContext
from bot.answer.digest import totals_data
from bot.feishu.errors import FeishuError
from bot.feishu.models import Reservation
from bot.insights import incidents, outcomes
from bot.queries import Place, Reply, Report, Window
from bot.understand import actions

log = logging.getLogger(__name__)

LIST_DAYS = 2  # up to this many days through the list API; longer windows through the export
MAX_EVENTS = 40  # rows in the card's event table (the card must stay under 30 KB)
MAX_ROOMS = 10


def report_days(window: Window, now: datetime) -> list[date]:
    """The local days a report covers: from the window's start up to its end, never past now."""
    end = min(window.end, now)
    if end <= window.start:
        return []
    last = (end - timedelta(microseconds=1)).date()
    return [window.start.date() + timedelta(days=n) for n in range((last - window.start.date()).days + 1)]


def _target(place: Place, ctx: AnswerContext) -> tuple[str, tuple[str, ...]]:
    """(room_level_id, room_ids) to ask Feishu for."""
    if place.kind in ("floor", "building"):
        return place.id, ()
    if place.kind == "room":
        return ctx.settings.bot.room_level_id, (place.id,)
    return ctx.settings.bot.room_level_id, ()


def fetch(query: Report, ctx: AnswerContext, days: Sequence[date]) -> tuple[list[Reservation], str]:
    """The window's rows: the list API day by day for short windows, the export for longer ones."""
    level, room_ids = _target(query.place, ctx)
    start, end = query.window.start, min(query.window.end, ctx.now)
    topics = ctx.settings.privacy.show_topics
    if len(days) > LIST_DAYS:
        try:
            rows = ctx.gateway.export_reservations(level, start, end, room_ids=room_ids,
                                                  need_topic=topics,
                                                  room_ids_by_name=ctx.directory.ids_by_name)
            return outcomes.resolve_rooms(rows, ctx.directory), "export"
        except FeishuError as exc:
            log.warning("report export failed, paging instead: %s", exc)
    return ctx.gateway.reservations(level, start, end, room_ids=room_ids, need_topic=topics), "paging"


def answer_report(query: Report, ctx: AnswerContext) -> Reply:
    """Count no-shows / early releases over the window and list them."""
    days = report_days(query.window, ctx.now)
    base = {"kinds": list(query.kinds), "place": query.place.label, "start": query.window.start,
            "label": query.window.label, "days": len(days),
            "previous": actions.encode(_previous(query))}
    if not days:
        return Reply("report", {**base, "status": "future"}, query.lang)
    rows, method = fetch(query, ctx, days)
    if query.place.kind != "tenant":
        rows = outcomes.in_rooms(rows, {r.room_id for r in ctx.directory.place_rooms(query.place)})
    found = incidents.analyse(rows, days, ctx.settings.bot.tz, ctx.directory)
    names = _names_allowed(ctx)
    events = [e for e in found.events if _wanted(e, query.kinds)]
    data = {**base, "status": "ok", "first": days[0], "last": days[-1], "method": method,
            "totals": totals_data(found.totals), "names": names,
            "rooms": [_room(g) for g in found.rooms if g.counts.no_shows or g.counts.early_releases][:MAX_ROOMS],
            "events": [_event(e, names, ctx) for e in events[:MAX_EVENTS]],
            "more": max(0, len(events) - MAX_EVENTS)}
    return Reply("report", data, query.lang)


def _previous(query: Report) -> Report:
    """The same report over the period just before (as long as the window)."""
    length = max(query.window.end - query.window.start, timedelta(days=1))
    days = timedelta(days=max(1, round(length / timedelta(days=1))))
    start = query.window.start - days
    return Report(query.lang, query.kinds, Window(start, query.window.start, True), query.place)


def _names_allowed(ctx: AnswerContext) -> bool:
    mode = ctx.settings.privacy.reserver_names
    return mode == "all" or (mode == "dm_only" and ctx.chat_type == "p2p")


def _wanted(event: incidents.Event, kinds: Sequence[str]) -> bool:
    return (event.kind == "no_show" and "no_shows" in kinds) or (
        event.kind == "early_release" and "early_releases" in kinds)


def _room(group: incidents.Group) -> dict[str, Any]:
    return {"name": group.label, "location": group.detail, "no_shows": group.counts.no_shows,
            "early_releases": group.counts.early_releases,
            "reclaimed_hours": round(group.counts.reclaimed.total_seconds() / 3600, 1)}


def _event(event: incidents.Event, names: bool, ctx: AnswerContext) -> dict[str, Any]:
    row, tz = event.row, ctx.settings.bot.tz
    start = row.start.astimezone(tz)
    released = row.release_time.astimezone(tz).strftime("%H:%M") if row.release_time else ""
    return {"when": f"{start:%m-%d %H:%M}–{row.end.astimezone(tz):%H:%M}", "room": event.room_label,
            "who": row.reserver if names else "", "kind": event.kind, "how": event.release_kind,
            "releaser": row.releaser if names else "", "released": released,
            "minutes_back": int(event.given_back.total_seconds() // 60),
            "topic": row.topic if ctx.settings.privacy.show_topics else ""}
