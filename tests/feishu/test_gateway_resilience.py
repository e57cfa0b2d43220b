"""Retries, token refresh, rate limits, permission errors, garbage replies and the time budget."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from feishu_helpers import NOW, SH, Sleeps, fixed_clock

from bot.config import FeishuSettings
from bot.feishu.errors import (
    CredentialsInvalid,
    FeishuError,
    FeishuUnavailable,
    PermissionMissing,
    RateLimited,
)
from bot.feishu.gateway import FeishuGateway
from bot.sandbox import Sandbox

TOKEN = "/open-apis/auth/v3/tenant_access_token/internal"
LEVELS = "/open-apis/vc/v1/room_levels"
LIST = "/open-apis/vc/v1/resource_reservation_list"
FREEBUSY = "/open-apis/meeting_room/freebusy/batch_get"


def paths(sb: Sandbox, mark: int) -> list[str]:
    return [c.path for c in sb.calls[mark:]]


def test_expired_token_is_refreshed_once(sb: Sandbox, gw: FeishuGateway) -> None:
    gw.bot_open_id()  # token now cached by the SDK
    sb.expire_tokens()
    mark = len(sb.calls)
    levels = gw.room_levels()
    assert len(levels) == len(sb.tenant.levels)
    seen = paths(sb, mark)
    assert seen[:3] == ["/open-apis/vc/v1/room_levels/0", TOKEN, "/open-apis/vc/v1/room_levels/0"]
    assert sb.calls[mark].code == 99991663
    assert gw.calls.by_path[TOKEN] == 2  # the first fetch and the refresh


def test_sdk_call_counts_match_the_server(sb: Sandbox, gw: FeishuGateway) -> None:
    mark = len(sb.calls)
    gw.rooms()
    gw.freebusy([r.room_id for r in sb.tenant.rooms[:30]], NOW, NOW + timedelta(hours=2))
    server: dict[str, int] = {}
    for call in sb.calls[mark:]:
        template = "/open-apis/vc/v1/room_levels/:room_level_id" if call.path.startswith(
            "/open-apis/vc/v1/room_levels/") else call.path
        server[template] = server.get(template, 0) + 1
    assert server == gw.calls.by_path


def test_429_waits_for_the_reset_header(sb: Sandbox, gw: FeishuGateway, slept: Sleeps) -> None:
    sb.faults.inject("resource_reservation_list", "rate_limit", times=1, reset=7)
    mark = len(sb.calls)
    rows = gw.reservations("0", NOW - timedelta(hours=3), NOW)
    assert 7.0 in slept
    statuses = [c.status for c in sb.calls[mark:] if c.path == LIST]
    assert statuses[0] == 429 and statuses[-1] == 200
    assert gw.calls.by_path[LIST] == len(statuses)
    assert isinstance(rows, list)


def test_429_longer_than_the_budget_fails_at_once(sb: Sandbox, slept: Sleeps) -> None:
    gw = FeishuGateway(sb.feishu_settings(), tz=SH, clock=fixed_clock, time_budget=5.0,
                       sleep=slept)
    sb.faults.inject("freebusy", "rate_limit", times=1, reset=60)
    with pytest.raises(RateLimited) as info:
        gw.freebusy([sb.tenant.rooms[0].room_id], NOW, NOW + timedelta(hours=1))
    assert info.value.retry_after == 60 and info.value.code == 99991400
    assert info.value.log_id
    assert 60 not in slept


def test_permission_error_names_the_scope(sb: Sandbox, gw: FeishuGateway) -> None:
    sb.faults.inject("freebusy", "permission")
    with pytest.raises(PermissionMissing) as info:
        gw.freebusy([sb.tenant.rooms[0].room_id], NOW, NOW + timedelta(hours=1))
    assert info.value.scopes == ("calendar:room:readonly",)
    assert info.value.code == 99991672 and info.value.log_id
    assert gw.calls.by_path[FREEBUSY] == 1  # not retried


def test_one_bad_gateway_is_retried(sb: Sandbox, gw: FeishuGateway, slept: Sleeps) -> None:
    sb.faults.inject("/open-apis/vc/v1/rooms", "bad_gateway", times=1)
    assert len(gw.rooms()) == 250
    assert slept == [0.25]


def test_persistent_non_json_502_is_unavailable(sb: Sandbox, gw: FeishuGateway) -> None:
    sb.faults.inject("/open-apis/vc/v1/room_levels", "bad_gateway", times=50)
    with pytest.raises(FeishuUnavailable) as info:
        gw.room_levels()
    assert info.value.http_status in (0, 502)


def test_server_errors_are_retried(sb: Sandbox, gw: FeishuGateway, slept: Sleeps) -> None:
    sb.faults.inject("resource_reservation_list", "server_error", times=2)
    gw.reservations("0", NOW - timedelta(hours=1), NOW)
    assert slept == [0.25, 0.5]


def test_time_budget_exhausted_is_an_error_not_a_hang(sb: Sandbox) -> None:
    gw = FeishuGateway(sb.feishu_settings(), tz=SH, clock=fixed_clock, time_budget=1.0)
    sb.faults.inject("freebusy", "server_error", times=100)
    began = time.monotonic()
    with pytest.raises(FeishuUnavailable):
        gw.freebusy([sb.tenant.rooms[0].room_id], NOW, NOW + timedelta(hours=1))
    assert time.monotonic() - began < 1.5
    sb.faults.clear()


def test_slow_feishu_stops_at_the_budget(sb: Sandbox) -> None:
    gw = FeishuGateway(sb.feishu_settings(), tz=SH, clock=fixed_clock, time_budget=1.0)
    sb.faults.latency = 0.4
    try:
        began = time.monotonic()
        with pytest.raises(FeishuUnavailable, match="time budget"):
            gw.rooms()  # token + 3 pages at 0.4 s each
        assert time.monotonic() - began < 2.0
    finally:
        sb.faults.latency = 0.0


def test_wrong_app_secret_is_a_clear_error(sb: Sandbox) -> None:
    settings = sb.feishu_settings()
    bad = FeishuSettings(settings.app_id, "wrong-secret", domain=settings.domain)
    gw = FeishuGateway(bad, tz=SH, clock=fixed_clock)
    with pytest.raises(CredentialsInvalid) as info:
        gw.rooms()
    assert info.value.code == 10014 and "app secret invalid" in str(info.value)


def test_client_side_limiter_keeps_under_the_quota(sb: Sandbox) -> None:
    gw = FeishuGateway(sb.feishu_settings(), tz=SH, clock=fixed_clock, time_budget=10.0)
    sb.faults.rate_limits = True  # the sandbox enforces 50/s on room listing
    try:
        mark = len(sb.calls)
        began = time.monotonic()
        for _ in range(20):
            gw.rooms()  # 3 pages each: 60 calls, more than 50 in one second
        elapsed = time.monotonic() - began
    finally:
        sb.faults.rate_limits = False
    assert [c.status for c in sb.calls[mark:] if c.status != 200] == []
    assert gw.calls.by_path["/open-apis/vc/v1/rooms"] == 60
    assert elapsed >= 1.0


def test_token_rejected_twice_is_not_retried_forever(sb: Sandbox, gw: FeishuGateway) -> None:
    sb.faults.inject("/open-apis/vc/v1/room_levels", "token_expired", times=5)
    with pytest.raises(FeishuError) as info:
        gw.room_levels()
    assert info.value.code == 99991663
    assert gw.calls.by_path["/open-apis/vc/v1/room_levels/:room_level_id"] == 2


REPLY = "/open-apis/meeting_room/instance/reply"


@pytest.mark.parametrize("fault", ["server_error", "bad_gateway", "lost_response"])
def test_instance_reply_is_not_sent_again_after_an_answer_that_may_hide_a_success(
        sb: Sandbox, gw: FeishuGateway, slept: Sleeps, fault: str) -> None:
    """instance/reply has no idempotency key: a 5xx or an unreadable answer may have ended the
    instance, so it is raised for the release to read free/busy, not retried."""
    sb.faults.inject(REPLY, fault, times=1)
    with pytest.raises(FeishuUnavailable):
        gw.release_instance("omm_nowhere", "uid_nowhere", 0)
    assert gw.calls.by_path[REPLY] == 1 and slept == []


def test_instance_reply_is_retried_after_a_rate_limit(sb: Sandbox, gw: FeishuGateway,
                                                       slept: Sleeps) -> None:
    """A 429 is refused before Feishu acts, so sending it again is safe."""
    sb.faults.inject(REPLY, "rate_limit", times=1)
    with pytest.raises(FeishuError) as info:  # the second try reaches the room: no such event
        gw.release_instance("omm_nowhere", "uid_nowhere", 0)
    assert not isinstance(info.value, (FeishuUnavailable, RateLimited))
    assert gw.calls.by_path[REPLY] == 2 and len(slept) == 1
