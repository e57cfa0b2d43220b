"""A running roombot (real Flask app under waitress) wired to a sandbox tenant over real HTTP."""
from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from bot.app import create_app
from bot.config import BotSettings, Settings, StorageSettings
from bot.receive.inbox import Inbox
from bot.respond import Responder
from bot.sandbox import crypto
from bot.serve import BackgroundServer
from bot.workers import AnswerWorkers

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class RunningBot:
    """The bot under test, its sandbox and a pusher aimed at its webhook."""

    sandbox: Any
    settings: Settings
    server: BackgroundServer
    responder: Responder
    inbox: Inbox
    workers: AnswerWorkers
    pusher: Any

    @property
    def webhook_url(self) -> str:
        return f"{self.server.url}/webhook/event"

    def ask(self, text: str, **kwargs: Any) -> Any:
        """Send a message and wait for the bot's answer; returns the SentRecord."""
        before = len(self.sandbox.sent)
        push = self.pusher.message(text, **kwargs)
        assert push.status == 200, push.body
        sent = self.sandbox.wait_for_sent(before + 1, timeout=20)
        assert len(sent) > before, f"no answer to {text!r}"
        return sent[-1]

    def final_card(self, record: Any, timeout: float = 30) -> dict[str, Any]:
        """The answer card: the record's own card, or the one patched over it when it was a card
        still at work ('Working on it…', 'Booking Oslo…': the only titles that end in an ellipsis)."""
        deadline = time.monotonic() + timeout
        while record.content["header"]["title"]["content"].endswith("…") and not record.patches:
            assert time.monotonic() < deadline, "the 'working on it' card was never replaced"
            time.sleep(0.1)
        return record.patches[-1] if record.patches else record.content

    def settle(self) -> None:
        """Wait until every accepted event has been answered."""
        assert self.workers.drain(timeout=30), "events still waiting after 30 s"

    def stop(self) -> None:
        self.server.stop()
        self.workers.stop(wait=True)


def start_bot(sandbox: Any, tmp_path: Path, sections: dict[str, Any] | None = None,
              **bot_settings: Any) -> RunningBot:
    """The bot in this process; `sections` replaces whole config sections (e.g. reminders=...)."""
    settings = Settings(
        feishu=sandbox.feishu_settings(),
        bot=replace(BotSettings(), **bot_settings),
        storage=StorageSettings(f"sqlite:///{tmp_path / 'roombot.db'}"),
        **(sections or {}),
    )
    responder = Responder.build(settings)
    inbox = Inbox(responder.store)
    workers = AnswerWorkers(inbox, responder, settings.bot.workers).start()
    server = BackgroundServer(create_app(settings, responder, inbox)).start()
    pusher = sandbox.pusher(f"{server.url}/webhook/event")
    return RunningBot(sandbox, settings, server, responder, inbox, workers, pusher)


def free_rooms(bot: RunningBot, start: datetime, end: datetime, count: int = 1,
               among: Sequence[str] | None = None) -> list[str]:
    """`count` open rooms free over [start, end), as the bot's free/busy call sees them. At a busy
    hour (a weekday morning leaves 2 to 5 of the sandbox's 51 open rooms free for an hour) the
    rest are made free by cancelling the generated bookings there, so a test does not depend on
    the time of day it runs at."""
    rooms = list(among if among is not None else bot.sandbox.calendar.open_rooms())
    busy = bot.responder.gateway.freebusy(rooms, start, end)
    free = [room for room in rooms if not busy.get(room)][:count]
    for room in [r for r in rooms if r not in free]:
        if len(free) == count:
            break
        bot.sandbox.calendar.vacate(room, start, end)
        if not bot.responder.gateway.freebusy([room], start, end).get(room):  # nothing else held it
            free.append(room)
    assert len(free) == count, f"only {len(free)} of {count} rooms could be made free"
    return free


def room_name(bot: RunningBot, room_id: str) -> str:
    """The sandbox room's display name."""
    return next(r.name for r in bot.sandbox.tenant.rooms if r.room_id == room_id)


def click(bot: RunningBot, record: Any, value: dict[str, Any], operator: Any = None) -> Any:
    """Click a button of a sent card as `operator` (the chat's first member by default); Feishu
    must accept the callback's reply. Returns the push (its .json is the reply)."""
    push = bot.pusher.card_action(value, message_id=record.message_id, chat_id=record.chat_id,
                                  operator=operator)
    assert push.status == 200, push.body[:300]
    assert not push.error, push.error
    return push


def signed(bot: RunningBot, body: bytes, timestamp: str | None = None,
           signature: str | None = None) -> dict[str, str]:
    """Headers exactly as Feishu signs them (or with a forged signature)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = "n0nce"
    return {"Content-Type": "application/json;charset=utf-8",
            "X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": nonce,
            "X-Lark-Signature": signature or crypto.signature(
                timestamp, nonce, bot.settings.feishu.encrypt_key, body)}


def push_event(bot: RunningBot, event_type: str, event: dict) -> object:
    """Encrypt, sign and post any v2 event, as Feishu would."""
    envelope = bot.pusher.envelope(event_type, event, None)
    body = json.dumps({"encrypt": crypto.encrypt(json.dumps(envelope, ensure_ascii=False),
                                                 bot.settings.feishu.encrypt_key)}).encode()
    return bot.pusher.post(body, signed(bot, body))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServeProcess:
    """`roombot serve` as a real process in its own process group (so a test can kill -9 it)."""

    process: subprocess.Popen
    url: str

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhook/event"

    def kill(self) -> None:
        """kill -9 the whole process group: the web process, the fork server, the workers."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


def serve(sandbox: Any, config: Path, port: int, *, command: Sequence[str] | None = None,
          cwd: Path | None = None, env: dict[str, str] | None = None) -> ServeProcess:
    """Start `roombot serve --config config` and wait until /healthz answers."""
    argv = [*(command or [sys.executable, "-m", "bot.cli"]), "serve", "--config", str(config)]
    log = config.with_suffix(".log").open("ab")
    process = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True, cwd=cwd,
                               env=env or {**os.environ, "ROOMBOT_LOG_LEVEL": "WARNING"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return ServeProcess(process, url)
        except requests.RequestException:
            time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("roombot serve did not start:\n"
                         + config.with_suffix(".log").read_text(errors="replace")[-3000:])


def serve_config(sandbox: Any, tmp_path: Path, port: int, *, worker_processes: int = 1,
                 workers: int = 4, storage_url: str | None = None) -> Path:
    """A roombot.toml for `roombot serve` against the sandbox."""
    config = tmp_path / "roombot.toml"
    config.write_text(sandbox.config_toml() + f"""
[bot]
workers = {workers}

[server]
host = "127.0.0.1"
port = {port}
worker_processes = {worker_processes}

[storage]
url = "{storage_url or f'sqlite:///{tmp_path / "serve.db"}'}"
""")
    return config
