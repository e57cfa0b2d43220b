"""Send, reply and card patch through lark-oapi: shapes, uuid dedupe, chat state and size errors."""
from __future__ import annotations

import json

from lark_oapi.api.im.v1 import (
    CreateMessageRequest,
    CreateMessageRequestBody,
    PatchMessageRequest,
    PatchMessageRequestBody,
    ReplyMessageRequest,
    ReplyMessageRequestBody,
)
from sandbox_helpers import client

from bot.sandbox import Sandbox
from bot.sandbox.messages import p2p_chat_id

CARD = {"schema": "2.0", "body": {"elements": [{"tag": "markdown", "content": "hello"}]}}


def send(sb: Sandbox, receive_id: str, content: dict, *, msg_type: str = "interactive",
         receive_id_type: str = "chat_id", uuid: str | None = None):
    body = CreateMessageRequestBody.builder().receive_id(receive_id).msg_type(msg_type).content(json.dumps(content))
    if uuid:
        body = body.uuid(uuid)
    return client(sb).im.v1.message.create(CreateMessageRequest.builder().receive_id_type(receive_id_type)
                                           .request_body(body.build()).build())


def test_send_card_is_recorded_and_answered_like_feishu(sandbox: Sandbox) -> None:
    reply = send(sandbox, "oc_team", CARD)
    assert reply.success()
    assert reply.data.message_id.startswith("om_") and reply.data.chat_id == "oc_team"
    assert reply.data.sender.id == sandbox.app_id and reply.data.msg_type == "interactive"
    record = sandbox.wait_for_sent(1, timeout=1)[0]
    assert (record.chat_id, record.receive_id_type, record.content, record.reply_to) == \
           ("oc_team", "chat_id", CARD, None)


def test_send_to_a_user_goes_to_the_p2p_chat(sandbox: Sandbox) -> None:
    user = sandbox.tenant.users[0]
    reply = send(sandbox, user.open_id, {"text": "hi"}, msg_type="text", receive_id_type="open_id")
    assert reply.data.chat_id == p2p_chat_id(user.open_id)
    assert sandbox.sent[0].receive_id == user.open_id


def test_same_uuid_returns_the_original_message(sandbox: Sandbox) -> None:
    first = send(sandbox, "oc_team", CARD, uuid="answer-1")
    second = send(sandbox, "oc_team", {"schema": "2.0", "body": {"elements": []}}, uuid="answer-1")
    assert first.data.message_id == second.data.message_id
    assert len(sandbox.sent) == 1


def test_reply_and_patch(sandbox: Sandbox) -> None:
    sandbox.register_messages([("om_user1", "oc_team")])
    sdk = client(sandbox)
    reply = sdk.im.v1.message.reply(ReplyMessageRequest.builder().message_id("om_user1").request_body(
        ReplyMessageRequestBody.builder().msg_type("interactive").content(json.dumps(CARD)).build()).build())
    assert reply.success() and reply.data.parent_id == "om_user1" and reply.data.chat_id == "oc_team"
    updated = {"schema": "2.0", "body": {"elements": [{"tag": "markdown", "content": "updated"}]}}
    patch = sdk.im.v1.message.patch(PatchMessageRequest.builder().message_id(reply.data.message_id).request_body(
        PatchMessageRequestBody.builder().content(json.dumps(updated)).build()).build())
    assert patch.success()
    assert sandbox.sent[0].reply_to == "om_user1" and sandbox.sent[0].patches == [updated]
    assert sandbox.sent[0].card == updated


def test_patch_only_interactive_and_reply_only_known(sandbox: Sandbox) -> None:
    text = send(sandbox, "oc_team", {"text": "hi"}, msg_type="text")
    sdk = client(sandbox)
    patch = sdk.im.v1.message.patch(PatchMessageRequest.builder().message_id(text.data.message_id).request_body(
        PatchMessageRequestBody.builder().content(json.dumps(CARD)).build()).build())
    assert (patch.code, patch.raw.status_code) == (230001, 400)
    reply = sdk.im.v1.message.reply(ReplyMessageRequest.builder().message_id("om_never").request_body(
        ReplyMessageRequestBody.builder().msg_type("text").content('{"text":"x"}').build()).build())
    assert reply.code == 230001


def test_removed_bot_gets_230002_and_dissolved_chat_232009(sandbox: Sandbox) -> None:
    sandbox.remove_bot_from("oc_gone")
    sandbox.dissolve("oc_dead")
    removed, dissolved = send(sandbox, "oc_gone", CARD), send(sandbox, "oc_dead", CARD)
    assert (removed.raw.status_code, removed.code) == (400, 230002)
    assert (dissolved.raw.status_code, dissolved.code) == (400, 232009)
    assert sandbox.sent == []


def test_card_over_30_kb_is_230025(sandbox: Sandbox) -> None:
    big = {"schema": "2.0", "body": {"elements": [{"tag": "markdown", "content": "x" * 31_000}]}}
    reply = send(sandbox, "oc_team", big)
    assert (reply.raw.status_code, reply.code) == (400, 230025)
