"""The room directory's tree: rooms and levels from Feishu, place labels and name lookup.

Names are looked up through a `NameIndex` (bot/understand/names.py): exact names and their
variants, building short names, pinyin, prefixes and fuzzy matches, built on first use (a digest
never looks a name up, and pinyin's dictionaries cost ~50 MB and ~1 s on a 2,000-room tenant).
Levels form a tree under the tenant root. A level whose name looks like a floor ("5F", "5楼",
"Floor 5", "B1") is a floor; any other level below the root is a building (its floors' parent).
Floor labels read "T2 · 7F", or just "7F" when the tenant has at most one building.

`snapshot.snapshot_cache` keeps a snapshot in the store (bot/directory/snapshot.py): a process
starts from it instead of re-listing every room (dozens of calls on a 2,000-room tenant); it is
re-listed from Feishu when it is a day old, or when a room name or id turns up that it does not
know (`refresh_unknown`).
"""
from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property
from typing import Protocol

from bot.feishu.models import Room, RoomLevel
from bot.queries import TENANT, Place, PlaceKind
from bot.understand.names import NameIndex
from bot.understand.normalise import floor_key, fold_name

log = logging.getLogger(__name__)

_ROOT_IDS = frozenset({"", "0"})


class RoomSource(Protocol):
    """The two gateway calls a Directory is loaded from."""

    def room_levels(self, root_id: str = "0") -> list[RoomLevel]: ...

    def rooms(self, root_id: str = "0") -> list[Room]: ...


class Directory:
    """Rooms and room levels of one tenant, with the tree, labels and name indexes built once."""

    def __init__(self, rooms: Iterable[Room], levels: Iterable[RoomLevel], root_id: str) -> None:
        self.rooms: tuple[Room, ...] = tuple(rooms)
        self.levels: tuple[RoomLevel, ...] = tuple(levels)
        self.root_id = root_id
        self._room_by_id = {room.room_id: room for room in self.rooms}
        self._level_by_id = {level.level_id: level for level in self.levels}
        self._roots = _ROOT_IDS | {root_id} | {
            lv.level_id for lv in self.levels if lv.parent_id in ("", lv.level_id)}
        self._floor_keys = {lv.level_id: key for lv in self.levels
                            if not self.is_root(lv.level_id) and (key := floor_key(lv.name))}
        self._under = self._index_rooms_under()
        self._by_name: dict[str, Room] = {}
        for room in self.rooms:
            self._by_name.setdefault(fold_name(room.name), room)
        self._buildings = tuple(lv for lv in self.levels
                                if not self.is_root(lv.level_id) and not self.is_floor(lv))
        self._names: NameIndex | None = None
        self._names_lock = threading.Lock()

    @classmethod
    def load(cls, gateway: RoomSource, root_id: str) -> Directory:
        """Build a Directory from the gateway's room levels and rooms under `root_id`."""
        levels = gateway.room_levels(root_id)
        rooms = gateway.rooms(root_id)
        log.info("directory loaded: %d rooms, %d levels under %s", len(rooms), len(levels), root_id)
        return cls(rooms, levels, root_id)

    @property
    def names(self) -> NameIndex:
        """The name index over rooms and buildings, built once on first use."""
        with self._names_lock:
            if self._names is None:
                self._names = NameIndex(self._named_places())
            return self._names

    # -- the tree ---------------------------------------------------------------------------
    def room(self, room_id: str) -> Room | None:
        """The room with this id, if any."""
        return self._room_by_id.get(room_id)

    def level(self, level_id: str) -> RoomLevel | None:
        """The level with this id, if any."""
        return self._level_by_id.get(level_id)

    def is_root(self, level_id: str) -> bool:
        """True for the tenant root (or the level the directory was loaded from)."""
        return level_id in self._roots

    def is_floor(self, level: RoomLevel) -> bool:
        """True when the level's name looks like a floor ("5F", "5楼", "Floor 5", "B1")."""
        return level.level_id in self._floor_keys

    def room_by_name(self, name: str) -> Room | None:
        """The room with exactly this name after folding case, width and spaces."""
        return self._by_name.get(fold_name(name))

    @cached_property
    def ids_by_name(self) -> dict[str, str]:
        """Room id by exact room name, for the names `room_by_name` gives that very room: what
        an export (which has no room-id column) is read with, so its rows get their ids at once."""
        return {room.name: room.room_id for room in self.rooms
                if self._by_name.get(fold_name(room.name)) is room}

    def rooms_under(self, level_id: str) -> list[Room]:
        """Every room below a level, recursively; "" or the root gives all rooms."""
        if self.is_root(level_id):
            return list(self.rooms)
        return list(self._under.get(level_id, ()))

    def ancestors(self, level_id: str) -> list[RoomLevel]:
        """The level itself and its ancestors up to (not including) the root, nearest first."""
        chain: list[RoomLevel] = []
        current = self._level_by_id.get(level_id)
        while current is not None and not self.is_root(current.level_id) and current not in chain:
            chain.append(current)
            current = self._level_by_id.get(current.parent_id)
        return chain

    def floor_of(self, room: Room) -> RoomLevel | None:
        """The floor a room is on: its nearest floor-like level."""
        return next((lv for lv in self.ancestors(room.level_id) if self.is_floor(lv)), None)

    def building_of(self, room: Room) -> RoomLevel | None:
        """The building a room is in: the floor's parent, or the nearest non-floor level."""
        floor = self.floor_of(room)
        start = floor.parent_id if floor else room.level_id
        return next((lv for lv in self.ancestors(start) if not self.is_floor(lv)), None)

    def building_of_level(self, level: RoomLevel) -> RoomLevel | None:
        """The building above a floor (None for a building or a floor right under the root)."""
        return next((lv for lv in self.ancestors(level.parent_id) if not self.is_floor(lv)), None)

    # -- floors and buildings ---------------------------------------------------------------
    def buildings(self) -> tuple[RoomLevel, ...]:
        """Every level below the root that is not a floor."""
        return self._buildings

    def floors_with_key(self, key: str, building_id: str = "") -> list[RoomLevel]:
        """Floors whose canonical key is `key` ("7F"), optionally inside one building."""
        found = [self._level_by_id[lid] for lid, k in self._floor_keys.items() if k == key]
        if building_id:
            found = [lv for lv in found if building_id in {a.level_id for a in self.ancestors(lv.level_id)}]
        return sorted(found, key=lambda lv: (-len(self.rooms_under(lv.level_id)), self.level_label(lv)))

    def floors_in(self, building_id: str) -> list[RoomLevel]:
        """The floors inside one building."""
        return [self._level_by_id[lid] for lid in self._floor_keys
                if building_id in {a.level_id for a in self.ancestors(lid)}]

    # -- places and labels ------------------------------------------------------------------
    def level_label(self, level: RoomLevel) -> str:
        """"T2 · 7F" for a floor (just "7F" with one building); a building's own name."""
        if not self.is_floor(level):
            return level.name
        building = self.building_of_level(level)
        if building is None or len(self._buildings) <= 1:
            return level.name
        return f"{building.name} · {level.name}"

    def room_place(self, room: Room) -> Place:
        """A room as a Place."""
        return Place("room", room.room_id, room.name)

    def level_place(self, level: RoomLevel) -> Place:
        """A floor or building as a Place (the root is the whole tenant)."""
        if self.is_root(level.level_id):
            return TENANT
        kind: PlaceKind = "floor" if self.is_floor(level) else "building"
        return Place(kind, level.level_id, self.level_label(level))

    def location_label(self, room: Room) -> str:
        """Where a room is: "T2 · 4F", or whichever of building and floor is known."""
        parts = [lv.name for lv in (self.building_of(room), self.floor_of(room)) if lv is not None]
        return " · ".join(parts)

    def place_rooms(self, place: Place) -> list[Room]:
        """The rooms a place covers: the room itself, a level's rooms, or every room."""
        if place.kind == "room":
            room = self.room(place.id)
            return [room] if room else []
        if place.kind == "tenant":
            return list(self.rooms)
        return self.rooms_under(place.id)

    # -- construction helpers ---------------------------------------------------------------
    def _index_rooms_under(self) -> dict[str, tuple[Room, ...]]:
        """Map every level to the rooms below it, by walking each room's ancestors once."""
        under: dict[str, list[Room]] = defaultdict(list)
        for room in self.rooms:
            for level in self.ancestors(room.level_id):
                under[level.level_id].append(room)
        return {level_id: tuple(rooms) for level_id, rooms in under.items()}

    def _named_places(self) -> list[tuple[str, Place]]:
        """Names to index: every room and every building."""
        named = [(room.name, self.room_place(room)) for room in self.rooms]
        named.extend((lv.name, self.level_place(lv)) for lv in self._buildings)
        return named
