"""`roombot demo`: the real webhook wired to the sandbox tenant, and a chat in the terminal."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

from bot.app import create_app
from bot.cardtext import CardText, card_to_text
from bot.config import Settings
from bot.receive.inbox import Inbox
from bot.respond import Responder
from bot.serve import BackgroundServer
from bot.workers import AnswerWorkers

BANNER = """roombot demo — a sandbox Feishu tenant ({rooms} rooms) and the real bot, wired over HTTP.
Type a question in Chinese or English, e.g.
  who booked Mercury today · 谁订了木星 · is 4F free at 3pm · 5楼下午3点有空吗
  find a room for 8 people now · no-shows yesterday · subscribe daily report · help
A number clicks a button of the last card. :group switches to a group chat (@roombot), :dm back,
:sent lists what the bot posted to Feishu, :quit leaves."""


class DemoChat:
    """One person chatting with the bot through the sandbox's event pusher."""

    def __init__(self, sandbox: Any, pusher: Any, out: TextIO) -> None:
        self.sandbox, self.pusher, self.out = sandbox, pusher, out
        self.chat_type = "p2p"
        self.last: CardText | None = None
        self.last_message_id = ""
        self.last_chat_id = ""

    def say(self, text: str) -> None:
        """Send a message as the user and show the bot's reply card."""
        before = len(self.sandbox.sent)
        push = self.pusher.message(text, chat_type=self.chat_type,
                                   mention_bot=self.chat_type == "group" or None)
        if push.status != 200:
            self.out.write(f"(webhook answered HTTP {push.status})\n")
            return
        sent = self.sandbox.wait_for_sent(before + 1, timeout=30)
        if len(sent) <= before:
            self.out.write("(no answer: the bot ignored this message)\n")
            return
        record = sent[-1]
        self.last_message_id, self.last_chat_id = record.message_id, record.chat_id
        self._show(record.content)

    def click(self, number: int) -> None:
        """Click button `number` of the last card."""
        if not self.last or not 1 <= number <= len(self.last.buttons):
            self.out.write("(no such button)\n")
            return
        label, value = self.last.buttons[number - 1]
        self.out.write(f"(clicked “{label}”)\n")
        push = self.pusher.card_action(value, message_id=self.last_message_id,
                                       chat_id=self.last_chat_id)
        reply = push.json or {}
        if reply.get("card", {}).get("data"):
            self._show(reply["card"]["data"])
        elif reply.get("toast"):
            self.out.write(f"(toast) {reply['toast'].get('content', '')}\n")

    def show_sent(self) -> None:
        for record in self.sandbox.sent:
            kind = f"reply to {record.reply_to}" if record.reply_to else f"to {record.receive_id}"
            self.out.write(f"{record.message_id} {record.msg_type} {kind} patches={len(record.patches)}\n")

    def _show(self, card: dict[str, Any]) -> None:
        self.last = card_to_text(card)
        self.out.write(str(self.last) + "\n")


def run_demo(settings: Settings, sandbox: Any, read: Callable[[str], str] = input,
             out: TextIO = sys.stdout) -> int:
    """Serve the bot in a thread and chat with it until :quit or end of input."""
    responder = Responder.build(settings)
    inbox = Inbox(responder.store)
    workers = AnswerWorkers(inbox, responder, settings.bot.workers).start()
    server = BackgroundServer(create_app(settings, responder, inbox)).start()
    chat = DemoChat(sandbox, sandbox.pusher(f"{server.url}/webhook/event"), out)
    out.write(BANNER.format(rooms=len(sandbox.tenant.rooms)) + "\n")
    try:
        _loop(chat, read, out)
    finally:
        server.stop()
        workers.stop(wait=False)
    return 0


def _loop(chat: DemoChat, read: Callable[[str], str], out: TextIO) -> None:
    while True:
        try:
            line = read("\nyou> " if chat.chat_type == "p2p" else "\nyou (group, @roombot)> ").strip()
        except EOFError:
            return
        if line in (":quit", ":q", "exit"):
            return
        if line == ":group" or line == ":dm":
            chat.chat_type = "group" if line == ":group" else "p2p"
        elif line == ":sent":
            chat.show_sent()
        elif line.isdigit():
            chat.click(int(line))
        elif line:
            chat.say(line)
