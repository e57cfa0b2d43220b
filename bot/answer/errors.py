"""Turn a Feishu failure (or an unexpected one) into an honest error Reply for the user."""
from __future__ import annotations

import math
import re
from typing import Any

from bot.feishu.errors import (
    ChatUnreachable,
    FeishuError,
    FeishuUnavailable,
    InvalidParameters,
    NotFound,
    PermissionMissing,
    RateLimited,
)
from bot.queries import Lang, Reply

_SCOPES_IN_MSG = re.compile(r"\[([a-z0-9_:.,\s-]+)\]", re.IGNORECASE)


def feishu_error_reply(exc: FeishuError, lang: Lang) -> Reply:
    """An error card saying what went wrong with Feishu, what to do, and the log_id for admins."""
    data: dict[str, Any] = {
        "kind": _kind(exc),
        "code": exc.code,
        "log_id": exc.log_id,
        "retry_after": _retry_after(exc),
        "scopes": list(_scopes(exc)),
    }
    return Reply(card="error", data=data, lang=lang)


def unexpected_error_reply(lang: Lang, ref: str = "") -> Reply:
    """An error card for a bug on our side; `ref` (an event or log id) lets an admin find the log."""
    data = {"kind": "internal", "code": 0, "log_id": ref, "retry_after": 0, "scopes": []}
    return Reply(card="error", data=data, lang=lang)


def _kind(exc: FeishuError) -> str:
    if isinstance(exc, RateLimited):
        return "rate_limited"
    if isinstance(exc, PermissionMissing):
        return "permission"
    if isinstance(exc, FeishuUnavailable):
        return "unavailable"
    if isinstance(exc, ChatUnreachable):
        return "chat_unreachable"
    if isinstance(exc, NotFound):
        return "not_found"
    if isinstance(exc, InvalidParameters):
        return "internal"
    return "feishu"


def _retry_after(exc: FeishuError) -> int:
    if isinstance(exc, RateLimited):
        return max(1, math.ceil(exc.retry_after or 0))
    return 0


def _scopes(exc: FeishuError) -> tuple[str, ...]:
    """The scopes an admin must grant: from the exception, else from Feishu's message text."""
    if not isinstance(exc, PermissionMissing):
        return ()
    if exc.scopes:
        return tuple(exc.scopes)
    match = _SCOPES_IN_MSG.search(exc.msg or "")
    if not match:
        return ()
    return tuple(s.strip() for s in match[1].split(",") if s.strip())
