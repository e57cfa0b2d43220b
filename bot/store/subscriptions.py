"""Subscriptions of chats to daily and weekly digests, and the exactly-once claim on each digest sent.

A chat has at most one subscription per (place, period): subscribing again updates it. A digest is
claimed per (chat, day, kind) where a weekly digest's day is the Monday of its week and its kind
says "weekly:<place>"; a nudge is claimed the same way per (person, week).
"""
from __future__ import annotations

import hashlib
import logging
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.store.db import Database, utc

log = logging.getLogger(__name__)

DIGEST_LEASE_SECONDS = 300.0  # a digest left 'sending' this long by a crashed run may be re-sent
_SUB_COLS = ("id, chat_id, chat_type, level_id, level_label, kinds, at, lang, created_by, active, "
             "created_at, period, weekday")
PERIODS = ("daily", "weekly")
SUBSCRIPTION_SQL = {
    "add_subscription": "INSERT INTO subscriptions (chat_id, chat_type, level_id, level_label, "
                        "kinds, at, lang, created_by, active, created_at, updated_at, period, "
                        "weekday) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) "
                        "ON CONFLICT (chat_id, level_id, period) DO UPDATE SET "
                        "chat_type = excluded.chat_type, level_label = excluded.level_label, "
                        "kinds = excluded.kinds, at = excluded.at, lang = excluded.lang, active = 1, "
                        "inactive_reason = NULL, updated_at = excluded.updated_at, "
                        "weekday = excluded.weekday",
    "select_subscription": f"SELECT {_SUB_COLS} FROM subscriptions WHERE chat_id = ? "
                           "AND level_id = ? AND period = ?",
    "remove_subscriptions": "DELETE FROM subscriptions WHERE chat_id = ? "
                            "AND (? = 0 OR level_id = ?) AND (? = '' OR period = ?)",
    "subscriptions": f"SELECT {_SUB_COLS} FROM subscriptions WHERE (? = '' OR chat_id = ?) "
                     "AND (? = 0 OR active = 1) ORDER BY id",
    "deactivate_chat": "UPDATE subscriptions SET active = 0, inactive_reason = ?, updated_at = ? "
                       "WHERE chat_id = ? AND active = 1",
    "insert_digest": "INSERT INTO digests (chat_id, day, kind, uuid, status, attempts, claimed_at, "
                     "lease_until, token) VALUES (?, ?, ?, ?, 'sending', 1, ?, ?, ?) "
                     "ON CONFLICT (chat_id, day, kind) DO NOTHING",
    "reclaim_digest": "UPDATE digests SET status = 'sending', attempts = attempts + 1, "
                      "claimed_at = ?, lease_until = ?, token = ? WHERE chat_id = ? AND day = ? "
                      "AND kind = ? AND (status = 'released' "
                      "OR (status = 'sending' AND lease_until < ?))",
    "digest_attempts": "SELECT attempts FROM digests WHERE chat_id = ? AND day = ? AND kind = ?",
    "mark_digest_sent": "UPDATE digests SET status = 'sent', message_id = ?, sent_at = ? "
                        "WHERE chat_id = ? AND day = ? AND kind = ? AND status <> 'sent'",
    "release_digest": "UPDATE digests SET status = 'released', lease_until = 0 WHERE chat_id = ? "
                      "AND day = ? AND kind = ? AND token = ? AND status = 'sending'",
    "digest_status": "SELECT status, message_id FROM digests WHERE chat_id = ? AND day = ? "
                     "AND kind = ?",
}


@dataclass(frozen=True)
class Subscription:
    """A chat's digest subscription for one place (level_id "" = the whole tenant)."""

    id: int
    chat_id: str
    chat_type: str
    level_id: str
    level_label: str
    kinds: tuple[str, ...]
    at: str  # "HH:MM", tenant timezone
    lang: str
    created_by: str
    active: bool
    created_at: datetime  # aware, UTC
    period: str = "daily"  # "daily" or "weekly"
    weekday: int = 0  # a weekly digest's day, 0 = Monday


@dataclass(frozen=True)
class DigestClaim:
    """The right to send one digest (chat, day, kind); `uuid` is the same on every attempt."""

    chat_id: str
    day: date
    kind: str
    uuid: str
    attempt: int
    token: str


def digest_uuid(chat_id: str, day: date, kind: str) -> str:
    """The Feishu message uuid for a digest: deterministic, so a re-send is deduped by Feishu."""
    digest = hashlib.sha256(f"{chat_id}|{day.isoformat()}|{kind}".encode()).hexdigest()
    return f"dg-{digest[:40]}"  # Feishu allows <= 50 chars


class SubscriptionTable(Database):
    """Subscriptions per chat and place, and digest claims."""

    def add_subscription(self, chat_id: str, *, chat_type: str = "group", level_id: str = "",
                         level_label: str = "",
                         kinds: Sequence[str] = ("no_shows", "early_releases"),
                         at: str = "09:00", lang: str = "zh", created_by: str = "",
                         period: str = "daily", weekday: int = 0) -> Subscription:
        """Subscribe a chat for a place and period; subscribing again updates time, day, kinds
        and language."""
        if period not in PERIODS or not 0 <= weekday <= 6:
            raise ValueError(f"bad subscription period {period!r} / weekday {weekday!r}")
        now = self._clock()
        with self._db.transaction() as cur:
            cur.execute(self.sql("add_subscription"), (
                chat_id, chat_type, level_id, level_label, ",".join(kinds), at, lang, created_by,
                now, now, period, weekday))
            cur.execute(self.sql("select_subscription"), (chat_id, level_id, period))
            row = cur.fetchone()
        assert row is not None
        return _subscription(row)

    def remove_subscriptions(self, chat_id: str, level_id: str | None = None,
                             period: str | None = None) -> int:
        """Delete a chat's subscriptions (all, or those for `level_id`, of one period or both);
        return how many."""
        return self._write("remove_subscriptions", (
            chat_id, 0 if level_id is None else 1, level_id or "", period or "", period or ""))

    def subscriptions(self, chat_id: str | None = None,
                      active_only: bool = True) -> list[Subscription]:
        """Subscriptions of one chat (or all chats), oldest first."""
        chat = chat_id or ""
        rows = self._read("subscriptions", (chat, chat, 1 if active_only else 0))
        return [_subscription(row) for row in rows]

    def deactivate_chat(self, chat_id: str, reason: str) -> int:
        """Stop digests to a chat we can no longer post to; return how many subscriptions."""
        count = self._write("deactivate_chat", (reason[:500], self._clock(), chat_id))
        if count:
            log.warning("store: deactivated %d subscription(s) of chat %s: %s", count, chat_id,
                        reason)
        return count

    def claim_digest(self, chat_id: str, day: date, kind: str,
                     lease_seconds: float = DIGEST_LEASE_SECONDS) -> DigestClaim | None:
        """Claim the one send of (chat, day, kind); None if sent, or being sent by someone else."""
        now, token = self._clock(), uuidlib.uuid4().hex
        uuid = digest_uuid(chat_id, day, kind)
        key = (chat_id, day.isoformat(), kind)
        with self._db.transaction() as cur:
            cur.execute(self.sql("insert_digest"), (*key, uuid, now, now + lease_seconds, token))
            if cur.rowcount != 1:
                cur.execute(self.sql("reclaim_digest"),
                            (now, now + lease_seconds, token, *key, now))
                if cur.rowcount != 1:
                    return None
            cur.execute(self.sql("digest_attempts"), key)
            row = cur.fetchone()
        return DigestClaim(chat_id, day, kind, uuid, int(row[0]) if row else 1, token)

    def mark_digest_sent(self, claim: DigestClaim, message_id: str) -> None:
        """The digest was posted; it will never be claimed again."""
        self._write("mark_digest_sent", (message_id, self._clock(), claim.chat_id,
                                         claim.day.isoformat(), claim.kind))

    def release_digest(self, claim: DigestClaim) -> None:
        """The send failed: let a later run claim it again (with the same uuid)."""
        self._write("release_digest",
                    (claim.chat_id, claim.day.isoformat(), claim.kind, claim.token))

    def digest_status(self, chat_id: str, day: date, kind: str) -> tuple[str, str | None] | None:
        """(status, message_id) of a digest row, or None if never claimed."""
        rows = self._read("digest_status", (chat_id, day.isoformat(), kind))
        return (str(rows[0][0]), rows[0][1]) if rows else None


def _subscription(row: Sequence[Any]) -> Subscription:
    ident, chat_id, chat_type, level_id, label, kinds, at, lang, by, active, created = row[:11]
    return Subscription(int(ident), chat_id, chat_type, level_id, label,
                        tuple(k for k in kinds.split(",") if k), at, lang, by, bool(active),
                        utc(float(created)), str(row[11]), int(row[12]))
