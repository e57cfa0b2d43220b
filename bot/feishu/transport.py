"""One place where every Feishu HTTP call goes through: counting, limiting, retries, errors.

lark-oapi 1.7.5 has no retry, no back-off and no token refresh [contract §7]; this module adds
them around any SDK call (typed resource methods or `client.request`).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from lark_oapi.core.exception import ObtainAccessTokenException, UnmarshalException
from lark_oapi.core.token import TokenManager

from bot.feishu.classify import (
    TOKEN_INVALID_CODES,
    error_for,
    is_rate_limited,
    is_server_error,
    token_error,
)
from bot.feishu.errors import LOCAL_CODE, FeishuError, FeishuUnavailable, RateLimited
from bot.feishu.models import CallCounter
from bot.feishu.resilience import Deadline, RateLimiter, backoff_delay, reset_seconds
from bot.observe import metrics

log = logging.getLogger(__name__)

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
MAX_ATTEMPTS = 5


@dataclass
class Reply:
    """A successful Feishu answer, normalised: parsed JSON envelope or raw bytes."""

    status: int
    log_id: str
    body: dict[str, Any] = field(default_factory=dict)
    content: bytes = b""

    @property
    def data(self) -> dict[str, Any]:
        """The envelope's `data` object ({} when absent)."""
        value = self.body.get("data")
        return value if isinstance(value, dict) else {}


class _Garbage(Exception):
    """Feishu answered something that is not its JSON envelope (e.g. a 502 HTML page)."""

    def __init__(self, status: int, detail: str, log_id: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.log_id = log_id


@dataclass
class _Failure:
    """A non-success reply: what classification and back-off need."""

    status: int
    code: int | None
    msg: str
    log_id: str
    headers: dict[str, str]
    error: dict[str, Any] | None


class Transport:
    """Runs SDK calls with counting, limiting, retries, token refresh and a time budget."""

    def __init__(self, app_id: str, *, limiter: RateLimiter, sleep: Callable[[float], None],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.calls = CallCounter()
        self._app_id = app_id
        self._limiter = limiter
        self._sleep = sleep
        self._monotonic = monotonic
        self._count_lock = threading.Lock()

    def deadline(self, budget: float) -> Deadline:
        """A fresh deadline for one public call."""
        return Deadline(budget, self._monotonic)

    def count(self, path: str) -> None:
        """Record one HTTP call to `path` (thread-safe)."""
        with self._count_lock:
            self.calls.add(path)

    def execute(self, api: str, send: Callable[[], Any], deadline: Deadline, *,
                binary: bool = False, repeatable: bool = True) -> Reply:
        """Send via `send()` until success, a final error, or the deadline; return the Reply.

        `repeatable=False` is for a write Feishu cannot deduplicate (no idempotency key): a 5xx
        or an unreadable reply may have been applied, so it is raised at once for the caller to
        look at Feishu's state, not sent again. A rate limit or a rejected token is still retried
        (Feishu refused the call before acting on it)."""
        refreshed = False
        for attempt in range(1, MAX_ATTEMPTS + 1):
            deadline.check(f"calling {api}")
            self._wait_for_quota(api, deadline)
            started = time.perf_counter()
            outcome = self._attempt(api, send, binary)
            _observe(api, outcome, time.perf_counter() - started)
            if isinstance(outcome, Reply):
                return outcome
            if isinstance(outcome, _Failure) and outcome.code in TOKEN_INVALID_CODES \
                    and not refreshed:
                log.warning("tenant token rejected on %s (log_id=%s); refreshing once",
                            api, outcome.log_id or "-", extra={"log_id": outcome.log_id})
                metrics.FEISHU_RETRIES.labels(api, "token_expired").inc()
                self.drop_token()
                refreshed = True
                continue
            self._wait_or_raise(api, outcome, attempt, deadline, repeatable)
        raise AssertionError("unreachable: _wait_or_raise raises on the last attempt")

    def _wait_for_quota(self, api: str, deadline: Deadline) -> None:
        """Our client-side limiter: wait for a slot under the API's quota (counted)."""
        try:
            waited = self._limiter.acquire(api, deadline)
        except RateLimited:
            metrics.QUOTA_REFUSALS.labels(api).inc()
            raise
        if waited > 0:
            metrics.RATE_LIMIT_WAITS.labels(api, "client").inc()
            metrics.RATE_LIMIT_WAIT_SECONDS.labels(api, "client").inc(waited)

    def _attempt(self, api: str, send: Callable[[], Any], binary: bool) -> Reply | _Failure | _Garbage:
        """One HTTP call; transport-level trouble comes back as _Garbage, not raised."""
        if not self._has_token():
            self.count(TOKEN_PATH)  # the SDK will fetch a token first (it does not tell us)
        try:
            response = send()
        except ObtainAccessTokenException as exc:
            metrics.FEISHU_CALLS.labels(TOKEN_PATH, str(exc.code)).inc()
            raise token_error(int(exc.code or LOCAL_CODE), str(exc.msg)) from exc
        except (json.JSONDecodeError, UnicodeDecodeError, UnmarshalException) as exc:
            self.count(api)
            return _Garbage(0, f"unparseable reply: {exc}")
        except requests.RequestException as exc:
            self.count(api)
            return _Garbage(0, f"network error: {exc.__class__.__name__}: {exc}")
        self.count(api)
        try:
            return _normalise(response, binary)
        except _Garbage as garbage:
            return garbage

    def _wait_or_raise(self, api: str, outcome: _Failure | _Garbage, attempt: int,
                       deadline: Deadline, repeatable: bool = True) -> None:
        """Sleep before the next attempt, or raise the final error for this outcome."""
        if isinstance(outcome, _Garbage):
            error: FeishuError = FeishuUnavailable(
                LOCAL_CODE, f"{api}: {outcome}", outcome.log_id, outcome.status)
            delay, reason = backoff_delay(attempt), "unreadable"
        elif is_rate_limited(outcome.status, outcome.code):
            delay, reason = reset_seconds(outcome.headers), "rate_limited"
            error = RateLimited(outcome.code or LOCAL_CODE, outcome.msg, outcome.log_id,
                                outcome.status, retry_after=delay)
        elif is_server_error(outcome.status, outcome.code) or outcome.code is None:
            error = error_for(outcome.status, outcome.code, outcome.msg, outcome.log_id)
            delay, reason = backoff_delay(attempt), "server_error"
        else:
            error = error_for(outcome.status, outcome.code, outcome.msg, outcome.log_id,
                              outcome.error)
            log.warning("%s failed: %s", api, error, extra={"log_id": error.log_id})
            raise error
        if not repeatable and reason != "rate_limited":
            log.warning("%s: %s; not sent again (it may have been applied)", api, error,
                        extra={"log_id": error.log_id})
            raise error
        if attempt >= MAX_ATTEMPTS or delay >= deadline.remaining():
            log.warning("%s gave up after %d attempt(s): %s", api, attempt, error,
                        extra={"log_id": error.log_id})
            raise error
        log.info("%s: %s; retrying in %.2fs (attempt %d)", api, error, delay, attempt,
                 extra={"log_id": error.log_id})
        metrics.FEISHU_RETRIES.labels(api, reason).inc()
        if reason == "rate_limited":
            metrics.RATE_LIMIT_WAITS.labels(api, "server").inc()
            metrics.RATE_LIMIT_WAIT_SECONDS.labels(api, "server").inc(delay)
        self._sleep(delay)

    def _token_key(self) -> str:
        return f"self_tenant_token:{self._app_id}"

    def _has_token(self) -> bool:
        return bool(TokenManager.cache.get(self._token_key()))

    def obtain_token(self, config: Any) -> None:
        """Make sure a tenant token is cached, asking Feishu for one if not (for /readyz)."""
        if self._has_token():
            return
        self.count(TOKEN_PATH)
        try:
            TokenManager.get_self_tenant_token(config)
        except ObtainAccessTokenException as exc:
            metrics.FEISHU_CALLS.labels(TOKEN_PATH, str(exc.code)).inc()
            raise token_error(int(exc.code or LOCAL_CODE), str(exc.msg)) from exc
        except (requests.RequestException, ValueError) as exc:  # unreachable, or not JSON
            metrics.FEISHU_CALLS.labels(TOKEN_PATH, "network").inc()
            raise FeishuUnavailable(LOCAL_CODE, f"tenant token: {exc.__class__.__name__}: "
                                    f"{exc}") from exc
        metrics.FEISHU_CALLS.labels(TOKEN_PATH, "0").inc()

    def drop_token(self) -> None:
        """Forget this app's cached tenant token so the SDK fetches a new one.

        The SDK caches it process-wide under `self_tenant_token:{app_id}` and never
        refreshes it on 99991663 [SDK core/token/manager.py; DOC 如何解决 99991663].
        """
        TokenManager.cache.set(self._token_key(), "", 0)


def _observe(api: str, outcome: Reply | _Failure | _Garbage, seconds: float) -> None:
    """Count one HTTP call by its result code: Feishu's, else http_<status>, else network."""
    if isinstance(outcome, Reply):
        code = "0"
    elif isinstance(outcome, _Failure) and outcome.code is not None:
        code = str(outcome.code)
    else:
        code = f"http_{outcome.status}" if outcome.status else "network"
    metrics.FEISHU_CALLS.labels(api, code).inc()
    metrics.FEISHU_SECONDS.labels(api).observe(seconds)


def _header(headers: dict[str, str], name: str) -> str:
    """Case-insensitive header lookup (the SDK keeps the server's casing)."""
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return value
    return ""


def _normalise(response: Any, binary: bool) -> Reply | _Failure:
    """Turn an SDK response into a Reply (success) or a _Failure; raise _Garbage if unreadable."""
    raw = response.raw
    status = int(raw.status_code or 0)
    headers = dict(raw.headers or {})
    log_id = _header(headers, "X-Tt-Logid")
    content = raw.content or b""
    if binary and 200 <= status < 300:
        return Reply(status, log_id, {}, content)
    try:
        body = json.loads(content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise _Garbage(status, f"HTTP {status}, not JSON: {content[:80]!r}", log_id) from None
    if not isinstance(body, dict):
        raise _Garbage(status, f"HTTP {status}, JSON but not an object", log_id)
    error = body.get("error") if isinstance(body.get("error"), dict) else None
    log_id = log_id or str((error or {}).get("log_id", ""))
    code = body.get("code")
    code = code if isinstance(code, int) else None
    if code == 0 and 200 <= status < 300:
        return Reply(status, log_id, body, content)
    return _Failure(status, code, str(body.get("msg", "")), log_id, headers, error)
