"""One builder per intent: a Reading (plus now and the directory) becomes a Query.

Decisions worth knowing:
- an is-free question naming no place becomes FindFree over the whole tenant;
- a who-booked question naming no place asks about the whole tenant;
- a who-booked question about a room, floor or building at a time still to come today ("who
  booked Mercury at 4pm" at 10:20) becomes IsFree: the reservation ledger knows today's later
  bookings only as they stand, free/busy knows who holds the room then, and the is-free card
  names the holder and until when;
- reports and subscriptions, which have no question to ask back, take the best guess for an
  ambiguous floor; a report may be about one room, a subscription only about an area.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.queries import (
    TENANT,
    BadTime,
    ChooseRoom,
    FindFree,
    Help,
    IsFree,
    ListSubscriptions,
    Place,
    Query,
    Report,
    Subscribe,
    UnknownRoom,
    Unsubscribe,
    Usage,
    WhoBooked,
    Window,
)
from bot.understand import when
from bot.understand.intent import Intent, signals
from bot.understand.where import Where, locate, locate_area

if TYPE_CHECKING:
    from bot.directory.tree import Directory
    from bot.understand.reading import Reading

Builder = Callable[["Reading", datetime, "Directory", int], Query]


def _about(question: WhoBooked | IsFree, where: Where) -> Query:
    """Point a question at the place found, or ask back (ChooseRoom / UnknownRoom)."""
    if where.more:
        question = replace(question, more=where.more)
    if where.place:
        return replace(question, place=where.place)
    if where.options:
        return ChooseRoom(question.lang, where.said, where.options,
                          replace(question, place=where.options[0]))
    if where.unknown:
        return UnknownRoom(question.lang, where.said, where.suggestions, question)
    return question


def later_today(window: Window, now: datetime) -> bool:
    """True for a time (not a whole day) that starts later today."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return not window.whole_day and now.replace(second=0, microsecond=0) < window.start < midnight


def _who(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Who booked a room, floor, building (or the whole tenant)."""
    window = when.resolve(r.time, now, "who", r.lang, slot)
    if isinstance(window, BadTime):
        return window
    where = locate(r, directory)
    if where.found and later_today(window, now):
        return _about(IsFree(r.lang, TENANT, window), where)
    return _about(WhoBooked(r.lang, TENANT, window), where)


def _free(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Is a room, floor or building free; with no place at all, find a free room instead."""
    where = locate(r, directory)
    if not where.found:
        return _find(r, now, directory, slot)
    window = when.resolve(r.time, now, "free", r.lang, slot)
    if isinstance(window, BadTime):
        return window
    return _about(IsFree(r.lang, TENANT, window), where)


def _find(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Find free rooms with enough seats, inside a floor or building if one was named."""
    window = when.resolve(r.time, now, "find", r.lang, slot)
    if isinstance(window, BadTime):
        return window
    area = locate_area(r, directory)
    question = FindFree(r.lang, window, r.capacity, area.place or TENANT)
    if area.options:
        return ChooseRoom(r.lang, area.said, area.options,
                          replace(question, place=area.options[0]))
    return question


def _area_or_tenant(r: Reading, directory: Directory) -> Place:
    """The floor/building named (best guess when ambiguous), else the whole tenant."""
    area = locate_area(r, directory)
    return area.place or (area.options[0] if area.options else TENANT)


def _report(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """An on-demand no-show / early-release report, for a room, an area or the whole tenant."""
    window = when.resolve(r.time, now, "report", r.lang, slot)
    if isinstance(window, BadTime):
        return window
    kinds = signals(r.rest).report_kinds
    rooms = [m.places[0] for m in r.rooms if len(m.places) == 1]
    place = rooms[0] if rooms else _area_or_tenant(r, directory)
    return Report(r.lang, kinds, window, place)


def _subscribe(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Subscribe this chat to the daily or weekly digest, maybe at a time (and a weekday: "every
    Friday", "每周五") and for a place; naming a weekday makes it weekly unless "daily" was said."""
    if r.time.error:
        return BadTime(r.lang, r.time.said, r.time.error)
    at = when.clock_time(r.time.start, r.time.part) if r.time.start else None
    sig = signals(r.rest)
    kinds = sig.report_kinds or ("no_shows", "early_releases")
    day = r.time.day.weekday if r.time.day and r.time.day.kind == "weekday" else None
    if sig.weekly or (day is not None and not sig.daily):
        return Subscribe(r.lang, kinds, at, _area_or_tenant(r, directory), "weekly", day)
    return Subscribe(r.lang, kinds, at, _area_or_tenant(r, directory))


def _unsubscribe(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Stop this chat's digests, all of them or one place's, daily, weekly or both."""
    place = _area_or_tenant(r, directory)
    sig = signals(r.rest)
    period = "weekly" if sig.weekly else "daily" if sig.daily else None
    return Unsubscribe(r.lang, None if place == TENANT else place, period)


def _list(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Show this chat's subscriptions."""
    return ListSubscriptions(r.lang)


USAGE_DAYS = {"utilisation": 7, "peak": 7, "idle": 30, "sizing": 30}  # no time said: the last N days
_USAGE_LABELS = {7: ("last 7 days", "最近7天"), 30: ("last 30 days", "最近30天")}


def _usage(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Utilisation, peak hours, idle rooms or right-sizing of a room, an area or the tenant,
    over past days (a report's window; with no time said, the last 7 or 30 days)."""
    focus = signals(r.rest).usage or "utilisation"
    spec = r.time
    if not spec.given:
        days = USAGE_DAYS[focus]
        spec = replace(spec, recent=days, said=_USAGE_LABELS[days][r.lang == "zh"])
    window = when.resolve(spec, now, "report", r.lang, slot)
    if isinstance(window, BadTime):
        return window
    where = locate(r, directory)
    place = where.place or (where.options[0] if where.options else TENANT)
    return Usage(r.lang, place, window, focus)  # type: ignore[arg-type]


def _help(reason: str) -> Builder:
    """A builder for a Help query with a fixed reason."""
    return lambda r, now, directory, slot: Help(r.lang, reason)  # type: ignore[arg-type]


BUILDERS: dict[Intent, Builder] = {
    "who": _who, "free": _free, "find": _find, "report": _report, "subscribe": _subscribe,
    "unsubscribe": _unsubscribe, "list_subs": _list, "help": _help("asked"),
    "greeting": _help("greeting"), "none": _help("not_understood"), "usage": _usage,
}
