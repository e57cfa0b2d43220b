"""Every way people name a room or a building, generated from the tenant's own names.

Keys are "compact": normalised, with spaces, dashes, underscores and dots left out, so that
"Room C", "roomc" and "Room-C" share the key "roomc". Two strengths:
- whole keys name the place on their own ("jupiter木星", "qingchengshan", "会议室c", "c栋",
  "blockc", "北塔", "northtower", and room numbers such as "402") and are looked for before
  times and floors are taken out (a number said as a time, "at 1230", is left to the times);
- part keys are words of a name ("jupiter", "木星", "muxing", "c") and are looked for only in
  what is left once times, floors and seats are gone.

Buildings: a name ending in a building word ("总部大楼北塔", "研发中心C栋", "Tower B", "HQ North
Tower", "3号楼", "T2") has a core ("北", "c", "b", "north", "3", "2") that people combine with any
building word, in either language, in either order: "北塔", "北楼", "North Tower", "C座",
"Block C", "Bldg C", "C building", "3栋", "Building 3", "Tower 2". A digit core never gets "楼"
("3楼" is a floor).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understand import pinyin
from bot.understand.normalise import fold_name, has_cjk, name_tokens

GENERIC = frozenset({"room", "rooms", "meeting", "conference", "conf", "the", "会议室", "会议"})
_COMPACT_OUT = re.compile(r"[\s\-_.]+")
_ROOM_FORMS = ("room{}", "{}room", "meetingroom{}", "conferenceroom{}", "confroom{}", "会议室{}",
               "{}会议室", "{}号会议室", "{}号房", "{}室", "{}厅")
_DIRECTIONS = {"北": "north", "南": "south", "东": "east", "西": "west", "中": "central",
               "主": "main"}
_EN_DIRECTIONS = {en: zh for zh, en in _DIRECTIONS.items()} | {"center": "中", "centre": "中",
                                                              "middle": "中"}
_ZH_BUILDING = ("栋", "座", "楼", "塔", "幢", "号楼")
_EN_BUILDING = ("building", "bldg", "block", "blk", "tower")
BUILDING_WORDS = frozenset({*_EN_BUILDING, "wing", "hall", "house"})
_ZH_TAIL = re.compile(r"(?P<core>[a-z0-9]{1,3}|[北南东西中主])\s*(?P<d>号楼|栋|座|楼|塔|幢)$")
_EN_HEAD = re.compile(r"(?:^|\s)(?P<d>tower|building|bldg|block|blk)\s*(?P<core>[a-z0-9]{1,3})$")
_EN_TAIL = re.compile(
    r"(?:^|\s)(?P<core>north|south|east|west|central|centre|center|middle|main|[a-z]|\d{1,3})"
    r"\s+(?P<d>tower|building|bldg|block|wing)$")
_T_NUMBER = re.compile(r"^t(?P<core>\d{1,2})$")


def compact(text: str) -> str:
    """A normalised string without spaces, dashes, underscores or dots ("room c" -> "roomc")."""
    return _COMPACT_OUT.sub("", text)


@dataclass(frozen=True)
class Aliases:
    """The keys a place is known by."""

    whole: frozenset[str]
    part: frozenset[str]


def room_aliases(name: str) -> Aliases:
    """Keys of a room: its name, the name around a generic word, pinyin, and its words."""
    folded = fold_name(name)
    tokens = [t for t in name_tokens(folded) if t not in GENERIC]
    whole = {compact(folded)}
    core = compact(" ".join(tokens))
    if core and core != compact(folded) and not has_cjk(core):
        forms = [f for f in _ROOM_FORMS if core not in ("a", "i") or f != "{}room"]  # "a room"
        whole.update(form.format(core) for form in forms)  # "Room C": "roomc", "会议室c", "c会议室"
    whole.update(t for t in tokens if t.isdigit() and len(t) >= 3)  # "402": taken before times
    cjk = [t for t in tokens if has_cjk(t)]
    if cjk:
        whole.update(_pinyin_name(folded))
    part = {t for t in tokens if not _filler_token(t)}
    for token in cjk:
        part.update(k for k in pinyin.spellings(token) if len(k) >= 4)
    return Aliases(frozenset(k for k in whole if k), frozenset(k for k in part if k))


def _filler_token(token: str) -> bool:
    """A word of a name that does not name it: a short number ("Sun 1"), a lone "号" or "室"."""
    return (token.isdigit() and len(token) < 3) or token in ("号", "室", "厅", "间", "房", "楼", "层")


def _pinyin_name(folded: str) -> set[str]:
    """The whole name with its Chinese written in pinyin ("jupiter 木星" -> "jupitermuxing")."""
    variants = {""}
    for token in name_tokens(folded):
        spelt = pinyin.spellings(token) if has_cjk(token) else {token}
        variants = {v + s for v in variants for s in spelt}
    return {v for v in variants if len(v) >= 4}


def building_aliases(name: str) -> Aliases:
    """Keys of a building: its name, its core with any building word, and its distinctive words."""
    folded = fold_name(name)
    whole = {compact(folded)}
    core = building_core(folded)
    if core:
        whole.update(_core_forms(core))
    whole.update(k for k in _pinyin_name(folded) if has_cjk(folded))
    part = {t for t in name_tokens(folded) if t not in BUILDING_WORDS and t not in GENERIC
            and t not in _ZH_BUILDING and len(t) > 1 and not t.isdigit()}
    return Aliases(frozenset(k for k in whole if k), frozenset(part))


def building_core(folded: str) -> str:
    """What tells a building apart ("总部大楼北塔" -> "北", "tower b" -> "b", "t2" -> "2"), or ""."""
    for segment in (folded, *folded.split()):
        for pattern in (_ZH_TAIL, _EN_HEAD, _EN_TAIL, _T_NUMBER):
            match = pattern.search(segment)
            if match:
                return _EN_DIRECTIONS.get(match.group("core"), match.group("core"))
    return ""


def _core_forms(core: str) -> set[str]:
    """A building core with every building word: "c" -> "c栋", "c座", "blockc", "cbuilding", ..."""
    english = _DIRECTIONS.get(core, core)
    forms = {core + word for word in _ZH_BUILDING
             if not (core.isdigit() and word == "楼") and not (core in _DIRECTIONS and word == "号楼")}
    for word in _EN_BUILDING:
        forms.add(english + word)
        if core not in _DIRECTIONS:
            forms.add(word + english)
    if core.isdigit():
        forms.add("t" + core)
    return forms
