"""`roombot serve` as it runs in production: a separate process, with an answer worker process."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.cardtext import card_to_text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(sandbox: Any, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    config = tmp_path / "roombot.toml"
    config.write_text(sandbox.config_toml() + f"""
[server]
host = "127.0.0.1"
port = {port}
worker_processes = 1

[storage]
url = "sqlite:///{tmp_path / 'serve.db'}"
""")
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--config", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "ROOMBOT_LOG_LEVEL": "WARNING"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("roombot serve did not start: " + process.stderr.read().decode()[-3000:])
    yield url, process
    if process.poll() is None:
        process.kill()
        process.wait(10)


def test_serve_acks_in_the_web_process_and_answers_in_a_worker_process(sandbox: Any, served) -> None:
    url, _process = served
    pusher = sandbox.pusher(f"{url}/webhook/event")
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


def test_sigterm_stops_the_server_and_its_workers(served) -> None:
    _url, process = served
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
