"""FeishuGateway: every Feishu Open API call roombot makes, returning roombot's own models.

This package is the only code that imports lark_oapi. Paging, batching, day-splitting,
retries, token refresh, rate limiting and the per-call time budget all live here, so the
rest of roombot sees `Room`, `Reservation`, `BusyInterval` ... and `FeishuError` subclasses.
"""
from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import lark_oapi as lark
from lark_oapi.api.vc.v1 import (
    GetResourceReservationListRequest,
    GetRoomLevelRequest,
    ListRoomLevelRequest,
    ListRoomRequest,
)

from bot.config import FeishuSettings
from bot.feishu.errors import LOCAL_CODE, FeishuUnavailable
from bot.feishu.export_file import ExportFormatError, parse_export
from bot.feishu.exports import create_export, download_export, wait_export
from bot.feishu.ledger import LedgerCache, LedgerRead, local_days, next_midnight
from bot.feishu.messaging import (
    card_content,
    patch_message,
    reply_message,
    send_message,
    text_content,
)
from bot.feishu.models import (
    BusyInterval,
    CallCounter,
    Reservation,
    Room,
    RoomLevel,
    SentMessage,
)
from bot.feishu.parsing import (
    busy_from_dict,
    level_from_dict,
    reservation_from_dict,
    reservation_key,
    room_from_dict,
)
from bot.feishu.resilience import Deadline, RateLimiter
from bot.feishu.transport import Reply, Transport

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

PAGE_SIZE = 100
FREEBUSY_BATCH = 20  # documented maximum of room_ids per freebusy call [contract §6.5]
DAY = timedelta(days=1)  # resource_reservation_list rejects longer windows with 126006

API_ROOMS = "/open-apis/vc/v1/rooms"
API_LEVELS = "/open-apis/vc/v1/room_levels"
API_LEVEL = "/open-apis/vc/v1/room_levels/:room_level_id"
API_RESERVATIONS = "/open-apis/vc/v1/resource_reservation_list"
API_FREEBUSY = "/open-apis/meeting_room/freebusy/batch_get"
API_BOT_INFO = "/open-apis/bot/v3/info"


def day_chunks(start: datetime, end: datetime, now: datetime) -> list[tuple[datetime, datetime]]:
    """Split [start, end) into <= 1-day pieces, dropping pieces that would start after `now`.

    The reservation list answers 126005 for a start in the future and 126006 for a window
    over one day [DOC 查询会议室预定数据]; the end of the last piece may lie in the future.
    """
    chunks: list[tuple[datetime, datetime]] = []
    cursor = start
    while cursor < end and cursor <= now:
        piece_end = min(cursor + DAY, end)
        chunks.append((cursor, piece_end))
        cursor = piece_end
    return chunks


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


class FeishuGateway:
    """roombot's client of the Feishu Open API (thread-safe; share one per process)."""

    def __init__(self, feishu: FeishuSettings, *, tz: ZoneInfo,
                 clock: Callable[[], datetime] | None = None,
                 time_budget: float = 20.0,
                 max_concurrency: int = 4,
                 ledger_cache_seconds: float = 0.0,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic,
                 log_level: lark.LogLevel = lark.LogLevel.WARNING) -> None:
        self.tz = tz
        self.time_budget = time_budget
        self.max_concurrency = max(1, max_concurrency)
        self._clock = clock or (lambda: datetime.now(tz))
        self._sleep = sleep
        self._client = (
            lark.Client.builder()
            .app_id(feishu.app_id)
            .app_secret(feishu.app_secret)
            .domain(feishu.domain)
            .timeout(max(1.0, time_budget))  # one HTTP call never outlives a whole budget
            .log_level(log_level)
            .build()
        )
        limiter = RateLimiter(monotonic=monotonic, sleep=sleep)
        self._transport = Transport(feishu.app_id, limiter=limiter, sleep=sleep,
                                    monotonic=monotonic)
        self._bot_open_id = ""
        self._bot_lock = threading.Lock()
        self._ledger = LedgerCache(ledger_cache_seconds, monotonic=monotonic)

    @property
    def calls(self) -> CallCounter:
        """Every HTTP call made to Feishu (retries and token fetches included), by path template."""
        return self._transport.calls

    # ----------------------------------------------------------------------------- plumbing

    def _deadline(self, budget: float | None = None) -> Deadline:
        return self._transport.deadline(self.time_budget if budget is None else budget)

    def _call(self, api: str, send: Callable[[], Any], deadline: Deadline, *,
              binary: bool = False) -> Reply:
        return self._transport.execute(api, send, deadline, binary=binary)

    def _pages(self, api: str, fetch: Callable[[str | None], Any], items_key: str,
               deadline: Deadline) -> Iterator[dict[str, Any]]:
        """Yield every item of a paged list API, following page_token until has_more is false."""
        token: str | None = None
        seen_tokens: set[str] = set()
        while True:
            data = self._call(api, partial(fetch, token), deadline).data
            yield from (item for item in data.get(items_key) or () if isinstance(item, dict))
            token = str(data.get("page_token") or "")
            if not data.get("has_more") or not token:
                return
            if token in seen_tokens:  # a server bug must not become an endless loop
                log.warning("%s repeated page_token %r; stopping", api, token)
                return
            seen_tokens.add(token)

    def _parallel(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """Run fn over items on at most max_concurrency threads; results in input order."""
        if len(items) <= 1:
            return [fn(item) for item in items]
        workers = min(self.max_concurrency, len(items))
        fields = contextvars.copy_context()  # the log fields of the answer asking
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feishu") as pool:
            return list(pool.map(lambda item: fields.copy().run(fn, item), items))

    def _now(self) -> datetime:
        return self._clock().astimezone(self.tz)

    def _local(self, value: datetime, name: str) -> datetime:
        if value.tzinfo is None:
            raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")
        return value.astimezone(self.tz)

    # ----------------------------------------------------------------------------- bot

    def bot_open_id(self) -> str:
        """The bot's own open_id from GET /bot/v3/info (cached after the first call)."""
        with self._bot_lock:
            if not self._bot_open_id:
                reply = self._call(API_BOT_INFO, self._send_bot_info, self._deadline())
                bot = reply.body.get("bot") or {}  # top-level "bot", not "data" [contract §2.5]
                self._bot_open_id = str(bot.get("open_id") or "")
                if not self._bot_open_id:
                    raise FeishuUnavailable(LOCAL_CODE, "bot/v3/info returned no open_id",
                                            reply.log_id, reply.status)
            return self._bot_open_id

    def tenant_token(self) -> None:
        """Obtain a tenant access token (the SDK's cached one if valid); raises FeishuError."""
        self._transport.obtain_token(self._client.config)

    def _send_bot_info(self) -> Any:
        request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.GET)
                   .uri(API_BOT_INFO).token_types({lark.AccessTokenType.TENANT}).build())
        return self._client.request(request)

    # ----------------------------------------------------------------------------- directory

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

    # ----------------------------------------------------------------------------- reservations

    def reservations(self, level_id: str, start: datetime, end: datetime, *,
                     room_ids: Sequence[str] = (), is_exclude: bool = False,
                     need_topic: bool = False) -> list[Reservation]:
        """Reservations of [start, end) from GET /vc/v1/resource_reservation_list.

        Split into <= 1-day calls, none starting after now ([] without a call if start > now),
        every page; rows a meeting shares across two day-chunks are returned once.
        """
        start, end = self._local(start, "start"), self._local(end, "end")
        chunks = day_chunks(start, end, self._now())
        if not chunks:
            return []
        if not room_ids:
            # room_ids is REQUIRED by the API [DOC 查询会议室预定数据]. To mean "the whole level"
            # we exclude the level's own id, which matches no room and so excludes nothing.
            room_ids, is_exclude = (level_id,), True
        deadline = self._deadline()
        fetch = partial(self._reservation_chunk, level_id, tuple(room_ids), is_exclude,
                        need_topic, deadline)
        merged: dict[tuple[str, ...], Reservation] = {}
        for rows in self._parallel(fetch, chunks):
            for row in rows:
                merged.setdefault(reservation_key(row), row)
        return sorted(merged.values(), key=lambda r: (r.start, r.room_name, r.end))

    def _reservation_chunk(self, level_id: str, room_ids: tuple[str, ...], is_exclude: bool,
                           need_topic: bool, deadline: Deadline,
                           chunk: tuple[datetime, datetime]) -> list[Reservation]:
        fetch = partial(self._fetch_reservations, level_id, room_ids, is_exclude, need_topic,
                        _epoch(chunk[0]), _epoch(chunk[1]))
        rows = []
        for item in self._pages(API_RESERVATIONS, fetch, "room_reservation_list", deadline):
            try:
                rows.append(reservation_from_dict(item, self.tz))
            except ValueError as exc:
                log.warning("skipping unreadable reservation row: %s", exc)
        return rows

    def _fetch_reservations(self, level_id: str, room_ids: tuple[str, ...], is_exclude: bool,
                            need_topic: bool, start: int, end: int,
                            page_token: str | None) -> Any:
        builder = (GetResourceReservationListRequest.builder()
                   .room_level_id(level_id).need_topic(need_topic)
                   .start_time(start).end_time(end)
                   .room_ids(list(room_ids)).is_exclude(is_exclude)
                   .page_size(PAGE_SIZE))
        if page_token:
            builder = builder.page_token(page_token)
        return self._client.vc.v1.resource_reservation_list.get(builder.build())

    @property
    def ledger_shared(self) -> bool:
        """Whether `ledger` reads are cached and shared (`ledger_cache_seconds` > 0)."""
        return self._ledger.enabled

    def ledger(self, level_id: str, start: datetime, end: datetime, *,
               room_ids: Sequence[str] = (), need_topic: bool = False,
               fresh: bool = False) -> LedgerRead:
        """The reservations of every local day [start, end) touches, through the ledger cache.

        Each day is read whole ([midnight, next midnight), like `reservations`), so a question
        about any part of a day shares the read; callers keep the rows they need. `fresh`
        bypasses the cache. `age_seconds` is how old the oldest day's data is.
        """
        start, end = self._local(start, "start"), self._local(end, "end")
        scope = (level_id, tuple(sorted(set(room_ids))), need_topic)

        def one_day(midnight: datetime) -> LedgerRead:
            def fetch() -> list[Reservation]:
                return self.reservations(level_id, midnight, next_midnight(midnight),
                                         room_ids=room_ids, need_topic=need_topic)
            return self._ledger.read((*scope, midnight.isoformat()), fetch, fresh=fresh)

        reads = self._parallel(one_day, local_days(start, end, self._now()))
        merged: dict[tuple[str, ...], Reservation] = {}
        for read in reads:
            for row in read.rows:
                merged.setdefault(reservation_key(row), row)
        rows = sorted(merged.values(), key=lambda r: (r.start, r.room_name, r.end))
        return LedgerRead(tuple(rows), max((read.age_seconds for read in reads), default=0.0))

    # ----------------------------------------------------------------------------- export

    def export_reservations(self, level_id: str, start: datetime, end: datetime, *,
                            room_ids: Sequence[str] = (), need_topic: bool = False,
                            on_progress: Callable[[str], None] | None = None,
                            time_budget: float | None = None,
                            room_ids_by_name: Mapping[str, str] | None = None,
                            ) -> list[Reservation]:
        """Reservations of [start, end) via the async export: create, poll, download, parse.

        The sheet has no room ids: a row's room_id comes from `room_ids_by_name` (the directory's
        names), else "". `time_budget` overrides the gateway's budget for this call (exports of
        busy tenants can take a while).
        """
        start, end = self._local(start, "start"), self._local(end, "end")
        if start > self._now() or end <= start:
            return []  # same rule as the list API: a start in the future is our bug (126005)
        progress = on_progress or (lambda _stage: None)
        deadline = self._deadline(time_budget)
        task_id = create_export(self._client, self._transport, deadline, level_id=level_id,
                                start=start, end=end, room_ids=tuple(room_ids),
                                need_topic=need_topic)
        progress("created")
        file_token = wait_export(self._client, self._transport, deadline, task_id=task_id,
                                 sleep=self._sleep, progress=progress)
        progress("downloading")
        content, log_id = download_export(self._client, self._transport, deadline,
                                          file_token=file_token)
        try:
            rows = parse_export(content, self.tz, room_ids_by_name)
        except ExportFormatError as exc:
            raise FeishuUnavailable(LOCAL_CODE, f"export {task_id}: {exc}", log_id) from exc
        progress("done")
        log.info("export %s: %d rows (log_id=%s)", task_id, len(rows), log_id or "-")
        return rows

    # ----------------------------------------------------------------------------- free/busy

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

    # ----------------------------------------------------------------------------- messages

    def send_card(self, receive_id: str, card: dict[str, Any], *,
                  receive_id_type: str = "chat_id", uuid: str | None = None) -> SentMessage:
        """Post an interactive card to a chat or user."""
        return send_message(self._client, self._transport, self._deadline(),
                            receive_id=receive_id, receive_id_type=receive_id_type,
                            msg_type="interactive", content=card_content(card), uuid=uuid)

    def send_text(self, receive_id: str, text: str, *, receive_id_type: str = "chat_id",
                  uuid: str | None = None) -> SentMessage:
        """Post a text message to a chat or user."""
        return send_message(self._client, self._transport, self._deadline(),
                            receive_id=receive_id, receive_id_type=receive_id_type,
                            msg_type="text", content=text_content(text), uuid=uuid)

    def reply_card(self, message_id: str, card: dict[str, Any], *,
                   uuid: str | None = None) -> SentMessage:
        """Reply to a message with an interactive card."""
        return reply_message(self._client, self._transport, self._deadline(),
                             message_id=message_id, msg_type="interactive",
                             content=card_content(card), uuid=uuid)

    def reply_text(self, message_id: str, text: str, *, uuid: str | None = None) -> SentMessage:
        """Reply to a message with text."""
        return reply_message(self._client, self._transport, self._deadline(),
                             message_id=message_id, msg_type="text",
                             content=text_content(text), uuid=uuid)

    def patch_card(self, message_id: str, card: dict[str, Any]) -> None:
        """Replace the card of a message the bot sent (PATCH im/v1/messages/:message_id)."""
        patch_message(self._client, self._transport, self._deadline(),
                      message_id=message_id, content=card_content(card))
