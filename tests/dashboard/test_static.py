"""The VChart the dashboard serves is the pinned build the chart test draws cards with."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVED = ROOT / "bot" / "dashboard" / "static" / "vchart.min.js"
RENDERER = ROOT / "tests" / "render" / "vchart"


def test_the_served_vchart_is_the_pinned_one() -> None:
    pinned = json.loads((RENDERER / "package.json").read_text())["dependencies"]["vchart-1.12"]
    version = pinned.rsplit("@", 1)[1]
    assert version in (SERVED.parent / "VCHART-LICENSE.txt").read_text()
    built = RENDERER / "node_modules" / "vchart-1.12" / "build" / "index.min.js"
    if not built.exists():
        pytest.skip("the chart test's packages are not installed (scripts/ensure_chart_tools.sh)")
    assert json.loads((built.parents[1] / "package.json").read_text())["version"] == version
    assert hashlib.sha256(SERVED.read_bytes()).digest() == hashlib.sha256(built.read_bytes()).digest()
