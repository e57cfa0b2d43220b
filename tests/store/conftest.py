"""The store tests' clock and store, on each backend (`store_url`: SQLite, and PostgreSQL where it runs)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.store import Store
from tests.clocks import SettableClock


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(1_763_000_000.0)


@pytest.fixture
def store(store_url: str, clock: SettableClock) -> Iterator[Store]:
    with Store.open(store_url, clock=clock) as opened:
        yield opened
