"""The last room directory read from Feishu, per root level, so a new process need not re-list it.

A 2,000-room tenant takes a few dozen paged calls to list; a digest or report process started by
cron would pay them on every start. The snapshot is one JSON row per root, replaced on each save.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.feishu.models import Room, RoomLevel
from bot.store.db import Database

SNAPSHOT_VERSION = 1
DIRECTORY_SQL = {
    "save_directory": "INSERT INTO directory_snapshots (root_id, data, saved_at) VALUES (?, ?, ?) "
                      "ON CONFLICT (root_id) DO UPDATE SET data = excluded.data, "
                      "saved_at = excluded.saved_at",
    "load_directory": "SELECT data, saved_at FROM directory_snapshots WHERE root_id = ?",
}


@dataclass(frozen=True)
class DirectorySnapshot:
    """Rooms and levels as last listed, when (epoch seconds of the store's clock) and how long ago."""

    rooms: tuple[Room, ...]
    levels: tuple[RoomLevel, ...]
    saved_at: float
    age: float  # seconds since saved_at when it was read
    unknown: tuple[str, ...] = ()  # room names or ids a listing did not find (deleted rooms)


class DirectoryTable(Database):
    """Save and load the directory snapshot."""

    def save_directory(self, root_id: str, rooms: Sequence[Room], levels: Sequence[RoomLevel],
                       unknown: Sequence[str] = ()) -> float:
        """Replace the snapshot of `root_id` with these rooms and levels (and the room names or
        ids known not to be in them); return its saved_at."""
        data = {"v": SNAPSHOT_VERSION, "unknown": list(unknown),
                "rooms": [[r.room_id, r.name, r.capacity, r.level_id, list(r.path), r.display_id,
                           r.enabled] for r in rooms],
                "levels": [[lv.level_id, lv.name, lv.parent_id, list(lv.path), lv.has_child]
                           for lv in levels]}
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        saved_at = self._clock()
        self._write("save_directory", (root_id, text, saved_at))
        return saved_at

    def directory_snapshot(self, root_id: str) -> DirectorySnapshot | None:
        """The snapshot of `root_id`, or None if none was saved (or it has an unknown format)."""
        rows = self._read("load_directory", (root_id,))
        if not rows:
            return None
        data: dict[str, Any] = json.loads(rows[0][0])
        if data.get("v") != SNAPSHOT_VERSION:
            return None
        rooms = tuple(Room(rid, name, int(cap), level, tuple(path), display, bool(enabled))
                      for rid, name, cap, level, path, display, enabled in data["rooms"])
        levels = tuple(RoomLevel(lid, name, parent, tuple(path), bool(child))
                       for lid, name, parent, path, child in data["levels"])
        saved_at = float(rows[0][1])
        return DirectorySnapshot(rooms, levels, saved_at, self._clock() - saved_at,
                                 tuple(data.get("unknown", ())))
