"""Signed, encrypted Feishu events pushed into the running webhook; answers read from the sandbox."""
from __future__ import annotations

import json
import shutil
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.render.text import card_to_text
from tests.e2e.harness import CJK, RunningBot, push_event, signed, start_bot

TZ = ZoneInfo("Asia/Shanghai")


def text_of(record) -> str:
    return str(card_to_text(record.content))


def title_of(record) -> str:
    return record.content["header"]["title"]["content"]


def test_url_verification_plain_and_encrypted(bot: RunningBot) -> None:
    for encrypted in (False, True):
        push = bot.pusher.url_verification(encrypted=encrypted)
        assert push.status == 200
        assert "challenge" in push.json


def test_who_booked_today_in_english_replies_with_the_reservers(bot: RunningBot) -> None:
    record = bot.ask("who booked Mercury today")
    assert record.msg_type == "interactive"
    assert record.reply_to  # a reply to the user's message
    today = datetime.now(TZ).date()
    mercury = [r for r in bot.sandbox.tenant.reservations_on(today) if r.room_name == "Mercury"]
    text = text_of(record)
    assert "Mercury" in text
    for reservation in mercury:
        assert reservation.reserver in text
    assert not CJK.search(title_of(record))


def test_chinese_question_gets_a_chinese_card(bot: RunningBot) -> None:
    record = bot.ask("谁订了木星")
    assert CJK.search(title_of(record))
    assert "木星" in text_of(record)


def test_group_message_is_answered_only_when_the_bot_is_mentioned(bot: RunningBot) -> None:
    push = bot.pusher.message("who booked Mercury today", chat_type="group", mention_bot=False)
    assert push.status == 200
    record = bot.ask("who booked Mercury today", chat_type="group", mention_bot=True)
    bot.settle()
    assert [r.message_id for r in bot.sandbox.sent] == [record.message_id]


def test_three_deliveries_of_one_message_get_one_answer(bot: RunningBot) -> None:
    push = bot.pusher.message("is 4F free at 3pm")
    again = [bot.pusher.redeliver(push) for _ in range(2)]
    assert [p.status for p in [push, *again]] == [200, 200, 200]
    bot.sandbox.wait_for_sent(1, timeout=20)
    bot.settle()
    assert len(bot.sandbox.sent) == 1


def test_forged_signature_is_rejected_and_not_answered(bot: RunningBot) -> None:
    push = bot.pusher.message("who booked Mercury today")
    bot.sandbox.wait_for_sent(1, timeout=20)
    forged = bot.pusher.post(push.raw, signed(bot, push.raw, signature="0" * 64))
    unsigned = bot.pusher.post(push.raw, {"Content-Type": "application/json"})
    assert forged.status == 401 and unsigned.status == 401
    bot.settle()
    assert len(bot.sandbox.sent) == 1


def test_replay_older_than_the_redelivery_horizon_is_rejected(bot: RunningBot) -> None:
    push = bot.pusher.message("who booked Mercury today", message_id="om_replay_test")
    bot.sandbox.wait_for_sent(1, timeout=20)
    old = str(int(time.time()) - 8 * 3600)
    replay = bot.pusher.post(push.raw, signed(bot, push.raw, timestamp=old))
    assert replay.status == 401
    assert b"too old" in replay.body


def test_malformed_body_gets_a_4xx_not_a_500(bot: RunningBot) -> None:
    for body in (b"not json", b'{"encrypt": "bm90IHJlYWxseQ=="}'):
        push = bot.pusher.post(body, signed(bot, body))
        assert 400 <= push.status < 500, (body, push.status, push.body)


def test_unknown_room_offers_the_closest_names(bot: RunningBot) -> None:
    record = bot.ask("who booked Mercurry today")
    text = text_of(record)
    assert "Mercury" in text


def test_room_nobody_has_gets_suggestions_as_buttons(bot: RunningBot) -> None:
    record = bot.ask("who booked Narnia today")
    assert card_to_text(record.content).buttons


def test_gibberish_gets_the_help_card(bot: RunningBot) -> None:
    record = bot.ask("asdfgh")
    assert card_to_text(record.content).buttons  # examples to click
    assert record.content["header"]["template"] != "red"


def test_non_text_message_gets_a_hint(bot: RunningBot) -> None:
    record = bot.ask("", message_type="image")
    assert text_of(record)


def test_bot_added_to_a_group_introduces_itself(bot: RunningBot) -> None:
    push = bot.pusher.bot_added("oc_new_group")
    assert push.status == 200
    sent = bot.sandbox.wait_for_sent(1, timeout=20)
    assert sent[0].chat_id == "oc_new_group" and sent[0].msg_type == "interactive"


def test_card_button_round_trip_returns_an_updated_card(bot: RunningBot) -> None:
    record = bot.ask("is Oslo free at 3pm")
    buttons = card_to_text(record.content).buttons
    assert buttons
    _label, value = buttons[0]
    push = bot.pusher.card_action(value, message_id=record.message_id, chat_id=record.chat_id)
    assert push.status == 200
    card = push.json["card"]["data"]
    assert card["schema"] == "2.0"
    again = bot.pusher.redeliver(push)  # a duplicate callback is a no-op
    assert again.status == 200 and again.json == {}


def test_forged_button_value_gets_an_expired_card_not_data(bot: RunningBot) -> None:
    record = bot.ask("is Oslo free at 3pm")
    forged = {"v": 1, "q": "who_booked", "lang": "en", "place": ["room", "omm_not_a_room"],
              "start": "2026-01-01T00:00:00+08:00", "end": "2026-01-02T00:00:00+08:00"}
    push = bot.pusher.card_action(forged, message_id=record.message_id, chat_id=record.chat_id)
    assert push.status == 200
    assert push.json["card"]["data"]["schema"] == "2.0"


def test_feishu_rate_limit_is_retried_and_still_answered(bot: RunningBot) -> None:
    bot.responder.directory.get()  # warm, so the fault hits the answer's own call
    bot.sandbox.faults.inject("resource_reservation_list", "rate_limit", times=1, reset=1)
    record = bot.ask("who booked Mercury today")
    assert "Mercury" in text_of(record)


def test_feishu_outage_gives_an_honest_error_card(bot: RunningBot) -> None:
    bot.responder.directory.get()
    bot.sandbox.faults.inject("resource_reservation_list", "bad_gateway", times=50)
    record = bot.ask("who booked Mercury today")
    assert record.content["header"]["template"] in ("red", "orange", "yellow")


def test_slow_feishu_does_not_slow_the_ack(sandbox, tmp_path) -> None:
    running = start_bot(sandbox, tmp_path)
    try:
        running.responder.directory.get()
        sandbox.faults.latency = 2.0
        push = running.pusher.message("who booked Mercury today")
        assert push.status == 200
        # The answer needs at least two Feishu calls of 2 s each; the ack waited for none of them.
        assert push.elapsed < 1.5
        sent = sandbox.wait_for_sent(1, timeout=30)
        assert "Mercury" in str(card_to_text(sent[0].content))
    finally:
        sandbox.faults.latency = 0.0
        running.stop()


def test_an_accepted_event_survives_a_restart(sandbox, tmp_path) -> None:
    first = start_bot(sandbox, tmp_path)
    first.stop()
    # The event was recorded and acknowledged, but this process died before answering it.
    store = first.responder.store
    event = {"event_id": "ev_restart", "message_id": "om_restart", "chat_id": "oc_restart",
             "chat_type": "p2p", "sender_open_id": "ou_someone", "sender_type": "user",
             "message_type": "text", "text": "who booked Mercury today",
             "mentioned_open_ids": [], "create_time_ms": 0}
    sandbox.messenger.register("om_restart", "oc_restart")  # the user's message exists in Feishu
    assert store.accept_event("msg:om_restart", "message", event)
    second = start_bot(sandbox, tmp_path)
    try:
        sent = sandbox.wait_for_sent(1, timeout=20)
        assert sent[0].reply_to == "om_restart"
        second.settle()
        assert second.responder.store.event_status("msg:om_restart") == "done"
    finally:
        second.stop()


def test_event_types_roombot_does_not_handle_are_acknowledged(bot: RunningBot) -> None:
    push = push_event(bot, "vc.meeting.all_meeting_started_v1", {"meeting": {"id": "1"}})
    assert push.status == 200  # a 500 would make Feishu retry it for hours


def test_messages_from_other_bots_are_ignored(bot: RunningBot) -> None:
    event = {"sender": {"sender_id": {"open_id": "ou_otherbot"}, "sender_type": "app"},
             "message": {"message_id": "om_from_bot", "chat_id": "oc_x", "chat_type": "p2p",
                         "message_type": "text", "content": json.dumps({"text": "help"}),
                         "create_time": "0"}}
    assert push_event(bot, "im.message.receive_v1", event).status == 200
    bot.settle()
    assert bot.sandbox.sent == []


def test_a_slow_click_gets_a_toast_then_the_card_is_patched(bot: RunningBot) -> None:
    record = bot.ask("is Oslo free at 3pm")
    value = next(v for label, v in card_to_text(record.content).buttons if label == "Refresh")
    bot.sandbox.faults.latency = 2.5  # Feishu slower than the 3 s a callback may take
    try:
        push = bot.pusher.card_action(value, message_id=record.message_id, chat_id=record.chat_id)
        assert push.status == 200 and "toast" in push.json and not push.error
        deadline = time.monotonic() + 20
        while not bot.sandbox.sent[0].patches and time.monotonic() < deadline:
            time.sleep(0.1)
        assert bot.sandbox.sent[0].patches, "the updated card was never patched in"
        assert bot.sandbox.sent[0].patches[-1]["schema"] == "2.0"
    finally:
        bot.sandbox.faults.latency = 0.0


def test_a_long_report_shows_progress_then_the_answer(bot: RunningBot) -> None:
    record = bot.ask("early releases last week")
    assert "Working on it" in title_of(record)
    deadline = time.monotonic() + 30
    while not bot.sandbox.sent[0].patches and time.monotonic() < deadline:
        time.sleep(0.1)
    [report] = bot.sandbox.sent[0].patches
    assert "Working" not in report["header"]["title"]["content"]
    assert len(bot.sandbox.sent) == 1  # one message, updated in place


def test_an_event_that_cannot_be_recorded_gets_a_503_so_feishu_redelivers(bot: RunningBot) -> None:
    bot.responder.store.close()
    database = Path(bot.settings.storage.url.removeprefix("sqlite:///"))
    shutil.rmtree(database.parent)  # the database is gone: nothing can be recorded
    push = bot.pusher.message("who booked Mercury today")
    assert push.status == 503  # never a 2xx/4xx for an event we did not keep
