"""The inbox table: every acknowledged event, its lease while someone answers it, and dead letters.

An item is `pending` until it is answered (`done`) or given up (`dead`). A worker claims it with a
lease; a worker that dies leaves a lease that lapses, and another claims it. Attempts are counted
when an item is claimed, so an item that kills its worker every time still reaches the dead letters.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.db import DIALECTS, Database, utc

_CLAIMABLE = "status = 'pending' AND (lease_until IS NULL OR lease_until < ?)"
EVENT_SQL = {
    "accept_event": "INSERT INTO events (key, kind, payload, received_at, attempts, lease_until) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
    "claimable": f"SELECT COUNT(*) FROM events WHERE {_CLAIMABLE}",
    # The picked keys are materialised once: PostgreSQL may re-run a plain IN (… LIMIT n)
    # subquery per row and lease more than n.
    "claim_next": "WITH picked AS MATERIALIZED (SELECT key FROM events WHERE "
                  f"{_CLAIMABLE} ORDER BY received_at LIMIT ? " "{skip_locked}) "
                  "UPDATE events SET lease_until = ?, attempts = attempts + 1 "
                  f"WHERE key IN (SELECT key FROM picked) AND {_CLAIMABLE} "
                  "RETURNING key, kind, payload, received_at, attempts",
    "claim_key": "UPDATE events SET lease_until = ?, attempts = attempts + 1 "
                 f"WHERE key = ? AND {_CLAIMABLE}",
    "pending_events": "SELECT key, kind, payload, received_at, attempts FROM events "
                      f"WHERE received_at <= ? AND {_CLAIMABLE} ORDER BY received_at",
    "renew": "UPDATE events SET lease_until = ? WHERE status = 'pending' AND key IN ({keys})",
    "mark_done": "UPDATE events SET status = 'done', done_at = ?, lease_until = NULL "
                 "WHERE key IN ({keys})",
    "mark_failed": "UPDATE events SET last_error = ?, lease_until = ?, "
                   "status = CASE WHEN attempts >= ? THEN 'dead' ELSE status END "
                   "WHERE key = ? AND status = 'pending'",
    "mark_dead": "UPDATE events SET status = 'dead', last_error = ?, lease_until = NULL "
                 "WHERE key = ? AND status = 'pending'",
    "status": "SELECT status, attempts, last_error FROM events WHERE key = ?",
    "counts": "SELECT status, COUNT(*), MIN(received_at) FROM events GROUP BY status",
    "prune_events": "DELETE FROM events WHERE status <> 'pending' AND received_at < ?",
}


@dataclass(frozen=True)
class InboundEvent:
    """An accepted inbound event waiting to be (or being) answered."""

    key: str
    kind: str
    payload: dict[str, Any]
    received_at: datetime  # aware, UTC
    attempts: int  # claims so far, this one included


class EventTable(Database):
    """Inbox rows: accept once, claim with a lease, finish, or give up."""

    def accept_event(self, key: str, kind: str, payload: dict[str, Any],
                     lease_seconds: float = 0.0) -> bool:
        """Record an event durably unless `key` was seen before; False for a duplicate.

        With `lease_seconds` the caller holds it already (one claim counted), e.g. a card click
        the web process answers in place.
        """
        text = json.dumps(payload, ensure_ascii=False, default=str)
        now = self._clock()
        lease = now + lease_seconds if lease_seconds > 0 else None
        attempts = 1 if lease is not None else 0
        return self._write("accept_event", (key, kind, text, now, attempts, lease)) == 1

    def claimable(self) -> int:
        """How many events are waiting for a worker (a read: no write lock)."""
        rows = self._read("claimable", (self._clock(),))
        return int(rows[0][0]) if rows else 0

    def claim_next(self, lease_seconds: float) -> InboundEvent | None:
        """Lease the oldest claimable event to the caller; None when there is none."""
        claimed = self.claim_batch(1, lease_seconds)
        return claimed[0] if claimed else None

    def claim_batch(self, limit: int, lease_seconds: float) -> list[InboundEvent]:
        """Lease up to `limit` of the oldest claimable events in one transaction, oldest first."""
        now = self._clock()
        with self._db.statement() as cur:
            cur.execute(self.sql("claim_next"), (now, limit, now + lease_seconds, now))
            rows = cur.fetchall()
        return sorted((_event(row) for row in rows), key=lambda e: e.received_at)

    def claim_pending(self, key: str, lease_seconds: float) -> bool:
        """Lease one pending event; False if done, dead, or leased by someone else."""
        now = self._clock()
        return self._write("claim_key", (now + lease_seconds, key, now)) == 1

    def pending_events(self, older_than_seconds: float = 0) -> list[InboundEvent]:
        """Claimable events received at least that long ago, oldest first."""
        now = self._clock()
        return [_event(row) for row in self._read("pending_events", (now - older_than_seconds, now))]

    def renew_leases(self, keys: Sequence[str], lease_seconds: float) -> None:
        """Extend the leases of the events the caller is still working on."""
        if keys:
            self._write_keys("renew", (self._clock() + lease_seconds,), keys)

    def mark_done(self, *keys: str) -> None:
        """The events were answered; they are no longer pending (one transaction)."""
        if keys:
            self._write_keys("mark_done", (self._clock(),), keys)

    def mark_failed(self, key: str, error: str, retry_after_seconds: float = 0.0) -> bool:
        """The attempt failed: retry no sooner than `retry_after_seconds`, or, after
        `max_attempts` claims, give it up. True when the event is now a dead letter."""
        retry_at = self._clock() + retry_after_seconds if retry_after_seconds > 0 else None
        self._write("mark_failed", (error[:2000], retry_at, self.max_attempts, key))
        return self.event_status(key) == "dead"

    def mark_dead(self, key: str, error: str) -> None:
        """Give the event up for good (a dead letter)."""
        self._write("mark_dead", (error[:2000], key))

    def event_status(self, key: str) -> str | None:
        """'pending', 'done' or 'dead'; None for an unknown key."""
        rows = self._read("status", (key,))
        return str(rows[0][0]) if rows else None

    def inbox_counts(self) -> dict[str, tuple[int, float | None]]:
        """status -> (count, oldest received_at epoch)."""
        return {str(status): (int(count), float(oldest) if oldest is not None else None)
                for status, count, oldest in self._read("counts", ())}

    def prune_events(self, older_than_seconds: float = 7 * 86400) -> int:
        """Forget finished events older than this (Feishu re-delivers for ~6 h at most)."""
        return self._write("prune_events", (self._clock() - older_than_seconds,))


    def _write_keys(self, name: str, params: tuple[Any, ...], keys: Sequence[str]) -> None:
        """One statement over many keys (in chunks SQLite's parameter limit allows)."""
        for first in range(0, len(keys), 500):
            chunk = keys[first:first + 500]
            sql = self.SQL[name].replace("{keys}", ", ".join("?" * len(chunk)))
            with self._db.statement() as cur:
                cur.execute(sql.format(**DIALECTS[self.dialect]), (*params, *chunk))


def _event(row: Sequence[Any]) -> InboundEvent:
    key, kind, payload, received, attempts = row
    return InboundEvent(key, kind, json.loads(payload), utc(float(received)), int(attempts))
