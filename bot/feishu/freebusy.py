"""Room free/busy (meeting_room/freebusy/batch_get): not typed in the SDK, called raw."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

import lark_oapi as lark

from bot.feishu.base import API_FREEBUSY, FREEBUSY_BATCH, GatewayBase
from bot.feishu.models import BusyInterval
from bot.feishu.parsing import busy_from_dict
from bot.feishu.resilience import Deadline

log = logging.getLogger(__name__)


class FreeBusyCalls(GatewayBase):
    """Busy intervals of rooms, in batches of at most 20 rooms, concurrently."""

    def freebusy(self, room_ids: Sequence[str], start: datetime,
                 end: datetime) -> dict[str, list[BusyInterval]]:
        """Busy intervals per room from meeting_room/freebusy/batch_get; every room is a key."""
        start, end = self._local(start, "start"), self._local(end, "end")
        ids = list(dict.fromkeys(room_ids))
        result: dict[str, list[BusyInterval]] = {room_id: [] for room_id in ids}
        if not ids or end <= start:
            return result
        deadline = self._deadline()
        batches = [ids[i:i + FREEBUSY_BATCH] for i in range(0, len(ids), FREEBUSY_BATCH)]
        fetch = partial(self._freebusy_batch, start, end, deadline)
        for partial_result in self._parallel(fetch, batches):
            for room_id, intervals in partial_result.items():
                if room_id in result:
                    result[room_id].extend(intervals)
        for intervals in result.values():
            intervals.sort(key=lambda b: (b.start, b.end))
        return result

    def _freebusy_batch(self, start: datetime, end: datetime, deadline: Deadline,
                        batch: list[str]) -> dict[str, list[BusyInterval]]:
        queries = [("room_ids", room_id) for room_id in batch]
        queries += [("time_min", start.isoformat(timespec="seconds")),
                    ("time_max", end.isoformat(timespec="seconds"))]

        def send() -> Any:  # not typed in the SDK: raw request [contract §6.5]
            request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.GET)
                       .uri(API_FREEBUSY).token_types({lark.AccessTokenType.TENANT})
                       .queries(list(queries)).build())
            return self._client.request(request)

        free_busy = self._call(API_FREEBUSY, send, deadline).data.get("free_busy") or {}
        out: dict[str, list[BusyInterval]] = {}
        for room_id, items in free_busy.items():
            out[str(room_id)] = [busy_from_dict(str(room_id), item, self.tz)
                                 for item in items or () if isinstance(item, dict)]
        return out



API_INSTANCE_REPLY = "/open-apis/meeting_room/instance/reply"
STALE_ORIGINAL_TIME = 105003  # the series was re-timed: read free/busy again [contract §11]


class InstanceCalls(GatewayBase):
    """Answering a room's instance as the tenant: ending it early gives the room back."""

    def release_instance(self, room_id: str, uid: str, original_time: int,
                         status: str = "ENDED_BEFORE_DUE") -> str:
        """POST meeting_room/instance/reply (not typed in the SDK); Feishu's log_id.

        `original_time` must be the instance's own start for a recurring series: 0 answers every
        instance of it [contract §11, caution]."""
        body = {"room_id": room_id, "uid": uid, "original_time": original_time, "status": status}

        def send() -> Any:
            request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.POST)
                       .uri(API_INSTANCE_REPLY).token_types({lark.AccessTokenType.TENANT})
                       .body(body).build())
            return self._client.request(request)
        # no idempotency key: an answer lost on the way may have ended the instance, so the
        # release reads free/busy instead of sending it again (bot/book/release.py)
        return self._call(API_INSTANCE_REPLY, send, self._deadline(), repeatable=False).log_id or ""
