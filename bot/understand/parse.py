"""Text to Query: normalise, fix typos, take out names, floors, times and seats, classify, assemble.

`parse` is pure: the clock (`now`, aware, tenant timezone) and the Directory are passed in.
The steps, each in its own module:
1. `normalise`: width, case, accents, punctuation, Chinese and English numbers;
2. `spelling`: typos of keywords and names, Latin and Chinese (homophones);
3. `rooms`/`names`: whole names first (they may contain digits: "Room 402", "C栋"), then floors,
   then times (`timewords`), then seats (`capacity`), then single name words;
4. `intent`: the kind of question from its phrases and what else was said;
5. `build`/`where`/`when`: the Query for that kind, with its place and window.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot.queries import BadTime, Help, Lang, Query
from bot.understand import when
from bot.understand.booking_words import booking_intent, build_booking
from bot.understand.build import BUILDERS
from bot.understand.capacity import find_capacity
from bot.understand.followup import follow_up
from bot.understand.intent import Features, classify, signals, small_talk
from bot.understand.normalise import blank, has_cjk, normalise
from bot.understand.reading import Reading
from bot.understand.rooms import Mention, find_floors, find_names, leftover_words
from bot.understand.spelling import correct
from bot.understand.where import surface

if TYPE_CHECKING:
    from bot.directory.tree import Directory

_CAPITAL_ROOM = re.compile(r"\S\s+Room\b")


def parse(text: str, now: datetime, directory: Directory, *, slot_minutes: int = 30) -> Query:
    """Understand one message: a typed Query, with `now` and the directory passed in."""
    lang: Lang = "zh" if has_cjk(text) else "en"
    norm = normalise(text)
    if not any(ch.isalnum() for ch in norm):
        return Help(lang, "asked" if "?" in norm else "not_understood")
    norm = correct(norm, directory.names)
    talk = small_talk(norm)
    if talk:
        return Help(lang, talk)
    reading = read(text, lang, norm, directory)
    query = assemble(reading, now, directory, slot_minutes)
    if isinstance(query, BadTime):
        return replace(query, said=surface(text, query.said))
    return query


def parse_follow_up(text: str, now: datetime, directory: Directory, last: Query | None,
                    rooms: tuple[str, ...], *, slot_minutes: int = 30) -> Query | None:
    """A follow-up to `last` ("那明天呢", "and at 4?", "book the second one"), or None when the
    text is a question of its own (see bot/understand/followup.py)."""
    lang: Lang = "zh" if has_cjk(text) else "en"
    norm = normalise(text)
    if not any(ch.isalnum() for ch in norm):
        return None
    reading = read(text, lang, correct(norm, directory.names), directory)
    return follow_up(reading, now, directory, last, rooms, slot_minutes)


def read(original: str, lang: Lang, text: str, directory: Directory) -> Reading:
    """Take names, floors, times and seats out of normalised text, in that order."""
    names, name_spans = find_names(text, directory.names, whole_only=True)
    rest = blank(text, name_spans)
    floors, spans = find_floors(rest)
    rest = blank(rest, spans)
    spec, spans = when.extract(rest)
    rest = blank(rest, spans)
    capacity, spans = find_capacity(rest)
    rest = blank(rest, spans)
    words, word_spans = find_names(rest, directory.names, whole_only=False)
    rest = blank(rest, word_spans)
    guessed, unknown = guess_names(leftover_words(rest), directory)
    found = sorted([*zip(name_spans, names, strict=True), *zip(word_spans, words, strict=True),
                    *(((rest.find(m.said), 0), m) for m in guessed)], key=lambda pair: pair[0])
    mentions = [mention for _, mention in found]
    return Reading(
        lang=lang, original=original, rest=rest, time=spec, capacity=capacity,
        rooms=tuple(m for m in mentions if m.places[0].kind == "room"),
        buildings=tuple(m for m in mentions if m.places[0].kind != "room"),
        floors=tuple(floors), unknown=tuple(unknown),
        capital_room=bool(_CAPITAL_ROOM.search(unicodedata.normalize("NFKC", original))),
    )


def guess_names(words: list[str], directory: Directory) -> tuple[list[Mention], list[str]]:
    """Leftover words that surely name something (by sound, prefix or containment: "青成山",
    "merc", "xishuangbanna") as mentions; the others stay unknown."""
    guessed: list[Mention] = []
    unknown: list[str] = []
    for word in words:
        places = directory.names.guess(word)
        if places:
            guessed.append(Mention(word, places))
        else:
            unknown.append(word)
    return guessed, unknown


def assemble(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Classify the reading and build the Query for its intent."""
    feat = Features(room=bool(r.rooms) or r.capital_room, area=bool(r.floors or r.buildings),
                    unknown=bool(r.unknown), time=r.time.given, capacity=r.capacity > 0,
                    moment=r.time.moment)
    command = booking_intent(r.rest, feat.room, feat.time, r.time.now)
    if command is not None:
        return build_booking(command, r, now, directory, slot)
    intent = classify(signals(r.rest), feat)
    return BUILDERS[intent](r, now, directory, slot)
