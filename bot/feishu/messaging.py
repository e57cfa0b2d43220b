"""im/v1/messages: send, reply and patch, with a uuid so a retried send is posted once; and
im/v1/files, the upload behind a file message."""
from __future__ import annotations

import io
import json
import logging
import uuid as uuid_lib
from typing import Any

import lark_oapi as lark
from lark_oapi.api.im.v1 import (
    CreateFileRequest,
    CreateFileRequestBody,
    CreateMessageRequest,
    CreateMessageRequestBody,
    PatchMessageRequest,
    PatchMessageRequestBody,
    ReplyMessageRequest,
    ReplyMessageRequestBody,
)

from bot.feishu.base import GatewayBase
from bot.feishu.models import SentMessage
from bot.feishu.resilience import Deadline
from bot.feishu.transport import Reply, Transport

log = logging.getLogger(__name__)

API_SEND = "/open-apis/im/v1/messages"
API_REPLY = "/open-apis/im/v1/messages/:message_id/reply"
API_PATCH = "/open-apis/im/v1/messages/:message_id"
API_FILES = "/open-apis/im/v1/files"


def card_content(card: dict[str, Any]) -> str:
    """A card as the `content` string of an interactive message."""
    return json.dumps(card, ensure_ascii=False, separators=(",", ":"))


def text_content(text: str) -> str:
    """A text as the `content` string of a text message."""
    return json.dumps({"text": text}, ensure_ascii=False)


def send_message(client: lark.Client, transport: Transport, deadline: Deadline, *,
                 receive_id: str, receive_id_type: str, msg_type: str, content: str,
                 uuid: str | None) -> SentMessage:
    """POST im/v1/messages; every retry carries the same uuid."""
    # Feishu posts at most one message per uuid within 1 h, so a send retried after a lost
    # reply is not posted twice [DOC 发送消息].
    dedupe = uuid or uuid_lib.uuid4().hex

    def send() -> Any:
        body = (CreateMessageRequestBody.builder().receive_id(receive_id).msg_type(msg_type)
                .content(content).uuid(dedupe).build())
        request = CreateMessageRequest.builder().receive_id_type(receive_id_type)
        return client.im.v1.message.create(request.request_body(body).build())

    return _sent(transport.execute(API_SEND, send, deadline))


def reply_message(client: lark.Client, transport: Transport, deadline: Deadline, *,
                  message_id: str, msg_type: str, content: str,
                  uuid: str | None) -> SentMessage:
    """POST im/v1/messages/:message_id/reply; every retry carries the same uuid."""
    dedupe = uuid or uuid_lib.uuid4().hex

    def send() -> Any:
        body = (ReplyMessageRequestBody.builder().content(content).msg_type(msg_type)
                .uuid(dedupe).build())
        request = ReplyMessageRequest.builder().message_id(message_id).request_body(body)
        return client.im.v1.message.reply(request.build())

    return _sent(transport.execute(API_REPLY, send, deadline))


def patch_message(client: lark.Client, transport: Transport, deadline: Deadline, *,
                  message_id: str, content: str) -> None:
    """PATCH im/v1/messages/:message_id with new card content."""
    def send() -> Any:
        body = PatchMessageRequestBody.builder().content(content).build()
        request = PatchMessageRequest.builder().message_id(message_id).request_body(body)
        return client.im.v1.message.patch(request.build())

    reply = transport.execute(API_PATCH, send, deadline)
    log.info("patched message %s (log_id=%s)", message_id, reply.log_id or "-",
             extra={"log_id": reply.log_id})


def _sent(reply: Reply) -> SentMessage:
    data = reply.data
    log.info("sent message %s (log_id=%s)", data.get("message_id"), reply.log_id or "-",
             extra={"log_id": reply.log_id})
    return SentMessage(message_id=str(data.get("message_id") or ""),
                       chat_id=str(data.get("chat_id") or ""))


class MessageCalls(GatewayBase):
    """Send, reply and patch messages (cards and text)."""

    def send_card(self, receive_id: str, card: dict[str, Any], *,
                  receive_id_type: str = "chat_id", uuid: str | None = None) -> SentMessage:
        """Post an interactive card to a chat or user."""
        return send_message(self._client, self._transport, self._deadline(),
                            receive_id=receive_id, receive_id_type=receive_id_type,
                            msg_type="interactive", content=card_content(card), uuid=uuid)

    def send_text(self, receive_id: str, text: str, *, receive_id_type: str = "chat_id",
                  uuid: str | None = None) -> SentMessage:
        """Post a text message to a chat or user."""
        return send_message(self._client, self._transport, self._deadline(),
                            receive_id=receive_id, receive_id_type=receive_id_type,
                            msg_type="text", content=text_content(text), uuid=uuid)

    def reply_card(self, message_id: str, card: dict[str, Any], *,
                   uuid: str | None = None) -> SentMessage:
        """Reply to a message with an interactive card."""
        return reply_message(self._client, self._transport, self._deadline(),
                             message_id=message_id, msg_type="interactive",
                             content=card_content(card), uuid=uuid)

    def upload_file(self, name: str, data: bytes, file_type: str = "xls") -> str:
        """POST im/v1/files (multipart); the file_key a file message carries."""
        def send() -> Any:
            # (filename, file, type): the SDK's multipart encoder sends a bare file object as a
            # form field without a filename, which is not a file part
            part = (name, io.BytesIO(data), "application/octet-stream")
            body = (CreateFileRequestBody.builder().file_type(file_type).file_name(name)
                    .file(part).build())  # type: ignore[arg-type]
            return self._client.im.v1.file.create(CreateFileRequest.builder().request_body(body).build())

        reply = self._transport.execute(API_FILES, send, self._deadline())
        return str(reply.data.get("file_key") or "")

    def reply_file(self, message_id: str, file_key: str, *, uuid: str | None = None) -> SentMessage:
        """Reply to a message with an uploaded file."""
        return reply_message(self._client, self._transport, self._deadline(),
                             message_id=message_id, msg_type="file",
                             content=json.dumps({"file_key": file_key}), uuid=uuid)

    def reply_text(self, message_id: str, text: str, *, uuid: str | None = None) -> SentMessage:
        """Reply to a message with text."""
        return reply_message(self._client, self._transport, self._deadline(),
                             message_id=message_id, msg_type="text",
                             content=text_content(text), uuid=uuid)

    def patch_card(self, message_id: str, card: dict[str, Any]) -> None:
        """Replace the card of a message the bot sent (PATCH im/v1/messages/:message_id)."""
        patch_message(self._client, self._transport, self._deadline(),
                      message_id=message_id, content=card_content(card))
