"""`roombot serve` as it runs in production: a separate process, with an answer worker process."""
from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.render.text import card_to_text
from tests.e2e.harness import ServeProcess, free_port, serve, serve_config


@pytest.fixture
def served(sandbox: Any, tmp_path: Path) -> Iterator[ServeProcess]:
    port = free_port()
    running = serve(sandbox, serve_config(sandbox, tmp_path, port), port)
    yield running
    if running.process.poll() is None:
        running.kill()


def test_serve_acks_in_the_web_process_and_answers_in_a_worker_process(
        sandbox: Any, served: ServeProcess) -> None:
    pusher = sandbox.pusher(served.webhook_url)
    push = pusher.message("who booked Mercury today")
    assert push.status == 200
    [answer] = sandbox.wait_for_sent(1, timeout=60)
    assert "Mercury" in str(card_to_text(answer.content))
    _label, value = card_to_text(answer.content).buttons[0]
    click = pusher.card_action(value, message_id=answer.message_id, chat_id=answer.chat_id)
    assert click.status == 200 and click.json.get("card", {}).get("data", {}).get("schema") == "2.0"
    again = pusher.redeliver(push)
    assert again.status == 200
    time.sleep(1)
    assert len(sandbox.sent) == 1  # the redelivery was not answered again


def test_sigterm_stops_the_server_and_its_workers(served: ServeProcess) -> None:
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(30) == 0
