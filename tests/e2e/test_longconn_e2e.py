"""Long-connection mode end to end: the real lark.ws.Client, opened by roombot, against the sandbox.

The sandbox plays Feishu's side of the WebSocket (bot/sandbox/longconn.py): it hands out the URL,
pushes plaintext event frames to a connected client and records each ACK. roombot's door
(bot/receive/longconn.py) records events in the same inbox as the webhook, answers card clicks in
the ACK, and rebuilds its client when the connection goes.
"""
from __future__ import annotations

import io
import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.config import Settings, StorageSettings, load_settings
from bot.demo import run_demo
from bot.doctor import run_doctor
from bot.receive.clicks import ClickDesk
from bot.receive.inbox import Inbox
from bot.receive.longconn import LongConnection, SocketDoor
from bot.render.text import card_to_text
from bot.respond import Responder
from bot.sandbox import ClientConfig, Delivery, Sandbox
from bot.sandbox import LongConnection as FeishuSide
from bot.workers import AnswerWorkers
from tests.e2e.harness import free_port, serve, serve_config

FAST = ClientConfig(reconnect_interval=0.2, reconnect_nonce=0.1, ping_interval=0.5)


@dataclass
class Linked:
    """roombot connected to the sandbox over the long connection, answering in this process."""

    sandbox: Sandbox
    lc: FeishuSide
    link: LongConnection
    responder: Responder
    workers: AnswerWorkers

    def ask(self, text: str, **kwargs: Any) -> tuple[Delivery, Any]:
        """Send a message frame; the delivery and the answer the bot posted."""
        before = len(self.sandbox.sent)
        delivery = self.lc.message(text, **kwargs)
        assert delivery.ok, (delivery.error, delivery.ack)
        sent = self.sandbox.wait_for_sent(before + 1, timeout=20)
        return delivery, sent[-1]

    def replies_to(self, message_id: str) -> int:
        return sum(1 for record in self.sandbox.sent if record.reply_to == message_id)


def long_connection_settings(sandbox: Sandbox, tmp_path: Path) -> Settings:
    return Settings(feishu=replace(sandbox.feishu_settings(), mode="long_connection"),
                    storage=StorageSettings(f"sqlite:///{tmp_path / 'roombot.db'}"))


@contextmanager
def linked_to(sandbox: Sandbox, tmp_path: Path, **link_options: Any) -> Iterator[Linked]:
    """roombot's door connected to the sandbox (FAST config); link_options go to LongConnection."""
    lc = sandbox.long_connection()
    lc.config = lc.pong_config = FAST
    settings = long_connection_settings(sandbox, tmp_path)
    responder = Responder.build(settings)
    inbox = Inbox(responder.store)
    workers = AnswerWorkers(inbox, responder, settings.bot.workers).start()
    link = LongConnection(settings.feishu, SocketDoor(inbox, ClickDesk(inbox, responder)),
                          **link_options).start()
    try:
        link.wait_connected(timeout=10)
        lc.wait_for_clients(1)
        yield Linked(sandbox, lc, link, responder, workers)
    finally:
        link.stop()
        workers.stop(wait=True)


@pytest.fixture
def linked(sandbox: Sandbox, tmp_path: Path) -> Iterator[Linked]:
    with linked_to(sandbox, tmp_path) as link:
        yield link


def button(card: dict[str, Any], label: str) -> dict[str, Any]:
    return next(value for text, value in card_to_text(card).buttons if label in text)


def test_a_message_is_acknowledged_at_once_and_answered(linked: Linked) -> None:
    delivery, answer = linked.ask("who booked Mercury today", chat_type="group")
    assert delivery.elapsed is not None and delivery.elapsed < 1.0
    assert delivery.response_json is None  # an event's ACK carries no body
    assert answer.reply_to == delivery.message_id
    assert "Mercury" in str(card_to_text(answer.content))
    key, deadline = f"msg:{delivery.message_id}", time.monotonic() + 5
    while linked.responder.store.event_status(key) != "done" and time.monotonic() < deadline:
        time.sleep(0.05)  # marked done with others within 0.2 s of the answer
    assert linked.responder.store.event_status(key) == "done"
    assert linked.link.status().connected and linked.link.status().connects == 1


def test_a_card_click_is_answered_with_the_new_card_in_the_ack(linked: Linked) -> None:
    _delivery, answer = linked.ask("who booked Mercury today")
    posted = len(linked.sandbox.sent)
    click = linked.lc.card_action(button(answer.content, "Next day"),
                                  message_id=answer.message_id, chat_id=answer.chat_id)
    assert click.ok and click.callback_error == ""
    reply = click.response_json
    assert reply["card"]["type"] == "raw"
    assert "Mercury" in str(card_to_text(reply["card"]["data"]))
    assert len(linked.sandbox.sent) == posted  # answered in place, nothing new posted
    again = linked.lc.redeliver(click)  # Feishu may call a callback more than once
    assert again.ok and again.response_json == {}


def test_a_slow_click_blocks_no_other_frame_and_is_patched_later(linked: Linked) -> None:
    _delivery, answer = linked.ask("who booked Mercury today")
    linked.sandbox.faults.latency = 2.5  # the click's answer cannot be ready within 2.2 s
    try:
        click = linked.lc.card_action(button(answer.content, "Next day"), wait=False,
                                      message_id=answer.message_id, chat_id=answer.chat_id)
        time.sleep(0.2)
        message = linked.lc.message("help")  # arrives while the click is being answered
        assert message.ok and message.elapsed is not None and message.elapsed < 1.0
        assert click.acked and click.ok and click.callback_error == ""
        assert "toast" in click.response_json and "card" not in click.response_json
        deadline = time.monotonic() + 20
        while not answer.patches and time.monotonic() < deadline:
            time.sleep(0.1)
        assert answer.patches, "the card was never patched with the late answer"
    finally:
        linked.sandbox.faults.latency = 0.0


def test_a_duplicate_delivery_is_answered_once(linked: Linked) -> None:
    first, _answer = linked.ask("is Oslo free at 3pm")
    again = linked.lc.redeliver(first)
    assert again.ok and again.event_id == first.event_id
    assert linked.workers.drain(timeout=20)
    time.sleep(0.5)  # a second answer would be posted about now
    assert linked.replies_to(first.message_id) == 1


def test_bot_added_and_unreadable_frames_are_acknowledged(linked: Linked) -> None:
    added = linked.lc.bot_added("oc_new_group")
    assert added.ok
    intro = linked.sandbox.wait_for_sent(1, timeout=20)[-1]
    assert intro.chat_id == "oc_new_group"  # the help card, as over the webhook
    broken = {"schema": "2.0", "header": {"event_id": "ev_broken",
                                          "event_type": "im.message.receive_v1"},
              "event": {"message": "not an object", "sender": {}}}
    other = {"schema": "2.0", "header": {"event_id": "ev_other", "event_type": "im.chat.updated_v1"},
             "event": {}}
    for envelope in (broken, other):
        delivery = linked.lc.deliver(envelope)
        assert delivery.ok, delivery.ack  # nothing a re-delivery could fix: no 500
    huge = linked.lc.message("who booked Mercury " * 60_000, parts=3)  # > 1 MiB in three frames
    assert huge.ok, huge.ack
    assert linked.workers.drain(timeout=10)
    recorded = linked.responder.store.inbox_counts()
    assert sum(count for count, _oldest in recorded.values()) == 1  # the bot_added event alone
    assert len(linked.sandbox.sent) == 1


def test_a_dropped_connection_is_opened_again(linked: Linked) -> None:
    dropped = linked.lc.drop_connections()
    status = linked.link.wait_connected(timeout=10, after=1)
    assert status.connects == 2 and status.conn_id not in dropped
    linked.lc.wait_for_clients(1)
    assert len(linked.lc.bootstraps) == 2  # a fresh client asked Feishu for a new URL
    delivery, answer = linked.ask("help")
    assert answer.reply_to == delivery.message_id


def test_a_client_refused_while_reconnecting_is_rebuilt(linked: Linked) -> None:
    """The SDK's own reconnect would give up for good here (the client stays deaf)."""
    secret = linked.sandbox.app_secret
    linked.sandbox.app_secret = "rotated"
    linked.lc.drop_connections()
    assert linked.lc.wait_for_bootstraps(2)[-1].code == 1000040345
    deadline = time.monotonic() + 5
    while "refused" not in linked.link.status().last_error and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not linked.link.status().connected and "refused" in linked.link.status().last_error
    linked.sandbox.app_secret = secret
    linked.link.wait_connected(timeout=15, after=1)
    linked.lc.wait_for_clients(1)
    delivery, answer = linked.ask("help")
    assert answer.reply_to == delivery.message_id


def test_a_silent_connection_is_rebuilt_by_the_watchdog(sandbox: Sandbox, tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """Half-dead: the socket stays open but Feishu sends nothing, not even a pong. The SDK never
    notices (its connection does not end); only the watchdog does, after 3 pings + 5 s."""
    caplog.set_level(logging.INFO, logger="bot.receive.longconn")
    with linked_to(sandbox, tmp_path, watchdog_seconds=0.25) as linked:
        first, _answer = linked.ask("help")
        silenced_at = time.monotonic()
        (silent,) = linked.lc.silence()
        assert silent == linked.link.status().conn_id and linked.lc.silenced == {silent}
        lost = linked.lc.message("who booked Mercury today", wait=False)
        assert lost.error == "connection silenced" and lost.connection == silent
        status = linked.link.wait_connected(timeout=25, after=1)  # watchdog fires at ~6.5-7 s
        assert status.connects == 2 and status.conn_id != silent
        assert time.monotonic() - silenced_at > 5  # not before it had been silent for a while
        unanswered = [p for p in linked.lc.pings if p.conn_id == silent and p.at > silenced_at]
        assert len(unanswered) >= 3  # the old client kept pinging into the silence
        deadline = time.monotonic() + 10  # the sandbox sees the old close and the new client
        while [c.conn_id for c in linked.lc.connected_clients()] != [status.conn_id]:  # (async)
            assert time.monotonic() < deadline, (
                f"expected only {status.conn_id} connected, silent one was {silent}: "
                f"{[c.conn_id for c in linked.lc.connected_clients()]}")
            time.sleep(0.05)
        assert linked.lc.silenced == set()
        assert len(linked.lc.bootstraps) == 2  # a fresh client asked Feishu for a new URL
        messages = [r.getMessage() for r in caplog.records if r.name == "bot.receive.longconn"]
        assert any("nothing from Feishu" in m for m in messages), messages
        assert any("long connection down (silent for" in m for m in messages), messages
        delivery, answer = linked.ask("is Oslo free at 3pm")  # the new connection answers
        assert answer.reply_to == delivery.message_id
        assert linked.workers.drain(timeout=20)
        time.sleep(0.5)  # a second answer would be posted about now
        assert linked.replies_to(delivery.message_id) == 1
        assert linked.replies_to(first.message_id) == 1
        assert linked.replies_to(lost.message_id) == 0  # lost on the half-dead link
        assert linked.link.status().connects == 2


def test_demo_chats_over_the_long_connection(sandbox: Sandbox, tmp_path: Path) -> None:
    lines = iter(["who booked Mercury today", "1", ":quit"])
    out = io.StringIO()
    settings = long_connection_settings(sandbox, tmp_path)
    assert run_demo(settings, sandbox, read=lambda prompt: next(lines), out=out) == 0
    text = out.getvalue()
    assert "wired by long connection" in text and "Mercury" in text and "(clicked" in text
    assert len(sandbox.sent) == 1  # the click updated the card in the ACK


def test_roombot_serve_in_long_connection_mode_answers(sandbox: Sandbox, tmp_path: Path) -> None:
    lc = sandbox.long_connection()
    port = free_port()
    config = serve_config(sandbox, tmp_path, port, worker_processes=1)
    config.write_text(config.read_text().replace("[feishu]\n", '[feishu]\nmode = "long_connection"\n'))
    running = serve(sandbox, config, port)
    try:
        lc.wait_for_clients(1, timeout=30)
        deadline = time.monotonic() + 10  # the door marks itself connected just after the
        status = requests.get(f"{running.url}/longconn", timeout=5).json()  # sandbox sees it
        while not status["connected"] and time.monotonic() < deadline:
            time.sleep(0.05)
            status = requests.get(f"{running.url}/longconn", timeout=5).json()
        assert status["mode"] == "long_connection" and status["connected"]
        delivery = lc.message("who booked Mercury today")
        assert delivery.ok, (delivery.error, delivery.ack)
        answer = sandbox.wait_for_sent(1, timeout=60)[-1]
        assert answer.reply_to == delivery.message_id
        click = lc.card_action(button(answer.content, "Refresh"), message_id=answer.message_id,
                               chat_id=answer.chat_id)
        assert click.ok and click.callback_error == "" and click.response_json
        doctor = io.StringIO()
        assert run_doctor(load_settings(config, {}), doctor) == 0, doctor.getvalue()
        report = doctor.getvalue()
        assert "mode long_connection" in report and "long connection up since" in report
        assert "Feishu hands out a connection" in report
        assert Counter(r.reply_to for r in sandbox.sent)[delivery.message_id] == 1
    finally:
        running.kill()


def test_doctor_says_the_mode_and_checks_the_long_connection_endpoint(
        sandbox: Sandbox, tmp_path: Path) -> None:
    settings = replace(long_connection_settings(sandbox, tmp_path),
                       server=replace(Settings(feishu=sandbox.feishu_settings()).server,
                                      port=free_port()))
    out = io.StringIO()
    assert run_doctor(settings, out) == 0, out.getvalue()
    report = out.getvalue()
    assert "mode long_connection: roombot opens a WebSocket" in report
    assert "✓ long-connection endpoint" in report and "not answering here" in report
    assert not sandbox.long_connection().connected_clients()  # the doctor never connects
    sandbox.app_secret = "rotated"
    out = io.StringIO()
    assert run_doctor(settings, out) == 1
    assert "✗ long-connection endpoint" in out.getvalue()
    assert "check feishu.app_id and feishu.app_secret" in out.getvalue()
