"""Build and post the weekly digests: read the week once, one card per subscription, each sent once.

The week (Monday to Sunday, cut at now) is read in chunks of days (bot/digest/fetch.py) and each
chunk is reduced at once to per-room numbers (counts, usage, head-counts) and dropped, so a
2,000-room week never sits in memory. The week before is needed only as per-room counts: the
daily digests and the history job remember them (bot/digest/facts.py, history.py); days still
missing are read the same way.
Exactly once per (chat, week, place): the store claim's day is the week's Monday.
"""
from __future__ import annotations

import logging
from array import array
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import cast

from bot.answer.digest import add_counts
from bot.answer.weekly_digest import WeekData, answer_weekly_digest, week_of, weekly_query
from bot.digest import facts
from bot.digest.fetch import DigestDataError, Progress, read_chunks
from bot.digest.history import read_and_remember
from bot.digest.run import (
    DigestRun,
    digest_kind,
    names_allowed,
    not_yet_sent,
    send_once,
    subscription_place,
)
from bot.feishu.errors import FeishuError
from bot.feishu.models import Reservation, Room
from bot.insights import usage, working_time
from bot.insights.incidents import Counts, NoShowMark
from bot.render.cards import render
from bot.respond import Responder

log = logging.getLogger(__name__)


def last_complete_week(today: date) -> tuple[date, date]:
    """The Monday and Sunday of the last week that ended before `today`."""
    return week_of(today - timedelta(days=today.weekday() + 1))


def run_weekly_digests(responder: Responder, day: date | None = None, chat_id: str | None = None,
                       dry_run: bool = False, on_progress: Progress | None = None,
                       at: str | None = None, weekday: int | None = None) -> DigestRun:
    """Post (or with dry_run, build) the digest of the week containing `day` (default: the last
    complete week) for each weekly subscription (of one chat, or due at one weekday and time)."""
    progress = on_progress or (lambda _message: None)
    now = responder.now()
    first, last = week_of(day) if day else last_complete_week(now.date())
    run = DigestRun(first, period="weekly")
    subs = [s for s in responder.store.subscriptions(chat_id) if s.period == "weekly"
            and (at is None or s.at == at) and (weekday is None or s.weekday == weekday)]
    if not dry_run:
        subs = not_yet_sent(responder, subs, first, run)
    if first > now.date():
        run.failed.append(("*", f"the week of {first} has not started"))
        return run
    if not subs:
        progress("no weekly subscriptions to serve")
        return run
    before = responder.gateway.calls.total
    try:
        data = fetch_week_data(responder, first, last, progress)
    except (DigestDataError, FeishuError) as exc:
        log.error("weekly digest %s: no data, nothing posted: %s", first, exc)
        run.failed.append(("*", str(exc)))
        run.calls = responder.gateway.calls.total - before
        return run
    run.method = data.method
    for sub in subs:
        query = weekly_query(sub.lang, subscription_place(responder, sub), first, sub.kinds,
                             names_allowed(responder, sub))
        card = render(answer_weekly_digest(query, responder.context(sub.chat_id, sub.chat_type),
                                           data))
        if dry_run:
            run.cards.append(card)
        else:
            send_once(responder, sub, first, digest_kind(sub), card, run, progress)
    run.calls = responder.gateway.calls.total - before
    log.info("%s", run)
    return run


@dataclass(slots=True)
class _Fit:
    """The fields of a booking that right-sizing reads (a Reservation costs ~1.7 KB; this ~0.1)."""

    room_id: str
    room_name: str
    start: datetime
    accepted: int
    guests: int


class _Fits:
    """Every booking's room, start and head-counts in flat arrays: a few bytes a booking, and
    nothing that pins the memory of the chunk it was read from."""

    def __init__(self, rooms: tuple[Room, ...]) -> None:
        self.rooms = rooms
        self.index = {room.room_id: i for i, room in enumerate(rooms)}
        self.room, self.start = array("I"), array("d")
        self.accepted, self.guests = array("I"), array("I")

    def add(self, rows: list[Reservation]) -> None:
        """Remember the bookings of rooms in the directory."""
        for row in rows:
            i = self.index.get(row.room_id)
            if i is not None:
                self.room.append(i)
                self.start.append(row.start.timestamp())
                self.accepted.append(max(0, row.accepted))
                self.guests.append(max(0, row.guests))

    def rows(self, tz: tzinfo) -> list[_Fit]:
        """The bookings back as objects with the fields right-sizing reads."""
        return [_Fit(self.rooms[i].room_id, "", datetime.fromtimestamp(start, tz), accepted, guests)
                for i, start, accepted, guests in zip(self.room, self.start, self.accepted,
                                                      self.guests, strict=True)]


class _Week:
    """Per-room sums over the chunks of a week."""

    def __init__(self, responder: Responder, window: working_time.Window) -> None:
        self.rooms = responder.directory.get().rooms
        self.window, self.tz = window, responder.settings.bot.tz
        self.days: list[dict[str, Counts]] = []
        self.usages: dict[str, usage.RoomUsage] = {}
        self.fits = _Fits(self.rooms)
        self.marks: list[NoShowMark] = []
        self.methods: list[str] = []

    def add(self, counts: dict[str, Counts], misses: list[facts.NoShow]) -> None:
        """Fold one day's counts and no-shows in."""
        self.days.append(counts)
        self.marks += [n.mark for n in misses]

    def add_rows(self, rows: list[Reservation], method: str) -> None:
        """Fold one chunk's rows in: usage and head-counts."""
        for found in usage.measure(rows, self.rooms, self.window):
            had = self.usages.get(found.room.room_id)
            self.usages[found.room.room_id] = found if had is None else _plus(had, found)
        self.fits.add(rows)
        if method not in self.methods:
            self.methods.append(method)

    def result(self, before: dict[str, Counts] | None) -> WeekData:
        """The week's per-room numbers."""
        fits = cast(list[Reservation], self.fits.rows(self.tz))  # right_sizing reads only these
        sizes = {s.room.room_id: s for s in usage.right_sizing(fits, self.rooms, self.window)}
        return WeekData(self.window, sum_by_room(self.days), before, self.usages, sizes,
                        self.marks, "+".join(self.methods) or "-")


def _plus(a: usage.RoomUsage, b: usage.RoomUsage) -> usage.RoomUsage:
    """One room's usage over two sets of bookings of the same window (that do not overlap)."""
    return replace(a, held=a.held + b.held, used=a.used + b.used, ghost=a.ghost + b.ghost,
                   bookings=a.bookings + b.bookings,
                   hourly=tuple(x + y for x, y in zip(a.hourly, b.hourly, strict=True)))


def fetch_week_data(responder: Responder, first: date, last: date, progress: Progress,
                    chunk: int | None = None) -> WeekData:
    """Read the week (up to now) chunk by chunk (of `chunk` days, default: sized to the tenant)
    into per-room numbers; remember finished days."""
    now, store, tz = responder.now(), responder.store, responder.settings.bot.tz
    window = working_time.Window(first, last, now, responder.settings.insights.working)
    week = _Week(responder, window)
    for lo, hi, rows, method in read_chunks(responder, first, min(last, now.date()), progress,
                                            chunk):
        for day, reduced in facts.reduce_days(rows, facts.days_between(lo, hi), tz).items():
            facts.remember(store, day, reduced, now)
            week.add(reduced.counts, reduced.misses)
        week.add_rows(rows, method)
        del rows  # the next chunk is read only now
    return week.result(previous_counts(responder, first - timedelta(days=7),
                                       first - timedelta(days=1), progress))


def previous_counts(responder: Responder, first: date, last: date,
                    progress: Progress) -> dict[str, Counts] | None:
    """Per-room counts of first..last: remembered days, the others read (and remembered);
    None when a day cannot be read (the card then shows no change numbers)."""
    known = facts.known_counts(responder.store, first, last)
    missing = [d for d in facts.days_between(first, last) if d not in known]
    by_day = list(known.values())
    if missing:
        progress(f"reading {len(missing)} day(s) of the week before")
        try:
            for chunk in read_and_remember(responder, missing[0], missing[-1], progress):
                by_day += [counts for day, counts, _misses in chunk if day in missing]
        except (DigestDataError, FeishuError) as exc:
            log.warning("weekly digest: the week before is unreadable, no change shown: %s", exc)
            return None
    return sum_by_room(by_day)


def sum_by_room(days: list[dict[str, Counts]]) -> dict[str, Counts]:
    """Per-room counts of several days added up."""
    by_room: dict[str, list[Counts]] = defaultdict(list)
    for counts in days:
        for key, value in counts.items():
            by_room[key].append(value)
    return {key: add_counts(values) for key, values in by_room.items()}
