"""Subscriptions managed in chat, and the daily digest posted to subscribers, end to end."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.cli import main
from bot.render.text import card_to_text
from tests.e2e.harness import CJK, RunningBot, push_event


def group_chat(bot: RunningBot) -> str:
    return bot.pusher.group_chat_id


def test_subscribe_in_a_group_at_a_time_then_list_and_unsubscribe(bot: RunningBot) -> None:
    chat = group_chat(bot)
    card = bot.ask("subscribe this chat to the daily report at 9:30", chat_type="group").content
    assert "09:30" in str(card_to_text(card))
    store = bot.responder.store
    [sub] = store.subscriptions(chat)
    assert sub.at == "09:30" and sub.chat_type == "group"
    listing = bot.ask("subscriptions", chat_type="group").content
    assert "09:30" in str(card_to_text(listing))
    bot.ask("unsubscribe", chat_type="group")
    assert store.subscriptions(chat) == []


def test_chinese_subscription_commands_answer_in_chinese(bot: RunningBot) -> None:
    record = bot.ask("订阅日报")
    assert CJK.search(record.content["header"]["title"]["content"])
    store = bot.responder.store
    assert len(store.subscriptions(record.chat_id)) == 1
    bot.ask("我的订阅")
    bot.ask("取消订阅")
    assert store.subscriptions(record.chat_id) == []


def test_subscribe_button_on_an_answer_subscribes_the_chat(bot: RunningBot) -> None:
    record = bot.ask("who booked Mercury today", chat_type="group")
    buttons = card_to_text(record.content).buttons
    subscribe = [value for label, value in buttons if value.get("q") == "subscribe"]
    assert subscribe, [label for label, _ in buttons]
    push = bot.pusher.card_action(subscribe[0], message_id=record.message_id,
                                  chat_id=record.chat_id)
    assert push.status == 200 and push.json.get("card")
    [sub] = bot.responder.store.subscriptions(record.chat_id)
    assert sub.level_label  # Mercury's floor


def test_removing_the_bot_from_a_group_stops_its_digests(bot: RunningBot) -> None:
    chat = group_chat(bot)
    bot.ask("subscribe daily report", chat_type="group")
    push = push_event(bot, "im.chat.member.bot.deleted_v1",
                      {"chat_id": chat, "operator_id": {"open_id": "ou_admin"}, "external": False})
    assert push.status == 200
    bot.settle()
    assert bot.responder.store.subscriptions(chat) == []
    assert len(bot.responder.store.subscriptions(chat, active_only=False)) == 1


@pytest.fixture
def config_file(bot: RunningBot, tmp_path):
    path = tmp_path / "roombot.toml"
    path.write_text(bot.sandbox.config_toml()
                    + f'\n[storage]\nurl = "{bot.settings.storage.url}"\n')
    return path


def test_digest_command_posts_each_subscribed_chat_exactly_once(bot: RunningBot, config_file,
                                                              capsys) -> None:
    chat = group_chat(bot)
    bot.ask("subscribe daily report", chat_type="group")
    before = len(bot.sandbox.sent)
    yesterday = (datetime.now(bot.settings.bot.tz) - timedelta(days=1)).date().isoformat()
    assert main(["digest", "--config", str(config_file), "--date", yesterday]) == 0
    assert main(["digest", "--config", str(config_file), "--date", yesterday]) == 0
    digests = [r for r in bot.sandbox.sent[before:] if r.chat_id == chat]
    assert len(digests) == 1
    text = str(card_to_text(digests[0].content))
    assert any(word in text for word in ("no-show", "No-show", "未签到"))


def test_digest_dry_run_prints_cards_and_sends_nothing(bot: RunningBot, config_file,
                                                       capsys) -> None:
    bot.ask("subscribe daily report", chat_type="group")
    before = len(bot.sandbox.sent)
    assert main(["digest", "--config", str(config_file), "--dry-run"]) == 0
    assert len(bot.sandbox.sent) == before
    assert capsys.readouterr().out.strip()


def test_digest_to_a_chat_the_bot_left_deactivates_it(bot: RunningBot, config_file) -> None:
    chat = group_chat(bot)
    bot.ask("subscribe daily report", chat_type="group")
    bot.sandbox.remove_bot_from(chat)
    main(["digest", "--config", str(config_file)])
    assert bot.responder.store.subscriptions(chat) == []


def test_weekly_subscription_in_chat_then_the_weekly_digest_once(bot: RunningBot, config_file) -> None:
    chat = group_chat(bot)
    card = bot.ask("订阅周报 每周一 9:30", chat_type="group").content
    assert "每周一 09:30" in str(card_to_text(card))
    bot.ask("订阅日报", chat_type="group")
    store = bot.responder.store
    assert sorted(s.period for s in store.subscriptions(chat)) == ["daily", "weekly"]
    before = len(bot.sandbox.sent)
    assert main(["digest", "--weekly", "--config", str(config_file)]) == 0
    assert main(["digest", "--weekly", "--config", str(config_file)]) == 0
    [weekly] = [r for r in bot.sandbox.sent[before:] if r.chat_id == chat]
    assert weekly.content["header"]["title"]["content"].startswith("会议室周报")
    assert [e["tag"] for e in weekly.content["body"]["elements"]].count("chart") == 2
    unsubscribe = [value for label, value in card_to_text(weekly.content).buttons
                   if value.get("q") == "unsubscribe"]
    push = bot.pusher.card_action(unsubscribe[0], message_id=weekly.message_id, chat_id=chat)
    assert push.status == 200
    bot.settle()
    assert [s.period for s in store.subscriptions(chat)] == ["daily"]  # only the weekly went
