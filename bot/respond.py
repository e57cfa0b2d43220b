"""The one pipeline: understand -> answer -> render -> send once. The one place errors become cards.

    responder = Responder.build(settings)
    responder.respond(item)          # a message, a click, the bot joining or leaving a chat

A `Responder` holds what lives for the whole process (settings, the Feishu gateway, the cached
room directory, the store, the clock); each answer gets its own `AnswerContext` with `now` read once.
"""
from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.answer import AnswerContext, errors, finder
from bot.answer.exports import export_bookings
from bot.answer.releases import answer_release
from bot.answer.reminders import answer_reminder_choice
from bot.answer.report import LIST_DAYS, report_days
from bot.answer.router import answer
from bot.book.desk import BookingDesk, Refused
from bot.book.flow import Booker
from bot.book.keys import click_key, message_key
from bot.book.rules import RulesCache
from bot.config import Settings
from bot.directory.cache import DirectoryCache
from bot.directory.snapshot import snapshot_cache
from bot.feishu.errors import ChatUnreachable, FeishuError, RateLimited
from bot.feishu.gateway import FeishuGateway
from bot.feishu.models import SentMessage
from bot.observe import logs, metrics
from bot.queries import (
    Book,
    ChangeBooking,
    ExportBookings,
    Help,
    Lang,
    MyBookings,
    Query,
    ReleaseInstance,
    ReminderChoice,
    Reply,
    Report,
    UnknownRoom,
    Usage,
)
from bot.receive.events import (
    BookingJob,
    BotAdded,
    BotRemoved,
    CardAction,
    Inbound,
    IncomingMessage,
    kind_of,
    to_payload,
)
from bot.render.cards import render
from bot.store import Store
from bot.understand import actions, context, parse
from bot.understand.form import FormError, is_room_finder, read_form
from bot.understand.parse import parse_follow_up

log = logging.getLogger(__name__)
ITEM_KINDS = {IncomingMessage: "message", CardAction: "click", BotAdded: "bot_added",
              BotRemoved: "bot_removed", BookingJob: "booking"}  # until the question is understood
CJK = re.compile(r"[\u3400-\u9fff]")
Card = dict[str, Any]


@dataclass(frozen=True)
class Toast:
    """A click's answer that leaves the card as it is: a short message in both languages."""

    lang: Lang
    zh: str
    en: str
    kind: str = "warning"

    def body(self) -> dict[str, Any]:
        return {"toast": {"type": self.kind, "content": self.zh if self.lang == "zh" else self.en,
                          "i18n": {"zh_cn": self.zh, "en_us": self.en}}}


def send_uuid(key: str) -> str:
    """A stable Feishu `uuid` for the answer to one inbound item, so a re-run is not posted twice."""
    return hashlib.sha1(key.encode()).hexdigest()[:32]


class Responder:
    """Turns inbound items into cards and sends each answer once, through the gateway."""

    def __init__(self, settings: Settings, gateway: FeishuGateway, directory: DirectoryCache,
                 store: Store, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.gateway = gateway
        self.directory = directory
        self.store = store
        self.clock = clock
        self._bot_open_id = ""
        self.rules = RulesCache(gateway.reserve_rules)
        self.bookings = BookingDesk(Booker(gateway, store, settings.booking, self.rules,
                                           settings.bot.tz))
        self.wake: Callable[[], None] = lambda: None  # the workers set it: a job is waiting

    @classmethod
    def build(cls, settings: Settings, clock: Callable[[], datetime] | None = None,
              store: Store | None = None) -> Responder:
        """Wire the gateway, directory cache and store from settings (no network I/O)."""
        tz = settings.bot.tz
        clock = clock or (lambda: datetime.now(tz))
        gateway = FeishuGateway(settings.feishu, tz=tz, clock=clock,
                                time_budget=settings.bot.time_budget_seconds,
                                ledger_cache_seconds=settings.bot.ledger_cache_seconds)
        root = settings.bot.room_level_id
        store = store or Store.open(settings.storage.url)
        directory = snapshot_cache(gateway, store, root)
        return cls(settings, gateway, directory, store, clock)

    def now(self) -> datetime:
        """The current time in the tenant timezone, to the second."""
        return self.clock().astimezone(self.settings.bot.tz).replace(microsecond=0)

    def context(self, chat_id: str = "", chat_type: str = "p2p",
                user_open_id: str = "") -> AnswerContext:
        """The context of one answer: the directory snapshot and `now`, read once."""
        return AnswerContext(gateway=self.gateway, directory=self.directory.get(),
                             settings=self.settings, now=self.now(), chat_id=chat_id,
                             chat_type=chat_type, user_open_id=user_open_id, store=self.store,
                             rules=self.rules if self.settings.booking.enabled else None)

    # -- the pipeline ------------------------------------------------------------------------

    def respond(self, item: Inbound) -> Card | Toast | None:
        """Handle one inbound item; returns the new card for a button click, None otherwise.

        Its fields (event, chat, question kind, outcome) go on every log line meanwhile, and
        into the answer metrics at the end.
        """
        started = time.monotonic()
        with logs.context(event_id=item.event_id, chat_id=getattr(item, "chat_id", ""),
                          kind=ITEM_KINDS.get(type(item), "other"), outcome="answered",
                          text=getattr(item, "text", "")) as fields:
            try:
                return self._respond(item)
            except Exception:  # not finished: the worker tries again later
                fields["outcome"] = "failed"
                raise
            finally:
                metrics.answered(fields["kind"], fields["outcome"], time.monotonic() - started,
                                 getattr(item, "create_time_ms", 0))

    def _respond(self, item: Inbound) -> Card | Toast | None:
        if isinstance(item, BookingJob):
            self._carry_booking(item)
        elif isinstance(item, IncomingMessage):
            self._on_message(item)
        elif isinstance(item, CardAction):
            return self._on_click(item)
        elif isinstance(item, BotAdded):
            self._on_bot_added(item)
        elif isinstance(item, BotRemoved):
            self.store.deactivate_chat(item.chat_id, item.reason)
        return None

    def card_for_text(self, text: str) -> Card:
        """The card roombot would reply with to `text` in a DM (for `roombot ask`)."""
        message = IncomingMessage("cli", "cli", "", "p2p", "", "user", "text", text)
        return self._safely("cli", lang_of(text), lambda: self._answer_message(message, None))

    def deliver(self, chat_id: str, reply: Reply, uuid: str) -> SentMessage:
        """Render a reply and post it to a chat once (digests, nudges)."""
        return self.gateway.send_card(chat_id, render(reply), uuid=uuid)

    def dead_letter(self, item: Inbound, reason: str) -> None:
        """Tell the asker honestly that their question could not be answered (best effort)."""
        if not isinstance(item, IncomingMessage) or not self._wants_answer(item):
            return
        card = render(errors.unexpected_error_reply(lang_of(item.text), item.event_id))
        try:
            self.gateway.reply_card(item.message_id, card, uuid=send_uuid("dead:" + item.dedupe_key))
        except FeishuError as exc:
            log.warning("event %s: dead letter (%s); error card not sent: %s",
                        item.event_id, reason, exc)

    # -- messages ----------------------------------------------------------------------------

    def _on_message(self, message: IncomingMessage) -> None:
        if not self._wants_answer(message):
            logs.bind(outcome="ignored")
            return
        progress = _Progress(self.gateway, message)
        card = self._safely(message.event_id, lang_of(message.text),
                            lambda: self._answer_message(message, progress))
        progress.deliver(card)

    def _wants_answer(self, message: IncomingMessage) -> bool:
        """Users' messages in DMs, and in groups only when the bot is @-mentioned."""
        if message.sender_type != "user":
            return False
        if message.chat_type == "p2p":
            return True
        if not self._bot_open_id:
            self._bot_open_id = self.gateway.bot_open_id()
        return self._bot_open_id in message.mentioned_open_ids

    def _answer_message(self, message: IncomingMessage, progress: _Progress | None) -> Card:
        ctx = self.context(message.chat_id, message.chat_type, message.sender_open_id)
        query, ctx = self._understand(message, ctx)
        logs.bind(kind=query_kind(query))
        log.info("event %s: %s", message.event_id, type(query).__name__)
        if isinstance(query, (Book, MyBookings, ChangeBooking)):
            return self._answer_booking(query, ctx, message, progress)
        if isinstance(query, ExportBookings):
            return render(self._export(query, ctx, message, progress))
        if progress is not None and isinstance(query, (Report, Usage)):
            progress.working(query, ctx.now)
        reply = answer(query, ctx)
        context.remember(self.store, message.chat_id, message.sender_open_id, query, reply)
        return render(reply)

    def _understand(self, message: IncomingMessage,
                    ctx: AnswerContext) -> tuple[Query, AnswerContext]:
        """Parse the text, or explain what the bot understands when there is no text; the context
        comes back with the directory the text was parsed against."""
        if message.message_type != "text" or not message.text.strip():
            return Help("zh", reason="not_text"), ctx
        last, rooms = context.recall(self.store, message.chat_id, message.sender_open_id,
                                     ctx.directory, ctx.now)
        followed = parse_follow_up(message.text, ctx.now, ctx.directory, last, rooms,
                                   slot_minutes=self.settings.bot.slot_minutes)
        if followed is not None:
            logs.bind(follow_up=last is not None)
            return followed, ctx
        query = parse(message.text, ctx.now, ctx.directory,
                      slot_minutes=self.settings.bot.slot_minutes)
        if isinstance(query, UnknownRoom):
            return self._parse_relisted(message.text, query, ctx)
        return query, ctx

    def _parse_relisted(self, text: str, unknown: UnknownRoom,
                        ctx: AnswerContext) -> tuple[Query, AnswerContext]:
        """Parse the text once more against a re-listed directory: the unknown name may be a room
        added in Feishu since the directory was cached. The cache limits how often it re-lists."""
        try:
            fresh = self.directory.refresh_unknown(unknown.said)
        except FeishuError as exc:  # the cached directory still answers: "no such room"
            log.warning("directory not re-listed for %r: %s", unknown.said, exc)
            return unknown, ctx
        if fresh is None or fresh is ctx.directory:
            return unknown, ctx
        ctx = replace(ctx, directory=fresh)
        return parse(text, ctx.now, fresh, slot_minutes=self.settings.bot.slot_minutes), ctx

    # -- clicks and chat events -----------------------------------------------------------------

    def _on_click(self, action: CardAction) -> Card | Toast:
        lang: Lang = "zh" if action.value.get("lang") == "zh" else "en"
        try:
            return self._safely(action.event_id, lang, lambda: self._answer_click(action, lang))
        except Refused as refused:
            log.info("event %s: refused: %s", action.event_id, refused)
            logs.bind(outcome="refused")
            return Toast(refused.lang, refused.zh, refused.en, refused.kind)

    def _answer_click(self, action: CardAction, lang: Lang) -> Card:
        # A click does not say which kind of chat it came from: assume the stricter group rules.
        ctx = replace(self.context(action.chat_id, "group", action.operator_open_id),
                      click=click_key(action.operator_open_id, action.message_id, action.value))
        if is_room_finder(action.value, action.form_value):
            return render(self._answer_form(action, lang, ctx))
        try:
            query = actions.decode(action.value, ctx.directory, ctx.now)
        except actions.BadAction as exc:
            log.warning("event %s: rejected button value: %s", action.event_id, exc)
            return render(Reply("expired", {}, lang))
        logs.bind(kind=query_kind(query))
        if isinstance(query, Book):
            reply, started = self.bookings.start(query, ctx, key=ctx.click, message_id=action.message_id,
                                                 source="click")
            if started is not None:
                self._queue(BookingJob(started.key))
            return render(reply)
        if isinstance(query, ChangeBooking):
            reply, waiting = self.bookings.change(query, ctx)
            if waiting is not None:  # Feishu decides later: a worker waits and patches this card
                self._queue(BookingJob(waiting.key, action.message_id, len(waiting.history)))
            return render(reply)
        if isinstance(query, MyBookings):
            return self._answer_booking(query, ctx, None, None)
        if isinstance(query, ReleaseInstance):
            return render(answer_release(query, ctx))
        if isinstance(query, ReminderChoice):
            return render(answer_reminder_choice(query, ctx))
        if action.value.get("fresh") is True:  # Refresh: read Feishu, not the ledger cache
            ctx = replace(ctx, fresh=True)
        return render(answer(query, ctx))

    def _answer_form(self, action: CardAction, lang: Lang, ctx: AnswerContext) -> Reply:
        """A submitted room finder: its free rooms, or the form again saying what is wrong."""
        found = read_form(action.form_value, lang, ctx.now, ctx.directory)
        if isinstance(found, FormError):
            log.info("event %s: room finder not asked: %s %s", action.event_id, found.field,
                     found.reason)
            return finder.form_error_reply(found, ctx)
        return answer(found, ctx)

    def _on_bot_added(self, event: BotAdded) -> None:
        """Introduce the bot to a group it just joined."""
        card = self._safely(event.event_id, "zh", lambda: render(answer(
            Help("zh", reason="greeting"),
            self.context(event.chat_id, "group", event.operator_open_id))))
        try:
            self.gateway.send_card(event.chat_id, card, uuid=send_uuid(event.dedupe_key))
        except ChatUnreachable:
            log.info("event %s: chat %s gone before the greeting", event.event_id, event.chat_id)

    # -- bookings --------------------------------------------------------------------------------

    def _answer_booking(self, query: Book | MyBookings | ChangeBooking, ctx: AnswerContext,
                        message: IncomingMessage | None, progress: _Progress | None) -> Card:
        """A typed booking is carried through here (the worker already holds its message); a
        click's is queued as a BookingJob so the callback answers within Feishu's 3 s."""
        if isinstance(query, MyBookings):
            return render(self.bookings.mine(query, ctx))
        if isinstance(query, ChangeBooking):  # typed: this worker waits for Feishu itself
            reply, waiting = self.bookings.change(query, ctx)
            if waiting is None:
                return render(reply)
            if progress is not None:
                progress.start(render(reply))
            return render(self.bookings.run(waiting.key, ctx)[1])
        assert message is not None
        reply, started = self.bookings.start(query, ctx, key=message_key(message.dedupe_key),
                                             message_id="", source="typed")
        if started is None:
            return render(reply)
        if progress is not None:
            progress.start(render(reply))
        _booking, final = self.bookings.run(started.key, ctx)
        return render(final)

    def _export(self, query: ExportBookings, ctx: AnswerContext, message: IncomingMessage,
                progress: _Progress | None) -> Reply:
        """Build the xlsx, upload it and reply with the file (not for `roombot ask`: no chat);
        the card says what was sent. Both sends carry uuids made from the message."""
        if progress is not None and ctx.user_open_id in self.settings.exports.admins:
            progress.working(query, ctx.now)
        reply, data, name = export_bookings(query, ctx)
        if data is None or progress is None:
            return reply
        key = self.gateway.upload_file(name, data)
        self.gateway.reply_file(message.message_id, key, uuid=send_uuid("file:" + message.dedupe_key))
        return replace(reply, data={**reply.data, "sent": True})

    def _queue(self, job: BookingJob) -> None:
        """Record a booking job in the inbox (once per booking) and wake a worker."""
        if self.store.accept_event(job.dedupe_key, kind_of(job), to_payload(job)):
            self.wake()

    def _carry_booking(self, job: BookingJob) -> None:
        """A worker's part of a clicked booking: carry it through Feishu, patch its card."""
        booking = self.store.booking(job.key)
        if booking is None:
            log.warning("booking job %s: no ledger row", job.key[:12])
            return
        lang: Lang = "zh" if booking.lang == "zh" else "en"
        ctx = self.context(booking.chat_id, "group", booking.requester)
        card = self._safely(job.event_id, lang, lambda: render(self.bookings.run(job.key, ctx)[1]))
        if job.message_id or booking.message_id:
            self.gateway.patch_card(job.message_id or booking.message_id, card)

    def _safely(self, ref: str, lang: Lang, build: Callable[[], Card]) -> Card:
        """Build a card; Feishu failures and our own bugs become an honest error card."""
        try:
            return build()
        except Refused:
            raise
        except FeishuError as exc:
            logs.bind(outcome="rate_limited" if isinstance(exc, RateLimited) else "feishu_error",
                      log_id=exc.log_id)
            log.warning("event %s: Feishu error %s %s log_id=%s", ref, exc.code, exc.msg,
                        exc.log_id)
            return render(errors.feishu_error_reply(exc, lang))
        except Exception:
            logs.bind(outcome="error")
            log.exception("event %s: answering failed", ref)
            return render(errors.unexpected_error_reply(lang, ref))


class _Progress:
    """The reply to one message: sent once, or a 'working on it' card first and the answer
    patched in. Both sends carry the item's uuid, so a re-run after a crash posts nothing new."""

    def __init__(self, gateway: FeishuGateway, message: IncomingMessage) -> None:
        self._gateway, self._message = gateway, message
        self._placeholder = ""

    def start(self, card: Card) -> None:
        sent = self._gateway.reply_card(self._message.message_id, card,
                                        uuid=send_uuid(self._message.dedupe_key))
        self._placeholder = sent.message_id

    def working(self, query: Report | Usage | ExportBookings, now: datetime) -> None:
        """The 'working on it' card first, when the window needs Feishu's export (minutes at worst)."""
        days = len(report_days(query.window, now))
        if days > LIST_DAYS:
            self.start(render(Reply("working", {"days": days, "place": query.place.label}, query.lang)))

    def deliver(self, card: Card) -> None:
        if self._placeholder:
            self._gateway.patch_card(self._placeholder, card)
        else:
            self._gateway.reply_card(self._message.message_id, card,
                                     uuid=send_uuid(self._message.dedupe_key))


def query_kind(query: Query) -> str:
    """A query's kind for logs and metrics: WhoBooked -> "who_booked"."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(query).__name__).lower()


def lang_of(text: str) -> Lang:
    """Chinese when the text has any CJK character, else English."""
    return "zh" if CJK.search(text) else "en"
