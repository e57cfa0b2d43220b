"""The releases ledger: one row per room instance roombot is asked to give back, written before
meeting_room/instance/reply is called.

instance/reply has no idempotency key, so its row is the proof of what was asked: a process killed
after Feishu ended the instance, before the answer was kept, leaves a `calling` row, and the next
attempt (the click again, from the inbox) reads free/busy and completes it instead of calling
twice. A row's life: calling -> released | failed. The move to `released` and its audit row are
one transaction, so a release is audited exactly once. A `calling` row is taken over by the same
click at any time (the inbox runs one click once at a time), or by another after CLAIM_SECONDS.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.store.db import Database

CLAIM_SECONDS = 60.0
_COLS = ("target, click, actor, role, source, room_id, uid, start_ts, end_ts, holder, status, "
         "log_id, note, created_at, updated_at")
RELEASE_SQL = {
    "insert_release": f"INSERT INTO releases ({_COLS}) VALUES "
                      "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'calling', '', '', ?, ?) "
                      "ON CONFLICT (target) DO NOTHING",
    "select_release": f"SELECT {_COLS} FROM releases WHERE target = ?",
    "move_release": "UPDATE releases SET click = ?, actor = ?, role = ?, source = ?, start_ts = ?, "
                    "status = ?, log_id = ?, note = ?, updated_at = ? "
                    "WHERE target = ? AND status = ? AND updated_at = ?",
    "releases_calling": f"SELECT {_COLS} FROM releases WHERE status = 'calling' ORDER BY created_at",
}


@dataclass(frozen=True)
class ReleaseRow:
    """One instance roombot was asked to end early, and how far that got."""

    target: str  # room/uid/start: the instance (any click on any card reaches the same row)
    click: str  # the idempotency key of the click carrying it now
    actor: str  # open_id of the person who asked
    role: str  # holder | admin
    source: str  # the card it came from
    room_id: str
    uid: str
    start: float  # the instance's start, as passed to Feishu (epoch seconds)
    end: float
    holder: str  # the instance's organizer (open_id)
    status: str = "calling"
    log_id: str = ""  # Feishu's, when its answer was kept
    note: str = ""  # how it ended: "answered", "confirmed by free/busy", or Feishu's error
    created_at: float = 0.0
    updated_at: float = 0.0


def _row(values: Sequence[Any]) -> ReleaseRow:
    (target, click, actor, role, source, room_id, uid, start, end, holder, status, log_id, note,
     created_at, updated_at) = values
    return ReleaseRow(target, click, actor, role, source, room_id, uid, float(start), float(end),
                      holder, status, log_id or "", note or "", float(created_at), float(updated_at))


class ReleaseTable(Database):
    """The releases ledger (its audit rows go to the audit log of BookingTable)."""

    def begin_release(self, row: ReleaseRow) -> tuple[ReleaseRow, bool]:
        """Write the row (status calling) before the call; (the row as stored, whether it is new)."""
        now = self._clock()
        created = self._write("insert_release", (
            row.target, row.click, row.actor, row.role, row.source, row.room_id, row.uid, row.start,
            row.end, row.holder, now, now)) > 0
        stored = self.release_row(row.target)
        assert stored is not None, "the insert or the row before it is there"
        return stored, created

    def release_row(self, target: str) -> ReleaseRow | None:
        rows = self._read("select_release", (target,))
        return _row(rows[0]) if rows else None

    def may_take_release(self, row: ReleaseRow, click: str) -> bool:
        """Whether an attempt carrying `click` may carry a `calling` row on: it is the same click
        (the inbox runs a click once at a time), or the row's claim is older than CLAIM_SECONDS."""
        return row.click == click or self._clock() - row.updated_at > CLAIM_SECONDS

    def releases_calling(self) -> list[ReleaseRow]:
        """Rows whose call may or may not have reached Feishu, oldest first."""
        return [_row(r) for r in self._read("releases_calling", ())]

    def move_release(self, row: ReleaseRow, status: str, *, audit: dict[str, Any] | None = None,
                     **changes: Any) -> ReleaseRow | None:
        """Move `row` (as last read) to `status` with `changes` by compare-and-set; with `audit`
        (the detail), the row of the audit log is added in the same transaction. None when
        someone else moved it first."""
        now = max(self._clock(), row.updated_at + 1e-6)
        moved = replace(row, status=status, updated_at=now, **changes)
        with self._db.transaction() as cur:
            cur.execute(self.sql("move_release"), (
                moved.click, moved.actor, moved.role, moved.source, moved.start, moved.status,
                moved.log_id, moved.note, now, row.target, row.status, row.updated_at))
            if cur.rowcount != 1:
                return None
            if audit is not None:
                cur.execute(self.sql("insert_audit"), (
                    now, moved.actor, "release", moved.target, moved.room_id,
                    json.dumps(audit, ensure_ascii=False), moved.log_id))
        return moved
