"""The current no-shows card ("现在有哪些会议室订了没人用"): bookings under way that nobody checked
into, each with a Release button (only its holder or an admin may press it)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.answer import followups
from bot.answer.bookings import names_visible
from bot.book.desk import Refused
from bot.book.release import (
    AlreadyFree,
    InProgress,
    NotAllowed,
    StillHeld,
    current_no_shows,
    release,
)
from bot.queries import CurrentNoShows, Lang, ReleaseInstance, Reply
from bot.understand import actions

if TYPE_CHECKING:
    from bot.answer import AnswerContext

MAX_ROWS = 10


def answer_current_no_shows(query: CurrentNoShows, ctx: AnswerContext, note: str = "") -> Reply:
    unused = current_no_shows(query.place, ctx)
    show = names_visible(ctx.settings, ctx.chat_type)
    rows: list[dict[str, Any]] = [{
        "room": u.room, "start": u.start, "end": u.end, "holder": u.holder if show else "",
        "release": actions.encode(ReleaseInstance(query.lang, u.room_id, u.uid, int(u.start.timestamp()),
                                                  query.place)),
    } for u in unused[:MAX_ROWS]]
    return Reply("no_shows_now", {
        "place": query.place.label, "rows": rows, "total": len(unused), "note": note, "now": ctx.now,
        "minutes": ctx.settings.reminders.no_show_after_minutes,
        "buttons": [followups.button("refresh", query)],
    }, query.lang)


def answer_release(query: ReleaseInstance, ctx: AnswerContext) -> Reply:
    """A Release click on the current no-shows card: end the instance if the clicker holds it or
    is an admin; the card again, saying what happened (a refusal is a toast, and audited)."""
    room = ctx.directory.room(query.room_id)
    name = room.name if room else query.room_id
    try:
        free_from, _log_id = release(query.room_id, query.uid, query.start, ctx, "no_shows_card")
    except (NotAllowed, AlreadyFree, InProgress, StillHeld) as exc:
        raise refusal(exc, query.lang, name) from None
    note = (f"已释放：{name} 从 {free_from:%H:%M} 起空闲。" if query.lang == "zh"
            else f"Released: {name} is free again from {free_from:%H:%M}.")
    return answer_current_no_shows(CurrentNoShows(query.lang, query.place), ctx, note)


def refusal(exc: Exception, lang: Lang, name: str) -> Refused:
    """The toast for a release that was not made (the card stays as it is)."""
    if isinstance(exc, NotAllowed):
        return Refused(lang, "只有预订人本人或管理员可以释放这个会议室。",
                       "Only the person who booked it or an admin can release it.")
    if isinstance(exc, AlreadyFree):
        return Refused(lang, f"{name} 已经释放了。", f"{name} is already released.", kind="info")
    if isinstance(exc, InProgress):
        return Refused(lang, f"{name} 正在释放，请稍候。", f"{name} is being released right now.",
                       kind="info")
    assert isinstance(exc, StillHeld), exc
    return Refused(lang, f"飞书暂时没有响应，{name} 仍被占用。请稍后再点“释放”。",
                   f"Feishu did not answer, so {name} is still booked. Try Release again in a moment.",
                   kind="error")
