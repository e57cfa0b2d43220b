"""Route a Query to the answer function for its kind; Feishu failures become an error card."""
from __future__ import annotations

import importlib
from collections.abc import Callable

from bot.answer import errors
from bot.answer.context import AnswerContext
from bot.feishu.errors import FeishuError
from bot.queries import (
    BadTime,
    ChooseRoom,
    FindFree,
    Help,
    IsFree,
    ListSubscriptions,
    Query,
    Reply,
    Report,
    Subscribe,
    UnknownRoom,
    Unsubscribe,
    WhoBooked,
)

Handler = Callable[[Query, AnswerContext], Reply]

# query type -> (module under bot.answer, function). Modules are imported on first use, so a
# missing optional module (report, subscriptions) only affects its own questions.
ROUTES: dict[type, tuple[str, str]] = {
    WhoBooked: ("who_booked", "answer_who_booked"),
    IsFree: ("availability", "answer_is_free"),
    FindFree: ("free_rooms", "answer_find_free"),
    Help: ("help", "answer_help"),
    ChooseRoom: ("clarify", "answer_choose_room"),
    UnknownRoom: ("clarify", "answer_unknown_room"),
    BadTime: ("clarify", "answer_bad_time"),
    Report: ("report", "answer_report"),
    Subscribe: ("subscriptions", "answer_subscribe"),
    Unsubscribe: ("subscriptions", "answer_unsubscribe"),
    ListSubscriptions: ("subscriptions", "answer_list_subscriptions"),
}


def answer(query: Query, ctx: AnswerContext) -> Reply:
    """Answer one question; a FeishuError becomes an honest error card, other errors propagate."""
    handler = handler_for(query)
    try:
        return handler(query, ctx)
    except FeishuError as exc:
        return errors.feishu_error_reply(exc, query.lang)


def handler_for(query: Query) -> Handler:
    """The answer function for this query's type."""
    try:
        module_name, function = ROUTES[type(query)]
    except KeyError:
        raise TypeError(f"no answer for query type {type(query).__name__}") from None
    module = importlib.import_module(f"bot.answer.{module_name}")
    handler: Handler = getattr(module, function)
    return handler
