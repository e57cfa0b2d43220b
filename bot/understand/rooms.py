"""Room, floor and building mentions: find them in normalised text, then resolve them to Places.

Names are looked up in the Directory's NameIndex: whole names first ("room 402", "jupiter
木星", "青城山"), then single name words ("402", "木星", "sun") once times and floors are gone.
Words left over that are neither fillers nor names are kept as a possible unknown room name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from bot.queries import Place
from bot.understand.lexicon import KNOWN_EN, ZH_FILLER
from bot.understand.normalise import is_cjk

if TYPE_CHECKING:
    from bot.directory import Directory, NameIndex

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff]+")
_GENERIC = frozenset({"room", "rooms", "meeting", "conference", "the", "会议室", "会议"})
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
_ZH_FILLER = re.compile("|".join(sorted(ZH_FILLER, key=len, reverse=True)))


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
    tokens = list(_WORD.finditer(text))
    mentions: list[Mention] = []
    spans: list[tuple[int, int]] = []
    i, covered = 0, 0
    while i < len(tokens):
        if tokens[i].start() < covered:
            i += 1
            continue
        if is_cjk(tokens[i].group(0)[0]):
            found, step = _cjk_names(text, tokens[i], index, whole_only), 1
        else:
            found, step = _ascii_name(text, tokens, i, index, whole_only)
        for mention, span in found:
            mentions.append(mention)
            spans.append(span)
            covered = max(covered, span[1])
        i += step
    return mentions, spans


def _cjk_names(text: str, token: re.Match[str], index: NameIndex,
               whole_only: bool) -> list[tuple[Mention, tuple[int, int]]]:
    """Names starting inside a run of CJK text (they may run on: "泰山999号"), longest first."""
    found, pos = [], token.start()
    while pos < token.end():
        alias = index.cjk_at(text, pos)
        places = (index.full(alias) or (() if whole_only else index.token(alias))) if alias else ()
        if alias and places and alias not in _GENERIC:
            found.append((Mention(alias, places), (pos, pos + len(alias))))
            pos += len(alias)
        else:
            pos += 1
    return found


def _ascii_name(text: str, tokens: list[re.Match[str]], i: int, index: NameIndex,
                whole_only: bool) -> tuple[list[tuple[Mention, tuple[int, int]]], int]:
    """The longest name starting at ASCII token i, and how many tokens it used."""
    for count in range(min(index.max_words, len(tokens) - i), 0, -1):
        group = tokens[i:i + count]
        if not _adjacent(text, group):
            continue
        phrase = " ".join(t.group(0) for t in group)
        single_ok = count > 1 or _name_word(text, tokens, i)
        places = index.full(phrase) if single_ok else ()
        if not places and count == 1 and not whole_only and single_ok:
            places = index.token(phrase)
        if places and (count > 1 or len(phrase) > 1 or not whole_only):
            span = (group[0].start(), group[-1].end())
            return [(Mention(text[span[0]:span[1]], places), span)], count
    return [], 1


def _adjacent(text: str, group: list[re.Match[str]]) -> bool:
    """True when the tokens are ASCII and separated by spaces only (nothing was cut between)."""
    if any(is_cjk(t.group(0)[0]) for t in group):
        return False
    gaps = (text[a.end():b.start()] for a, b in pairwise(group))
    return all(gap.isspace() or gap in ("-", "_") for gap in gaps)


def _name_word(text: str, tokens: list[re.Match[str]], i: int) -> bool:
    """Whether a single word may be a name word: not a filler, not a short number, not "a" the article."""
    word = tokens[i].group(0)
    if word in _GENERIC or (word.isdigit() and len(word) < 3):
        return False
    if word == "a":  # "a" names Room A only when no English word follows it ("谁订了A", "A会议室")
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        return following is None or is_cjk(following.group(0)[0]) or not text[tokens[i].end():following.start()].isspace()
    return word not in KNOWN_EN


def leftover_words(text: str) -> list[str]:
    """Words that are neither fillers nor numbers: a guess at an unknown room name."""
    words: list[str] = []
    for token in _WORD.finditer(text):
        word = token.group(0)
        if is_cjk(word[0]):
            words.extend(part for part in _ZH_FILLER.split(word) if len(part) >= 2)
        elif word not in KNOWN_EN and word not in _GENERIC and not (word.isdigit() and len(word) < 3):
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
