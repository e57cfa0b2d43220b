"""Messaging of the fake Feishu: send, reply and card patch, with uuid dedupe, size limits and chat state."""
from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from bot.sandbox.cardcheck import check_card
from bot.sandbox.directory import stable_hex
from bot.sandbox.server import ApiError, Call, Route, ok

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox

RECEIVE_ID_TYPES = ("open_id", "union_id", "user_id", "email", "chat_id")
MSG_TYPES = ("text", "post", "image", "file", "audio", "media", "sticker", "interactive", "share_chat",
             "share_user", "system")
CARD_LIMIT = 30 * 1024  # card and post bodies [DOC 发送消息]
TEXT_LIMIT = 150 * 1024
UUID_WINDOW_MS = 3600 * 1000


def p2p_chat_id(open_id: str) -> str:
    """The chat id of the bot's one-to-one chat with a user (stable, so sends and replies agree)."""
    return "oc_" + stable_hex("p2p", open_id)


def invalid(detail: str) -> ApiError:
    """230001 invalid param (HTTP 400)."""
    return ApiError(400, 230001, f"invalid param: {detail}")


@dataclass
class SentRecord:
    """One message the bot posted, as the sandbox recorded it; `patches` holds later card updates."""

    message_id: str
    chat_id: str
    receive_id: str
    receive_id_type: str
    msg_type: str
    content: dict[str, Any]
    uuid: str | None
    reply_to: str | None
    patches: list[dict[str, Any]] = field(default_factory=list)
    create_time: int = 0  # ms, sandbox clock
    root_id: str = ""

    @property
    def card(self) -> dict[str, Any]:
        """The card as it stands now: the last patch, or the content sent."""
        return self.patches[-1] if self.patches else self.content


@dataclass(frozen=True)
class KnownMessage:
    """A message id the sandbox can resolve: pushed by a user or sent by the bot."""

    chat_id: str
    msg_type: str
    root_id: str = ""


class Messenger:
    """Chat state and the record of everything the bot sent."""

    def __init__(self, clock_ms: Callable[[], int]) -> None:
        self.clock_ms = clock_ms
        self.sent: list[SentRecord] = []
        self._known: dict[str, KnownMessage] = {}
        self._uuids: dict[str, tuple[SentRecord, int]] = {}
        self._removed: set[str] = set()
        self._dissolved: set[str] = set()
        self._cond = threading.Condition()
        self._patch_watchers: list[Callable[[SentRecord, dict[str, Any]], None]] = []

    def on_patch(self, watcher: Callable[[SentRecord, dict[str, Any]], None]) -> None:
        """Call `watcher(record, card)` after every accepted card update (the demo prints it)."""
        with self._cond:
            self._patch_watchers.append(watcher)

    def register(self, message_id: str, chat_id: str, msg_type: str = "text", root_id: str = "") -> None:
        """Make a user's message known, so the bot can reply to it."""
        with self._cond:
            self._known[message_id] = KnownMessage(chat_id, msg_type, root_id)

    def remove_bot(self, chat_id: str) -> None:
        """Later sends to this chat get 230002."""
        with self._cond:
            self._removed.add(chat_id)

    def add_bot(self, chat_id: str) -> None:
        """The bot is (back) in this chat."""
        with self._cond:
            self._removed.discard(chat_id)

    def dissolve(self, chat_id: str) -> None:
        """Later sends to this chat get 232009."""
        with self._cond:
            self._dissolved.add(chat_id)

    def check_chat(self, chat_id: str) -> None:
        """Raise the documented error when the bot cannot post to the chat."""
        if chat_id in self._dissolved:
            raise ApiError(400, 232009, "The chat has been dissolved.")
        if chat_id in self._removed:
            raise ApiError(400, 230002, "The bot can not be outside the group.")

    def known(self, message_id: str) -> KnownMessage | None:
        """What the sandbox knows about a message id."""
        with self._cond:
            return self._known.get(message_id)

    def deduped(self, uuid: str | None) -> SentRecord | None:
        """The message already sent with this uuid within the last hour, if any."""
        if not uuid:
            return None
        with self._cond:
            hit = self._uuids.get(uuid)
        return hit[0] if hit and self.clock_ms() - hit[1] < UUID_WINDOW_MS else None

    def record(self, record: SentRecord) -> None:
        """Keep a sent message and wake anyone waiting for it."""
        with self._cond:
            self.sent.append(record)
            self._known[record.message_id] = KnownMessage(record.chat_id, record.msg_type, record.root_id)
            if record.uuid:
                self._uuids[record.uuid] = (record, record.create_time)
            self._cond.notify_all()

    def patch(self, message_id: str, card: dict[str, Any]) -> None:
        """Record a card update of a message the bot sent (interactive messages only)."""
        with self._cond:
            record = next((r for r in self.sent if r.message_id == message_id), None)
            if record is None:
                raise invalid(f"message_id {message_id!r} was not sent by this bot")
            if record.msg_type != "interactive":
                raise invalid("only interactive (card) messages can be updated")
            record.patches.append(card)
            watchers = list(self._patch_watchers)
            self._cond.notify_all()
        for watcher in watchers:
            watcher(record, card)

    def wait_for(self, n: int, timeout: float) -> list[SentRecord]:
        """Block until at least n messages were sent; TimeoutError naming what did arrive."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.sent) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [(r.msg_type, r.chat_id) for r in self.sent]
                    raise TimeoutError(f"expected {n} sent messages within {timeout}s, got {len(got)}: {got}")
                self._cond.wait(left)
            return list(self.sent)


def parse_content(msg_type: Any, content: Any) -> dict[str, Any]:
    """Check msg_type and content (a JSON string holding an object, within the size limit)."""
    if msg_type not in MSG_TYPES:
        raise invalid(f"msg_type {msg_type!r} is not one of {MSG_TYPES}")
    if not isinstance(content, str):
        raise invalid("content must be a JSON string")
    limit = TEXT_LIMIT if msg_type == "text" else CARD_LIMIT
    if len(content.encode("utf-8")) > limit:
        raise ApiError(400, 230025, f"The message content is too long: {len(content.encode())} bytes, "
                                    f"limit {limit} bytes.")
    try:
        parsed = json.loads(content)
    except ValueError:
        raise invalid("content is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise invalid("content must be a JSON object")
    if msg_type == "interactive":
        refuse_bad_card(parsed)
    return parsed


def refuse_bad_card(card: dict[str, Any]) -> None:
    """HTTP 400, 230099 and the sub-code with its ErrPath, as Feishu refuses a card it cannot draw."""
    problem = check_card(card)
    if problem is not None:
        raise ApiError(400, 230099, problem.feishu_msg(),
                       error={"sub_code": problem.code, "err_path": problem.path})


def message_json(sb: Sandbox, r: SentRecord) -> dict[str, Any]:
    """A message as the send and reply APIs return it."""
    data: dict[str, Any] = {"message_id": r.message_id}
    if r.reply_to:
        data.update(root_id=r.root_id, parent_id=r.reply_to)
    data.update({
        "msg_type": r.msg_type, "create_time": str(r.create_time), "update_time": str(r.create_time),
        "deleted": False, "updated": False, "chat_id": r.chat_id,
        "sender": {"id": sb.app_id, "id_type": "app_id", "sender_type": "app",
                   "tenant_key": sb.tenant.directory.tenant_key},
        "body": {"content": json.dumps(r.content, ensure_ascii=False)},
    })
    return data


def _uuid(body: dict[str, Any]) -> str | None:
    value = body.get("uuid")
    if value is not None and (not isinstance(value, str) or len(value) > 50):
        raise invalid("uuid must be a string of at most 50 characters")
    return value or None


def _check_file(call: Call, msg_type: Any, content: dict[str, Any]) -> None:
    """A file message carries the file_key of a file uploaded through im/v1/files."""
    if msg_type == "file" and call.sb.files.get(str(content.get("file_key", ""))) is None:
        raise invalid(f"file_key {content.get('file_key')!r} does not exist")


def send_message(call: Call) -> Response:
    """POST im/v1/messages?receive_id_type=...: send to a chat or a user."""
    receive_id_type = call.arg("receive_id_type")
    if receive_id_type not in RECEIVE_ID_TYPES:
        raise invalid(f"receive_id_type {receive_id_type!r} is not one of {RECEIVE_ID_TYPES}")
    body = call.body()
    receive_id = body.get("receive_id")
    if not isinstance(receive_id, str) or not receive_id:
        raise invalid("receive_id is required")
    content = parse_content(body.get("msg_type"), body.get("content"))
    _check_file(call, body.get("msg_type"), content)
    uuid = _uuid(body)
    messenger = call.sb.messenger
    original = messenger.deduped(uuid)
    if original is not None:
        return ok(message_json(call.sb, original))
    if receive_id_type == "chat_id" and not receive_id.startswith("oc_"):
        raise ApiError(400, 230034, f"The receive_id {receive_id!r} is invalid for receive_id_type chat_id.")
    chat_id = receive_id if receive_id_type == "chat_id" else p2p_chat_id(receive_id)
    messenger.check_chat(chat_id)
    record = SentRecord("om_" + secrets.token_hex(16), chat_id, receive_id, receive_id_type, body["msg_type"],
                        content, uuid, None, create_time=messenger.clock_ms())
    messenger.record(record)
    return ok(message_json(call.sb, record))


def reply_message(call: Call) -> Response:
    """POST im/v1/messages/:message_id/reply: answer in the chat of a known message."""
    target_id = call.params["message_id"]
    body = call.body()
    content = parse_content(body.get("msg_type"), body.get("content"))
    _check_file(call, body.get("msg_type"), content)
    uuid = _uuid(body)
    messenger = call.sb.messenger
    original = messenger.deduped(uuid)
    if original is not None:
        return ok(message_json(call.sb, original))
    target = messenger.known(target_id)
    if target is None:
        raise invalid(f"message_id {target_id!r} does not exist")
    messenger.check_chat(target.chat_id)
    record = SentRecord("om_" + secrets.token_hex(16), target.chat_id, "", "", body["msg_type"], content,
                        uuid, target_id, create_time=messenger.clock_ms(), root_id=target.root_id or target_id)
    messenger.record(record)
    return ok(message_json(call.sb, record))


def patch_message(call: Call) -> Response:
    """PATCH im/v1/messages/:message_id: update a card the bot sent (interactive messages only)."""
    card = parse_content("interactive", call.body().get("content"))
    call.sb.messenger.patch(call.params["message_id"], card)
    return ok({}, msg="ok")


IM_ROUTES = (
    Route("POST", "/open-apis/im/v1/messages", send_message, "message_create", "im:message:send_as_bot"),
    Route("POST", "/open-apis/im/v1/messages/:message_id/reply", reply_message, "message_reply",
          "im:message:send_as_bot"),
    Route("PATCH", "/open-apis/im/v1/messages/:message_id", patch_message, "message_patch",
          "im:message:send_as_bot"),
)
