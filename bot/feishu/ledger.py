"""The day-ledger cache: identical reservation-list reads share one Feishu call, and a day's
ledger, once read, answers for `ttl_seconds`.

Feishu allows the reservation list 100 calls a minute per tenant [DOC 查询会议室预定数据], and a
morning rush asks "who booked X today" hundreds of times a minute. So the gateway reads a day
once and keeps it briefly:

- **single flight**: a read of a key already being read waits for that read instead of calling
  Feishu again (its failure is shared too, so a rate limit is not multiplied);
- **expiry**: a result answers reads of the same key for `ttl_seconds`, and says how old it is,
  so the card can say so;
- **bypass**: `fresh=True` (the card's Refresh button) always calls Feishu, and its result
  replaces the cached one.

One cache per gateway, shared by the threads of a process. Worker processes each have their
own, so N processes call Feishu at most N times per key and TTL. `ttl_seconds = 0` turns all of
it off: every read calls Feishu, as before the cache existed.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime

from bot.feishu.models import Reservation
from bot.observe import metrics

MAX_ENTRIES = 256  # days x scopes; a small tenant uses one entry per day


@dataclass(frozen=True)
class LedgerRead:
    """Reservations read through the cache, and how old the oldest part of them is."""

    rows: tuple[Reservation, ...]
    age_seconds: float = 0.0  # 0 when Feishu was read for this question (or a question in flight)


@dataclass(frozen=True)
class _Entry:
    rows: tuple[Reservation, ...]
    read_at: float  # monotonic time the read started: the data is at least this fresh


class LedgerCache:
    """Single-flight reads with a short time to live, keyed by whatever identifies a read."""

    def __init__(self, ttl_seconds: float, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = max(0.0, ttl_seconds)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}
        self._flights: dict[Hashable, Future[_Entry]] = {}

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def read(self, key: Hashable, fetch: Callable[[], Sequence[Reservation]], *,
             fresh: bool = False) -> LedgerRead:
        """The rows for `key`: cached, shared with a read in flight, or fetched now."""
        if not self.enabled:
            metrics.LEDGER_READS.labels("uncached").inc()
            return LedgerRead(tuple(fetch()))
        with self._lock:
            now = self._monotonic()
            entry = None if fresh else self._entries.get(key)
            if entry is not None and now - entry.read_at < self.ttl:
                metrics.LEDGER_READS.labels("hit").inc()
                return LedgerRead(entry.rows, now - entry.read_at)
            flight = None if fresh else self._flights.get(key)
            if flight is None:
                flight = self._flights[key] = Future()
                leader = True
            else:
                leader = False
        if not leader:
            metrics.LEDGER_READS.labels("shared").inc()
            return LedgerRead(flight.result().rows)
        metrics.LEDGER_READS.labels("fresh" if fresh else "miss").inc()
        return LedgerRead(self._lead(key, flight, fetch, now).rows)

    def _lead(self, key: Hashable, flight: Future[_Entry],
              fetch: Callable[[], Sequence[Reservation]], started: float) -> _Entry:
        """Call Feishu for everyone waiting on `flight`; keep the result unless a newer one is."""
        try:
            entry = _Entry(tuple(fetch()), started)
        except BaseException as exc:
            self._land(key, flight)
            flight.set_exception(exc)
            raise
        with self._lock:
            held = self._entries.get(key)
            if held is None or held.read_at <= started:
                self._entries[key] = entry
            self._prune()
        self._land(key, flight)
        flight.set_result(entry)
        return entry

    def _land(self, key: Hashable, flight: Future[_Entry]) -> None:
        """Stop offering `flight` to new readers (a newer Refresh may have replaced it)."""
        with self._lock:
            if self._flights.get(key) is flight:
                del self._flights[key]

    def _prune(self) -> None:
        """Drop expired entries, then the oldest ones beyond MAX_ENTRIES (under the lock)."""
        now = self._monotonic()
        for key in [k for k, e in self._entries.items() if now - e.read_at >= self.ttl]:
            del self._entries[key]
        while len(self._entries) > MAX_ENTRIES:
            oldest = min(self._entries, key=lambda k: self._entries[k].read_at)
            del self._entries[oldest]

    def clear(self) -> None:
        """Forget every cached day (reads in flight finish normally)."""
        with self._lock:
            self._entries.clear()


def local_days(start: datetime, end: datetime, now: datetime) -> list[datetime]:
    """Local midnights of the days [start, end) touches, none after `now` (the list API's rule)."""
    tz = start.tzinfo
    days: list[datetime] = []
    day = start.date()
    while (midnight := datetime.combine(day, dtime(0), tz)) < end and midnight <= now:
        days.append(midnight)
        day += timedelta(days=1)
    return days


def next_midnight(midnight: datetime) -> datetime:
    """The local midnight after `midnight` (a calendar day, whatever the clock change)."""
    return datetime.combine(midnight.date() + timedelta(days=1), dtime(0), midnight.tzinfo)
