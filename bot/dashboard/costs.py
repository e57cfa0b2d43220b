"""What an hour of each room costs, for the cost of no-shows: `[dashboard] cost_per_room_hour`,
overridden for some places by `[dashboard] cost_per_place` (the most specific place wins)."""
from __future__ import annotations

from collections.abc import Sequence

from bot.directory.tree import Directory
from bot.feishu.models import RoomLevel


def room_costs(directory: Directory, default: float,
               per_place: Sequence[tuple[str, float]]) -> tuple[dict[str, float], list[str]]:
    """({room id: cost per hour}, the cost_per_place keys that name no place of the directory)."""
    wanted = dict(per_place)
    used: set[str] = set()

    def lookup(*names: str) -> float | None:
        for name in names:
            if name in wanted:
                used.add(name)
                return wanted[name]
        return None

    costs = {}
    for room in directory.rooms:
        found = lookup(room.room_id, room.name)
        floor, building = directory.floor_of(room), directory.building_of(room)
        if found is None and floor is not None:
            found = lookup(*_level_names(directory, floor))
        if found is None and building is not None:
            found = lookup(*_level_names(directory, building))
        costs[room.room_id] = default if found is None else found
    for level in _levels(directory):  # a key for an empty floor is not unknown, just unused
        for name in _level_names(directory, level):
            if name in wanted:
                used.add(name)
    return costs, sorted(set(wanted) - used)


def _level_names(directory: Directory, level: RoomLevel) -> tuple[str, ...]:
    """A floor by its id or its label as cards show it ("T2 · 5F"; a bare "5F" would be
    ambiguous between buildings), a building by its id or its name."""
    return (level.level_id, directory.level_label(level))


def _levels(directory: Directory) -> list[RoomLevel]:
    seen: dict[str, RoomLevel] = {}
    for room in directory.rooms:
        for level in (directory.floor_of(room), directory.building_of(room)):
            if level is not None:
                seen[level.level_id] = level
    return list(seen.values())

