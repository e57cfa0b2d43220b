"""Every card template, rendered in both languages with edge-case data by the real bot, passes
the sandbox's card JSON 2.0 check (bot/sandbox/cardcheck) — the check Feishu itself makes.

The bot runs against the sandbox through the real webhook; the sandbox refuses any card breaking
a rule with 230099, so a template that renders a bad card fails here. A guard compares the
templates rendered with the templates on disk."""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.answer import errors
from bot.config import PrivacySettings, ReleaseSettings
from bot.digest.run import run_digests
from bot.digest.weekly import run_weekly_digests
from bot.queries import Reply
from bot.remind.scan import run_reminders
from bot.render.cards import environment, render
from bot.render.text import card_to_text
from bot.respond import Responder
from bot.sandbox.cardcheck import check_card
from tests.e2e.harness import RunningBot, free_rooms, start_bot

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
QUESTIONS = {
    "en": ["help", "hello", "who booked Mercury today", "who booked Mercury next Sunday",
           "who booked T2 today", "is Oslo free at 3pm", "is T2 free at 3pm", "is T2 5F free tomorrow",
           "find a free room for 8 people now", "find a room for 900 people tomorrow 3pm",
           "no-shows yesterday", "early releases last week", "how busy was T2 last week",
           "peak hours on T2 last week", "which rooms are never used", "are big rooms used by small meetings",
           "who booked Merc today", "who booked Atlantis today", "is Oslo free at 25:00",
           "is 3F free at 3pm", "subscribe this chat to T2 daily",
           "subscribe this chat to T2 weekly", "my subscriptions", "my bookings",
           "book Oslo tomorrow 9-10am", "book a room for 900 tomorrow at 3pm", "current no-shows",
           "stop reminding me", "remind me", "export T2 bookings yesterday"],
    "zh": ["帮助", "你好", "今天谁订了木星", "T2今天谁订了", "5楼下午3点有空吗", "T2明天有空吗",
           "找一个能坐8人的空会议室", "昨天谁没签到", "上周T2使用率", "订阅T2日报", "我的订阅",
           "我的预订", "帮我订明天上午九点的木星", "木星25点有空吗", "现在有哪些会议室订了没人用", "今天谁订了亚特兰蒂斯",
           "别提醒我", "提醒我", "导出T2昨天的预订"],
}


@pytest.fixture
def running(sandbox: Any, tmp_path: Path) -> Any:
    bot = start_bot(sandbox, tmp_path)
    yield bot
    bot.stop()


def settled(record: Any, timeout: float = 60) -> dict[str, Any]:
    """The record's card once a 'working on it' / 'booking…' card was patched over."""
    deadline = time.monotonic() + timeout
    while any(w in record.content["header"]["title"]["content"] for w in WORKING) \
            and not record.patches and time.monotonic() < deadline:
        time.sleep(0.05)
    return record.card


WORKING = ("Working on it", "正在", "Booking ")


def reminders(bot: RunningBot) -> list[dict[str, Any]]:
    """Keep-or-release reminders to an English and a Chinese reader (a long room name among the
    rooms), and the cards after Keep and Release."""
    now = bot.sandbox.now().replace(second=0, microsecond=0)
    start = now + timedelta(minutes=10)
    free = free_rooms(bot, now, start + timedelta(hours=1), count=2)
    holders = bot.sandbox.tenant.users[1], bot.sandbox.tenant.users[2]
    held = {}
    for room, holder in zip(free, holders, strict=True):
        bot.sandbox.calendar.add_booking(room, start, start + timedelta(hours=1), holder.open_id)
        held[holder.open_id] = holder, bot.sandbox.tenant.directory.room(room).name
    clock = start - timedelta(minutes=10)
    scanner = Responder.build(replace(bot.settings, reminders=ReleaseSettings(enabled=True)),
                              clock=lambda: clock, store=bot.responder.store)
    assert len(run_reminders(scanner).sent) >= 2
    # the holders may hold other rooms of the sandbox's own bookings starting now too: take only
    # the reminder about the room this test booked for each of them
    ours = [r for r in bot.sandbox.sent
            if r.receive_id in held and held[r.receive_id][1] in "\n".join(card_to_text(r.card).lines)]
    assert len(ours) == 2, [card_to_text(r.card).lines for r in ours]
    cards = []
    for record in ours:
        holder = held[record.receive_id][0]
        for label in ("Keep", "保留", "Release it after all", "还是释放吧"):
            value = next((v for lab, v in card_to_text(record.card).buttons if lab == label), None)
            if value is not None:
                push = bot.pusher.card_action(value, message_id=record.message_id,
                                              chat_id=record.chat_id, operator=holder)
                assert push.status == 200 and not push.error and "card" in push.json, push.body[:300]
                record.patches.append(push.json["card"]["data"])
                cards.append(push.json["card"]["data"])
    assert len(cards) == 4  # each holder kept it, then released it
    return cards


def refused(bot: RunningBot) -> list[Any]:
    return [c for c in bot.sandbox.calls if c.code == 230099]


def test_every_template_renders_cards_feishu_accepts(running: RunningBot) -> None:
    bot = running
    bot.sandbox.calendar.decision_delay = 0.2
    environment().cache.clear()  # which templates this test renders (Jinja's own cache)
    cards: list[dict[str, Any]] = []
    for lang, questions in QUESTIONS.items():
        for text in questions:
            record = bot.ask(text, chat_type="group")
            cards.append(settled(record))
    cards += reminders(bot)
    for record in list(bot.sandbox.sent):  # press every button of every card once
        for label, value in card_to_text(record.card).buttons[:6]:
            push = bot.pusher.card_action(value, message_id=record.message_id, chat_id=record.chat_id)
            assert push.status == 200 and not push.error, (label, push.error, push.body[:300])
            if push.json and "card" in push.json:
                cards.append(push.json["card"]["data"])
    bot.settle()
    responder = bot.responder
    cards += run_digests(responder, dry_run=True).cards
    cards += run_weekly_digests(responder, dry_run=True).cards
    nudging = Responder.build(replace(bot.settings, privacy=PrivacySettings(
        nudge_no_shows=True, nudge_threshold=1)), store=responder.store)
    sent_before = len(bot.sandbox.sent)
    run_digests(nudging, nudge=True)
    assert len(bot.sandbox.sent) > sent_before  # the digests and at least one nudge
    for text in ("unsubscribe", "取消订阅"):  # after the digests, which need the subscriptions
        cards.append(settled(bot.ask(text, chat_type="group")))
    for lang in ("en", "zh"):
        cards.append(render(errors.unexpected_error_reply(lang, "ev_1")))
        cards.append(render(Reply("expired", {}, lang)))
        cards.append(render(Reply("working", {"days": 30, "place": "T2 · 5F"}, lang)))
    cards += [r.content for r in bot.sandbox.sent] + [p for r in bot.sandbox.sent for p in r.patches]
    assert refused(bot) == [], "Feishu would have refused these cards"
    problems = [(card["header"]["title"]["content"], check_card(card)) for card in cards
                if check_card(card) is not None]
    assert problems == []
    rendered = {key[1].removesuffix(".json.j2") for key in environment().cache}
    on_disk = {p.name.removesuffix(".json.j2") for p in TEMPLATES.glob("*.json.j2")
               if not p.name.startswith("_")}
    assert on_disk <= rendered, sorted(on_disk - rendered)
