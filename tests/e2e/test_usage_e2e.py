"""Usage questions end to end: a signed, encrypted message pushed into the running webhook, the card
the sandbox received read back (utilisation, peak hours, idle rooms, room sizes, both languages).

The sandbox here runs on the real clock, so the questions ask about last week: five past working
days whatever today is, long enough for the export path, with data in every chart.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.insights import outcomes, usage, working_time
from bot.render.cards import MAX_CARD_BYTES, card_bytes
from bot.render.text import card_to_text
from tests.e2e.harness import CJK, RunningBot

TZ = ZoneInfo("Asia/Shanghai")
QUESTIONS = {
    "en": [("how busy were the rooms last week", "Utilisation"),
           ("peak hours last week", "Peak hours"),
           ("which rooms were never used last week", "Idle rooms"),
           ("are big rooms used by small meetings last week", "Room sizes")],
    "zh": [("上周会议室使用率", "使用率"),
           ("上周的高峰时段", "高峰时段"),
           ("上周哪些会议室没人用", "闲置会议室"),
           ("上周会议室大小合适吗", "会议室大小")],
}


def charts(card: dict) -> list[dict]:
    return [e for e in card["body"]["elements"] if e.get("tag") == "chart"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_usage_question_gets_its_card_with_a_chart(bot: RunningBot, lang: str) -> None:
    for text, title in QUESTIONS[lang]:
        record = bot.ask(text)
        card = bot.final_card(record)  # a week of data may come through the export
        header = card["header"]["title"]["content"]
        assert record.reply_to and header.startswith(title), (text, header)
        assert bool(CJK.search(header)) == (lang == "zh")
        assert 1 <= len(charts(card)) <= 5 and card_bytes(card) <= MAX_CARD_BYTES
        lines = str(card_to_text(card))
        assert "█" in lines, lines  # the chart, as text bars
        assert len(card_to_text(card).buttons) == 4  # previous period + the three other questions


def test_the_utilisation_card_matches_the_tenants_own_rows(bot: RunningBot) -> None:
    card = bot.final_card(bot.ask("utilisation last week"))
    now = datetime.now(TZ)
    monday = now.date() - timedelta(days=now.weekday() + 7)
    days = [monday + timedelta(days=n) for n in range(7)]
    rows = outcomes.dedupe(r for d in days for r in bot.sandbox.tenant.reservations_on(d))
    measured = usage.measure(rows, bot.sandbox.tenant.rooms, working_time.Window(days[0], days[-1], now))
    total = usage.group(measured)
    text = str(card_to_text(card))
    assert f"Utilisation {round(100 * total.utilisation, 1)}%" in text
    assert f"{total.bookings} bookings" in text


def test_a_click_on_previous_period_answers_the_day_before(bot: RunningBot) -> None:
    record = bot.ask("how busy was T2 yesterday")
    [(_, previous)] = [(label, value) for label, value in card_to_text(record.content).buttons
                       if label.startswith("←")]
    push = bot.pusher.card_action(previous, message_id=record.message_id, chat_id=record.chat_id)
    assert push.status == 200
    if push.json.get("card"):
        card = push.json["card"]["data"]
    else:  # Feishu was slow: a toast now, the card patched when the answer is ready
        bot.settle()
        card = record.card
    assert card["header"]["title"]["content"] == "Utilisation · T2"
    yesterday = datetime.now(TZ).date() - timedelta(days=1)
    before = yesterday - timedelta(days=1)
    assert f"{before.day} {before:%b}" in card["header"]["subtitle"]["content"]
