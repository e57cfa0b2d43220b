"""Text normalisation shared by the parser and the directory: width, case, punctuation, numerals.

Everything the parser matches runs on `normalise(text)`: NFKC (full-width letters, digits and
punctuation become ASCII), lower case, accents dropped from Latin letters ("Mù Xīng" -> "mu xing"),
Chinese punctuation turned into spaces or ASCII, Chinese numerals that count something ("十点",
"两小时", "五楼", "周三", "三点四十五") and English number words that do ("in two hours",
"three o'clock", "at four thirty") turned into digits, and pinyin tone digits dropped
("qing1cheng2shan1" -> "qingchengshan").
"""
from __future__ import annotations

import re
import unicodedata
from functools import cache

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100}
_CN_NUM = "零〇一二两俩三四五六七八九十百"
# A Chinese numeral is a number only before a counter or unit ("三点", "十个人", "五楼") ...
_COUNTED = re.compile(
    rf"[{_CN_NUM}]+(?=\s*(?:点|點|时|時|号|日|月|楼|樓|层|個|个|人|位|分|刻|小时|钟头|座|天|周|号楼|层楼|栋))"
)
# ... or as the minutes of a clock time ("三点四十五", "两点零五", "十点过五分") ...
_CLOCK_MINUTES = re.compile(rf"(?<=[点點])([过過]?)([{_CN_NUM}]+)(?![{_CN_NUM}刻])")
# "大一点", "早一点": "a little bigger/earlier", not one o'clock.
_A_LITTLE = re.compile(r"[大小早晚快慢多少好近远高低宽]一点")
# ... or after a weekday word ("周三", "星期日", "礼拜天"); a number right after it is an hour
# ("周一9点", "周一九点"), so it is kept apart from the weekday's digit.
_WEEKDAY = re.compile(rf"(?<=周|期|拜)([一二三四五六日天])(?=([\d{_CN_NUM}])?)")
_WEEKDAY_NUM = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "日": "7", "天": "7"}
_SPACE_PUNCT = re.compile(r"[。、，,;；!！…「」『』【】《》“”‘\"()（）\[\]{}<>·•|\s]+")
_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "〜": "~", "～": "~", "’": "'", "‘": "'",
                         "：": ":", "？": "?"})
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff]+")
_CJK_GENERIC = re.compile("会议室|会议厅|会客室|会议")
_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x3040, 0x30FF))
_ANY_CJK = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES) + "]")
_FLOOR_PATTERNS = (
    re.compile(r"(\d{1,3})\s*(?:f|/f|楼|层|th floor|st floor|nd floor|rd floor|floor)"),
    re.compile(r"(?:f|floor|fl|level|lvl|l)\s*(\d{1,3})"),
)
_BASEMENT = (re.compile(r"b\s*(\d)"), re.compile(r"地下\s*(\d)\s*[层楼]?"), re.compile(r"-(\d)\s*f?"))
# Pinyin typed with tone digits: at least two syllables, each followed by 1-5.
_TONE_DIGITS = re.compile(r"\b(?:[a-z]{1,6}[1-5]){2,}\b")

_EN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "forty five": 45, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
}
_EN_NUMBER = "|".join(sorted(_EN_NUMBERS, key=len, reverse=True))
# A number word counts or tells time before a unit, or after a word that introduces one.
_EN_COUNTED = re.compile(
    rf"\b(?P<pre>(?:at|@|by|till|until|til|from|to|in|around|about|for|after|before|of|past|half)\s+)?"
    rf"(?P<n>{_EN_NUMBER})\b(?P<post>\s*(?:hours?|hrs?|minutes?|mins?|people|persons?|ppl|pax|"
    rf"seats?|guests?|o'?clock|pm|am|p\.m|a\.m|thirty|fifteen|forty)\b)?")
_QUARTERS = {"thirty": "30", "fifteen": "15", "forty five": "45", "forty-five": "45"}
_HOUR_AND_MINUTES = re.compile(r"\b(\d{1,2}) (thirty|fifteen|forty[- ]five)\b")


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph or kana character."""
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def has_cjk(text: str) -> bool:
    """True when the text contains at least one CJK character."""
    return _ANY_CJK.search(text) is not None


def cn_to_int(numeral: str) -> int | None:
    """Value of a Chinese numeral such as "十一", "二十五", "两", "一百二十"; None if not one."""
    total, current = 0, 0
    for ch in numeral:
        if ch in _CN_DIGITS:
            current = current * 10 + _CN_DIGITS[ch] if current else _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def _counted_to_digits(text: str) -> str:
    """Replace counted Chinese numerals, clock minutes and weekday numerals by ASCII digits."""
    def number(match: re.Match[str]) -> str:
        value = cn_to_int(match.group(0))
        if value is None or _A_LITTLE.match(match.string, max(match.start() - 1, 0)):
            return match.group(0)
        return str(value)

    def minutes(match: re.Match[str]) -> str:
        value = cn_to_int(match.group(2))
        return match.group(0) if value is None or value > 59 else f"{match.group(1)}{value:02d}"

    def weekday(match: re.Match[str]) -> str:
        return _WEEKDAY_NUM[match.group(1)] + (" " if match.group(2) else "")

    text = _WEEKDAY.sub(weekday, text)  # first: "周一九点" is Monday 9:00, not "周19点"
    text = _COUNTED.sub(number, text)
    return _CLOCK_MINUTES.sub(minutes, text)


def english_numbers(text: str) -> str:
    """English number words that count or tell time, as digits ("in two hours", "at four thirty")."""
    def number(match: re.Match[str]) -> str:
        if not (match.group("pre") or match.group("post")):
            return match.group(0)
        return f"{match.group('pre') or ''}{_EN_NUMBERS[match.group('n')]}{match.group('post') or ''}"

    text = _EN_COUNTED.sub(number, text)
    return _HOUR_AND_MINUTES.sub(lambda m: f"{m.group(1)}:{_QUARTERS[m.group(2)]}", text)


@cache
def _latin_base(ch: str) -> str:
    """A Latin letter without its accent ("ī" -> "i", "ü" -> "u"); any other character as is."""
    if ch.isascii() or not ch.isalpha():
        return ch
    base = unicodedata.normalize("NFKD", ch)[0]
    return base if base.isascii() else ch


def normalise(text: str) -> str:
    """Fold width, case and accents, unify punctuation, turn counted numbers into digits."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).lower()
    if not text.isascii():
        text = "".join(map(_latin_base, text))
    text = _SPACE_PUNCT.sub(" ", text)
    text = _TONE_DIGITS.sub(lambda m: re.sub(r"\d", "", m.group(0)), text)
    return english_numbers(_counted_to_digits(text)).strip()


def fold_name(name: str) -> str:
    """Normalise a room, floor or building name for comparisons ("Jupiter  木星" -> "jupiter 木星")."""
    return " ".join(normalise(name).split())


def floor_key(name: str) -> str | None:
    """Canonical floor key of a level name ("5F", "F5", "5楼", "Floor 5" -> "5F"; "B1" -> "B1")."""
    folded = fold_name(name)
    if folded.isdigit():
        return None  # a bare number is not a floor name
    for pattern in _BASEMENT:
        match = pattern.fullmatch(folded)
        if match:
            return f"B{match.group(1)}"
    for pattern in _FLOOR_PATTERNS:
        match = pattern.fullmatch(folded)
        if match:
            return f"{int(match.group(1))}F"
    return None


def name_tokens(folded: str) -> list[str]:
    """Words, numbers and CJK runs of a folded name; CJK generic words ("会议室") split runs."""
    tokens: list[str] = []
    for token in _TOKEN.findall(folded):
        tokens.extend(part for part in _CJK_GENERIC.split(token) if part)
    return tokens


BLANK = "\x00"


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace the spans by BLANK characters, keeping every other index where it was."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = BLANK * (end - start)
    return "".join(chars)
