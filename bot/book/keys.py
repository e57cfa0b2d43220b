"""Idempotency keys: one booking per click (however often Feishu delivers it, however often it is
clicked) and per typed message. The key is also Feishu's `idempotency_key` (32–128 characters)."""
from __future__ import annotations

import hashlib
import json
from typing import Any


def click_key(operator_open_id: str, message_id: str, value: dict[str, Any]) -> str:
    """The key of a Book button pressed by one person on one card: a double click, a re-delivered
    callback and a retry all give the same key (not the event id, which differs per click)."""
    raw = json.dumps([operator_open_id, message_id, value], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(("click:" + raw).encode()).hexdigest()


def message_key(dedupe_key: str) -> str:
    """The key of a typed booking: one per message (Feishu re-delivers a message with the same id)."""
    return hashlib.sha256(("message:" + dedupe_key).encode()).hexdigest()
