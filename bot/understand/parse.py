"""Text to Query: normalise, fix typos, take out names, floors, times and seats, classify, assemble.

`parse` is pure: the clock (`now`, aware, tenant timezone) and the Directory are passed in.
Decisions worth knowing:
- a floor key shared by several buildings ("4F" in T2 and T3) with no building said gives
  ChooseRoom with the floors as options (best guess first: the floor with most rooms);
  reports and subscriptions, which have no question to ask back, take the best guess;
- an is-free question naming no place becomes FindFree over the whole tenant;
- a who-booked question naming no place asks about the whole tenant.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from bot.queries import (
    TENANT,
    BadTime,
    ChooseRoom,
    FindFree,
    Help,
    IsFree,
    Lang,
    ListSubscriptions,
    Place,
    Query,
    Report,
    Subscribe,
    UnknownRoom,
    Unsubscribe,
    WhoBooked,
)
from bot.understand import when
from bot.understand.capacity import find_capacity
from bot.understand.intent import Features, Intent, classify, signals, small_talk
from bot.understand.lexicon import KNOWN_EN
from bot.understand.normalise import blank, has_cjk, normalise
from bot.understand.rooms import (
    FloorMention,
    Mention,
    find_floors,
    find_names,
    floor_places,
    leftover_words,
    narrow,
)

if TYPE_CHECKING:
    from bot.directory import Directory

_ASCII_WORD = re.compile(r"(?<![a-z0-9'])[a-z]+(?![a-z0-9'])")
_KNOWN_SORTED = sorted(KNOWN_EN)
_CAPITAL_ROOM = re.compile(r"\S\s+Room\b")
SURE = 0.8  # an unknown name this similar to exactly one room is taken as that room


@dataclass(frozen=True)
class Reading:
    """Everything found in one message, before deciding what it asks."""

    lang: Lang
    original: str
    rest: str  # the normalised text with names, floors, times and seats taken out
    time: when.TimeSpec
    capacity: int
    rooms: tuple[Mention, ...]
    buildings: tuple[Mention, ...]
    floors: tuple[FloorMention, ...]
    unknown: tuple[str, ...]
    capital_room: bool  # "is Room free": the generic word used as if it were a name


@dataclass(frozen=True)
class Where:
    """Where a question points: a place, several candidates, or an unknown name."""

    place: Place | None = None
    options: tuple[Place, ...] = ()
    said: str = ""
    suggestions: tuple[Place, ...] = ()
    unknown: bool = False


def parse(text: str, now: datetime, directory: Directory, *, slot_minutes: int = 30) -> Query:
    """Understand one message: a typed Query, with `now` and the directory passed in."""
    lang: Lang = "zh" if has_cjk(text) else "en"
    norm = normalise(text)
    if not any(ch.isalnum() for ch in norm):
        return Help(lang, "asked" if "?" in norm else "not_understood")
    talk = small_talk(norm)
    if talk:
        return Help(lang, talk)
    reading = read(text, lang, correct_typos(norm, directory), directory)
    query = assemble(reading, now, directory, slot_minutes)
    if isinstance(query, BadTime):
        return replace(query, said=surface(text, query.said))
    return query


def correct_typos(text: str, directory: Directory) -> str:
    """Replace misspelt English words by the closest known word or room-name word."""
    names = directory.names.words()

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 4 or word in KNOWN_EN or word in names:
            return word
        return closest_word(word, directory) or word

    return _ASCII_WORD.sub(fix, text)


def closest_word(word: str, directory: Directory) -> str | None:
    """The known word or name word nearest to a typo, preferring names on a tie."""
    name = directory.names.close_word(word, 0.75)
    known = difflib.get_close_matches(word, _KNOWN_SORTED, n=1, cutoff=0.8)
    scores = [(difflib.SequenceMatcher(None, word, cand).ratio(), rank, cand)
              for rank, cand in ((1, name), (0, known[0] if known else None)) if cand]
    return max(scores)[2] if scores else None


def read(original: str, lang: Lang, text: str, directory: Directory) -> Reading:
    """Take names, floors, times and seats out of normalised text, in that order."""
    names, spans = find_names(text, directory.names, whole_only=True)
    rest = blank(text, spans)
    floors, spans = find_floors(rest)
    rest = blank(rest, spans)
    spec, spans = when.extract(rest)
    rest = blank(rest, spans)
    capacity, spans = find_capacity(rest)
    rest = blank(rest, spans)
    words, spans = find_names(rest, directory.names, whole_only=False)
    rest = blank(rest, spans)
    mentions = [*names, *words]
    return Reading(
        lang=lang, original=original, rest=rest, time=spec, capacity=capacity,
        rooms=tuple(m for m in mentions if m.places[0].kind == "room"),
        buildings=tuple(m for m in mentions if m.places[0].kind != "room"),
        floors=tuple(floors), unknown=tuple(leftover_words(rest)),
        capital_room=bool(_CAPITAL_ROOM.search(unicodedata.normalize("NFKC", original))),
    )


def assemble(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Classify the reading and build the Query for its intent."""
    feat = Features(room=bool(r.rooms) or r.capital_room, area=bool(r.floors or r.buildings),
                    unknown=bool(r.unknown), time=r.time.given, capacity=r.capacity > 0)
    intent = classify(signals(r.rest), feat)
    return BUILDERS[intent](r, now, directory, slot)


# -- where --------------------------------------------------------------------------------------
def locate_area(r: Reading, directory: Directory) -> Where:
    """The floor or building named (with the building narrowing the floor), if any."""
    building = r.buildings[0].places[0] if r.buildings else None
    if not r.floors:
        return Where(place=building)
    floor = r.floors[0]
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
    """The place a who-booked / is-free question points at: a room first, then an area."""
    area = locate_area(r, directory)
    if r.rooms:
        mention = r.rooms[0]
        places = narrow(mention.places, directory, area.place)
        if len(places) == 1:
            return Where(place=places[0])
        return Where(options=by_label(places), said=surface(r.original, mention.said))
    if area.place or area.options or area.unknown:
        return area
    if r.capital_room:
        return Where(options=by_label(directory.names.token("room")), said="Room")
    if r.unknown:
        return guess(r, directory)
    return Where()


def guess(r: Reading, directory: Directory) -> Where:
    """An unknown name: take a clear winner ("青城" -> 青城山), else offer the closest names."""
    found = directory.names.similar(r.unknown[0])
    clear = found and found[0][0] >= SURE and (len(found) == 1 or found[1][0] < found[0][0])
    if clear:
        return Where(place=found[0][1])
    said = surface(r.original, r.unknown[0])
    return Where(said=said, suggestions=tuple(place for _, place in found), unknown=True)


def by_label(places: tuple[Place, ...]) -> tuple[Place, ...]:
    """Places sorted by label, so that options always come in the same order."""
    return tuple(sorted(places, key=lambda place: place.label))


def surface(original: str, said: str) -> str:
    """The words as the user typed them (case, width), found again in the original text."""
    folded = unicodedata.normalize("NFKC", original)
    match = re.search(r"\s*".join(re.escape(part) for part in said.split()), folded, re.IGNORECASE)
    return match.group(0) if match else said


# -- builders, one per intent ----------------------------------------------------------------------
def _about(question: WhoBooked | IsFree, where: Where) -> Query:
    """Point a question at the place found, or ask back (ChooseRoom / UnknownRoom)."""
    if where.place:
        return replace(question, place=where.place)
    if where.options:
        return ChooseRoom(question.lang, where.said, where.options,
                          replace(question, place=where.options[0]))
    if where.unknown:
        return UnknownRoom(question.lang, where.said, where.suggestions, question)
    return question


def _who(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Who booked a room, floor, building (or the whole tenant)."""
    window = when.resolve(r.time, now, "who", r.lang, slot)
    if isinstance(window, BadTime):
        return window
    return _about(WhoBooked(r.lang, TENANT, window), locate(r, directory))


def _free(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Is a room, floor or building free; with no place at all, find a free room instead."""
    where = locate(r, directory)
    if not (where.place or where.options or where.unknown):
        return _find(r, now, directory, slot)
    window = when.resolve(r.time, now, "free", r.lang, slot)
    if isinstance(window, BadTime):
        return window
    return _about(IsFree(r.lang, TENANT, window), where)


def _find(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Find free rooms with enough seats, inside a floor or building if one was named."""
    window = when.resolve(r.time, now, "find", r.lang, slot)
    if isinstance(window, BadTime):
        return window
    area = locate_area(r, directory)
    question = FindFree(r.lang, window, r.capacity, area.place or TENANT)
    if area.options:
        return ChooseRoom(r.lang, area.said, area.options,
                          replace(question, place=area.options[0]))
    return question


def _area_or_tenant(r: Reading, directory: Directory) -> Place:
    """The floor/building named (best guess when ambiguous), else the whole tenant."""
    area = locate_area(r, directory)
    return area.place or (area.options[0] if area.options else TENANT)


def _report(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """An on-demand no-show / early-release report."""
    window = when.resolve(r.time, now, "report", r.lang, slot)
    if isinstance(window, BadTime):
        return window
    kinds = signals(r.rest).report_kinds
    return Report(r.lang, kinds, window, _area_or_tenant(r, directory))


def _subscribe(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Subscribe this chat to the daily digest, maybe at a time and for a place."""
    if r.time.error:
        return BadTime(r.lang, r.time.said, r.time.error)
    at = when.clock_time(r.time.start, r.time.part) if r.time.start else None
    kinds = signals(r.rest).report_kinds or ("no_shows", "early_releases")
    return Subscribe(r.lang, kinds, at, _area_or_tenant(r, directory))


def _unsubscribe(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Stop this chat's digests, all of them or one place's."""
    place = _area_or_tenant(r, directory)
    return Unsubscribe(r.lang, None if place == TENANT else place)


def _list(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    """Show this chat's subscriptions."""
    return ListSubscriptions(r.lang)


def _help(reason: str) -> Callable[[Reading, datetime, Directory, int], Query]:
    """A builder for a Help query with a fixed reason."""
    return lambda r, now, directory, slot: Help(r.lang, reason)  # type: ignore[arg-type]


BUILDERS: dict[Intent, Callable[[Reading, datetime, Directory, int], Query]] = {
    "who": _who, "free": _free, "find": _find, "report": _report, "subscribe": _subscribe,
    "unsubscribe": _unsubscribe, "list_subs": _list, "help": _help("asked"),
    "greeting": _help("greeting"), "none": _help("not_understood"),
}

