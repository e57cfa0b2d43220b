"""The event pusher, checked by lark-oapi's own EventDispatcherHandler in a tiny Flask app."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import lark_oapi as lark
import pytest
from flask import Flask
from lark_oapi.adapter.flask import parse_req, parse_resp
from lark_oapi.core.utils import AESCipher
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse
from werkzeug.serving import make_server

from bot.sandbox import Sandbox, crypto
from bot.sandbox.messages import p2p_chat_id

VECTOR = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="


@dataclass
class Webhook:
    """What the SDK-driven test app received, and what its card handler answers."""

    url: str = ""
    events: list[Any] = field(default_factory=list)
    card_reply: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def webhook(sandbox: Sandbox) -> Iterator[Webhook]:
    hook = Webhook()

    def on_card(data: Any) -> P2CardActionTriggerResponse:
        hook.events.append(data)
        return P2CardActionTriggerResponse(hook.card_reply)

    handler = (lark.EventDispatcherHandler.builder(sandbox.encrypt_key, sandbox.verification_token,
                                                   lark.LogLevel.CRITICAL)
               .register_p2_im_message_receive_v1(hook.events.append)
               .register_p2_im_chat_member_bot_added_v1(hook.events.append)
               .register_p2_card_action_trigger(on_card).build())
    app = Flask(__name__)
    app.add_url_rule("/event", "event", lambda: parse_resp(handler.do(parse_req())), methods=["POST"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_port}/event"
    yield hook
    server.shutdown()
    thread.join(timeout=5)


def test_documented_test_vector() -> None:
    assert crypto.decrypt(VECTOR, "test key") == "hello world"
    import base64
    iv = base64.b64decode(VECTOR)[:16]
    assert crypto.encrypt("hello world", "test key", iv=iv) == VECTOR


def test_sdk_decrypts_what_we_encrypt() -> None:
    text = '{"x": "会议室"}'
    one, two = crypto.encrypt(text, "k"), crypto.encrypt(text, "k")
    assert one != two  # random IV
    assert AESCipher("k").decrypt_str(one) == text


def test_p2p_message_passes_sdk_verification(sandbox: Sandbox, webhook: Webhook) -> None:
    user = sandbox.tenant.users[1]
    push = sandbox.pusher(webhook.url).message("who booked Mercury today", sender=user)
    assert (push.status, push.json) == (200, {"msg": "success"})
    event = webhook.events[0]
    assert event.header.event_id == push.event_id and event.header.event_type == "im.message.receive_v1"
    message = event.event.message
    assert json.loads(message.content) == {"text": "who booked Mercury today"}
    assert (message.chat_type, message.chat_id, message.message_id) == ("p2p", p2p_chat_id(user.open_id),
                                                                       push.message_id)
    assert message.mentions is None and event.event.sender.sender_id.open_id == user.open_id
    assert sandbox.messenger.known(push.message_id).chat_id == message.chat_id


def test_group_message_mentions_the_bot(sandbox: Sandbox, webhook: Webhook) -> None:
    push = sandbox.pusher(webhook.url).message("is Oslo free at 2?", chat_type="group", chat_id="oc_room")
    assert push.status == 200
    message = webhook.events[0].event.message
    assert json.loads(message.content)["text"] == "@_user_1 is Oslo free at 2?"
    assert message.mentions[0].key == "@_user_1"
    assert message.mentions[0].id.open_id == sandbox.tenant.bot_open_id


def test_plain_and_encrypted_url_verification(sandbox: Sandbox, webhook: Webhook) -> None:
    pusher = sandbox.pusher(webhook.url)
    for encrypted in (True, False):
        push = pusher.url_verification(encrypted=encrypted)
        assert push.status == 200 and push.json == {"challenge": push.payload["challenge"]}
        assert ("encrypt" in json.loads(push.raw)) is encrypted


def test_card_action_reply_is_validated(sandbox: Sandbox, webhook: Webhook) -> None:
    pusher = sandbox.pusher(webhook.url)
    webhook.card_reply = {"toast": {"type": "success", "content": "done"}}
    push = pusher.card_action({"v": 1, "q": "who"}, message_id="om_1", chat_id="oc_room")
    assert push.ok and push.json == webhook.card_reply
    action = webhook.events[0].event
    assert action.action.value == {"v": 1, "q": "who"} and action.context.open_message_id == "om_1"
    webhook.card_reply = {"card": {"type": "raw", "data": {"schema": "2.0", "body": {"elements": []}}}}
    assert pusher.card_action({"v": 1}, message_id="om_1", chat_id="oc_room").ok
    webhook.card_reply = {"toast": {"type": "bogus", "content": "x"}}
    assert pusher.card_action({"v": 1}, message_id="om_1", chat_id="oc_room").error == "200672"
    webhook.card_reply = {"card": {"type": "raw", "data": {}}}
    assert pusher.card_action({"v": 1}, message_id="om_1", chat_id="oc_room").error == "200673"


def test_bot_added_readmits_the_bot(sandbox: Sandbox, webhook: Webhook) -> None:
    sandbox.remove_bot_from("oc_room")
    push = sandbox.pusher(webhook.url).bot_added("oc_room")
    assert push.status == 200 and webhook.events[0].event.chat_id == "oc_room"
    sandbox.messenger.check_chat("oc_room")


def test_redelivery_keeps_the_event_id_and_is_signed_again(sandbox: Sandbox, webhook: Webhook) -> None:
    pusher = sandbox.pusher(webhook.url)
    first = pusher.message("hello")
    again = pusher.redeliver(first)
    assert again.status == 200 and again.raw == first.raw and again.event_id == first.event_id
    assert [e.header.event_id for e in webhook.events] == [first.event_id] * 2


def test_forged_signature_is_rejected_by_the_sdk(sandbox: Sandbox, webhook: Webhook) -> None:
    pusher = sandbox.pusher(webhook.url)
    good = pusher.message("hello")
    headers = {"Content-Type": "application/json", "X-Lark-Request-Timestamp": "1",
               "X-Lark-Request-Nonce": "n", "X-Lark-Signature": "0" * 64}
    forged = pusher.post(good.raw, headers)
    assert forged.status == 500 and "signature" in forged.json["msg"]
    assert len(webhook.events) == 1


def test_unreachable_webhook_gives_status_0(sandbox: Sandbox) -> None:
    push = sandbox.pusher("http://127.0.0.1:9/event").message("hello")
    assert push.status == 0 and push.error
