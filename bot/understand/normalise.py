"""Text normalisation shared by the parser and the directory: width, case, punctuation, numerals.

Everything the parser matches runs on `normalise(text)`: NFKC (full-width letters, digits and
punctuation become ASCII), lower case, Chinese punctuation turned into spaces or ASCII, and
Chinese numerals that count something ("十点", "两小时", "五楼", "周三") turned into digits.
"""
from __future__ import annotations

import re
import unicodedata

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100}
_CN_NUM = "零〇一二两俩三四五六七八九十百"
# A Chinese numeral is a number only before a counter or unit ("三点", "十个人", "五楼") ...
_COUNTED = re.compile(
    rf"[{_CN_NUM}]+(?=\s*(?:点|點|时|時|号|日|月|楼|樓|层|個|个|人|位|分|刻|小时|钟头|座|天|周|号楼|层楼))"
)
# ... or after a weekday word ("周三", "星期日", "礼拜天").
_WEEKDAY = re.compile(r"(?<=周|期|拜)([一二三四五六日天])")
_WEEKDAY_NUM = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "日": "7", "天": "7"}
_SPACE_PUNCT = re.compile(r"[。、，,;；!！…「」『』【】《》“”‘\"()（）\[\]{}<>·•|\s]+")
_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "〜": "~", "～": "~", "’": "'", "‘": "'",
                         "：": ":", "？": "?"})
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff]+")
_CJK_GENERIC = re.compile("会议室|会议厅|会客室|会议")
_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x3040, 0x30FF))
_FLOOR_PATTERNS = (
    re.compile(r"(\d{1,3})\s*(?:f|/f|楼|层|th floor|st floor|nd floor|rd floor|floor)"),
    re.compile(r"(?:f|floor|fl|level|lvl|l)\s*(\d{1,3})"),
)
_BASEMENT = (re.compile(r"b\s*(\d)"), re.compile(r"地下\s*(\d)\s*[层楼]?"), re.compile(r"-(\d)\s*f?"))


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph or kana character."""
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def has_cjk(text: str) -> bool:
    """True when the text contains at least one CJK character."""
    return any(is_cjk(ch) for ch in text)


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
    """Replace counted Chinese numerals and weekday numerals by ASCII digits."""
    def number(match: re.Match[str]) -> str:
        value = cn_to_int(match.group(0))
        return match.group(0) if value is None else str(value)

    text = _COUNTED.sub(number, text)
    return _WEEKDAY.sub(lambda m: _WEEKDAY_NUM[m.group(1)], text)


def normalise(text: str) -> str:
    """Fold width and case, unify punctuation, turn counted Chinese numerals into digits."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).lower()
    text = _SPACE_PUNCT.sub(" ", text)
    return _counted_to_digits(text).strip()


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
