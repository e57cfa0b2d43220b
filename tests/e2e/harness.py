"""A running roombot (real Flask app under waitress) wired to a sandbox tenant over real HTTP."""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot import Runtime, create_app
from bot.config import BotSettings, Settings, StorageSettings
from bot.sandbox import crypto
from bot.serving import BackgroundServer

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class RunningBot:
    """The bot under test, its sandbox and a pusher aimed at its webhook."""

    sandbox: Any
    settings: Settings
    server: BackgroundServer
    runtime: Runtime
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

    def settle(self) -> None:
        """Wait until every accepted event has been processed."""
        self.runtime.worker.shutdown(wait=True)


def start_bot(sandbox: Any, tmp_path: Path, **bot_settings: Any) -> RunningBot:
    settings = Settings(
        feishu=sandbox.feishu_settings(),
        bot=replace(BotSettings(), **bot_settings),
        storage=StorageSettings(f"sqlite:///{tmp_path / 'roombot.db'}"),
    )
    app = create_app(settings)
    server = BackgroundServer(app).start()
    pusher = sandbox.pusher(f"{server.url}/webhook/event")
    return RunningBot(sandbox, settings, server, app.extensions["roombot"], pusher)


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
