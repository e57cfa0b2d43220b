"""Reading whole days of reservations for digests: the export for big tenants, paging for small.

Rows come de-duplicated, cut to meetings that start on the days asked, with export rows' rooms
resolved by name. A room name or id the directory does not know makes the directory re-list once
(a room added since the snapshot). Long spans are read in chunks of days (`chunks`) so that a
2,000-room week never sits in memory at once: each chunk is reduced and dropped by the caller.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from bot.directory.tree import Directory
from bot.feishu.errors import FeishuError
from bot.feishu.models import Reservation
from bot.insights import outcomes
from bot.respond import Responder

log = logging.getLogger(__name__)

ROWS_PER_ROOM = 5  # rough bookings per room per day, to guess when the export is cheaper
BUSY_ROWS_PER_ROOM = 10  # bookings per room on a busy working day, to size chunks
QUIET_ROWS_PER_ROOM = 2  # ... and on a day off
CHUNK_ROWS = 60_000  # rows read at once (about 1.4 KB each in the xlsx reader while it reads)
EXPORT_BUDGET_SECONDS = 300.0  # a background export may take minutes on a big tenant
EXPORT_MAX_DAYS = 31  # the export's window [DOC 导出会议室预定数据: at most 31 days]
Progress = Callable[[str], None]


class DigestDataError(RuntimeError):
    """The days' reservations could not be fetched: no digest is posted."""


def midnight(day: date, responder: Responder) -> datetime:
    """Local midnight starting `day`."""
    return datetime.combine(day, time(0), tzinfo=responder.settings.bot.tz)


def prefer_export(responder: Responder, days: int = 1) -> bool:
    """The async export is cheaper than paging for a big tenant or several days."""
    rooms = len(responder.directory.get().rooms)
    return days > 2 or rooms * ROWS_PER_ROOM > responder.settings.digest.export_threshold


def expected_rows(responder: Responder) -> Callable[[date], int]:
    """A guess of a day's bookings, to size reads: busy on working days, quiet on days off."""
    rooms = max(1, len(responder.directory.get().rooms))
    working = responder.settings.insights.working.days
    return lambda day: rooms * (BUSY_ROWS_PER_ROOM if day.weekday() in working
                                else QUIET_ROWS_PER_ROOM)


def plan_chunks(first: date, last: date, cost: Callable[[date], float],
                budget: float) -> list[tuple[date, date]]:
    """first..last cut into consecutive spans whose summed `cost` stays within `budget` (a day
    that alone is over budget is a span of its own)."""
    spans: list[tuple[date, date]] = []
    start, spent, day = first, 0.0, first
    while day <= last:
        if spent and spent + cost(day) > budget:
            spans.append((start, day - timedelta(days=1)))
            start, spent = day, 0.0
        spent += cost(day)
        day += timedelta(days=1)
    if first <= last:
        spans.append((start, last))
    return spans


def chunks(first: date, last: date, days: int) -> list[tuple[date, date]]:
    """first..last cut into spans of at most `days` days."""
    return plan_chunks(first, last, lambda _day: 1, days)


def read_chunks(responder: Responder, first: date, last: date, progress: Progress,
                days: int | None = None) -> Iterator[tuple[date, date, list[Reservation], str]]:
    """(first day, last day, rows, method) for each chunk of first..last (`days` long, or by
    default as many days as make about CHUNK_ROWS bookings, and never more than the export's 31),
    each read only when the previous one is done with; DigestDataError or FeishuError when one is unreadable."""
    planned = chunks(first, last, days) if days else plan_chunks(
        first, last, expected_rows(responder), CHUNK_ROWS)
    spans = [span for lo, hi in planned for span in chunks(lo, hi, EXPORT_MAX_DAYS)]
    for lo, hi in spans:
        # no local name for the rows: a suspended generator would keep them alive while the
        # next chunk is read
        yield (lo, hi, *fetch_rows(responder, lo, hi, progress))


def fetch_rows(responder: Responder, first: date, last: date, progress: Progress,
               export: bool | None = None) -> tuple[list[Reservation], str]:
    """Every reservation starting on first..last, whole tenant: export (falling back to paging)
    or paging; DigestDataError when the days cannot be read completely."""
    root = responder.settings.bot.room_level_id
    start = midnight(first, responder)
    end = min(midnight(last + timedelta(days=1), responder), responder.now())
    use_export = prefer_export(responder, (last - first).days + 1) if export is None else export
    method = "paging"
    rows: list[Reservation] = []
    if use_export:
        try:
            rows = responder.gateway.export_reservations(
                root, start, end, on_progress=lambda stage: progress(f"export {stage}"),
                time_budget=EXPORT_BUDGET_SECONDS,
                room_ids_by_name=responder.directory.get().ids_by_name)
            method = "export"
        except FeishuError as exc:
            log.warning("export of %s..%s failed, paging instead: %s", first, last, exc)
            progress(f"export failed ({exc.code}), paging instead")
            method = "export->paging"
    if method != "export":
        rows = _page(responder, root, first, last, progress)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    rows = outcomes.dedupe(outcomes.starting_on(rows, days, responder.settings.bot.tz))
    return resolve(responder, rows), method


def _page(responder: Responder, root: str, first: date, last: date,
          progress: Progress) -> list[Reservation]:
    """The list API one day at a time (each day its own time budget)."""
    rows: list[Reservation] = []
    day = first
    while day <= last:
        progress(f"reading reservations of {day}")
        start = midnight(day, responder)
        try:
            rows += responder.gateway.reservations(root, start, start + timedelta(days=1))
        except FeishuError as exc:
            raise DigestDataError(f"reservations of {day} could not be read: {exc}") from exc
        day += timedelta(days=1)
    return rows


def resolve(responder: Responder, rows: list[Reservation]) -> list[Reservation]:
    """Fill in export rows' room ids; a room the directory does not know re-lists it (once)."""
    directory = responder.directory.get()
    unknown = _resolve_in_place(rows, directory)
    if unknown:
        fresh = responder.directory.refresh_unknown(*sorted(unknown))
        if fresh is not None and fresh is not directory:
            _resolve_in_place(rows, fresh)
    return rows


def _resolve_in_place(rows: list[Reservation], directory: Directory) -> set[str]:
    """Give export rows still without one their room id, slot by slot. Returns the room names
    and ids that the directory does not know."""
    ids: dict[str, str] = {}
    unknown: set[str] = set()
    for index, row in enumerate(rows):
        if row.room_id:
            if directory.room(row.room_id) is None:
                unknown.add(row.room_id)
            continue
        if row.room_name not in ids:
            room = directory.room_by_name(row.room_name)
            ids[row.room_name] = room.room_id if room else ""
        if ids[row.room_name]:
            rows[index] = _with_room(row, ids[row.room_name])
        else:
            unknown.add(row.room_name)
    return unknown


def _with_room(row: Reservation, room_id: str) -> Reservation:
    """A copy of the row with its room id (only rows whose name is not exactly in the
    directory get here: the others were given their id while the export was read)."""
    return replace(row, room_id=room_id)
