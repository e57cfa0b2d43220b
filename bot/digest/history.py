"""Keep the days digests look back on remembered, so that a digest run reads only its own days.

A daily digest compares with the day before and counts repeat offenders over 7 days; a weekly one
compares with the week before. Each run remembers the finished days it reads (bot/digest/facts.py),
and `fill_history` reads the finished days of the last LOOK_BACK_DAYS that are not remembered yet.
The scheduler's leader calls it every few minutes while anyone subscribes (one store query when
nothing is missing), a chunk of days at a time so that a digest due meanwhile never waits long.
So the first digest after a subscription finds its history in place; a run that still misses
days (history unreadable, or a subscription made moments before) reads them itself.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from bot.digest import facts
from bot.digest.fetch import DigestDataError, Progress, read_chunks
from bot.feishu.errors import FeishuError
from bot.insights.incidents import Counts
from bot.respond import Responder

log = logging.getLogger(__name__)

DayFacts = tuple[date, dict[str, Counts], list[facts.NoShow]]  # a day, its room counts, no-shows
LOOK_BACK_DAYS = 21  # a weekly digest posted on a Sunday compares with the week 14..20 days back


def missing_days(responder: Responder) -> list[date]:
    """The finished days of the last LOOK_BACK_DAYS whose facts are not remembered, oldest first."""
    now = responder.now()
    first, last = now.date() - timedelta(days=LOOK_BACK_DAYS), now.date() - timedelta(days=1)
    known = facts.remembered_days(responder.store, first, last)
    return [day for day in facts.days_between(first, last)
            if day not in known and facts.is_final(day, now)]


def read_and_remember(responder: Responder, first: date, last: date,
                      progress: Progress) -> Iterator[list[DayFacts]]:
    """Read first..last from Feishu a chunk at a time, remember each finished day, and give each
    chunk's days back as (day, room counts, no-shows); DigestDataError or FeishuError when a
    chunk is unreadable."""
    for lo, hi, rows, _method in read_chunks(responder, first, last, progress):
        reduced = facts.reduce_days(rows, facts.days_between(lo, hi), responder.settings.bot.tz)
        del rows  # the next chunk is read only after the caller is done with this one
        for day, facts_of_day in reduced.items():
            facts.remember(responder.store, day, facts_of_day, responder.now())
        yield [(day, found.counts, found.misses) for day, found in reduced.items()]


def fill_history(responder: Responder, *, max_chunks: int | None = None,
                 progress: Progress | None = None) -> list[date]:
    """Read and remember missing days (at most `max_chunks` reads; None = all); returns the days
    remembered. An unreadable chunk stops the fill: the next call tries again."""
    progress = progress or (lambda _message: None)
    done: list[date] = []
    reads = 0
    for first, last in _runs(missing_days(responder)):
        try:
            for chunk in read_and_remember(responder, first, last, progress):
                done += [day for day, _counts, _misses in chunk]
                reads += 1
                if max_chunks is not None and reads >= max_chunks:
                    return done
        except (DigestDataError, FeishuError) as exc:
            log.warning("history: %s..%s unreadable, will try again: %s", first, last, exc)
            return done
    if done:
        log.info("history: remembered %d day(s), %s..%s", len(done), done[0], done[-1])
    return done


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days grouped into runs of consecutive days."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def backfill(responder: Responder, weeks: int,
             on_days: Callable[[int, int], None] | None = None) -> list[date]:
    """Read and remember every finished day of the last `weeks` weeks not remembered yet (for the
    dashboard), through the export or paging as a digest reads; `on_days(done, total)` after each
    chunk. Raises DigestDataError or FeishuError when a chunk is unreadable (what is done stays)."""
    now = responder.now()
    first, last = now.date() - timedelta(days=7 * weeks), now.date() - timedelta(days=1)
    known = facts.remembered_days(responder.store, first, last)
    missing = [day for day in facts.days_between(first, last)
               if day not in known and facts.is_final(day, now)]
    done: list[date] = []
    told = on_days or (lambda _done, _total: None)

    def report(count: int, finished: bool = False) -> None:
        told(count, len(missing))
        note_progress(responder.store, count, len(missing), responder.now(), finished)

    report(0)
    try:
        for lo, hi in _runs(missing):
            for chunk in read_and_remember(responder, lo, hi, lambda _message: None):
                done += [day for day, _counts, _misses in chunk]
                report(len(done))
    finally:
        report(len(done), finished=True)
    return done


BACKFILL_PROGRESS = "backfill_progress"  # a day fact of one sentinel day: the last backfill's state
PROGRESS_DAY = date(1970, 1, 1)


def note_progress(store: Any, done: int, total: int, now: datetime, finished: bool) -> None:
    """Remember how far the running (or last) backfill got, for the dashboard's progress line."""
    store.put_fact(BACKFILL_PROGRESS, PROGRESS_DAY, {"done": done, "total": total,
                                                     "at": now.isoformat(), "finished": finished})


def backfill_progress(store: Any) -> dict[str, Any] | None:
    """The last backfill's {done, total, at, finished}, or None if none ran."""
    return store.facts(BACKFILL_PROGRESS, PROGRESS_DAY, PROGRESS_DAY).get(PROGRESS_DAY)
