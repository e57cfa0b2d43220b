"""Rooms and room levels through lark-oapi: paging, filters, get, mget, SDK model shapes."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from lark_oapi.api.vc.v1 import (
    GetRoomLevelRequest,
    GetRoomRequest,
    ListRoomLevelRequest,
    ListRoomRequest,
    MgetRoomLevelRequest,
    MgetRoomLevelRequestBody,
    MgetRoomRequest,
    MgetRoomRequestBody,
)
from sandbox_helpers import client, get

from bot.sandbox import Sandbox


@pytest.fixture(scope="module")
def big() -> Iterator[Sandbox]:
    sb = Sandbox.start(seed=7, rooms=250)
    yield sb
    sb.stop()


def test_rooms_page_past_100(big: Sandbox) -> None:
    sdk, seen, token, pages = client(big), [], None, 0
    while True:
        builder = ListRoomRequest.builder().page_size(100)
        reply = sdk.vc.v1.room.list((builder.page_token(token) if token else builder).build())
        assert reply.success(), reply.msg
        seen += reply.data.rooms
        pages += 1
        if not reply.data.has_more:
            assert reply.data.page_token is None
            break
        token = reply.data.page_token
    assert pages == 3
    assert [r.room_id for r in seen] == [r.room_id for r in big.tenant.rooms]
    first = seen[0]
    assert first.room_status.status is True and isinstance(first.path, list) and first.device


def test_room_page_size_defaults_to_10_and_caps_at_100(shared_sandbox: Sandbox) -> None:
    assert len(get(shared_sandbox, "/open-apis/vc/v1/rooms").json()["data"]["rooms"]) == 10
    reply = get(shared_sandbox, "/open-apis/vc/v1/rooms", {"page_size": 101})
    assert (reply.status_code, reply.json()["code"]) == (400, 121003)


def test_room_level_filter_means_direct_children(shared_sandbox: Sandbox) -> None:
    tenant = shared_sandbox.tenant
    floor = next(lv for lv in tenant.levels if lv.name == "4F" and tenant.directory.level(lv.parent_id).name == "T2")
    reply = client(shared_sandbox).vc.v1.room.list(
        ListRoomRequest.builder().room_level_id(floor.level_id).page_size(100).build())
    assert {r.name for r in reply.data.rooms} >= {"Mercury", "Jupiter 木星", "Room 402"}
    assert all(r.room_level_id == floor.level_id for r in reply.data.rooms)
    t2 = tenant.level_by_name("T2")
    by_building = client(shared_sandbox).vc.v1.room.list(
        ListRoomRequest.builder().room_level_id(t2.level_id).build())
    assert by_building.data.rooms == [] or by_building.data.rooms is None


def test_room_get_and_mget(shared_sandbox: Sandbox) -> None:
    sdk, oslo = client(shared_sandbox), shared_sandbox.tenant.room_by_name("Oslo")
    got = sdk.vc.v1.room.get(GetRoomRequest.builder().room_id(oslo.room_id).build())
    assert (got.data.room.name, got.data.room.capacity) == ("Oslo", 4)
    many = sdk.vc.v1.room.mget(MgetRoomRequest.builder().request_body(
        MgetRoomRequestBody.builder().room_ids([oslo.room_id, "omm_unknown"]).build()).build())
    assert [r.name for r in many.data.items] == ["Oslo"]
    missing = sdk.vc.v1.room.get(GetRoomRequest.builder().room_id("omm_unknown").build())
    assert (missing.raw.status_code, missing.code) == (404, 121004)


def test_levels_tree(shared_sandbox: Sandbox) -> None:
    sdk, tenant = client(shared_sandbox), shared_sandbox.tenant
    root = sdk.vc.v1.room_level.get(GetRoomLevelRequest.builder().room_level_id("0").build()).data.room_level
    assert root.room_level_id == tenant.root.level_id and root.has_child
    top = sdk.vc.v1.room_level.list(ListRoomLevelRequest.builder().page_size(100).build()).data.items
    assert "T2" in [lv.name for lv in top] and all(lv.parent_id == root.room_level_id for lv in top)
    t2 = next(lv for lv in top if lv.name == "T2")
    floors = sdk.vc.v1.room_level.list(
        ListRoomLevelRequest.builder().room_level_id(t2.room_level_id).page_size(100).build()).data.items
    assert [lv.name for lv in floors] == [f"{n}F" for n in range(3, 10)]
    assert floors[0].path == [root.room_level_id, t2.room_level_id] and floors[0].has_child is False
    mget = sdk.vc.v1.room_level.mget(MgetRoomLevelRequest.builder().request_body(
        MgetRoomLevelRequestBody.builder().level_ids([t2.room_level_id]).build()).build())
    assert [lv.name for lv in mget.data.items] == ["T2"]
