"""One obvious path for each inbound item: understand it, answer it, render the card, send it once."""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from typing import Any

from bot import actions
from bot.answer import errors
from bot.answer.context import AnswerContext
from bot.answer.dispatch import answer
from bot.answer.report import LIST_DAYS, report_days
from bot.cards import render
from bot.feishu.errors import ChatUnreachable, FeishuError
from bot.inbound import BotAdded, BotRemoved, CardAction, Inbound, IncomingMessage
from bot.queries import Help, Lang, Query, Reply, Report
from bot.services import Services
from bot.understand import parse

log = logging.getLogger(__name__)
CJK = re.compile(r"[\u3400-\u9fff]")


def send_uuid(key: str) -> str:
    """A stable Feishu `uuid` for the answer to one inbound item, so a re-run is not posted twice."""
    return hashlib.sha1(key.encode()).hexdigest()[:32]


class Conversation:
    """Turns inbound items into answers through the gateway."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._bot_open_id = ""

    def handle(self, item: Inbound) -> dict[str, Any] | None:
        """Process one item; returns the new card for a button click."""
        if isinstance(item, IncomingMessage):
            self.on_message(item)
        elif isinstance(item, CardAction):
            return self.on_card_action(item)
        elif isinstance(item, BotAdded):
            self.on_bot_added(item)
        elif isinstance(item, BotRemoved):
            self.services.store.deactivate_chat(item.chat_id, item.reason)
        return None

    def on_message(self, message: IncomingMessage) -> None:
        """Answer a chat message addressed to the bot."""
        if message.sender_type != "user" or not self._addressed_to_bot(message):
            return
        progress = _Progress(self.services.gateway, message)
        card = self._safely(message.event_id, _lang_of(message.text),
                            lambda: self._answer(message, progress))
        progress.deliver(card)

    def _answer(self, message: IncomingMessage, progress: _Progress | None = None) -> dict[str, Any]:
        context = self._context(message.chat_id, message.chat_type, message.sender_open_id)
        query = self.understand(message, context)
        log.info("event %s: %s", message.event_id, type(query).__name__)
        if progress is not None and isinstance(query, Report):
            days = len(report_days(query.window, context.now))
            if days > LIST_DAYS:  # Feishu's export: minutes at worst
                progress.start(render(Reply("working", {"days": days, "place": query.place.label},
                                            query.lang)))
        return render(answer(query, context))

    def card_for_text(self, text: str) -> dict[str, Any]:
        """The card roombot would reply with to `text` in a DM (for `roombot ask`)."""
        message = IncomingMessage("cli", "cli", "", "p2p", "", "user", "text", text)
        return self._safely("cli", _lang_of(text), lambda: self._answer(message))

    def understand(self, message: IncomingMessage, context: AnswerContext) -> Query:
        """Parse the text, or explain what the bot understands when there is no text."""
        if message.message_type != "text" or not message.text.strip():
            return Help("zh", reason="not_text")
        return parse(message.text, context.now, context.directory,
                     slot_minutes=self.services.settings.bot.slot_minutes)

    def on_card_action(self, action: CardAction) -> dict[str, Any]:
        """Re-check the clicked button's query and answer it with a new card."""
        lang: Lang = "zh" if action.value.get("lang") == "zh" else "en"
        return self._safely(action.event_id, lang, lambda: self._answer_click(action, lang))

    def _answer_click(self, action: CardAction, lang: Lang) -> dict[str, Any]:
        context = self._context(action.chat_id, "", action.operator_open_id)
        try:
            query = actions.decode(action.value, context.directory, context.now)
        except actions.BadAction as exc:
            log.warning("event %s: rejected button value: %s", action.event_id, exc)
            return render(Reply("expired", {}, lang))
        return render(answer(query, context))

    def on_bot_added(self, event: BotAdded) -> None:
        """Introduce the bot to a group it just joined."""
        context = self._context(event.chat_id, "group", event.operator_open_id)
        card = self._card(Help("zh", reason="greeting"), context)
        try:
            self.services.gateway.send_card(event.chat_id, card, uuid=send_uuid(event.dedupe_key))
        except ChatUnreachable:
            log.info("event %s: chat %s gone before the greeting", event.event_id, event.chat_id)

    def _card(self, query: Query, context: AnswerContext) -> dict[str, Any]:
        return self._safely("", query.lang, lambda: render(answer(query, context)))

    def _safely(self, ref: str, lang: Lang, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Build a card; Feishu failures and our own bugs become an honest error card."""
        try:
            return build()
        except FeishuError as exc:  # e.g. the room directory could not be loaded
            log.warning("event %s: Feishu error %s %s log_id=%s", ref, exc.code, exc.msg, exc.log_id)
            return render(errors.feishu_error_reply(exc, lang))
        except Exception:
            log.exception("event %s: answering failed", ref)
            return render(errors.unexpected_error_reply(lang, ref))

    def _addressed_to_bot(self, message: IncomingMessage) -> bool:
        if message.chat_type == "p2p":
            return True
        if not self._bot_open_id:
            self._bot_open_id = self.services.gateway.bot_open_id()
        return self._bot_open_id in message.mentioned_open_ids

    def _context(self, chat_id: str, chat_type: str, user_open_id: str) -> AnswerContext:
        services = self.services
        return AnswerContext(
            gateway=services.gateway, directory=services.directory.get(),
            settings=services.settings, now=services.now(), chat_id=chat_id,
            chat_type=chat_type or "group",  # a click does not say; assume the stricter case
            user_open_id=user_open_id, store=services.store,
        )


class _Progress:
    """The reply to one message: sent once, or a 'working on it' card first and the answer patched in."""

    def __init__(self, gateway: Any, message: IncomingMessage) -> None:
        self._gateway, self._message = gateway, message
        self._placeholder = ""

    def start(self, card: dict[str, Any]) -> None:
        sent = self._gateway.reply_card(self._message.message_id, card,
                                        uuid=send_uuid(self._message.dedupe_key))
        self._placeholder = sent.message_id

    def deliver(self, card: dict[str, Any]) -> None:
        if self._placeholder:
            self._gateway.patch_card(self._placeholder, card)
        else:
            self._gateway.reply_card(self._message.message_id, card,
                                     uuid=send_uuid(self._message.dedupe_key))


def _lang_of(text: str) -> Lang:
    return "zh" if CJK.search(text) else "en"
