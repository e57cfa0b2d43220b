"""The one router: each Query type and the function that answers it."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.answer import AnswerContext
from bot.answer.availability import answer_is_free
from bot.answer.clarify import answer_bad_time, answer_choose_room, answer_unknown_room
from bot.answer.free_rooms import answer_find_free
from bot.answer.help import answer_help
from bot.answer.releases import answer_current_no_shows
from bot.answer.reminders import answer_remind_me
from bot.answer.report import answer_report
from bot.answer.subscriptions import (
    answer_list_subscriptions,
    answer_subscribe,
    answer_unsubscribe,
)
from bot.answer.usage import answer_usage
from bot.answer.who_booked import answer_who_booked
from bot.queries import (
    BadTime,
    ChooseRoom,
    CurrentNoShows,
    FindFree,
    Help,
    IsFree,
    ListSubscriptions,
    Query,
    RemindMe,
    Reply,
    Report,
    Subscribe,
    UnknownRoom,
    Unsubscribe,
    Usage,
    WhoBooked,
)

ROUTES: dict[type, Callable[[Any, AnswerContext], Reply]] = {
    WhoBooked: answer_who_booked,
    IsFree: answer_is_free,
    FindFree: answer_find_free,
    Report: answer_report,
    Subscribe: answer_subscribe,
    Unsubscribe: answer_unsubscribe,
    ListSubscriptions: answer_list_subscriptions,
    Help: answer_help,
    ChooseRoom: answer_choose_room,
    UnknownRoom: answer_unknown_room,
    BadTime: answer_bad_time,
    Usage: answer_usage,
    CurrentNoShows: answer_current_no_shows,
    RemindMe: answer_remind_me,
}


def answer(query: Query, ctx: AnswerContext) -> Reply:
    """Answer one question with the function its type routes to (errors propagate)."""
    try:
        handler = ROUTES[type(query)]
    except KeyError:
        raise TypeError(f"no answer for query type {type(query).__name__}") from None
    return handler(query, ctx)
