"""Questions roombot cannot answer as asked: an ambiguous room, an unknown room, an impossible time."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.answer import windows
from bot.answer.help import FALLBACK_ROOM, example_room
from bot.queries import BadTime, ChooseRoom, Help, Place, Reply, UnknownRoom
from bot.understand import actions

if TYPE_CHECKING:
    from bot.answer import AnswerContext

MAX_OPTIONS = 10
MAX_SUGGESTIONS = 5


def answer_choose_room(query: ChooseRoom, ctx: AnswerContext) -> Reply:
    """'Which one?': one button per matching room, each asking the same question about that room."""
    data = _common(query.question, ctx)
    data.update(said=query.said, options=_options(query.options, query.question, ctx, MAX_OPTIONS),
                more=max(0, len(query.options) - MAX_OPTIONS))
    return Reply(card="choose_room", data=data, lang=query.lang)


def answer_unknown_room(query: UnknownRoom, ctx: AnswerContext) -> Reply:
    """No room by that name: the closest names as buttons asking the same question."""
    data = _common(query.question, ctx)
    data.update(said=query.said,
                options=_options(query.suggestions, query.question, ctx, MAX_SUGGESTIONS),
                help=actions.encode(Help(query.lang, "not_understood")))
    return Reply(card="unknown_room", data=data, lang=query.lang)


def answer_bad_time(query: BadTime, ctx: AnswerContext) -> Reply:
    """An impossible or unreadable time: say why, and show a valid example."""
    room = example_room(ctx.directory)
    data = {"said": query.said, "reason": query.reason,
            "room": room.name if room else FALLBACK_ROOM,
            "help": actions.encode(Help(query.lang, "not_understood"))}
    return Reply(card="bad_time", data=data, lang=query.lang)


def _common(question: Any, ctx: AnswerContext) -> dict[str, Any]:
    return {"question": actions.encode(question)["q"],  # who_booked | is_free | find_free
            "window": windows.describe(question.window)}


def _options(places: tuple[Place, ...], question: Any, ctx: AnswerContext,
             limit: int) -> list[dict[str, Any]]:
    """Buttons: the place's label (with its floor for a room) and the question re-asked there."""
    return [{"kind": place.kind, "label": place.label, "location": _location(place, ctx),
             "value": actions.encode(replace(question, place=place))}
            for place in places[:limit]]


def _location(place: Place, ctx: AnswerContext) -> str:
    if place.kind != "room":
        return ""
    room = ctx.directory.room(place.id)
    return ctx.directory.location_label(room) if room is not None else ""
