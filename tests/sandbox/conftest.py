"""Fixtures of the sandbox tests."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_helpers import fixed_clock

from bot.sandbox import Sandbox


@pytest.fixture
def fixed() -> Iterator[Sandbox]:
    """A 60-room sandbox whose clock stands at Tuesday 2025-03-04 10:20 (Asia/Shanghai)."""
    sb = Sandbox.start(seed=7, rooms=60, clock=fixed_clock)
    yield sb
    sb.stop()


@pytest.fixture
def cal(fixed: Sandbox) -> Sandbox:
    """The fixed-clock sandbox, its rooms deciding on the first read after they were asked (decision_delay 0)."""
    fixed.calendar.decision_delay = 0
    return fixed
