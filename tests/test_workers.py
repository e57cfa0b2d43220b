"""Answer workers over a real inbox (SQLite) and the sandbox: exactly once, retries, dead letters."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, StorageSettings
from bot.receive.events import IncomingMessage
from bot.receive.inbox import Inbox
from bot.respond import Responder
from bot.sandbox import Sandbox
from bot.store import Store
from bot.workers import AnswerWorkers, answer_one
from tests.clocks import SettableClock


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(1_800_000_000.0)


@pytest.fixture
def responder(sandbox: Sandbox, tmp_path: Path, clock: SettableClock) -> Iterator[Responder]:
    settings = Settings(sandbox.feishu_settings(),
                        storage=StorageSettings(f"sqlite:///{tmp_path / 'w.db'}"))
    store = Store.open(settings.storage.url, clock=clock, max_attempts=3)
    yield Responder.build(settings, store=store)
    store.close()


def question(sandbox: Sandbox, n: int, text: str = "who booked Mercury today") -> IncomingMessage:
    message_id, chat_id = f"om_worker_{n}", f"oc_worker_{n}"
    sandbox.messenger.register(message_id, chat_id)
    return IncomingMessage(f"ev_{n}", message_id, chat_id, "p2p", "ou_asker", "user", "text", text)


def replies(sandbox: Sandbox) -> list[str]:
    return [record.reply_to for record in sandbox.sent]


def test_each_recorded_question_is_answered_once_by_several_threads(
        sandbox: Sandbox, responder: Responder) -> None:
    inbox = Inbox(responder.store)
    items = [question(sandbox, n) for n in range(12)]
    for item in items:
        assert inbox.record(item)
        assert not inbox.record(item)  # a re-delivery is a duplicate
    workers = AnswerWorkers(inbox, responder, threads=4).start()
    try:
        assert workers.drain(timeout=30)
    finally:
        workers.stop()
    assert sorted(replies(sandbox)) == sorted(item.message_id for item in items)
    assert {responder.store.event_status(item.dedupe_key) for item in items} == {"done"}


def test_an_item_whose_worker_keeps_dying_becomes_a_dead_letter_with_an_honest_card(
        sandbox: Sandbox, responder: Responder, clock: SettableClock) -> None:
    inbox = Inbox(responder.store, lease_seconds=10)
    poison = question(sandbox, 1)
    inbox.record(poison)
    for _crash in range(3):  # claimed, then the worker is killed: nothing finishes it
        assert len(inbox.claim()) == 1
        clock.advance(11)  # the lease lapses
    [last] = inbox.claim()
    assert last.attempts == 4
    answer_one(inbox, responder, last)
    assert responder.store.event_status(poison.dedupe_key) == "dead"
    [card] = sandbox.sent
    assert card.reply_to == poison.message_id
    assert card.content["header"]["template"] in ("red", "orange", "yellow")


def test_a_reply_feishu_refuses_is_retried_then_given_up(
        sandbox: Sandbox, responder: Responder, clock: SettableClock) -> None:
    inbox = Inbox(responder.store, retry_seconds=15)
    item = question(sandbox, 2)
    inbox.record(item)
    responder.directory.get()
    sandbox.faults.inject("/reply", "permission", times=100)
    try:
        for attempt in range(1, 4):
            [claimed] = inbox.claim()
            assert claimed.attempts == attempt
            answer_one(inbox, responder, claimed)
            assert inbox.claim() == []  # waiting for its retry time
            clock.advance(16)
        assert responder.store.event_status(item.dedupe_key) == "dead"
    finally:
        sandbox.faults.clear()


def test_one_claim_takes_the_oldest_items_for_every_free_thread(
        sandbox: Sandbox, responder: Responder) -> None:
    inbox = Inbox(responder.store)
    items = [question(sandbox, 10 + n) for n in range(5)]
    for item in items:
        inbox.record(item)
    first = inbox.claim(3)
    assert [c.key for c in first] == [item.dedupe_key for item in items[:3]]
    assert [c.key for c in inbox.claim(3)] == [item.dedupe_key for item in items[3:]]
    assert inbox.claim(3) == []


def test_an_unreadable_stored_item_is_dead_and_does_not_block_the_next(
        sandbox: Sandbox, responder: Responder) -> None:
    inbox = Inbox(responder.store)
    responder.store.accept_event("msg:broken", "message", {"not": "a message"})
    good = question(sandbox, 3)
    inbox.record(good)
    workers = AnswerWorkers(inbox, responder, threads=2).start()
    try:
        assert workers.drain(timeout=30)
    finally:
        workers.stop()
    assert responder.store.event_status("msg:broken") == "dead"
    assert replies(sandbox) == [good.message_id]


def test_a_bot_sender_is_recorded_but_never_answered(sandbox: Sandbox,
                                                    responder: Responder) -> None:
    inbox = Inbox(responder.store)
    other_bot: Any = IncomingMessage("ev_b", "om_b", "oc_b", "p2p", "ou_bot", "app", "text", "help")
    inbox.record(other_bot)
    [claimed] = inbox.claim()
    answer_one(inbox, responder, claimed)
    assert sandbox.sent == [] and responder.store.event_status("msg:om_b") == "done"
