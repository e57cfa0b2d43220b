"""The daily digest of one subscription: a day's no-shows and early releases, each one named
(worst first, up to MAX_INCIDENTS rows), with the change versus the day before.

The digest run reads the day once for every subscription and reduces it at once (`day_data`) to
per-room counts and the day's incidents, so the rows of a 2,000-room day are dropped before any
card is built and a card only adds up its scope's rooms. The day before comes as per-room counts
too (remembered by an earlier run, or reduced from its rows).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from bot.answer import AnswerContext
from bot.feishu.models import Reservation
from bot.insights import outcomes
from bot.insights.incidents import (
    REPEAT_DAYS,
    Counts,
    DayInsights,
    Event,
    Group,
    NoShowMark,
    Offender,
    count,
    events,
    offenders,
)
from bot.queries import CurrentNoShows, Digest, Lang, Place, Reply, Report, Unsubscribe, Window
from bot.understand import actions

TOP_ROOMS = 5
TOP_PEOPLE = 5
MAX_INCIDENTS = 20  # named no-shows and early releases on one card; the rest behind "details"
_COUNT_FIELDS = tuple(f.name for f in fields(Counts))


@dataclass(frozen=True)
class DayData:
    """The digest day reduced: Counts per room key and every incident; the day before's Counts
    per room key; 7 days of no-show marks (empty when unknown or not needed)."""

    day: date
    counts: Mapping[str, Counts]  # per room key (`room_key`)
    events: Sequence[Event]  # the day's no-shows and early releases, in start order
    before: Mapping[str, Counts]
    marks: Sequence[NoShowMark] = field(default_factory=list)
    method: str = ""


def room_key(row: Reservation) -> str:
    """The room a row counts for: its id, or its name when the directory did not know it."""
    return row.room_id or "name:" + outcomes.norm(row.room_name)


def room_counts(rows: Iterable[Reservation]) -> dict[str, Counts]:
    """Counts per room key over (de-duplicated) rows: one pass, whatever the number of scopes."""
    by_room: dict[str, list[Reservation]] = defaultdict(list)
    for row in rows:
        by_room[room_key(row)].append(row)
    return {key: count(found) for key, found in by_room.items()}


def day_data(day: date, rows: Sequence[Reservation], tz: tzinfo,
             before: Mapping[str, Counts] | None = None, marks: Sequence[NoShowMark] = (),
             method: str = "", counts: Mapping[str, Counts] | None = None) -> DayData:
    """Reduce de-duplicated rows of `day` (and of the day before, when `before` is None);
    `counts` are the day's room counts when the caller has them already."""
    today = outcomes.starting_on(rows, day, tz)
    if before is None:
        before = room_counts(outcomes.starting_on(rows, day - timedelta(days=1), tz))
    return DayData(day, counts if counts is not None else room_counts(today),
                   events(today), before, list(marks), method)


def day_insights(data: DayData, ctx: AnswerContext, rooms: set[str] | None) -> DayInsights:
    """What insights.analyse would say about the day's rows in these rooms (None = all)."""
    groups = []
    for key, counts in data.counts.items():
        if rooms is None or key in rooms:
            room = ctx.directory.room(key)
            label = room.name if room else key.removeprefix("name:")
            groups.append(Group(key, label, counts,
                                         ctx.directory.location_label(room) if room else ""))
    worst = sorted(groups, key=lambda g: (-g.counts.no_shows, -g.counts.early_releases,
                                          -g.counts.reclaimed, g.label))
    return DayInsights((data.day,), add_counts(g.counts for g in groups), tuple(worst), (), (), (),
                       tuple(sorted(groups, key=lambda g: (-g.counts.held, g.label))),
                       tuple(e for e in data.events if rooms is None or e.row.room_id in rooms))


def answer_digest(query: Digest, ctx: AnswerContext, data: DayData) -> Reply:
    """The digest card's data for one place and day, from the day reduced once per run."""
    rooms = None if query.place.kind == "tenant" else {
        room.room_id for room in ctx.directory.place_rooms(query.place)}
    today = day_insights(data, ctx, rooms)
    before = scope_total(data.before, rooms)
    first = query.day - timedelta(days=REPEAT_DAYS - 1)
    repeat = offenders(data.marks, first, query.day, rooms) if data.marks else []
    window = day_window(query.day, ctx)
    found = digest_data(today, before, query, repeat, bool(data.marks), window)
    found.update(incidents(today, query, ctx))
    found["via_roombot"] = given_back(ctx, window, rooms)
    return Reply("digest", found, query.lang)


def given_back(ctx: AnswerContext, window: Window, rooms: set[str] | None) -> dict[str, Any]:
    """Room instances released early through roombot in the window (the audit log), and the
    room-hours that gave back: from each release (or the booking's start, for one released
    ahead of it from a reminder) to the booking's end."""
    if ctx.store is None:
        return {"count": 0, "hours": 0.0}
    start, end = window.start.timestamp(), window.end.timestamp()
    released = [a for a in ctx.store.audit_since(start, "release") if a.at < end
                and (rooms is None or a.room_id in rooms)]
    seconds = sum(max(0.0, float(a.detail.get("end", 0)) - max(float(a.detail.get("released_at", a.at)),
                                                                 float(a.detail.get("start", 0))))
                  for a in released)
    return {"count": len(released), "hours": round(seconds / 3600, 1)}


def add_counts(counts: Iterable[Counts]) -> Counts:
    """The field-wise sum of counts."""
    total = [getattr(Counts(), name) for name in _COUNT_FIELDS]
    for one in counts:
        total = [a + getattr(one, name) for a, name in zip(total, _COUNT_FIELDS, strict=True)]
    return Counts(*total)


def scope_total(by_room: Mapping[str, Counts], room_ids: set[str] | None) -> Counts:
    """The sum over a scope's rooms (None = every room, also rooms known only by name)."""
    return add_counts(c for key, c in by_room.items() if room_ids is None or key in room_ids)


def incidents(found: DayInsights, query: Digest, ctx: AnswerContext) -> dict[str, Any]:
    """Every no-show (longest booking first) and early release (most time given back first),
    up to MAX_INCIDENTS rows shared between the two; people only when the chat may see them."""
    misses = sorted((e for e in found.events if e.kind == "no_show"),
                    key=lambda e: (e.row.start - e.row.end, e.row.start, e.room_label))
    releases = sorted((e for e in found.events if e.kind == "early_release"),
                      key=lambda e: (-e.given_back, e.row.start, e.room_label))
    if "no_shows" not in query.kinds:
        misses = []
    if "early_releases" not in query.kinds:
        releases = []
    shown_misses = min(len(misses), max(MAX_INCIDENTS - len(releases), MAX_INCIDENTS // 2))
    shown_releases = min(len(releases), MAX_INCIDENTS - shown_misses)
    rows = [_incident(e, query.names, ctx) for e in misses[:shown_misses]]
    rows += [_incident(e, query.names, ctx) for e in releases[:shown_releases]]
    return {"no_show_rows": [r for r in rows if r["kind"] == "no_show"],
            "release_rows": [r for r in rows if r["kind"] == "early_release"],
            "incidents_more": len(misses) + len(releases) - len(rows)}


def _incident(event: Event, names: bool, ctx: AnswerContext) -> dict[str, Any]:
    """One named incident: when, where, who (when allowed), and what was given back."""
    row, tz = event.row, ctx.settings.bot.tz
    room = ctx.directory.room(row.room_id) if row.room_id else None
    released = row.release_time.astimezone(tz) if row.release_time else None
    return {"kind": event.kind, "room": event.room_label,
            "place": ctx.directory.location_label(room) if room else "",
            "time": f"{row.start.astimezone(tz):%H:%M}–{row.end.astimezone(tz):%H:%M}",
            "who": row.reserver if names else "", "department": row.department if names else "",
            "released": f"{released:%H:%M}" if released else "",
            "by": row.releaser if names else "", "how": event.release_kind,
            "minutes": int(event.given_back.total_seconds() // 60)}


def day_window(day: date, ctx: AnswerContext) -> Window:
    """The whole local day as a Window."""
    tz = ctx.settings.bot.tz
    start = datetime.combine(day, time(0), tzinfo=tz)
    return Window(start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz), True)


def digest_data(today: DayInsights, before: Counts, query: Digest,
                repeat: Sequence[Offender], repeat_known: bool,
                window: Window) -> dict[str, Any]:
    """Template data for the digest card: plain numbers and strings."""
    lang, place, names = query.lang, query.place, query.names
    previous = Window(window.start - timedelta(days=1), window.start, True)
    kinds = report_kinds(query.kinds)
    return {
        "day": today.days[0], "place": place.label, "kinds": list(kinds),
        "totals": totals_data(today.totals), "previous": totals_data(before),
        "change": {"no_shows": today.totals.no_shows - before.no_shows,
                   "early_releases": today.totals.early_releases - before.early_releases,
                   "reclaimed_hours": _hours(today.totals.reclaimed - before.reclaimed)},
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
        "no_shows_now": actions.encode(CurrentNoShows(lang, place)),
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


def totals_data(counts: Counts) -> dict[str, Any]:
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


def _room(group: Group) -> dict[str, Any]:
    return {"name": group.label, "location": group.detail, "no_shows": group.counts.no_shows,
            "early_releases": group.counts.early_releases, "bookings": group.counts.bookings,
            "reclaimed_hours": _hours(group.counts.reclaimed),
            "held_hours": _hours(group.counts.held),
            "no_show_rate": _pct(group.counts.no_show_rate)}


def _pct(rate: float | None) -> int | None:
    return None if rate is None else round(rate * 100)


def _hours(span: timedelta) -> float:
    return round(span.total_seconds() / 3600, 1)
