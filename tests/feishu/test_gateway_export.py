"""The async export through the real SDK: create -> poll -> download -> parse."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from feishu_helpers import NOW, SH, Sleeps

from bot.feishu.errors import ExportFailed, FeishuUnavailable, PermissionMissing
from bot.feishu.gateway import FeishuGateway
from bot.feishu.models import Reservation
from bot.sandbox import Sandbox

MIDNIGHT = datetime(2024, 5, 14, tzinfo=SH)
YESTERDAY = MIDNIGHT - timedelta(days=1)


def comparable(rows: list[Reservation]) -> list[tuple[str, datetime, str, str]]:
    return sorted((r.room_name, r.start, r.reserver, r.reservation_status) for r in rows)


def test_export_equals_the_reservation_list(sb: Sandbox, gw: FeishuGateway,
                                            slept: Sleeps) -> None:
    sb.faults.export_polls = 2
    stages: list[str] = []
    exported = gw.export_reservations("0", YESTERDAY, MIDNIGHT, on_progress=stages.append)
    listed = gw.reservations("0", YESTERDAY, MIDNIGHT)
    assert len(exported) > 100
    assert comparable(exported) == comparable(listed)
    assert all(r.room_id == "" for r in exported)
    assert gw.calls.by_path["/open-apis/vc/v1/exports/:task_id"] == 3
    assert slept == [0.5, 1.0]  # back-off between polls
    assert stages == ["created", "processing", "processing", "downloading", "done"]


def test_export_of_some_rooms_with_topics(sb: Sandbox, gw: FeishuGateway) -> None:
    mercury = sb.tenant.room_by_name("Mercury")
    assert mercury is not None
    rows = gw.export_reservations("0", YESTERDAY, MIDNIGHT, room_ids=[mercury.room_id],
                                  need_topic=True)
    listed = gw.reservations("0", YESTERDAY, MIDNIGHT, room_ids=[mercury.room_id],
                             need_topic=True)
    assert {r.room_name for r in rows} == {"Mercury"}
    assert sorted((r.start, r.topic) for r in rows) == sorted((r.start, r.topic) for r in listed)


def test_failed_export_carries_fail_msg(sb: Sandbox, gw: FeishuGateway) -> None:
    sb.faults.export_failure = "too many rows"
    try:
        with pytest.raises(ExportFailed) as info:
            gw.export_reservations("0", YESTERDAY, MIDNIGHT)
    finally:
        sb.faults.export_failure = ""
    assert info.value.fail_msg == "too many rows" and info.value.log_id


def test_export_that_never_finishes_is_bounded(sb: Sandbox, gw: FeishuGateway,
                                               slept: Sleeps) -> None:
    sb.faults.export_polls = 10_000
    try:
        with pytest.raises(FeishuUnavailable, match="not finished"):
            gw.export_reservations("0", YESTERDAY, MIDNIGHT, time_budget=0.3)
    finally:
        sb.faults.export_polls = 1


def test_export_permission_error(sb: Sandbox, gw: FeishuGateway) -> None:
    sb.faults.inject("/exports/resource_reservation_list", "permission")
    with pytest.raises(PermissionMissing) as info:
        gw.export_reservations("0", YESTERDAY, MIDNIGHT)
    assert info.value.scopes == ("vc:export",)


def test_export_starting_in_the_future_makes_no_call(sb: Sandbox, gw: FeishuGateway) -> None:
    assert gw.export_reservations("0", NOW + timedelta(hours=1), NOW + timedelta(hours=2)) == []
    assert gw.calls.total == 0
