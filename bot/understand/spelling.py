"""Typo correction against what the parser knows: its own keywords and the tenant's names.

Latin words: a word that is neither a known word nor a name word (nor the start of a name, such
as "merc") is replaced by the nearest of them: one edit away (a letter swapped with its
neighbour, dropped, doubled or mistyped: "avaliable", "romo", "frwe", "mercry"), two for words
of eight letters or more (rapidfuzz's optimal-string-alignment distance), keeping its first
letter. A three-letter word is only fixed by swapping two neighbouring letters ("hwo" -> "who")
or by the one letter it misses ("fre" -> "free", "oso" -> "oslo"), when that is unambiguous.

Chinese: typing by pinyin, the usual typo is a homophone ("谁定了", "有空麻", "没签道"). A run of
characters that sounds exactly like a keyword but differs from it in one character is replaced
by it; keywords and room names found as they stand are left alone (a room name typed that way,
"青成山", is found by sound by the name index). This needs pypinyin, so it only runs on text
that has Chinese.
"""
from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.understand import lexicon, pinyin
from bot.understand.lexicon import KNOWN_EN
from bot.understand.normalise import has_cjk, is_cjk

if TYPE_CHECKING:
    from bot.understand.names import NameIndex

_ASCII_WORD = re.compile(r"(?<![a-z0-9'])[a-z]+(?![a-z0-9])(?!'(?!s\b))")  # "who's": "who"
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")
_KNOWN_SORTED = sorted(KNOWN_EN)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def correct(text: str, names: NameIndex) -> str:
    """Fix typos in Latin words, then homophone typos in Chinese."""
    text = _ASCII_WORD.sub(lambda m: _fix_word(m.group(0), names), text)
    return fix_homophones(text, names) if has_cjk(text) else text


def _fix_word(word: str, names: NameIndex) -> str:
    """One Latin word, corrected when it is a typo of a known word or a name word."""
    vocabulary = names.words()
    if len(word) < 3 or word in KNOWN_EN or word in vocabulary or names.starts_name(word):
        return word
    if len(word) == 3:
        return swapped(word, vocabulary) or missing_letter(word, vocabulary) or word
    return closest_word(word, vocabulary) or word


def closest_word(word: str, vocabulary: frozenset[str]) -> str | None:
    """The known word or name word nearest to a typo: fewest edits, then most similar
    ("bookd" -> "booked", not "book"); names win a tie. A typo keeps its first letter, unless
    the first two letters are swapped ("saturn" is not "turn", "banna" not "wanna")."""
    edits = 1 if len(word) < 8 else 2
    near = [(distance, -fuzz.ratio(word, cand), rank, cand)
            for rank, pool in ((0, vocabulary), (1, _KNOWN_SORTED))
            for cand, distance, _ in process.extract(word, pool, scorer=OSA.distance,
                                                     score_cutoff=edits, limit=20)
            if cand[0] == word[0] or cand[:2] == word[1::-1]]
    return min(near)[3] if near else None


def swapped(word: str, vocabulary: frozenset[str]) -> str | None:
    """A known three-letter word that is `word` with two neighbouring letters swapped."""
    for i in range(len(word) - 1):
        candidate = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if candidate in KNOWN_EN or candidate in vocabulary:
            return candidate
    return None


def missing_letter(word: str, vocabulary: frozenset[str]) -> str | None:
    """The only known word or name word that is `word` with one letter put back ("fre" -> "free")."""
    found = {cand for i in range(1, len(word) + 1) for letter in _LETTERS
             if (cand := word[:i] + letter + word[i:]) in KNOWN_EN or cand in vocabulary}
    return found.pop() if len(found) == 1 else None


# -- Chinese homophones ------------------------------------------------------------------------
def fix_homophones(text: str, names: NameIndex) -> str:
    """Replace runs that sound like a keyword or name but are one character off ("谁定了")."""
    return _CJK_RUN.sub(lambda m: _fix_run(m.group(0), names), text)


def _fix_run(run: str, names: NameIndex) -> str:
    """One run of Chinese characters, with homophone typos replaced."""
    out = list(run)
    i = 0
    while i < len(out):
        i += _fix_at(out, i, names.cjk_keys()) or 1
    return "".join(out)


def _fix_at(chars: list[str], i: int, names: frozenset[str]) -> int:
    """Fix the longest homophone typo starting at i; the length taken (0 if none).

    A keyword or a name found as it stands is kept (and skipped), so that a name is never
    "corrected" into a keyword that sounds like it.
    """
    for length in (4, 3, 2):
        window = "".join(chars[i:i + length])
        if len(window) < length:
            continue
        if window in _phrases() or window in names:
            return length
        target = _sounds().get(_sound(window))
        if target and sum(a != b for a, b in zip(window, target, strict=True)) == 1:
            chars[i:i + length] = list(target)
            return length
    return 0


def _sound(word: str) -> tuple[str, ...]:
    """The toneless pinyin of each character."""
    return tuple(pinyin.char_syllable(ch) for ch in word)


@cache
def _phrases() -> frozenset[str]:
    """Every Chinese keyword the parser knows, two to four characters long."""
    groups = (lexicon.WHO, lexicon.BOOKED, lexicon.FREE, lexicon.FIND, lexicon.NO_SHOWS,
              lexicon.EARLY, lexicon.REPORT, lexicon.SUBSCRIBE, lexicon.UNSUBSCRIBE,
              lexicon.LIST_SUBS, lexicon.HELP, lexicon.GREETING, lexicon.POLITE,
              lexicon.ZH_TIME_WORDS, lexicon.ZH_FILLER)
    return frozenset(p for group in groups for p in group
                     if 2 <= len(p) <= 4 and all(is_cjk(ch) for ch in p))


@cache
def _sounds() -> dict[tuple[str, ...], str]:
    """Keyword by sound; a sound shared by two keywords maps to neither (no guessing)."""
    table: dict[tuple[str, ...], str] = {}
    clashes: set[tuple[str, ...]] = set()
    for phrase in sorted(_phrases()):
        sound = _sound(phrase)
        if sound in table:
            clashes.add(sound)
        table[sound] = phrase
    return {sound: phrase for sound, phrase in table.items() if sound not in clashes}
