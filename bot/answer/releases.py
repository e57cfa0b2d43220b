"""The current no-shows card ("现在有哪些会议室订了没人用"): bookings under way that nobody checked
into, each with a Release button (only its holder or an admin may press it)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.answer import followups
from bot.answer.bookings import names_visible
from bot.book.release import current_no_shows
from bot.queries import CurrentNoShows, ReleaseInstance, Reply
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
