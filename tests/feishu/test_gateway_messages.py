"""Sending, replying and patching through the real SDK; errors of unreachable chats."""
from __future__ import annotations

import pytest

from bot.feishu.errors import ChatUnreachable
from bot.feishu.gateway import FeishuGateway
from bot.sandbox import Sandbox

CARD = {"schema": "2.0", "config": {"update_multi": True},
        "body": {"elements": [{"tag": "markdown", "content": "**Mercury** 10:00–11:00"}]}}


def test_send_card_to_chat_and_text_to_user(sb: Sandbox, gw: FeishuGateway) -> None:
    before = len(sb.sent)
    card = gw.send_card("oc_feishu_test_1", CARD)
    user = sb.tenant.users[0].open_id
    text = gw.send_text(user, "你好 hello", receive_id_type="open_id")
    records = sb.sent[before:]
    assert [r.message_id for r in records] == [card.message_id, text.message_id]
    assert card.chat_id == "oc_feishu_test_1"
    assert records[0].content == CARD and records[0].msg_type == "interactive"
    assert records[1].content == {"text": "你好 hello"} and records[1].receive_id == user
    assert all(r.uuid for r in records)  # a uuid is always sent, so retries are idempotent


def test_reply_and_patch(sb: Sandbox, gw: FeishuGateway) -> None:
    sb.register_messages([("om_user_question_1", "oc_feishu_test_2")])
    reply = gw.reply_card("om_user_question_1", CARD)
    gw.reply_text("om_user_question_1", "done")
    record = next(r for r in sb.sent if r.message_id == reply.message_id)
    assert record.reply_to == "om_user_question_1" and record.chat_id == "oc_feishu_test_2"
    new_card = {**CARD, "body": {"elements": [{"tag": "markdown", "content": "updated"}]}}
    gw.patch_card(reply.message_id, new_card)
    assert record.patches == [new_card]


def test_same_uuid_is_posted_once(sb: Sandbox, gw: FeishuGateway) -> None:
    before = len(sb.sent)
    first = gw.send_text("oc_feishu_test_3", "digest", uuid="digest-oc3-2024-05-14")
    again = gw.send_text("oc_feishu_test_3", "digest", uuid="digest-oc3-2024-05-14")
    assert first.message_id == again.message_id
    assert len(sb.sent) - before == 1


def test_retried_send_after_a_server_error_is_posted_once(sb: Sandbox, gw: FeishuGateway) -> None:
    sb.faults.inject("/open-apis/im/v1/messages", "server_error", times=1)
    before = len(sb.sent)
    gw.send_card("oc_feishu_test_4", CARD)
    assert len(sb.sent) - before == 1
    assert gw.calls.by_path["/open-apis/im/v1/messages"] == 2


@pytest.mark.parametrize("make_unreachable, code", [("remove_bot_from", 230002),
                                                    ("dissolve", 232009)])
def test_unreachable_chat(sb: Sandbox, gw: FeishuGateway, make_unreachable: str,
                          code: int) -> None:
    chat = f"oc_gone_{code}"
    getattr(sb, make_unreachable)(chat)
    with pytest.raises(ChatUnreachable) as info:
        gw.send_card(chat, CARD)
    assert info.value.code == code and info.value.log_id
    assert gw.calls.by_path["/open-apis/im/v1/messages"] == 1  # not retried
