"""Typed bookings and changes to them: "book Everest 3-4pm", "帮我订明天下午两点的珠峰，一个小时",
"book a room for 6 now", "my bookings", "我的预订", "cancel my 3pm", "把明天的珠峰取消",
"extend my meeting by 30 minutes".

These are commands, so they are recognised before the question kinds (intent.py): a message whose
leftover words (names, times and seats taken out) start with "book"/"reserve"/"订" or say "book me"
/"帮我订" asks to book; "my bookings"/"我的预订" lists; cancel/extend with "my"/a booking word, a
room or a time changes one. "订阅" (subscribe) is never a booking.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from bot.queries import (
    TENANT,
    BadTime,
    Book,
    ChangeBooking,
    ChooseRoom,
    CurrentNoShows,
    ExportBookings,
    MyBookings,
    Query,
    RemindMe,
)
from bot.understand import when
from bot.understand.intent import has_phrase
from bot.understand.where import locate, locate_area

if TYPE_CHECKING:
    from bot.directory.tree import Directory
    from bot.understand.reading import Reading

BookingIntent = Literal["book", "my_bookings", "cancel_booking", "extend_booking", "no_shows_now",
                        "reminders_off", "reminders_on", "export"]

_BOOK_START = re.compile(r"^[\s\x00]*(?:(?:please|pls|can you|could you|would you|can i|could i|"
                         r"i want to|i'd like to|i would like to|let's|lets)\s+)*(?:book|reserve)\b"
                         r"|^[\s\x00，,]*(?:请|麻烦)?(?:帮我|给我|替我|我要|我想)?\s*(?:预订|预定|预约|订)(?!阅)")
BOOK = ("book me", "book a", "book the", "reserve a", "reserve me", "帮我订", "帮我预订", "帮我预定",
        "给我订", "我要订", "我想订", "订一下", "预订一下", "预定一下", "订一间", "订个", "订一个")
MY_BOOKINGS = ("my bookings", "my booking", "my reservations", "my reservation", "what have i booked",
               "what did i book", "what i booked", "我的预订", "我的预定", "我的预约", "我订的", "我订了什么",
               "我订了哪些", "我预订了什么", "我预订的", "我预定的")
CANCEL = ("cancel", "取消", "退掉", "退订")
NO_SHOWS_NOW = ("current no-shows", "current no shows", "no-shows now", "no shows now",
                "booked but empty", "booked but nobody", "booked and empty", "unused right now",
                "订了没人用", "现在没人用", "占着没人用", "订了却没人", "空着的预订")
REMINDERS_OFF = ("stop reminding", "don't remind", "dont remind", "do not remind", "no more reminders",
                 "stop the reminders", "stop reminders", "turn off reminders", "turn reminders off",
                 "unsubscribe from reminders", "别提醒", "不要提醒", "不用提醒", "别再提醒", "不要再提醒",
                 "关闭提醒", "关掉提醒", "取消提醒", "停止提醒", "关闭会议室提醒", "关掉会议室提醒")
REMINDERS_ON = ("remind me", "turn on reminders", "turn reminders on", "start reminding",
                "提醒我", "开启提醒", "打开提醒", "恢复提醒", "要提醒", "开启会议室提醒", "打开会议室提醒")
EXPORT = ("export", "download", "as a file", "as xlsx", "as excel", "导出", "下载", "发个表格", "发表格")
EXTEND = ("extend", "延长", "延时", "续订", "多订")
MINE = ("my", "mine", "我的", "我订", "我预")
SUBSCRIPTION = ("subscription", "subscribe", "digest", "report", "订阅", "日报", "周报")
_EXTEND_BY = re.compile(r"(\d+)\s*(?:min|minutes|mins|分钟)|(\d+(?:\.5)?)\s*(?:h|hour|hours|hr|小时)"
                        r"|(half an hour|半小时|半个小时)")


def booking_intent(rest: str, named_room: bool, timed: bool,
                   now_said: bool = False) -> BookingIntent | None:
    """The booking command in the leftover words, if any. "Booked but unused" is about now: with
    another time said ("昨天…订了没人来") it is a no-show report, not this."""
    if has_phrase(rest, SUBSCRIPTION):
        return None
    if has_phrase(rest, EXPORT):
        return "export"
    if has_phrase(rest, REMINDERS_OFF):
        return "reminders_off"
    if has_phrase(rest, REMINDERS_ON) and not timed:  # "remind me at 3pm to ..." is not this
        return "reminders_on"
    if has_phrase(rest, NO_SHOWS_NOW) and (now_said or not timed):
        return "no_shows_now"
    if has_phrase(rest, CANCEL) and (has_phrase(rest, MINE + ("booking", "reservation", "预订", "预定"))
                                      or named_room or timed):
        return "cancel_booking"
    if has_phrase(rest, EXTEND):
        return "extend_booking"
    if has_phrase(rest, MY_BOOKINGS):
        return "my_bookings"
    if _BOOK_START.search(rest) or has_phrase(rest, BOOK):
        return "book"
    return None


def build_booking(intent: BookingIntent, r: Reading, now: datetime, directory: Directory,
                  slot: int) -> Query:
    """The Query of a booking command."""
    if intent == "my_bookings":
        return MyBookings(r.lang)
    if intent == "export":
        window = when.resolve(r.time, now, "report", r.lang, slot)
        if isinstance(window, BadTime):
            return window
        where = locate(r, directory)
        place = where.place or (locate_area(r, directory).place) or TENANT
        return ExportBookings(r.lang, place, window)
    if intent in ("reminders_off", "reminders_on"):
        return RemindMe(r.lang, intent == "reminders_on")
    if intent == "no_shows_now":
        area = locate_area(r, directory)
        return CurrentNoShows(r.lang, area.place or TENANT)
    if intent == "book":
        return _book(r, now, directory, slot)
    if intent == "extend_booking":  # "by 30 minutes", "延长一个小时": a length, not a window
        where = locate(r, directory)
        place = where.place or (where.options[0] if where.options else None)
        return ChangeBooking(r.lang, "extend", place=place,
                             minutes=r.time.minutes or _extend_by(r.original))
    window = None
    if r.time.given:
        found = when.resolve(r.time, now, "free", r.lang, slot)
        if isinstance(found, BadTime):
            return found
        window = found
    where = locate(r, directory)
    place = where.place or (where.options[0] if where.options else None)
    return ChangeBooking(r.lang, "cancel", window=window, place=place)


def _book(r: Reading, now: datetime, directory: Directory, slot: int) -> Query:
    window = when.resolve(r.time, now, "free", r.lang, slot)
    if isinstance(window, BadTime):
        return window
    sized = bool(r.time.end or r.time.minutes)
    where = locate(r, directory)
    if where.place is not None and where.place.kind == "room":
        return Book(r.lang, where.place, window, r.capacity, sized)
    if where.options and where.options[0].kind == "room":
        question = Book(r.lang, where.options[0], window, r.capacity, sized)
        return ChooseRoom(r.lang, where.said, where.options, question)  # type: ignore[arg-type]
    area = locate_area(r, directory)
    return Book(r.lang, area.place or TENANT, window, r.capacity, sized)


def _extend_by(text: str) -> int:
    match = _EXTEND_BY.search(text.lower())
    if not match:
        return 30
    if match[1]:
        return int(match[1])
    if match[2]:
        return int(float(match[2]) * 60)
    return 30
