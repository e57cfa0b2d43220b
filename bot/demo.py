"""`roombot demo`: the real bot wired to the sandbox tenant by either door, and a chat in the terminal.

`--mode webhook` (the default) pushes signed, encrypted events to the real webhook under waitress;
`--mode long_connection` has the bot open the sandbox's WebSocket through the real lark.ws.Client,
and sends each question and click as a frame over it.

A form's submit button (the room finder on the help and free-room cards) asks for each field in
turn, then sends the click with `action.form_value` as the Feishu client does: {name: value} for
every field that holds a value, pickers' values followed by the client's UTC offset
("2024-05-14 +0800", "14:30 +0800"), a select's option value. Like the real components, a picker
takes only a real date or time and a select only one of its options; an input takes any text up
to its max_length, so the bot's own checks answer a bad one (the form again, saying what is wrong).
"""
from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from typing import Any, Protocol, TextIO

from bot.app import create_app
from bot.config import Settings
from bot.digest.fetch import DigestDataError
from bot.digest.history import backfill
from bot.feishu.errors import FeishuError
from bot.receive.clicks import ClickDesk
from bot.receive.inbox import Inbox
from bot.receive.longconn import LongConnection, SocketDoor
from bot.render.text import CardText, FormField, card_to_text
from bot.respond import Responder
from bot.serve import BackgroundServer
from bot.workers import AnswerWorkers

log = logging.getLogger(__name__)

BANNER = """roombot demo — a sandbox Feishu tenant ({rooms} rooms) and the real bot, wired by {door}.
Type a question in Chinese or English, e.g.
  who booked Mercury today · 谁订了木星 · is 4F free at 3pm · 5楼下午3点有空吗
  find a room for 8 people now · no-shows yesterday · subscribe daily report · help
A number clicks a button of the last card; a form's button, marked (form), first asks for each
field (Enter keeps the value shown, - clears it, :cancel gives up). When the bot updates a card
(a report that took a while, a button's answer) the new version is printed under (card updated).
:group switches to a group chat (@roombot), :dm back, :sent lists what the bot posted to Feishu,
:quit leaves."""


class Door(Protocol):
    """How the sandbox delivers to the bot: a message (a problem, or ""), a click (the reply)."""

    def message(self, text: str, chat_type: str) -> str: ...
    def click(self, value: dict[str, Any], message_id: str, chat_id: str,
              form_value: dict[str, Any] | None = None) -> dict[str, Any]: ...


class OverWebhook:
    """Signed, encrypted HTTP POSTs to the webhook (the sandbox's event pusher)."""

    def __init__(self, pusher: Any) -> None:
        self.pusher = pusher

    def message(self, text: str, chat_type: str) -> str:
        push = self.pusher.message(text, chat_type=chat_type,
                                   mention_bot=chat_type == "group" or None)
        return "" if push.status == 200 else f"webhook answered HTTP {push.status}"

    def click(self, value: dict[str, Any], message_id: str, chat_id: str,
              form_value: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.pusher.card_action(value, message_id=message_id, chat_id=chat_id,
                                       form_value=form_value).json or {}


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

    def click(self, value: dict[str, Any], message_id: str, chat_id: str,
              form_value: dict[str, Any] | None = None) -> dict[str, Any]:
        delivery = self.lc.card_action(value, message_id=message_id, chat_id=chat_id,
                                       form_value=form_value)
        return delivery.response_json or {} if delivery.acked else {}


class DemoChat:
    """One person chatting with the bot through one of the sandbox's doors."""

    def __init__(self, sandbox: Any, door: Door, out: TextIO,
                 read: Callable[[str], str] = input) -> None:
        self.sandbox, self.door, self.out, self.read = sandbox, door, out, read
        self.chat_type = "p2p"
        self.last: CardText | None = None
        self.last_message_id = ""
        self.last_chat_id = ""
        self.prompt = ""
        self._printing = threading.Lock()
        self._shown: dict[str, int] = {}  # message id -> id() of the version last printed
        sandbox.on_card_update(self._patched)

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
        with self._printing:
            self.last_message_id, self.last_chat_id = record.message_id, record.chat_id
            card = record.card  # a patch may already have replaced the first version
            self._shown[record.message_id] = id(card)
            self._show(card)

    def click(self, number: int) -> None:
        """Click button `number` of the last card (a form's submit button: fill the form first)."""
        if not self.last or not 1 <= number <= len(self.last.buttons):
            self.out.write("(no such button)\n")
            return
        label, value = self.last.buttons[number - 1]
        form_value = None
        if number in self.last.forms:
            form_value = self.fill(label, self.last.forms[number])
            if form_value is None:
                self.out.write("(form not sent)\n")
                return
        self.out.write(f"(clicked “{label}”)\n")
        reply = self.door.click(value, self.last_message_id, self.last_chat_id, form_value)
        if reply.get("card", {}).get("data"):
            with self._printing:
                self._shown[self.last_message_id] = id(reply["card"]["data"])
                self.out.write("(card updated)\n")
                self._show(reply["card"]["data"])
        elif reply.get("toast"):
            self.out.write(f"(toast) {reply['toast'].get('content', '')}\n")

    def fill(self, label: str, fields: list[FormField]) -> dict[str, Any] | None:
        """Ask for each field; the form_value Feishu would send, or None if the person gave up."""
        self.out.write(f"(filling in “{label}”: Enter keeps the value shown, - clears it, "
                       ":cancel gives up)\n")
        offset = self.sandbox.now().strftime("%z")  # the client's, as Feishu appends it
        form_value: dict[str, Any] = {}
        for field in fields:
            picked = self._ask(field)
            if picked is None:
                return None
            if picked:
                form_value[field.name] = f"{picked} {offset}" if field.tag in PICKERS else picked
        return form_value

    def _ask(self, field: FormField) -> str | None:
        """One field's value ("" for none), asked until the component could hold it."""
        for line in _numbered(field.options):
            self.out.write(f"    {line}\n")
        hint = HINTS.get(field.tag) or field.placeholder
        prompt = f"  {field.label}" + (f" ({hint})" if hint else "")
        prompt += (f" [{field.shown()}]" if field.initial else "") + ": "
        while True:
            try:
                answer = self.read(prompt).strip()
            except EOFError:
                return None
            if answer == ":cancel":
                return None
            picked = field_value(field, answer)
            if picked is None:
                self.out.write(f"  (not a value {field.label} can hold: "
                               f"{_expected(field)})\n")
            elif field.required and not picked:
                self.out.write(f"  ({field.label} is required)\n")
            else:
                return picked

    def show_sent(self) -> None:
        for record in self.sandbox.sent:
            kind = f"reply to {record.reply_to}" if record.reply_to else f"to {record.receive_id}"
            self.out.write(f"{record.message_id} {record.msg_type} {kind} patches={len(record.patches)}\n")

    def _patched(self, record: Any, card: dict[str, Any]) -> None:
        """The bot updated a card this chat showed: print the new version as Feishu redraws it."""
        with self._printing:
            if self._shown.get(record.message_id, id(card)) == id(card):
                return  # not shown here, or this very version was just printed
            self._shown[record.message_id] = id(card)
            self.out.write("\n(card updated)\n")
            if record.message_id == self.last_message_id:
                self._show(card)  # its buttons are the ones a number clicks now
            else:
                self.out.write(str(card_to_text(card)) + "\n")
            self.out.write(self.prompt)
            self.out.flush()

    def _show(self, card: dict[str, Any]) -> None:
        self.last = card_to_text(card)
        self.out.write(str(self.last) + "\n")


PICKERS = ("date_picker", "picker_time", "picker_datetime")
HINTS = {"date_picker": "YYYY-MM-DD", "picker_time": "HH:MM", "picker_datetime": "YYYY-MM-DD HH:MM",
         "select_static": "number or name"}
DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
TIME = re.compile(r"(\d{1,2}):(\d{2})")
OPTIONS_WIDTH = 96


def field_value(field: FormField, answer: str) -> str | None:
    """What the component sends for a typed answer: "" keeps the card's value, "-" clears it;
    None when the real component could not hold the answer (the demo asks again)."""
    if answer == "":
        answer = field.initial
    if answer in ("", "-"):
        return ""
    if field.tag == "select_static":
        return _option(field, answer)
    if field.tag == "date_picker":
        return _date(answer)
    if field.tag == "picker_time":
        return _time(answer)
    if field.tag == "picker_datetime":
        day, _, clock = answer.partition(" ")
        picked_day, picked_time = _date(day), _time(clock.strip())
        return f"{picked_day} {picked_time}" if picked_day and picked_time else None
    if field.max_length and len(answer) > field.max_length:
        return None
    return answer


def _option(field: FormField, answer: str) -> str | None:
    """An option's value, by its number, its label or its value."""
    if answer.isdigit() and 1 <= int(answer) <= len(field.options):
        return field.options[int(answer) - 1][1]
    wanted = answer.casefold()
    return next((value for label, value in field.options
                 if wanted in (label.casefold(), value.casefold())), None)


def _date(answer: str) -> str | None:
    match = DATE.fullmatch(answer)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return None


def _time(answer: str) -> str | None:
    match = TIME.fullmatch(answer)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _expected(field: FormField) -> str:
    if field.tag == "select_static":
        return "pick one of the options by its number or name"
    if field.tag in PICKERS:
        return "like " + {"date_picker": "2024-05-14", "picker_time": "14:30"}.get(
            field.tag, "2024-05-14 14:30")
    return f"at most {field.max_length} characters"


def _numbered(options: tuple[tuple[str, str], ...]) -> list[str]:
    """A select's options as "1) Anywhere   2) A座 ..." lines."""
    lines: list[str] = []
    line = ""
    for number, (label, _value) in enumerate(options, 1):
        item = f"{number}) {label}"
        if line and len(line) + 3 + len(item) > OPTIONS_WIDTH:
            lines.append(line)
            line = ""
        line = f"{line}   {item}" if line else item
    return [*lines, line] if line else lines


def run_demo(settings: Settings, sandbox: Any, read: Callable[[str], str] = input,
             out: TextIO = sys.stdout) -> int:
    """Serve the bot in threads and chat with it until :quit or end of input."""
    responder = Responder.build(settings)
    inbox = Inbox(responder.store)
    with ExitStack() as running:
        workers = AnswerWorkers(inbox, responder, settings.bot.workers).start()
        running.callback(workers.stop, wait=False)
        door, url = _open_door(settings, responder, inbox, sandbox, running)
        out.write(BANNER.format(rooms=len(sandbox.tenant.rooms),
                                door=settings.feishu.mode.replace("_", " ")) + "\n")
        if url and settings.dashboard.enabled:
            _open_dashboard(responder, sandbox, url, out)
        _loop(DemoChat(sandbox, door, out, read), read, out)
    return 0


def _open_dashboard(responder: Responder, sandbox: Any, url: str, out: TextIO) -> None:
    """Say where the dashboard is, and remember the last 4 weeks for it meanwhile."""
    admins = [u for u in sandbox.tenant.users if u.open_id in responder.settings.dashboard.admins]
    who = admins[0].name if admins else "an admin"
    out.write(f"Dashboard: {url}/admin/ (sign in on the sandbox's Feishu page as {who}; "
              "4 weeks of history are being read)\n")
    threading.Thread(target=_backfill_quietly, args=(responder,), name="demo-backfill",
                     daemon=True).start()


def _backfill_quietly(responder: Responder) -> None:
    try:
        backfill(responder, 4)
    except (DigestDataError, FeishuError) as exc:
        log.warning("demo: history not read: %s", exc)


def _open_door(settings: Settings, responder: Responder, inbox: Inbox, sandbox: Any,
               running: ExitStack) -> tuple[Door, str]:
    """Start the bot's side of the door `settings.feishu.mode` names; stopped with `running`.
    Returns the door and the bot's HTTP address (empty over the long connection)."""
    if settings.feishu.mode == "long_connection":
        link = LongConnection(settings.feishu, SocketDoor(inbox, ClickDesk(inbox, responder)))
        running.callback(link.stop)
        link.start().wait_connected(timeout=30)
        sandbox.long_connection().wait_for_clients(1)
        return OverLongConnection(sandbox.long_connection()), ""
    server = BackgroundServer(create_app(settings, responder, inbox)).start()
    running.callback(server.stop)
    return OverWebhook(sandbox.pusher(f"{server.url}/webhook/event")), server.url


def _loop(chat: DemoChat, read: Callable[[str], str], out: TextIO) -> None:
    while True:
        chat.prompt = "\nyou> " if chat.chat_type == "p2p" else "\nyou (group, @roombot)> "
        try:
            line = read(chat.prompt).strip()
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
