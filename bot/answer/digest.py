"""The daily digest of one subscription: a day's no-shows and early releases, with the change
versus the day before. The digest run fetches the day once for every subscription and passes it in.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot import actions, insights
from bot.answer import AnswerContext
from bot.feishu.models import Reservation
from bot.insights import DayInsights, NoShowMark
from bot.queries import Digest, Lang, Place, Reply, Report, Unsubscribe, Window

TOP_ROOMS = 5
TOP_PEOPLE = 5


@dataclass(frozen=True)
class DayData:
    """The rows of the digest day and the day before, plus 7 days of no-show marks."""

    day: date
    rows: list[Reservation]
    marks: list[NoShowMark]
    method: str


def answer_digest(query: Digest, ctx: AnswerContext, data: DayData) -> Reply:
    """The digest card's data for one place and day, from rows fetched once per run."""
    tz, directory = ctx.settings.bot.tz, ctx.directory
    rooms = None if query.place.kind == "tenant" else {
        room.room_id for room in directory.place_rooms(query.place)}
    scoped = insights.in_rooms(data.rows, rooms)
    today = insights.analyse(scoped, [query.day], tz, directory)
    before = insights.analyse(scoped, [query.day - timedelta(days=1)], tz, directory)
    first = query.day - timedelta(days=insights.REPEAT_DAYS - 1)
    repeat = insights.offenders(data.marks, first, query.day, rooms) if data.marks else []
    window = day_window(query.day, ctx)
    return Reply("digest", digest_data(today, before, query, repeat, bool(data.marks), window),
                 query.lang)


def day_window(day: date, ctx: AnswerContext) -> Window:
    """The whole local day as a Window."""
    tz = ctx.settings.bot.tz
    start = datetime.combine(day, time(0), tzinfo=tz)
    return Window(start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz), True)


def digest_data(today: DayInsights, before: DayInsights, query: Digest,
                repeat: Sequence[insights.Offender], repeat_known: bool,
                window: Window) -> dict[str, Any]:
    """Template data for the digest card: plain numbers and strings."""
    lang, place, names = query.lang, query.place, query.names
    previous = Window(window.start - timedelta(days=1), window.start, True)
    kinds = report_kinds(query.kinds)
    return {
        "day": today.days[0], "place": place.label, "kinds": list(kinds),
        "totals": totals_data(today.totals), "previous": totals_data(before.totals),
        "change": {"no_shows": today.totals.no_shows - before.totals.no_shows,
                   "early_releases": today.totals.early_releases - before.totals.early_releases,
                   "reclaimed_hours": _hours(today.totals.reclaimed - before.totals.reclaimed)},
        "worst_rooms": [_room(g) for g in today.rooms
                        if g.counts.no_shows or g.counts.early_releases][:TOP_ROOMS],
        "busiest": [_room(g) for g in today.busiest if g.counts.bookings][:3],
        "names": names, "repeat_known": repeat_known,
        "repeat": [{"name": o.name, "department": o.department, "no_shows": o.no_shows}
                   for o in repeat[:TOP_PEOPLE]] if names else [],
        "repeat_count": len(repeat),
        "details": actions.encode(Report(lang, kinds, window, place)),
        "previous_day": actions.encode(Report(lang, kinds, previous, place)),
        "unsubscribe": actions.encode(Unsubscribe(lang, place)),
    }


def report_kinds(kinds: Sequence[str]) -> tuple[Any, ...]:
    """Report kinds in the canonical order (both when none given)."""
    picked = tuple(k for k in actions.REPORT_KINDS if k in kinds)
    return picked or actions.REPORT_KINDS


def digest_query(lang: str, place: Place, day: date, kinds: Sequence[str],
                 names: bool) -> Digest:
    """The Digest query of a subscription."""
    return Digest(_lang(lang), place, day, report_kinds(kinds), names)


def _lang(lang: str) -> Lang:
    return "zh" if lang == "zh" else "en"


def totals_data(counts: insights.Counts) -> dict[str, Any]:
    """Counts as the templates show them."""
    return {
        "bookings": counts.bookings, "no_shows": counts.no_shows,
        "needed_check_in": counts.needed_check_in, "checked_in": counts.checked_in,
        "exempt": counts.exempt, "pending": counts.pending,
        "no_show_rate": _pct(counts.no_show_rate), "early_releases": counts.early_releases,
        "manual": counts.manual_releases, "sensor": counts.sensor_releases,
        "early_release_rate": _pct(counts.early_release_rate),
        "reclaimed_hours": _hours(counts.reclaimed), "no_show_hours": _hours(counts.no_show_time),
        "booked_hours": _hours(counts.booked),
    }


def _room(group: insights.Group) -> dict[str, Any]:
    return {"name": group.label, "location": group.detail, "no_shows": group.counts.no_shows,
            "early_releases": group.counts.early_releases, "bookings": group.counts.bookings,
            "reclaimed_hours": _hours(group.counts.reclaimed),
            "held_hours": _hours(group.counts.held),
            "no_show_rate": _pct(group.counts.no_show_rate)}


def _pct(rate: float | None) -> int | None:
    return None if rate is None else round(rate * 100)


def _hours(span: timedelta) -> float:
    return round(span.total_seconds() / 3600, 1)
