"""Room directory through the real SDK against the sandbox: every level, every room, every page."""
from __future__ import annotations

from bot.feishu.gateway import FeishuGateway
from bot.sandbox import Sandbox

ROOMS = "/open-apis/vc/v1/rooms"


def test_all_rooms_past_the_first_hundred(sb: Sandbox, gw: FeishuGateway) -> None:
    mark = len(sb.calls)
    rooms = gw.rooms()
    assert len(rooms) == 250
    assert {r.room_id for r in rooms} == {r.room_id for r in sb.tenant.rooms}
    assert gw.calls.by_path[ROOMS] == 3
    assert [c.path for c in sb.calls[mark:]].count(ROOMS) == 3
    mercury = next(r for r in rooms if r.name == "Mercury")
    assert mercury == sb.tenant.room_by_name("Mercury")


def test_all_levels_breadth_first_root_first(sb: Sandbox, gw: FeishuGateway) -> None:
    levels = gw.room_levels()
    assert levels[0].level_id == sb.tenant.root.level_id
    assert {lv.level_id for lv in levels} == {lv.level_id for lv in sb.tenant.levels}
    assert len(levels) == len(sb.tenant.levels)


def test_rooms_of_a_subtree(sb: Sandbox, gw: FeishuGateway) -> None:
    t2 = sb.tenant.level_by_name("T2")
    assert t2 is not None
    rooms = gw.rooms(t2.level_id)
    expected = {r.room_id for r in sb.tenant.rooms if t2.level_id in r.path or r.level_id == t2.level_id}
    assert {r.room_id for r in rooms} == expected
    assert {"Mercury", "Oslo", "青城山"} <= {r.name for r in rooms}


def test_bot_open_id_is_cached(sb: Sandbox, gw: FeishuGateway) -> None:
    assert gw.bot_open_id() == sb.tenant.bot_open_id
    assert gw.bot_open_id() == sb.tenant.bot_open_id
    assert gw.calls.by_path["/open-apis/bot/v3/info"] == 1
