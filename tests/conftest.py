"""Shared fixtures: the Feishu sandbox (a fake Open API over real HTTP on 127.0.0.1)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox import Sandbox

pytest_plugins = ["tests.pg"]  # pg_server / pg_url: a throw-away PostgreSQL server


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox per test (seed 7, 60 rooms), stopped afterwards."""
    sb = Sandbox.start(seed=7, rooms=60)
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[Sandbox]:
    """One sandbox for the whole session: only for tests that neither change it nor count its calls."""
    sb = Sandbox.start(seed=7, rooms=60)
    try:
        yield sb
    finally:
        sb.stop()
