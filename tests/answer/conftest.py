"""Fixtures for answer tests: one sandbox per module at a fixed clock, a warm directory, and a fresh
gateway per test (so its call counter measures one answer)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.answer import AnswerContext
from bot.config import PrivacySettings, Settings
from bot.directory.tree import Directory
from bot.feishu.gateway import FeishuGateway
from bot.sandbox import Sandbox

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 5, 14, 10, 20, tzinfo=SH)  # a Tuesday, 10:20, as in examples.md
ROOMS = 73  # with seed 7, building A座 then has exactly 45 rooms (the "45-room floor" case)


def fixed_clock() -> datetime:
    """The one clock shared by the sandbox, the gateway and the answers."""
    return NOW


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """A sandbox tenant frozen at NOW."""
    sandbox = Sandbox.start(seed=7, rooms=ROOMS, clock=fixed_clock)
    yield sandbox
    sandbox.stop()


def make_gateway(sb: Sandbox) -> FeishuGateway:
    """A gateway on the sandbox at the fixed clock; retries do not really sleep."""
    return FeishuGateway(sb.feishu_settings(), tz=SH, clock=fixed_clock, time_budget=10.0,
                         sleep=lambda _seconds: None)


@pytest.fixture(scope="module")
def directory(sb: Sandbox) -> Directory:
    """The directory, loaded once: answers run with a warm directory."""
    return Directory.load(make_gateway(sb), "0")


@pytest.fixture
def gateway(sb: Sandbox) -> Iterator[FeishuGateway]:
    """A fresh gateway (fresh call counter); injected faults are cleared afterwards."""
    sb.faults.clear()
    yield make_gateway(sb)
    sb.faults.clear()
    sb.faults.latency = 0.0


Ctx = Callable[..., AnswerContext]


@pytest.fixture
def ctx(sb: Sandbox, gateway: FeishuGateway, directory: Directory) -> Ctx:
    """Build an AnswerContext; keyword arguments set privacy options and the chat type."""
    def build(*, show_topics: bool = False, names: str = "all", chat_type: str = "p2p") -> AnswerContext:
        settings = Settings(sb.feishu_settings(),
                            privacy=PrivacySettings(reserver_names=names, show_topics=show_topics))
        return AnswerContext(gateway=gateway, directory=directory, settings=settings, now=NOW,
                             chat_type=chat_type)
    return build


def api_calls(gateway: FeishuGateway) -> dict[str, int]:
    """The gateway's calls by API path, without token fetches (the SDK caches tokens per app)."""
    return {path: n for path, n in gateway.calls.by_path.items() if "access_token" not in path}
