"""Map Feishu's (HTTP status, code, msg) onto roombot's error classes.

Codes come from the contract: §4 (messages), §5 (VC rooms), §6.1 (reservations) and §7 (generic).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.feishu.errors import (
    ChatUnreachable,
    CredentialsInvalid,
    FeishuError,
    FeishuUnavailable,
    InvalidParameters,
    NotFound,
    PermissionMissing,
    RateLimited,
)

RATE_LIMIT_CODES = frozenset({99991400, 230020, 11232, 11233, 11247})
TOKEN_INVALID_CODES = frozenset({99991663})
PERMISSION_CODES = frozenset({99991672, 99991676, 121005})
CHAT_UNREACHABLE_CODES = frozenset({230002, 232009, 10002, 10030})
INVALID_PARAMETER_CODES = frozenset({126005, 126006, 121003, 230001})
NOT_FOUND_CODES = frozenset({121004, 230011, 230110})
UNAVAILABLE_CODES = frozenset({121001})

# What the token endpoint's codes mean for whoever configures roombot [contract §1].
TOKEN_CODE_HINTS = {
    10014: "app secret invalid: check feishu.app_secret (env ROOMBOT_FEISHU_APP_SECRET)",
    10015: "app secret invalid: check feishu.app_secret (env ROOMBOT_FEISHU_APP_SECRET)",
    10003: "app_id invalid: check feishu.app_id (env ROOMBOT_FEISHU_APP_ID)",
}

_SCOPE_LIST = re.compile(r"\[([^\]]*)\]")
_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.:\-]+$")


def is_rate_limited(status: int, code: int | None) -> bool:
    """HTTP 429, or 99991400 (some legacy APIs answer it with HTTP 400) [DOC 频控策略]."""
    return status == 429 or code in RATE_LIMIT_CODES


def is_server_error(status: int, code: int | None) -> bool:
    """A transient failure on Feishu's side worth retrying."""
    return status >= 500 or code in UNAVAILABLE_CODES


def scopes_from_error(msg: str, error: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """Names of the scopes to grant, from 99991672's msg "...required: [a, b]..." or its error body."""
    found: list[str] = []
    for violation in (error or {}).get("permission_violations") or ():
        subject = str(violation.get("subject", "")).strip()
        if subject and _SCOPE_NAME.match(subject):
            found.append(subject)
    match = _SCOPE_LIST.search(msg or "")
    if match:
        for part in match[1].split(","):
            name = part.strip().strip("'\"` ")
            if name and _SCOPE_NAME.match(name):
                found.append(name)
    return tuple(dict.fromkeys(found))


def error_for(status: int, code: int | None, msg: str, log_id: str,
              error: Mapping[str, Any] | None = None) -> FeishuError:
    """The roombot error for a failed Feishu reply that will not be retried."""
    code_value = code if code is not None else -1
    if is_rate_limited(status, code):
        return RateLimited(code_value, msg, log_id, status)
    if code in PERMISSION_CODES:
        return PermissionMissing(code_value, msg, log_id, status, scopes=scopes_from_error(msg, error))
    if code in CHAT_UNREACHABLE_CODES:
        return ChatUnreachable(code_value, msg, log_id, status)
    if code in INVALID_PARAMETER_CODES:
        return InvalidParameters(code_value, msg, log_id, status)
    if code in NOT_FOUND_CODES:
        return NotFound(code_value, msg, log_id, status)
    if code is None or is_server_error(status, code):
        return FeishuUnavailable(code_value, msg or f"HTTP {status}", log_id, status)
    return FeishuError(code_value, msg, log_id, status)


def token_error(code: int, msg: str) -> FeishuError:
    """The error for a failed tenant_access_token call (the SDK's ObtainAccessTokenException)."""
    hint = TOKEN_CODE_HINTS.get(code)
    if hint:
        return CredentialsInvalid(code, f"{hint} (Feishu said: {msg})")
    if code in RATE_LIMIT_CODES:
        return RateLimited(code, msg, "", 200)
    return FeishuError(code, f"could not obtain a tenant_access_token: {msg}")
