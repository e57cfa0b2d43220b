"""The store tests' clock and store, on each backend (`store_url`: SQLite, and PostgreSQL where it runs)."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

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


T = TypeVar("T")


def at_once(action: Callable[[], T], hands: int = 2) -> list[T]:
    """Run `action` on `hands` threads released together; every result."""
    results: list[T] = []
    start = threading.Barrier(hands)

    def hand() -> None:
        start.wait()
        results.append(action())
    threads = [threading.Thread(target=hand) for _ in range(hands)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
