"""Shared constants and helpers of the gateway tests (imported by conftest and the tests)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 5, 14, 10, 20, tzinfo=SH)  # a Tuesday, as in examples.md


def fixed_clock() -> datetime:
    """The clock shared by the sandbox and the gateway under test."""
    return NOW


class Sleeps(list[float]):
    """An injected sleep that records what it was asked to wait and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
