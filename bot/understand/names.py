"""The tenant's room and building names as a vocabulary: keys, prefixes, sounds and near misses.

`NameIndex.scan` finds keys (see `aliases`) in normalised text without caring about spaces inside
a name ("qing cheng shan", "Room C", "roomc"), longest first, on word boundaries for Latin letters
and digits and anywhere inside Chinese ("西双版纳" contains the room "版纳"). What a scan leaves
over is tried by prefix ("merc", "青城"), by containment ("xishuangbanna"), by sound ("青成山"
sounds like 青城山) and finally by similarity (rapidfuzz), which also proposes the closest names
for an unknown one.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.queries import Place
from bot.understand import pinyin
from bot.understand.aliases import BUILDING_WORDS, building_aliases, compact, room_aliases
from bot.understand.normalise import fold_name, has_cjk, is_cjk

GAPS = frozenset(" -_.")
MIN_SPACED = 4  # a key this long may be typed with spaces inside ("qing cheng shan")
MAX_PREFIX_PLACES = 6
SUGGEST_CUTOFF = 45  # rapidfuzz ratio (0-100) below which a name is not worth suggesting
_GENERIC_HEADS = ("room", "meeting", "conference", "会议")


@dataclass(frozen=True)
class Hit:
    """A name found in the text: where, as typed, and the places it may mean."""

    start: int
    end: int
    said: str
    places: tuple[Place, ...]


Accept = Callable[[str, int, int, str], bool]  # (text, start, end, key) -> keep this hit?


class NameIndex:
    """Lookups over every key of every room and building of one tenant."""

    def __init__(self, named: Iterable[tuple[str, Place]]) -> None:
        whole: dict[str, dict[Place, None]] = defaultdict(dict)
        part: dict[str, dict[Place, None]] = defaultdict(dict)
        names: set[str] = set()
        for name, place in named:
            aliases = room_aliases(name) if place.kind == "room" else building_aliases(name)
            for key in aliases.whole:
                whole[key][place] = None
            for key in aliases.part:
                part[key][place] = None
            names.update(aliases.part)
            names.add(compact(fold_name(name)))
        self._whole = {key: tuple(places) for key, places in whole.items()}
        self._part = {key: tuple(places) for key, places in part.items()}
        self._lengths = sorted({len(key) for key in (*self._whole, *self._part)}, reverse=True)
        self._sorted = sorted(k for k in names if k in self._whole or k in self._part)
        self._ascii = [k for k in self._sorted if k.isascii() and len(k) >= 3]
        self._cjk = [k for k in self._sorted if has_cjk(k)]
        self._cjk_set = frozenset(self._cjk)
        self._words = _vocabulary(self._part, self._whole)

    # -- exact keys ----------------------------------------------------------------------------
    def lookup(self, key: str, *, whole_only: bool = False) -> tuple[Place, ...]:
        """The places a compact key names (whole keys first, then name words unless whole_only)."""
        found = self._whole.get(key, ())
        if found or whole_only:
            return found
        return self._part.get(key, ())

    def words(self) -> frozenset[str]:
        """Every Latin word of the names, their pinyin and syllables: the speller leaves them be."""
        return self._words

    def cjk_keys(self) -> frozenset[str]:
        """Every Chinese name and name word (the homophone fixer must leave them as they are)."""
        return self._cjk_set

    def starts_name(self, word: str) -> bool:
        """True when `word` is the start of a name or name word ("merc", "qingcheng")."""
        return bool(self._prefixed(compact(word), self._ascii, 3))

    def scan(self, text: str, *, whole_only: bool, accept: Accept) -> list[Hit]:
        """Names in `text`, left to right, longest first, never overlapping."""
        chars, where = _compact_view(text)
        hits: list[Hit] = []
        p = 0
        while p < len(chars):
            hit, used = self._longest_at(text, chars, where, p, whole_only, accept)
            if hit is None:
                p += 1
                continue
            hits.append(hit)
            p += used
        return hits

    def _longest_at(self, text: str, chars: str, where: list[int], p: int, whole_only: bool,
                    accept: Accept) -> tuple[Hit | None, int]:
        """The longest acceptable key starting at compact position p, and its length."""
        if _joined(text, where[p] - 1, where[p]):
            return None, 0
        for length in self._lengths:
            if p + length > len(chars):
                continue
            key = chars[p:p + length]
            places = self.lookup(key, whole_only=whole_only)
            if not places:
                continue
            start, end = where[p], where[p + length - 1] + 1
            said = text[start:end]
            spaced = any(ch in GAPS for ch in said)
            if _joined(text, end - 1, end) or (spaced and length < MIN_SPACED):
                continue
            if accept(text, start, end, key):
                return Hit(start, end, said, places), length
        return None, 0

    # -- what a scan leaves over ----------------------------------------------------------------
    def guess(self, word: str) -> tuple[Place, ...]:
        """Places an unrecognised word surely means: by sound, prefix or containment; else ()."""
        key = compact(word)
        if has_cjk(key):
            return self._by_sound(key) or self._prefixed(key, self._cjk, 2)
        return (self._prefixed(key, self._ascii, 3) or self._contained(key))

    def _by_sound(self, key: str) -> tuple[Place, ...]:
        """Places whose name sounds like a Chinese word, or the start or a part of it ("青成山",
        "青成" -> 青城山; "西双颁纳" -> 版纳)."""
        spellings = sorted(pinyin.readings(key))
        for find in (self.lookup, lambda s: self._prefixed(s, self._ascii, 4), self._contained):
            for spelling in spellings:
                found = find(spelling)
                if found:
                    return found
        return ()

    def _prefixed(self, key: str, pool: list[str], shortest: int) -> tuple[Place, ...]:
        """Places with a name (or name word) that starts with `key` ("merc" -> Mercury)."""
        if len(key) < shortest or any(head.startswith(key) for head in _GENERIC_HEADS):
            return ()
        found: list[Place] = []
        for name in pool[bisect.bisect_left(pool, key):]:
            if not name.startswith(key):
                break
            if name != key:
                for place in self.lookup(name):
                    _add_once(found, place)
        return tuple(found) if len(found) <= MAX_PREFIX_PLACES else ()

    def _contained(self, key: str) -> tuple[Place, ...]:
        """Places with a name word of 4+ letters inside `key` ("xishuangbanna" -> 版纳 Banna)."""
        found: list[Place] = []
        for name in self._ascii:
            if len(name) >= 4 and name in key and name != key:
                for place in self.lookup(name):
                    _add_once(found, place)
        return tuple(found) if len(found) == 1 else ()

    # -- similarity -----------------------------------------------------------------------------
    def similar(self, phrase: str, limit: int = 5) -> list[tuple[float, Place]]:
        """Places whose name, or a word of it, looks like `phrase`, best first (score 0-1)."""
        key = compact(phrase)
        pool = self._cjk if has_cjk(key) else self._ascii
        best: dict[Place, float] = {}
        for name, score, _ in process.extract(key, pool, scorer=fuzz.ratio, limit=limit * 4,
                                              score_cutoff=SUGGEST_CUTOFF):
            for place in self.lookup(name):
                best[place] = max(best.get(place, 0.0), score / 100)
        ranked = sorted(best.items(), key=lambda pair: (-pair[1], pair[0].label))
        return [(score, place) for place, score in ranked[:limit]]

    def close_word(self, word: str, cutoff: float = 0.75) -> str | None:
        """The name word closest to `word` (a typo such as "mercry"), if close enough."""
        found = process.extractOne(word, self._words, scorer=fuzz.ratio, score_cutoff=cutoff * 100)
        return found[0] if found else None


def _add_once(places: list[Place], place: Place) -> None:
    """Append a place unless it is already listed."""
    if place not in places:
        places.append(place)


def _compact_view(text: str) -> tuple[str, list[int]]:
    """The text without gap characters, and where each remaining character was."""
    kept = [(i, ch) for i, ch in enumerate(text) if ch not in GAPS]
    return "".join(ch for _, ch in kept), [i for i, _ in kept]


def _joined(text: str, left: int, right: int) -> bool:
    """True when text[left] and text[right] are both Latin letters or digits (one word)."""
    if left < 0 or right >= len(text):
        return False
    a, b = text[left], text[right]
    return a.isascii() and a.isalnum() and b.isascii() and b.isalnum()


def _vocabulary(*tables: dict[str, tuple[Place, ...]]) -> frozenset[str]:
    """Latin words a speller must not "correct": name words, pinyin, syllables, building words."""
    words = set(BUILDING_WORDS)
    for table in tables:
        for key in table:
            if key.isascii() and key.isalpha():
                words.add(key)
            elif has_cjk(key):
                words.update(pinyin.syllables(key))
    return frozenset(w for w in words if w and not any(is_cjk(ch) for ch in w))
