"""Fixtures for end-to-end tests: a running bot wired to a sandbox tenant."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import RunningBot, start_bot


@pytest.fixture
def bot(sandbox: Any, tmp_path: Path) -> Iterator[RunningBot]:
    running = start_bot(sandbox, tmp_path)
    yield running
    running.stop()
