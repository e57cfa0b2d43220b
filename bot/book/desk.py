"""Where booking questions and clicks are answered: start a booking (written to the ledger, then
carried on by a worker), show one, list a person's, and cancel, extend or check one.

A start answers at once with the "booking…" card; `run` (in a worker) carries the booking through
Feishu and returns the final card, which the caller patches over the first.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.answer import booking as cards
from bot.answer.search import candidates_for, search
from bot.book.flow import TAKEN, Booker, NotYours
from bot.book.rules import refusal
from bot.queries import Book, ChangeBooking, FindFree, Lang, MyBookings, Reply, Window
from bot.store import Booking

if TYPE_CHECKING:
    from bot.answer import AnswerContext
    from bot.feishu.models import Room

log = logging.getLogger(__name__)
SHOWN = ("booked", "unconfirmed", "pending", "new", "event", "extending", "declined")


class Refused(Exception):
    """A change the clicker may not make: answered with a toast, nothing changes."""

    def __init__(self, lang: Lang, zh: str, en: str, kind: str = "warning") -> None:
        super().__init__(en)
        self.lang, self.zh, self.en, self.kind = lang, zh, en, kind


class BookingDesk:
    """Booking answers over one Booker."""

    def __init__(self, booker: Booker) -> None:
        self.booker = booker

    # -- starting a booking --------------------------------------------------------------------

    def start(self, query: Book, ctx: AnswerContext, *, key: str, message_id: str,
              source: str) -> tuple[Reply, Booking | None]:
        """Check the slot, write the ledger row; (the card to show now, the booking if one was
        written and is still to be carried through Feishu)."""
        settings = ctx.settings.booking
        if not settings.enabled:
            return cards.refused_reply(query, None, "disabled", ctx), None
        window = query.window
        if not query.sized:
            window = replace(window, end=window.start + timedelta(minutes=settings.default_minutes))
        query = replace(query, window=window)
        existing = ctx.store.booking(key) if ctx.store else None
        if existing is not None:  # a double click, a redelivery, a re-run: the same booking
            return cards.booking_reply(existing, ctx), existing if existing.is_open else None
        room, why = self._pick(query, ctx)
        if room is None or why:
            return cards.refused_reply(query, room, why or "no_room", ctx), None
        row, _created = self.booker.begin(Booking(
            key=key, requester=ctx.user_open_id, room_id=room.room_id, room_name=room.name,
            start=window.start.timestamp(), end=window.end.timestamp(), lang=query.lang,
            chat_id=ctx.chat_id, message_id=message_id, source=source))
        return cards.booking_reply(row, ctx), row

    def run(self, key: str, ctx: AnswerContext) -> tuple[Booking, Reply]:
        """Carry a started booking as far as Feishu lets it go; the final card."""
        booking = self.booker.run(key)
        return booking, self.card(booking, ctx)

    def card(self, booking: Booking, ctx: AnswerContext) -> Reply:
        """A booking's card; a room someone else took comes with the free rooms nearby."""
        alternatives: Sequence[Room] = ()
        if booking.status == "declined" and booking.reason == TAKEN:
            alternatives = self._alternatives(booking, ctx)
        return cards.booking_reply(booking, ctx, alternatives)

    # -- a person's bookings -------------------------------------------------------------------

    def mine(self, query: MyBookings, ctx: AnswerContext, note: str = "") -> Reply:
        return cards.my_bookings_reply(self._upcoming(ctx), query.lang, ctx, note)

    def change(self, query: ChangeBooking, ctx: AnswerContext) -> tuple[Reply, Booking | None]:
        """Cancel, extend or check the booking a button names or the words point at; (the card,
        the booking when Feishu's answer is still to be awaited by `run`)."""
        if query.key:
            booking = ctx.store.booking(query.key) if ctx.store else None
            if booking is None:
                return Reply("expired", {}, query.lang), None
            return self._change(query, booking, ctx)
        matches = [b for b in self._upcoming(ctx) if b.status in ("booked", "unconfirmed")
                   and _matches(b, query)]
        if len(matches) == 1:
            return self._change(query, matches[0], ctx)
        zh, en = (("没有找到符合的预订，下面是你的全部预订：", "No booking of yours matches that; here are all of them:")
                  if not matches else ("有几个预订符合，请在下面选一个：", "Several bookings match; pick one below:"))
        return self.mine(MyBookings(query.lang), ctx, zh if query.lang == "zh" else en), None

    # -- helpers -------------------------------------------------------------------------------

    def _change(self, query: ChangeBooking, booking: Booking,
                ctx: AnswerContext) -> tuple[Reply, Booking | None]:
        try:
            if query.action == "cancel":
                outcome = self.booker.cancel(booking, ctx.user_open_id)
                return self.card(outcome.booking, ctx), None
            if query.action == "extend":
                outcome = self.booker.extend(booking, ctx.user_open_id, query.minutes)
            else:
                if booking.requester != ctx.user_open_id:
                    self.booker.store.audit(ctx.user_open_id, "refused:check", booking.key,
                                            booking.room_id)
                    raise NotYours("check")
                outcome_booking = self.booker.check(booking)
                return self.card(outcome_booking, ctx), (
                    outcome_booking if outcome_booking.status == "pending" else None)
            return self.card(outcome.booking, ctx), outcome.booking if outcome.changed else None
        except NotYours:
            raise Refused(query.lang, "只有预订人本人可以修改这个预订。",
                          "Only the person this booking is for can change it.") from None

    def _pick(self, query: Book, ctx: AnswerContext) -> tuple[Room | None, str]:
        """The room to book and why not ("" when it can be tried)."""
        max_minutes = ctx.settings.booking.max_minutes
        if query.place.kind == "room":
            room = ctx.directory.room(query.place.id)
            if room is None:
                return None, "no_room"
            rules = ctx.rules.get(room.room_id) if ctx.rules else None
            return room, refusal(rules, query.window.start, query.window.end, ctx.now,
                                 ctx.user_open_id, max_minutes)
        why = refusal(None, query.window.start, query.window.end, ctx.now, ctx.user_open_id, max_minutes)
        if why:
            return None, why
        free = search(FindFree(query.lang, query.window, query.capacity, query.place),
                      candidates_for(FindFree(query.lang, query.window, query.capacity, query.place), ctx),
                      ctx).free
        for room in free:  # best fit first: the first one roombot may book
            rules = ctx.rules.get(room.room_id) if ctx.rules else None
            if not refusal(rules, query.window.start, query.window.end, ctx.now, ctx.user_open_id,
                           max_minutes):
                return room, ""
        return (free[0], refusal(ctx.rules.get(free[0].room_id) if ctx.rules else None,
                                 query.window.start, query.window.end, ctx.now, ctx.user_open_id,
                                 max_minutes)) if free else (None, "no_room")

    def _alternatives(self, booking: Booking, ctx: AnswerContext) -> list[Room]:
        room = ctx.directory.room(booking.room_id)
        if room is None:
            return []
        tz = ctx.settings.bot.tz
        window = Window(datetime.fromtimestamp(booking.start, tz), datetime.fromtimestamp(booking.end, tz))
        floor = ctx.directory.floor_of(room)
        place = ctx.directory.level_place(floor) if floor is not None else ctx.directory.room_place(room)
        query = FindFree("en", window, 0, place)
        free = search(query, candidates_for(query, ctx), ctx).free
        return [r for r in free if r.room_id != booking.room_id]

    def _upcoming(self, ctx: AnswerContext) -> list[Booking]:
        if ctx.store is None:
            return []
        return [b for b in ctx.store.bookings_of(ctx.user_open_id, ctx.now.timestamp()) if b.status in SHOWN]


def _matches(booking: Booking, query: ChangeBooking) -> bool:
    if query.place is not None and query.place.kind == "room" and booking.room_id != query.place.id:
        return False
    if query.window is not None:
        start, end = query.window.start.timestamp(), query.window.end.timestamp()
        if query.window.whole_day:
            return start <= booking.start < end
        return booking.start <= start < booking.end or start <= booking.start < end
    return True

