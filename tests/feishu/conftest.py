"""Fixtures for the gateway tests: one 250-room sandbox per module, a gateway with a recorded sleep."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from feishu_helpers import SH, Sleeps, fixed_clock
from lark_oapi.core.token import TokenManager

from bot.feishu.gateway import FeishuGateway
from bot.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """A sandbox with 250 rooms (more than two pages of 100) at a fixed clock."""
    sandbox = Sandbox.start(seed=7, rooms=250, clock=fixed_clock)
    yield sandbox
    sandbox.stop()


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> None:
    """The SDK caches tenant tokens process-wide by app_id; start every test without one."""
    cache = getattr(TokenManager.cache, "cache", None)
    if isinstance(cache, dict):
        for key in [k for k in cache if k.startswith("self_tenant_token:")]:
            del cache[key]


@pytest.fixture
def slept() -> Sleeps:
    return Sleeps()


@pytest.fixture
def gw(sb: Sandbox, slept: Sleeps) -> Iterator[FeishuGateway]:
    sb.faults.clear()
    yield FeishuGateway(sb.feishu_settings(), tz=SH, clock=fixed_clock, time_budget=10.0,
                        sleep=slept)
    sb.faults.clear()
    sb.faults.latency = 0.0
