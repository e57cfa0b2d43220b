"""Pinyin of Chinese text, through `pypinyin`, imported on first use.

pypinyin loads its phrase dictionary on import (about 0.3 s), so `import bot.understand` does not
import it: the first user is the directory building its name index (Chinese room names), or the
parser meeting its first Chinese message (homophone typos such as "青成山", "有空麻").
"""
from __future__ import annotations

from functools import cache
from itertools import islice, product
from typing import Any

from bot.understand.normalise import is_cjk

MAX_READINGS = 32


@cache
def _engine() -> Any:
    """pypinyin's lazy_pinyin, imported once."""
    from pypinyin import lazy_pinyin

    return lazy_pinyin


@cache
def _char_readings(ch: str) -> tuple[str, ...]:
    """Every toneless reading of one character ("长" -> ("zhang", "chang"))."""
    from pypinyin import Style, pinyin

    found = pinyin(ch, heteronym=True, style=Style.NORMAL)
    readings = tuple(dict.fromkeys(r for r in found[0] if r.isascii() and r.isalpha())) if found else ()
    return readings or (ch,)


@cache
def syllables(text: str) -> tuple[str, ...]:
    """Toneless pinyin syllables of the CJK characters of `text` ("木星" -> ("mu", "xing")), with
    "ü" written "v" ("绿" -> "lv"); characters that are not CJK are left out."""
    cjk = "".join(ch for ch in text if is_cjk(ch))
    if not cjk:
        return ()
    return tuple(s for s in _engine()(cjk) if s.isascii() and s.isalpha())


def spellings(text: str) -> set[str]:
    """Ways to type the pinyin of a CJK word, spaces left out: "lvzhou" and "luzhou" for "绿洲"."""
    joined = "".join(syllables(text))
    return {joined, joined.replace("v", "u")} - {""}


def readings(text: str) -> set[str]:
    """Every way the CJK characters of `text` may sound, each character read alone as well as in
    context ("长成" -> "zhangcheng" and "changcheng"): a typo is rarely a real phrase."""
    cjk = [ch for ch in text if is_cjk(ch)]
    combos = islice(product(*(_char_readings(ch) for ch in cjk)), MAX_READINGS)
    return {"".join(combo) for combo in combos} | spellings(text)


def char_syllable(ch: str) -> str:
    """The toneless pinyin of one CJK character ("" for anything else)."""
    found = syllables(ch)
    return found[0] if found else ""
