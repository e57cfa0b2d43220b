"""Where a question points: the rooms, floors and buildings found in a reading, resolved to Places.

- a floor key shared by several buildings ("4F" in T2 and T3) with no building said gives the
  floors as options (best guess first: the floor with most rooms);
- several rooms ("Mercury or Jupiter", "木星和土星") or floors ("5F or 6F") give one place and
  the others in `more`;
- a building name shared by several buildings ("研发中心" for 研发中心C栋 and D栋) gives them as
  options, or, with a floor said, the floors of that number in those buildings;
- a word that names nothing (even by sound, prefix or containment, see `parse.guess_names`)
  is compared by similarity: a clear winner is taken, otherwise the closest names are offered.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.queries import Place
from bot.understand.normalise import fold_name
from bot.understand.rooms import FloorMention, floor_places, narrow

if TYPE_CHECKING:
    from bot.directory.tree import Directory
    from bot.understand.reading import Reading

SURE = 0.85  # an unknown name this similar to exactly one room is taken as that room


@dataclass(frozen=True)
class Where:
    """Where a question points: a place (and more), several candidates, or an unknown name."""

    place: Place | None = None
    options: tuple[Place, ...] = ()
    said: str = ""
    suggestions: tuple[Place, ...] = ()
    unknown: bool = False
    more: tuple[Place, ...] = ()

    @property
    def found(self) -> bool:
        """True when the message pointed somewhere (even ambiguously or at an unknown name)."""
        return bool(self.place or self.options or self.unknown)


def locate_area(r: Reading, directory: Directory) -> Where:
    """The floor or building named (with the building narrowing the floor), if any."""
    buildings = _buildings(r, directory)
    if not r.floors:
        if len(buildings) > 1:
            return Where(options=by_label(buildings), said=surface(r.original, r.buildings[0].said))
        more = tuple(m.places[0] for m in r.buildings[1:] if len(m.places) == 1)
        return Where(place=buildings[0], more=more) if buildings else Where()
    if len(buildings) > 1:
        floors = tuple(p for b in buildings for p in floor_places(directory, r.floors[0].key, b))
        if len(floors) > 1:
            return Where(options=floors, said=surface(r.original, r.buildings[0].said))
    building = buildings[0] if buildings else None
    first = _floor(r, r.floors[0], building, directory)
    others = [_floor(r, floor, building, directory) for floor in r.floors[1:]]
    more = tuple(w.place for w in others if w.place and w.place != first.place)
    return Where(first.place, first.options, first.said, first.suggestions, first.unknown, more)


def _buildings(r: Reading, directory: Directory) -> tuple[Place, ...]:
    """The buildings the first building mention may mean; with a floor said, only those that
    have that floor ("研发中心7楼": the one with a 7th floor)."""
    if not r.buildings:
        return ()
    places = r.buildings[0].places
    if r.floors and len(places) > 1:
        key = r.floors[0].key
        with_floor = tuple(p for p in places if directory.floors_with_key(key, p.id))
        places = with_floor or places
    return places


def _floor(r: Reading, floor: FloorMention, building: Place | None, directory: Directory) -> Where:
    """One floor mention: a floor, the floors it may be, or an unknown floor."""
    options = floor_places(directory, floor.key, building)
    if len(options) == 1:
        return Where(place=options[0])
    if options:
        return Where(options=tuple(options), said=surface(r.original, floor.said))
    pool = directory.floors_in(building.id) if building else [
        lv for lv in directory.levels if directory.is_floor(lv)]
    suggestions = tuple(directory.level_place(lv) for lv in pool)[:5]
    return Where(said=surface(r.original, floor.said), suggestions=suggestions, unknown=True)


def locate(r: Reading, directory: Directory) -> Where:
    """The place a who-booked / is-free question points at: rooms first, then an area."""
    area = locate_area(r, directory)
    if r.rooms:
        return _rooms(r, area, directory)
    if area.found:
        return area
    if r.capital_room:
        rooms = by_label(rooms_called_room(directory))
        return Where(place=rooms[0]) if len(rooms) == 1 else Where(options=rooms, said="Room")
    if r.unknown:
        return guess(r, directory)
    return Where()


def _rooms(r: Reading, area: Where, directory: Directory) -> Where:
    """The rooms named: the first one (or its options), the other unambiguous ones in `more`."""
    resolved = [narrow(m.places, directory, area.place) for m in r.rooms]
    more = tuple(dict.fromkeys(p[0] for p in resolved[1:] if len(p) == 1 and p[0] != resolved[0][0]))
    first = resolved[0]
    if len(first) == 1:
        return Where(place=first[0], more=more)
    return Where(options=by_label(first), said=surface(r.original, r.rooms[0].said), more=more)


def rooms_called_room(directory: Directory) -> tuple[Place, ...]:
    """Every room with the word "room" in its name ("Room 402", "Room A")."""
    return tuple(directory.room_place(room) for room in directory.rooms
                 if "room" in fold_name(room.name).split())


def guess(r: Reading, directory: Directory) -> Where:
    """An unknown name: a clear winner by similarity ("Olso" -> Oslo), else the closest names."""
    word = r.unknown[0]
    said = surface(r.original, word)
    found = directory.names.similar(word)
    clear = found and found[0][0] >= SURE and (len(found) == 1 or found[1][0] < found[0][0])
    if clear:
        return Where(place=found[0][1])
    return Where(said=said, suggestions=tuple(place for _, place in found), unknown=True)


def by_label(places: tuple[Place, ...]) -> tuple[Place, ...]:
    """Places sorted by label, so that options always come in the same order."""
    return tuple(sorted(places, key=lambda place: place.label))


def surface(original: str, said: str) -> str:
    """The words as the user typed them (case, width), found again in the original text."""
    folded = unicodedata.normalize("NFKC", original)
    match = re.search(r"\s*".join(re.escape(part) for part in said.split()), folded, re.IGNORECASE)
    return match.group(0) if match else said

