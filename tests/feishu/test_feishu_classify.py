"""Feishu (status, code, msg) -> roombot error classes, and the client-side limiter."""
from __future__ import annotations

import pytest

from bot.feishu.classify import error_for, scopes_from_error, token_error
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
from bot.feishu.resilience import Deadline, RateLimiter, backoff_delay, reset_seconds

SCOPE_MSG = ("Access denied. One of the following scopes is required: [vc:room:readonly, vc:room]."
             "应用尚未开通所需的应用身份权限：[vc:room:readonly, vc:room]，点击链接申请并开通任一权限即可："
             "https://open.feishu.cn/app/cli_x/auth?q=vc:room:readonly&op_from=openapi&token_type=tenant")


@pytest.mark.parametrize("status, code, cls", [
    (429, 99991400, RateLimited), (400, 99991400, RateLimited),
    (400, 99991672, PermissionMissing), (404, 121005, PermissionMissing),
    (403, 121005, PermissionMissing),
    (400, 230002, ChatUnreachable), (400, 232009, ChatUnreachable),
    (400, 10002, ChatUnreachable), (400, 10030, ChatUnreachable),
    (400, 126005, InvalidParameters), (400, 126006, InvalidParameters),
    (400, 121003, InvalidParameters), (400, 230001, InvalidParameters),
    (404, 121004, NotFound), (400, 230011, NotFound), (400, 230110, NotFound),
    (500, 121001, FeishuUnavailable), (503, None, FeishuUnavailable),
    (400, 230025, FeishuError),
])
def test_error_classes(status: int, code: int | None, cls: type) -> None:
    error = error_for(status, code, "m", "log123")
    assert type(error) is cls
    assert error.log_id == "log123" and error.http_status == status
    assert "log123" in str(error)


def test_permission_scopes_from_msg() -> None:
    error = error_for(400, 99991672, SCOPE_MSG, "L")
    assert isinstance(error, PermissionMissing)
    assert error.scopes == ("vc:room:readonly", "vc:room")


def test_permission_scopes_from_violations_first() -> None:
    body = {"permission_violations": [{"type": "action_scope_required", "subject": "vc:export"}]}
    assert scopes_from_error("Access denied", body) == ("vc:export",)


def test_token_error_app_secret() -> None:
    error = token_error(10014, "app secret invalid")
    assert isinstance(error, CredentialsInvalid) and error.code == 10014
    assert "app secret invalid" in str(error) and "feishu.app_secret" in str(error)


def test_reset_header_any_casing() -> None:
    assert reset_seconds({"X-Ogw-Ratelimit-Reset": "7"}) == 7.0
    assert reset_seconds({"x-ogw-ratelimit-reset": "3"}) == 3.0
    assert reset_seconds({}, default=1.5) == 1.5


def test_backoff_grows_and_caps() -> None:
    assert [backoff_delay(n) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]


class FakeTime:
    """A monotonic clock advanced only by sleep."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_limiter_keeps_api_under_quota() -> None:
    fake = FakeTime()
    limiter = RateLimiter({"/x": ((3, 60.0),)}, monotonic=fake.monotonic, sleep=fake.sleep, margin=0)
    deadline = Deadline(1000, fake.monotonic)
    waits = [limiter.acquire("/x", deadline) for _ in range(7)]
    assert waits == [0, 0, 0, 60, 0, 0, 60]
    assert limiter.acquire("/unlimited", deadline) == 0


def test_limiter_per_second_and_per_minute() -> None:
    fake = FakeTime()
    limiter = RateLimiter({"/x": ((4, 60.0), (2, 1.0))}, monotonic=fake.monotonic,
                          sleep=fake.sleep, margin=0)
    deadline = Deadline(1000, fake.monotonic)
    waits = [limiter.acquire("/x", deadline) for _ in range(5)]
    assert waits == [0, 0, 1.0, 0, 59.0]


def test_limiter_refuses_to_wait_past_the_budget() -> None:
    fake = FakeTime()
    limiter = RateLimiter({"/x": ((1, 60.0),)}, monotonic=fake.monotonic, sleep=fake.sleep, margin=0)
    limiter.acquire("/x", Deadline(5, fake.monotonic))
    with pytest.raises(RateLimited) as info:
        limiter.acquire("/x", Deadline(5, fake.monotonic))
    assert info.value.retry_after == pytest.approx(60.0)
    assert fake.slept == []
