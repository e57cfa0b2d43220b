"""The keep-or-release reminder card, what its buttons do, and "stop reminding me" / "remind me".

The card asks the holder, `minutes_before` a booking starts: Keep, I'm running late, Release, or
Don't remind me. Keep and late are the holder's alone; Release is the holder's or an admin's (the
same rule and audit as the no-shows card). For a booking roombot made, Release is the booking
card's Cancel (its own button value), so the ledger and its audit stay the one record.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.answer.releases import refusal
from bot.book.desk import Refused
from bot.book.release import (
    AlreadyFree,
    InProgress,
    NotAllowed,
    StillHeld,
    free_again_from,
    release,
)
from bot.queries import ChangeBooking, Lang, ReminderChoice, RemindMe, Reply
from bot.understand import actions

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.store import Reminder

CHOSEN = {"keep": "kept", "late": "late"}


def reminder_reply(row: Reminder, lang: Lang, ctx: AnswerContext, note: str = "") -> Reply:
    """The reminder card for one instance as its row stands (asking, kept, late, released)."""
    tz = ctx.settings.bot.tz
    start, end = datetime.fromtimestamp(row.start, tz), datetime.fromtimestamp(row.end, tz)
    room = ctx.directory.room(row.room_id)
    state = row.state if row.state in ("kept", "late", "released") else "asking"

    def choice(what: str) -> dict[str, Any]:
        return actions.encode(ReminderChoice(lang, row.room_id, row.uid, int(row.start), what))  # type: ignore[arg-type]

    release = (actions.encode(ChangeBooking(lang, "cancel", row.booking_key)) if row.booking_key
               else choice("release"))
    return Reply("reminder", {
        "room": room.name if room else row.room_id,
        "location": ctx.directory.location_label(room) if room else "",
        "start": start, "end": end, "state": state, "note": note,
        "minutes": max(0, round((row.start - ctx.now.timestamp()) / 60)),
        "keep": choice("keep"), "late": choice("late"), "release": release, "stop": choice("stop"),
        "ours": bool(row.booking_key),
    }, lang)


def answer_reminder_choice(query: ReminderChoice, ctx: AnswerContext) -> Reply:
    """A reminder's button: the card again, saying what happened (a refusal is a toast)."""
    assert ctx.store is not None
    store, lang = ctx.store, query.lang
    row = store.reminder(query.room_id, query.uid, float(query.start))
    if row is None:
        raise Refused(lang, "这个提醒已过期。", "This reminder has expired.", kind="info")
    if query.choice == "stop":
        store.set_reminders_wanted(ctx.user_open_id, False)
        return reminder_reply(row, lang, ctx, _t(lang, "好的，以后不再提醒你。想恢复时对我说“提醒我”。",
                                                 "OK, no more reminders for you. Say \"remind me\" to turn them back on."))
    if row.state == "released":
        raise Refused(lang, "这个预订已经释放了。", "This booking is already released.", kind="info")
    if query.choice == "release":
        return _release(row, lang, ctx)
    if ctx.user_open_id != row.holder:
        raise Refused(lang, "只有预订人本人可以回复这个提醒。", "Only the person who booked it can answer this.")
    if row.state != CHOSEN[query.choice]:
        store.move_reminder(row.room_id, row.uid, row.start, CHOSEN[query.choice], was=row.state)
    row = store.reminder(row.room_id, row.uid, row.start) or row
    note = (_t(lang, "好的，会议室给你留着。", "Great, the room stays yours.") if query.choice == "keep" else
            _t(lang, "好的，会议室给你留着。到了记得签到：签到时间过了没人签到，飞书可能会自动释放会议室。",
               "OK, the room stays yours. Check in when you arrive: Feishu may release a room nobody "
               "checks into in time."))
    return reminder_reply(row, lang, ctx, note)


def _release(row: Reminder, lang: Lang, ctx: AnswerContext) -> Reply:
    assert ctx.store is not None
    room = ctx.directory.room(row.room_id)
    name = room.name if room else row.room_id
    try:
        release(row.room_id, row.uid, int(row.start), ctx, "reminder_card")
    except (NotAllowed, AlreadyFree, InProgress, StillHeld) as exc:
        if isinstance(exc, AlreadyFree):
            ctx.store.move_reminder(row.room_id, row.uid, row.start, "released", was=row.state)
        raise refusal(exc, lang, name) from None
    ctx.store.move_reminder(row.room_id, row.uid, row.start, "released", was=row.state)
    row = ctx.store.reminder(row.room_id, row.uid, row.start) or row
    free = free_again_from(row.room_id, row.start, row.end, ctx)
    if free is None:
        note = _t(lang, f"已释放。{name} 在这段时间又被别人订了。", f"Released. {name} has since been booked by someone else.")
    else:
        note = _t(lang, f"已释放：{name} 从 {free:%H:%M} 起空闲。", f"Released: {name} is free again from {free:%H:%M}.")
    return reminder_reply(row, lang, ctx, note)


def answer_remind_me(query: RemindMe, ctx: AnswerContext) -> Reply:
    """Turn a person's reminders off or back on (kept even while the tenant has them off)."""
    assert ctx.store is not None
    ctx.store.set_reminders_wanted(ctx.user_open_id, query.wanted)
    reminders = ctx.settings.reminders
    return Reply("reminder_setting", {"wanted": query.wanted, "enabled": reminders.enabled,
                                      "minutes": reminders.minutes_before}, query.lang)


def _t(lang: Lang, zh: str, en: str) -> str:
    return zh if lang == "zh" else en
