"""What kind of question a message is: phrase signals, then a small decision list."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from bot.queries import ReportKind
from bot.understand import lexicon

Intent = Literal["list_subs", "unsubscribe", "subscribe", "report", "who", "free", "find",
                 "help", "greeting", "none", "usage"]
_SMALL_TALK_JUNK = re.compile(r"[\s!.,~?]+")
_IS_QUESTION = re.compile(r"[\s\x00]*(?:is|are)\b")
# "每周一", "every Monday": the weekday was taken out as a time, "every" stays before the blank
_EVERY_WEEKDAY = re.compile(r"每\s*\x00|\b(?:every|each)\s+\x00")


@dataclass(frozen=True)
class Signals:
    """Which intent phrases a message contains."""

    who: bool = False
    booked: bool = False
    free: bool = False
    find: bool = False
    report: bool = False
    no_shows: bool = False
    early: bool = False
    subscribe: bool = False
    unsubscribe: bool = False
    list_subs: bool = False
    help: bool = False
    greeting: bool = False
    weekly: bool = False  # "weekly", "周报", "每周一": a weekly digest
    daily: bool = False  # "daily", "日报", "每天"
    usage: str = ""  # a usage question's focus: utilisation | peak | idle | sizing
    usage_weak: bool = False  # said only with words that may also ask "is it free now"

    @property
    def report_kinds(self) -> tuple[ReportKind, ...]:
        """The report kinds asked for; both for a generic "report"/"日报"."""
        kinds: tuple[ReportKind, ...] = ()
        if self.no_shows:
            kinds += ("no_shows",)
        if self.early:
            kinds += ("early_releases",)
        return kinds or (("no_shows", "early_releases") if self.report else ())


@dataclass(frozen=True)
class Features:
    """What else the message said, as far as the intent decision cares."""

    room: bool = False  # a room was named (maybe ambiguously)
    area: bool = False  # a floor or building was named
    unknown: bool = False  # a word that may be an unknown room name
    time: bool = False
    capacity: bool = False
    moment: bool = False  # a time of day was said, not only a day ("at 3", "now", "下午")


@cache
def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a phrase group: English phrases on word boundaries (spaces and hyphens
    optional between words), Chinese as substrings."""
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        # "no show" = "no-show" = "noshow"; "didn't" = "didnt"
        escaped = re.escape(phrase).replace(r"\ ", r"[\s\-]*").replace(r"\-", r"[\s\-]*").replace("'", "'?")
        parts.append(rf"(?<![a-z']){escaped}(?![a-z])" if phrase[0].isascii() else escaped)
    return re.compile("|".join(parts))


def has_phrase(text: str, phrases: tuple[str, ...]) -> bool:
    """True when the normalised text contains one of the phrases."""
    return phrase_pattern(phrases).search(text) is not None


def signals(text: str) -> Signals:
    """The intent phrases found in normalised text (with names and times already removed)."""
    unsubscribe = has_phrase(text, lexicon.UNSUBSCRIBE) or (
        has_phrase(text, lexicon.CANCEL) and has_phrase(text, lexicon.SUBSCRIBE + lexicon.LIST_SUBS))
    list_subs = not unsubscribe and has_phrase(text, lexicon.LIST_SUBS)
    return Signals(
        who=has_phrase(text, lexicon.WHO), booked=has_phrase(text, lexicon.BOOKED),
        free=has_phrase(text, lexicon.FREE) or bool(
            _IS_QUESTION.match(text) and has_phrase(text, lexicon.BOOKED)),  # "is Oslo booked at 3"
        find=has_phrase(text, lexicon.FIND),
        report=has_phrase(text, lexicon.REPORT), no_shows=has_phrase(text, lexicon.NO_SHOWS),
        early=has_phrase(text, lexicon.EARLY) or (
            has_phrase(text, lexicon.RELEASE) and has_phrase(text, ("early", "提前"))),
        unsubscribe=unsubscribe,
        subscribe=not (unsubscribe or list_subs) and (has_phrase(text, lexicon.SUBSCRIBE) or (
            recurring(text) and has_phrase(text, lexicon.REPORT))),  # "每周五下午5点发周报"
        weekly=has_phrase(text, lexicon.WEEKLY) or bool(_EVERY_WEEKDAY.search(text)),
        daily=has_phrase(text, lexicon.DAILY),
        list_subs=list_subs, help=has_phrase(text, lexicon.HELP),
        greeting=has_phrase(text, lexicon.GREETING),
        **usage_signals(text, has_phrase(text, lexicon.NO_SHOWS)),
    )


def recurring(text: str) -> bool:
    """True for "every week", "每天", "每周一", "every Monday": something that should repeat."""
    return has_phrase(text, lexicon.RECURRING) or bool(_EVERY_WEEKDAY.search(text))


def usage_signals(text: str, no_shows: bool) -> dict[str, str | bool]:
    """The focus of a usage question: right-sizing, peak hours, idle rooms, then utilisation
    ("unused bookings" are no-shows, not idle rooms)."""
    groups = (("sizing", lexicon.SIZING, False), ("peak", lexicon.PEAK, False),
              ("idle", lexicon.IDLE, False), ("utilisation", lexicon.UTILISATION, False),
              ("idle", lexicon.IDLE_WEAK, True), ("utilisation", lexicon.BUSY_WEAK, True))
    for focus, phrases, weak in groups:
        if has_phrase(text, phrases) and not (focus == "idle" and no_shows):
            return {"usage": focus, "usage_weak": weak}
    return {}


def small_talk(text: str) -> Literal["greeting", "asked"] | None:
    """"greeting" or "asked" (help) when the whole message is only that, else None."""
    rest = phrase_pattern(lexicon.POLITE).sub(" ", text)
    if text.strip() and not _SMALL_TALK_JUNK.sub("", rest):
        return "greeting"  # only "thanks", "please", "谢谢": be friendly
    for kind, phrases in (("greeting", lexicon.GREETING), ("asked", lexicon.HELP)):
        if rest.strip() and not _SMALL_TALK_JUNK.sub("", phrase_pattern(phrases).sub(" ", rest)):
            return kind  # type: ignore[return-value]
    if rest.strip() and not _SMALL_TALK_JUNK.sub("", rest.replace("?", "")) and "?" in rest:
        return "asked"
    return None


def classify(sig: Signals, feat: Features) -> Intent:
    """Decide the question kind: commands first, then who / find / free, then fallbacks."""
    usage = bool(sig.usage) and not (feat.capacity or sig.no_shows or sig.early
                                     or (sig.usage_weak and feat.moment))
    for intent, flag in (("list_subs", sig.list_subs), ("unsubscribe", sig.unsubscribe), ("subscribe", sig.subscribe),
                         ("usage", usage), ("report", bool(sig.report_kinds))):
        if flag:
            return intent  # type: ignore[return-value]
    if sig.who:
        return "who"
    if feat.capacity or (sig.find and not feat.room):
        return "find"
    if sig.free or sig.find:  # "find Mercury at 3" asks whether that room is free
        return "free" if feat.room or feat.area or feat.unknown else "find"
    if sig.booked:
        return "who"
    if feat.room or feat.area:  # no verb: "Mercury at 2pm?" asks about availability
        return "free" if feat.moment else "who"
    return _fallback(sig, feat)


def _fallback(sig: Signals, feat: Features) -> Intent:
    """No question phrase: a bare time means "find me a room"; otherwise help."""
    if feat.time and not feat.unknown:
        return "find"
    if feat.unknown and (sig.find or sig.free):
        return "free"
    if sig.help:
        return "help"
    return "greeting" if sig.greeting and not feat.unknown else "none"
