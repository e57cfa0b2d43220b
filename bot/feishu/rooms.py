"""Rooms and room levels (vc/v1/rooms, vc/v1/room_levels): the directory's reads, every page."""
from __future__ import annotations

import logging
from collections import deque
from functools import partial
from typing import Any

from lark_oapi.api.vc.v1 import (
    GetRoomLevelRequest,
    ListRoomLevelRequest,
    ListRoomRequest,
)

from bot.feishu.base import API_LEVEL, API_LEVELS, API_ROOMS, PAGE_SIZE, GatewayBase
from bot.feishu.models import (
    Room,
    RoomLevel,
)
from bot.feishu.parsing import (
    level_from_dict,
    room_from_dict,
)
from bot.feishu.resilience import Deadline

log = logging.getLogger(__name__)


class RoomCalls(GatewayBase):
    """GET room_levels (breadth first) and rooms, every page."""

    def room_levels(self, root_id: str = "0") -> list[RoomLevel]:
        """Every room level under `root_id` (breadth first, every page), the root itself first."""
        return self._room_levels(root_id, self._deadline())

    def _room_levels(self, root_id: str, deadline: Deadline) -> list[RoomLevel]:
        root = self._get_level(root_id, deadline)
        levels, seen, queue = [root], {root.level_id}, deque([root])
        while queue:
            parent = queue.popleft()
            if not parent.has_child:
                continue
            for item in self._pages(API_LEVELS, partial(self._fetch_levels, parent.level_id),
                                    "items", deadline):
                level = level_from_dict(item)
                if level.level_id and level.level_id not in seen:
                    seen.add(level.level_id)
                    levels.append(level)
                    queue.append(level)
        return levels

    def _get_level(self, level_id: str, deadline: Deadline) -> RoomLevel:
        reply = self._call(API_LEVEL, partial(self._send_get_level, level_id), deadline)
        return level_from_dict(reply.data.get("room_level") or {})

    def _send_get_level(self, level_id: str) -> Any:
        request = GetRoomLevelRequest.builder().room_level_id(level_id).build()
        return self._client.vc.v1.room_level.get(request)

    def _fetch_levels(self, parent_id: str, page_token: str | None) -> Any:
        builder = ListRoomLevelRequest.builder().room_level_id(parent_id).page_size(PAGE_SIZE)
        if page_token:
            builder = builder.page_token(page_token)
        return self._client.vc.v1.room_level.list(builder.build())

    def rooms(self, root_id: str = "0") -> list[Room]:
        """Every room under `root_id`, every page (tenants have thousands of rooms)."""
        deadline = self._deadline()
        if root_id in ("", "0"):
            level_ids: list[str] = [""]
        else:
            levels = self._room_levels(root_id, deadline)
            # GET /vc/v1/rooms with room_level_id lists only the rooms directly in that level,
            # and without it the whole tenant: one listing for the tenant root, else one per level.
            level_ids = [""] if not levels[0].parent_id else [lv.level_id for lv in levels]
        found: dict[str, Room] = {}
        for level_id in level_ids:
            for item in self._pages(API_ROOMS, partial(self._fetch_rooms, level_id), "rooms",
                                    deadline):
                room = room_from_dict(item)
                found.setdefault(room.room_id, room)
        return list(found.values())

    def _fetch_rooms(self, level_id: str, page_token: str | None) -> Any:
        builder = ListRoomRequest.builder().page_size(PAGE_SIZE)
        if level_id:
            builder = builder.room_level_id(level_id)
        if page_token:
            builder = builder.page_token(page_token)
        return self._client.vc.v1.room.list(builder.build())

