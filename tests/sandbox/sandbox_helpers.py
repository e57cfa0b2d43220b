"""Helpers of the sandbox tests: a fixed clock, SDK clients and raw HTTP calls against a sandbox."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import lark_oapi as lark
import requests

from bot.sandbox import Sandbox

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 4, 10, 20, tzinfo=SH)  # a Tuesday morning, as in examples.md


def fixed_clock() -> datetime:
    """The sandbox clock of these tests."""
    return NOW


def client(sb: Sandbox, secret: str | None = None) -> lark.Client:
    """The real lark-oapi client pointed at the sandbox."""
    return (lark.Client.builder().app_id(sb.app_id).app_secret(secret or sb.app_secret)
            .domain(sb.url).log_level(lark.LogLevel.ERROR).build())


def token(sb: Sandbox) -> str:
    """A tenant token fetched over HTTP, the way lark-oapi does it (no Content-Type)."""
    body = json.dumps({"app_id": sb.app_id, "app_secret": sb.app_secret})
    return requests.post(f"{sb.url}/open-apis/auth/v3/tenant_access_token/internal", data=body,
                         timeout=5).json()["tenant_access_token"]


def get(sb: Sandbox, path: str, params: Any = None, auth: str | None = "") -> requests.Response:
    """GET a sandbox path; auth "" fetches a token, None sends no Authorization header."""
    headers = {} if auth is None else {"Authorization": f"Bearer {auth or token(sb)}"}
    return requests.get(sb.url + path, params=params, headers=headers, timeout=10)


def send(sb: Sandbox, method: str, path: str, body: Any, params: Any = None) -> requests.Response:
    """A JSON call with a fresh token."""
    return requests.request(method, sb.url + path, params=params, json=body, timeout=10,
                            headers={"Authorization": f"Bearer {token(sb)}"})
