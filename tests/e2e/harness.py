"""A running roombot (real Flask app under waitress) wired to a sandbox tenant over real HTTP."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot import Runtime, create_app
from bot.config import BotSettings, Settings, StorageSettings
from bot.serving import BackgroundServer


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
