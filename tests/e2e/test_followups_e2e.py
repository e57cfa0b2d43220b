"""Follow-ups through the real webhook: the context is the store's, per chat and person, so two
people in one group each follow their own question; without context, the help card."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.render.text import card_to_text
from tests.e2e.harness import RunningBot, start_bot


@pytest.fixture
def bot(sandbox: Any, tmp_path: Path) -> Any:
    running = start_bot(sandbox, tmp_path)
    yield running
    running.stop()


def text_of(bot: RunningBot, record: Any) -> str:
    return str(card_to_text(bot.final_card(record)))


def test_a_follow_up_fills_in_the_last_question_of_that_person_in_that_chat(bot: RunningBot) -> None:
    alice, bob = bot.sandbox.tenant.users[5], bot.sandbox.tenant.users[7]
    tomorrow = bot.sandbox.now() + timedelta(days=1)
    first = text_of(bot, bot.ask("is Mercury free tomorrow at 3pm?", chat_type="group", sender=alice))
    assert "Mercury" in first and "15:00" in first
    bob_asks = text_of(bot, bot.ask("is Jupiter free tomorrow at 10am?", chat_type="group", sender=bob))
    assert "Jupiter" in bob_asks
    later = text_of(bot, bot.ask("and at 4?", chat_type="group", sender=alice))
    assert "Mercury" in later and "16:00" in later and f"{tomorrow:%-d}" in later, later
    other = text_of(bot, bot.ask("那明天呢？", chat_type="group", sender=bob))  # Bob's own question
    assert "Jupiter" in other or "木星" in other


def test_book_the_second_one_books_that_room_of_the_last_card(bot: RunningBot) -> None:
    alice = bot.sandbox.tenant.users[9]
    bot.sandbox.calendar.decision_delay = 0.2
    found = bot.final_card(bot.ask("find a free room for 4 people tomorrow at 2pm", sender=alice))
    rooms = [line for line in str(card_to_text(found)).splitlines() if line.strip()]
    booked = bot.ask("book the second one", sender=alice)
    card = bot.final_card(booked)
    title = card["header"]["title"]["content"]
    assert "Booking" in title or "booked" in title, title
    offers = [label.removeprefix("Book ") for label, _ in card_to_text(found).buttons if label.startswith("Book ")]
    assert len(offers) >= 2, card_to_text(found).buttons
    wanted = offers[1]  # the second room the card offered
    assert wanted in title, (wanted, title, rooms[:8])


def test_without_context_a_follow_up_gets_the_help_card(bot: RunningBot) -> None:
    answer = str(card_to_text(bot.ask("那明天呢？").content))  # the help card is wathet too
    assert "先完整地问一次" in answer
