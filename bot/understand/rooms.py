"""Room, floor and building mentions: find them in normalised text, then resolve them to Places.

Names are looked up in the Directory's NameIndex: whole names first ("room 402", "jupiter
木星", "青城山", "c栋", "north tower", "qingchengshan"), then single name words ("木星", "sun",
"muxing") once times and floors are gone. A room number is a name unless said as a time ("at
1230"). Words left over that are neither fillers nor names are kept as a possible unknown name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.queries import Place
from bot.understand.aliases import GENERIC
from bot.understand.lexicon import KNOWN_EN, ZH_WORDS
from bot.understand.normalise import is_cjk

if TYPE_CHECKING:
    from bot.directory.tree import Directory
    from bot.understand.names import NameIndex

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff]+")
_FLOOR_RULES = (
    (re.compile(r"(?<![\d.:a-z])(\d{1,3})\s?(?:f|/f)(?![a-z])"), "F"),
    (re.compile(r"(?<![a-z0-9])f(\d{1,3})(?![\d:a-z])"), "F"),
    (re.compile(r"(?<![\d.:])第?\s*(\d{1,3})\s*(?:楼|层)(?!梯)"), "F"),
    (re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\s+(?:floor|fl)\b"), "F"),
    (re.compile(r"\b(?:floor|fl|level|lvl)\s*(\d{1,3})\b"), "F"),
    (re.compile(r"\b(\d{1,3})\s+floor\b"), "F"),
    (re.compile(r"(?<![a-z0-9])b(\d)(?![\d:a-z])"), "B"),
    (re.compile(r"地下\s*(\d)\s*[层楼]?"), "B"),
)
_ZH_FILLER = re.compile("|".join(sorted(set(ZH_WORDS), key=len, reverse=True)))
_CODE_ROOM = re.compile(r"(?<![a-z0-9])([a-z0-9]{1,4})\s*号?会议室|会议室\s*([a-z0-9]{1,4})(?![a-z0-9])")
_TIME_BEFORE = re.compile(r"(?:\b(?:at|from|to|until|till|by|before|after)|@|到|至|从|-|~)\s*$")
_TIME_AFTER = re.compile(r"\s*(?:[ap]\.?m\b|点|:|h\b|hrs?\b)")


@dataclass(frozen=True)
class Mention:
    """A name said in the text and the places it may mean (several when ambiguous)."""

    said: str
    places: tuple[Place, ...]


@dataclass(frozen=True)
class FloorMention:
    """A floor said in the text, as a canonical key ("7F", "B1")."""

    key: str
    said: str


def find_floors(text: str) -> tuple[list[FloorMention], list[tuple[int, int]]]:
    """Floor mentions ("5F", "F5", "5楼", "五楼", "5th floor", "floor 5", "B1") and their spans."""
    found: list[tuple[int, FloorMention]] = []
    spans: list[tuple[int, int]] = []
    for pattern, prefix in _FLOOR_RULES:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in spans):
                continue
            number = int(match.group(1))
            key = f"{number}F" if prefix == "F" else f"B{number}"
            found.append((match.start(), FloorMention(key, match.group(0).strip())))
            spans.append(match.span())
    return [mention for _, mention in sorted(found, key=lambda pair: pair[0])], spans


def find_names(text: str, index: NameIndex, *, whole_only: bool) -> tuple[list[Mention], list[tuple[int, int]]]:
    """Room and building names in the text (whole names only, or also single name words)."""
    hits = index.scan(text, whole_only=whole_only, accept=_acceptable)
    return [Mention(hit.said, hit.places) for hit in hits], [(hit.start, hit.end) for hit in hits]


def _acceptable(text: str, start: int, end: int, key: str) -> bool:
    """Whether a key found in the text really names something there."""
    said = text[start:end]
    if key in GENERIC:
        return False
    if said.isdigit():
        return not _time_cued(text, start, end)
    if said.isascii() and said.isalnum():
        return said not in KNOWN_EN and (said != "a" or _a_names_room(text, end))
    if len(key) == 1 and is_cjk(key):
        return _standalone(text, start, end)
    return True


def _time_cued(text: str, start: int, end: int) -> bool:
    """A number said as a time ("at 1230", "1230pm", "到1400"), not as a room number."""
    return bool(_TIME_BEFORE.search(text[:start]) or _TIME_AFTER.match(text, end))


def _a_names_room(text: str, end: int) -> bool:
    """"a" names Room A only when no English word follows it ("谁订了A", "A会议室")."""
    following = _WORD.search(text, end)
    if following is None:
        return True
    return is_cjk(following.group(0)[0]) or not text[end:following.start()].isspace()


def _standalone(text: str, start: int, end: int) -> bool:
    """A one-character Chinese name stands alone or before a room word ("竹", "竹会议室")."""
    before = text[start - 1] if start else " "
    after = text[end:end + 3]
    return not is_cjk(before) and (not after or not is_cjk(after[0]) or after.startswith(("会议", "厅", "室")))


def leftover_words(text: str) -> list[str]:
    """Words that are neither fillers nor numbers: a guess at an unknown room name. A letter or
    number next to "会议室" is one too ("A会议室", "会议室12")."""
    words = [m.group(1) or m.group(2) for m in _CODE_ROOM.finditer(text)]
    for token in _WORD.finditer(text):
        word = token.group(0)
        if is_cjk(word[0]):
            words.extend(part for part in _ZH_FILLER.split(word) if len(part) >= 2)
        elif word not in KNOWN_EN and word not in GENERIC and not (word.isdigit() and len(word) < 3):
            words.append(word)
    return words


def floor_places(directory: Directory, key: str, building: Place | None) -> list[Place]:
    """The floors with this key (inside `building` if given), best guess first."""
    levels = directory.floors_with_key(key, building.id if building else "")
    return [directory.level_place(level) for level in levels]


def narrow(places: tuple[Place, ...], directory: Directory, area: Place | None) -> tuple[Place, ...]:
    """Keep the rooms inside the named floor/building when that leaves at least one."""
    if area is None or len(places) < 2:
        return places
    inside = {room.room_id for room in directory.place_rooms(area)}
    kept = tuple(place for place in places if place.id in inside)
    return kept or places
