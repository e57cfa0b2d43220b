"""`roombot demo`: the real bot wired to the sandbox tenant by either door, and a chat in the terminal.

`--mode webhook` (the default) pushes signed, encrypted events to the real webhook under waitress;
`--mode long_connection` has the bot open the sandbox's WebSocket through the real lark.ws.Client,
and sends each question and click as a frame over it.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any, Protocol, TextIO

from bot.app import create_app
from bot.cardtext import CardText, card_to_text
from bot.config import Settings
from bot.receive.clicks import ClickDesk
from bot.receive.inbox import Inbox
from bot.receive.longconn import LongConnection, SocketDoor
from bot.respond import Responder
from bot.serve import BackgroundServer
from bot.workers import AnswerWorkers

BANNER = """roombot demo — a sandbox Feishu tenant ({rooms} rooms) and the real bot, wired by {door}.
Type a question in Chinese or English, e.g.
  who booked Mercury today · 谁订了木星 · is 4F free at 3pm · 5楼下午3点有空吗
  find a room for 8 people now · no-shows yesterday · subscribe daily report · help
A number clicks a button of the last card. :group switches to a group chat (@roombot), :dm back,
:sent lists what the bot posted to Feishu, :quit leaves."""


class Door(Protocol):
    """How the sandbox delivers to the bot: a message (a problem, or ""), a click (the reply)."""

    def message(self, text: str, chat_type: str) -> str: ...
    def click(self, value: dict[str, Any], message_id: str, chat_id: str) -> dict[str, Any]: ...


class OverWebhook:
    """Signed, encrypted HTTP POSTs to the webhook (the sandbox's event pusher)."""

    def __init__(self, pusher: Any) -> None:
        self.pusher = pusher

    def message(self, text: str, chat_type: str) -> str:
        push = self.pusher.message(text, chat_type=chat_type,
                                   mention_bot=chat_type == "group" or None)
        return "" if push.status == 200 else f"webhook answered HTTP {push.status}"

    def click(self, value: dict[str, Any], message_id: str, chat_id: str) -> dict[str, Any]:
        return self.pusher.card_action(value, message_id=message_id, chat_id=chat_id).json or {}


class OverLongConnection:
    """Frames over the WebSocket the bot opened to the sandbox."""

    def __init__(self, lc: Any) -> None:
        self.lc = lc

    def message(self, text: str, chat_type: str) -> str:
        delivery = self.lc.message(text, chat_type=chat_type,
                                   mention_bot=chat_type == "group" or None)
        if not delivery.acked:
            return f"not delivered: {delivery.error or 'no ACK'}"
        return "" if delivery.status_code == 200 else f"ACK code {delivery.status_code}"

    def click(self, value: dict[str, Any], message_id: str, chat_id: str) -> dict[str, Any]:
        delivery = self.lc.card_action(value, message_id=message_id, chat_id=chat_id)
        return delivery.response_json or {} if delivery.acked else {}


class DemoChat:
    """One person chatting with the bot through one of the sandbox's doors."""

    def __init__(self, sandbox: Any, door: Door, out: TextIO) -> None:
        self.sandbox, self.door, self.out = sandbox, door, out
        self.chat_type = "p2p"
        self.last: CardText | None = None
        self.last_message_id = ""
        self.last_chat_id = ""

    def say(self, text: str) -> None:
        """Send a message as the user and show the bot's reply card."""
        before = len(self.sandbox.sent)
        problem = self.door.message(text, self.chat_type)
        if problem:
            self.out.write(f"({problem})\n")
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
        reply = self.door.click(value, self.last_message_id, self.last_chat_id)
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
    """Serve the bot in threads and chat with it until :quit or end of input."""
    responder = Responder.build(settings)
    inbox = Inbox(responder.store)
    with ExitStack() as running:
        workers = AnswerWorkers(inbox, responder, settings.bot.workers).start()
        running.callback(workers.stop, wait=False)
        door = _open_door(settings, responder, inbox, sandbox, running)
        out.write(BANNER.format(rooms=len(sandbox.tenant.rooms),
                                door=settings.feishu.mode.replace("_", " ")) + "\n")
        _loop(DemoChat(sandbox, door, out), read, out)
    return 0


def _open_door(settings: Settings, responder: Responder, inbox: Inbox, sandbox: Any,
               running: ExitStack) -> Door:
    """Start the bot's side of the door `settings.feishu.mode` names; stopped with `running`."""
    if settings.feishu.mode == "long_connection":
        link = LongConnection(settings.feishu, SocketDoor(inbox, ClickDesk(inbox, responder)))
        running.callback(link.stop)
        link.start().wait_connected(timeout=30)
        sandbox.long_connection().wait_for_clients(1)
        return OverLongConnection(sandbox.long_connection())
    server = BackgroundServer(create_app(settings, responder, inbox)).start()
    running.callback(server.stop)
    return OverWebhook(sandbox.pusher(f"{server.url}/webhook/event"))


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
