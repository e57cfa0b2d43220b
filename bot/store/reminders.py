"""Keep-or-release reminders: one row per room instance (room, event uid, start), claimed by
compare-and-set so a reminder is sent once however many processes scan; who opted out; and when
the scan last looked (a gap means the instances it finds were not just booked, only unseen).

A row's life: seen (first noticed ahead of time) -> sending (claimed by one scan) -> sent ->
kept | released; or seen -> skipped (quiet hours, booked too recently, opted out, no check-in).
A claim older than CLAIM_SECONDS without a send is taken over by the next scan: the send carries
a uuid made from the row's key, so Feishu posts it once even if the first sender did send.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.db import Database

CLAIM_SECONDS = 120.0
_COLS = ("room_id, uid, start_ts, end_ts, holder, booking_key, first_seen, state, claimed_at, "
         "message_id, updated_at")
REMINDER_SQL = {
    "see_reminder": f"INSERT INTO reminders ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, 'seen', 0, '', ?) "
                    "ON CONFLICT (room_id, uid, start_ts) DO NOTHING",
    "select_reminder": f"SELECT {_COLS} FROM reminders WHERE room_id = ? AND uid = ? AND start_ts = ?",
    "claim_reminder": "UPDATE reminders SET state = 'sending', claimed_at = ?, holder = ?, "
                      "updated_at = ? WHERE room_id = ? AND uid = ? AND start_ts = ? AND "
                      "(state = 'seen' OR (state = 'sending' AND claimed_at < ?))",
    "move_reminder": "UPDATE reminders SET state = ?, message_id = COALESCE(NULLIF(?, ''), message_id), "
                     "updated_at = ? WHERE room_id = ? AND uid = ? AND start_ts = ? AND state = ?",
    "reminders_between": f"SELECT {_COLS} FROM reminders WHERE start_ts >= ? AND start_ts < ? "
                         "ORDER BY start_ts, room_id",
    "forget_reminders": "DELETE FROM reminders WHERE start_ts < ?",
    "opt_out": "INSERT INTO reminder_optouts (open_id, at) VALUES (?, ?) "
               "ON CONFLICT (open_id) DO UPDATE SET at = excluded.at",
    "opt_in": "DELETE FROM reminder_optouts WHERE open_id = ?",
    "opted_out": "SELECT open_id FROM reminder_optouts",
    "last_scan": "SELECT last_scan FROM reminder_scans WHERE name = ?",
    "mark_scan": "INSERT INTO reminder_scans (name, last_scan) VALUES (?, ?) "
                 "ON CONFLICT (name) DO UPDATE SET last_scan = excluded.last_scan",
    "save_conversation": "INSERT INTO conversations (chat_id, open_id, data, saved_at) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, open_id) DO UPDATE SET "
                         "data = excluded.data, saved_at = excluded.saved_at",
    "conversation": "SELECT data, saved_at FROM conversations WHERE chat_id = ? AND open_id = ?",
}
Seen = tuple[str, str, float, float, str, str]  # room, uid, start, end, holder, booking key
UNKNOWN_AGE = 0.0  # first_seen of an instance found after a gap in scanning: booked earlier


@dataclass(frozen=True)
class Reminder:
    """What the store knows about one instance's reminder."""

    room_id: str
    uid: str
    start: float
    end: float
    holder: str
    booking_key: str  # roombot's own booking (the ledger's key), else ""
    first_seen: float  # UNKNOWN_AGE: it was there before the scan started looking
    state: str
    claimed_at: float = 0.0
    message_id: str = ""
    updated_at: float = 0.0


def _reminder(row: Sequence[Any]) -> Reminder:
    room_id, uid, start, end, holder, key, first_seen, state, claimed_at, message_id, updated_at = row
    return Reminder(room_id, uid, float(start), float(end), holder, key, float(first_seen), state,
                    float(claimed_at), message_id or "", float(updated_at))


class ReminderTable(Database):
    """Reminders, opt-outs, the scan's watermark, and conversations (follow-up context)."""

    def see_reminders(self, seen: Iterable[Seen], *, known_since: float) -> None:
        """Note instances (room, uid, start, end, holder, booking key) the scan found; one new to
        the table gets first_seen = known_since (UNKNOWN_AGE after a gap in scanning)."""
        now = self._clock()
        with self._db.transaction() as cur:
            sql = self.sql("see_reminder")
            for room_id, uid, start, end, holder, key in seen:
                cur.execute(sql, (room_id, uid, start, end, holder, key, known_since, now))

    def reminder(self, room_id: str, uid: str, start: float) -> Reminder | None:
        rows = self._read("select_reminder", (room_id, uid, start))
        return _reminder(rows[0]) if rows else None

    def claim_reminder(self, room_id: str, uid: str, start: float, holder: str) -> bool:
        """Take the instance's reminder to send it; False if another scan has it or it is done."""
        now = self._clock()
        return self._write("claim_reminder", (now, holder, now, room_id, uid, start,
                                              now - CLAIM_SECONDS)) == 1

    def move_reminder(self, room_id: str, uid: str, start: float, state: str, *,
                      was: str, message_id: str = "") -> bool:
        """Move a reminder from `was` to `state` (compare-and-set); False if it was not `was`.
        The message_id is kept unless a new one is given."""
        return self._write("move_reminder", (state, message_id, self._clock(), room_id, uid, start,
                                             was)) == 1

    def reminders_between(self, start: float, end: float) -> list[Reminder]:
        return [_reminder(r) for r in self._read("reminders_between", (start, end))]

    def forget_reminders(self, before: float) -> int:
        """Drop the rows of instances that started before `before` (they can no longer matter)."""
        return self._write("forget_reminders", (before,))

    def set_reminders_wanted(self, open_id: str, wanted: bool) -> None:
        """A person's "stop reminding me" (False) or "remind me" (True)."""
        if wanted:
            self._write("opt_in", (open_id,))
        else:
            self._write("opt_out", (open_id, self._clock()))

    def reminder_opt_outs(self) -> set[str]:
        return {open_id for (open_id,) in self._read("opted_out", ())}

    def last_reminder_scan(self, name: str = "reminders") -> float:
        rows = self._read("last_scan", (name,))
        return float(rows[0][0]) if rows else 0.0

    def mark_reminder_scan(self, at: float, name: str = "reminders") -> None:
        self._write("mark_scan", (name, at))

    def save_conversation(self, chat_id: str, open_id: str, data: dict[str, Any]) -> None:
        """Remember a person's last understood question (and what its card showed) in a chat."""
        self._write("save_conversation", (chat_id, open_id,
                                          json.dumps(data, ensure_ascii=False), self._clock()))

    def conversation(self, chat_id: str, open_id: str, max_age: float) -> dict[str, Any] | None:
        """The last saved context, if saved less than `max_age` seconds ago."""
        rows = self._read("conversation", (chat_id, open_id))
        if not rows or self._clock() - float(rows[0][1]) > max_age:
            return None
        data = json.loads(rows[0][0])
        return data if isinstance(data, dict) else None
