"""The room directory's snapshot in the store: what a new process starts from.

A 2,000-room tenant takes dozens of paged calls to list rooms and levels, so a digest or report
process started by cron would pay them on every start. `SnapshotLoader` builds the Directory from
the store's snapshot while it is younger than a day, and lists from Feishu (saving a new snapshot)
when it is older, or when a room name or id turns up that the snapshot does not know. A name that
a fresh listing did not know either (a deleted or renamed room, still in old reservations) is
remembered with the snapshot, so it does not make every later digest re-list the tenant.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from bot.directory.cache import DirectoryCache
from bot.directory.table import DirectorySnapshot
from bot.directory.tree import Directory, RoomSource
from bot.feishu.models import Room, RoomLevel

log = logging.getLogger(__name__)

SNAPSHOT_MAX_AGE = 86_400.0  # list rooms from Feishu again when the snapshot is a day old
RECHECK_AGE = 3600.0  # an unknown room lists again only when the snapshot is older than this
MAX_UNKNOWN = 200  # names and ids remembered as not in the tenant


class SnapshotStore(Protocol):
    """The two store calls a snapshot needs (bot.store.directory.DirectoryTable)."""

    def save_directory(self, root_id: str, rooms: Sequence[Room], levels: Sequence[RoomLevel],
                       unknown: Sequence[str] = ()) -> float: ...

    def directory_snapshot(self, root_id: str) -> DirectorySnapshot | None: ...


class SnapshotLoader:
    """Load the Directory from the store's snapshot while it is younger than `max_age` seconds,
    else list it from Feishu and save a new snapshot.

    A failed listing falls back to an older snapshot, if there is one. The Directory built from a
    snapshot is kept, so re-reading an unchanged snapshot builds nothing.
    """

    def __init__(self, source: RoomSource, store: SnapshotStore, root_id: str, *,
                 max_age: float = SNAPSHOT_MAX_AGE) -> None:
        self._source, self._store, self._root = source, store, root_id
        self._max_age = max_age
        self._built: tuple[float, Directory] | None = None

    def __call__(self) -> Directory:
        """The snapshot's directory while it is fresh enough, else a new listing."""
        snapshot = self._store.directory_snapshot(self._root)
        if snapshot is not None and snapshot.age < self._max_age:
            return self._from(snapshot)
        return self.fresh(fallback=snapshot)

    def recheck(self, what: Sequence[str] = ()) -> Directory:
        """A new listing because the room names or ids `what` are unknown, unless the snapshot is
        younger than RECHECK_AGE or earlier listings did not know any of them either."""
        snapshot = self._store.directory_snapshot(self._root)
        if snapshot is not None and (snapshot.age < RECHECK_AGE
                                     or not set(what) - set(snapshot.unknown)):
            return self._from(snapshot)
        log.info("directory: %s unknown; listing rooms again", ", ".join(map(repr, what[:5])))
        return self.fresh(fallback=snapshot, what=what)

    def fresh(self, fallback: DirectorySnapshot | None = None,
              what: Sequence[str] = ()) -> Directory:
        """List rooms and levels from Feishu and save them as the new snapshot."""
        try:
            directory = Directory.load(self._source, self._root)
        except Exception:
            if fallback is None:
                raise
            log.exception("directory listing failed; using the snapshot saved at %.0f",
                          fallback.saved_at)
            return self._from(fallback)
        unknown = list(fallback.unknown) if fallback else []
        unknown += [w for w in what if w not in unknown
                    and directory.room(w) is None and directory.room_by_name(w) is None]
        saved_at = self._store.save_directory(self._root, directory.rooms, directory.levels,
                                              unknown[-MAX_UNKNOWN:])
        self._built = (saved_at, directory)
        return directory

    def _from(self, snapshot: DirectorySnapshot) -> Directory:
        if self._built is None or self._built[0] != snapshot.saved_at:
            self._built = (snapshot.saved_at, Directory(snapshot.rooms, snapshot.levels, self._root))
        return self._built[1]


def snapshot_cache(source: RoomSource, store: SnapshotStore, root_id: str,
                   ttl_seconds: float = 600) -> DirectoryCache:
    """A directory cache whose loads go through the store's snapshot."""
    loader = SnapshotLoader(source, store, root_id)
    return DirectoryCache(loader, ttl_seconds, fresh=loader.recheck)
