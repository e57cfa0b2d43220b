"""The inbox: every acknowledged event is committed here first, then answered exactly once.

`record` commits an item before Feishu gets its 200 and wakes a worker. A worker `claim`s the
oldest item with a short lease, which a heartbeat renews while it works; if the worker dies
(`kill -9`) the lease lapses within seconds and another worker claims the item again. Attempts are
counted per claim, so an item that keeps failing, or keeps killing its worker, ends as a dead
letter after `max_attempts` and never holds up the others. The inbox does not care which door an
item came in by (the webhook today, a long connection later).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from bot.receive.events import Inbound, from_payload, kind_of, to_payload
from bot.store import InboundEvent, Store

log = logging.getLogger(__name__)

LEASE_SECONDS = 10.0  # a dead worker's item is claimed again this soon
RETRY_SECONDS = 15.0  # a failed attempt waits this long (Feishu's own first retry interval)
FLUSH_SECONDS = 0.2  # finished items are marked done together, at most this late


class Semaphore(Protocol):
    def acquire(self, block: bool = ..., timeout: float | None = ...) -> bool: ...
    def release(self) -> None: ...


@dataclass(frozen=True)
class Claimed:
    """An item a worker holds: what to answer and how many times it has been claimed."""

    key: str
    item: Inbound | None  # None when the stored payload cannot be read back (a dead letter)
    attempts: int


class Inbox:
    """Durable, leased, exactly-once delivery of inbound items from the doors to the workers."""

    def __init__(self, store: Store, wakeup: Semaphore | None = None, *,
                 lease_seconds: float = LEASE_SECONDS, retry_seconds: float = RETRY_SECONDS) -> None:
        self.store = store
        self._wakeup = wakeup or threading.Semaphore(0)
        self.lease_seconds = lease_seconds
        self.retry_seconds = retry_seconds
        self._held: set[str] = set()
        self._finished: list[str] = []
        self._held_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._housekeeping: threading.Thread | None = None
        self._closed = threading.Event()

    # -- the doors ---------------------------------------------------------------------------

    def record(self, item: Inbound, held: bool = False) -> bool:
        """Commit the item (raises StoreError if it cannot); False for a duplicate delivery.

        `held=True` records it already claimed by the caller, who must `hold` and finish it.
        """
        new = self.store.accept_event(item.dedupe_key, kind_of(item), to_payload(item),
                                      lease_seconds=self.lease_seconds if held else 0.0)
        if new and not held:
            self._wakeup.release()
        return new

    # -- the workers -------------------------------------------------------------------------

    def wait(self, timeout: float) -> bool:
        """Sleep until an item may have arrived (or `timeout` passed, as a backstop poll)."""
        return self._wakeup.acquire(True, timeout)

    def nudge(self) -> None:
        """Wake a sleeping worker (e.g. to see that it should stop)."""
        self._wakeup.release()

    def claim(self, limit: int = 1) -> list[Claimed]:
        """Lease up to `limit` of the oldest waiting items (one transaction)."""
        return [self._claimed(event) for event in self.store.claim_batch(limit,
                                                                        self.lease_seconds)]

    @staticmethod
    def _claimed(event: InboundEvent) -> Claimed:
        try:
            item: Inbound | None = from_payload(event.kind, event.payload)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("event %s: stored payload unreadable: %s", event.key, exc)
            item = None
        return Claimed(event.key, item, event.attempts)

    @contextmanager
    def holding(self, key: str) -> Iterator[None]:
        """Keep renewing the lease of `key` while the caller works on it."""
        with self._held_lock:
            self._held.add(key)
            if self._housekeeping is None:
                self._housekeeping = threading.Thread(target=self._housekeep, daemon=True,
                                                      name="roombot-inbox")
                self._housekeeping.start()
        try:
            yield
        finally:
            with self._held_lock:
                self._held.discard(key)

    def done(self, key: str) -> None:
        """The item was answered. It is marked done with others within FLUSH_SECONDS, still
        under its lease: a crash before that re-answers it with the same uuid, which Feishu
        de-duplicates, so nothing is posted twice."""
        with self._held_lock:
            self._finished.append(key)
            now = self._housekeeping is None
        if now:
            self.flush()

    def flush(self) -> None:
        """Mark every finished item done now (after any flush already under way)."""
        with self._flush_lock:
            with self._held_lock:
                keys, self._finished = self._finished, []
            if keys:
                self.store.mark_done(*keys)

    def failed(self, key: str, error: str) -> bool:
        """Count a failed attempt; True when the item is now a dead letter."""
        return self.store.mark_failed(key, error, retry_after_seconds=self.retry_seconds)

    def dead(self, key: str, error: str) -> None:
        """Give the item up for good, with one log line."""
        log.error("event %s: dead letter: %s", key, error)
        self.store.mark_dead(key, error)

    @property
    def max_attempts(self) -> int:
        return self.store.max_attempts

    def close(self) -> None:
        """Stop the housekeeping thread after marking every finished item done."""
        self._closed.set()
        self.flush()

    def _housekeep(self) -> None:
        """Mark finished items done every FLUSH_SECONDS; renew held leases every third of one."""
        renewed = time.monotonic()
        while not self._closed.wait(FLUSH_SECONDS):
            try:
                self.flush()
                if time.monotonic() - renewed >= self.lease_seconds / 3:
                    renewed = time.monotonic()
                    with self._held_lock:
                        keys = sorted(self._held)
                    self.store.renew_leases(keys, self.lease_seconds)
            except Exception:  # the next round tries again; a lapsed lease means a re-answer
                log.exception("inbox: housekeeping failed")
