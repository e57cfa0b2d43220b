"""The reservation list (vc/v1/resource_reservation_list), its shared ledger cache and the export."""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from lark_oapi.api.vc.v1 import GetResourceReservationListRequest

from bot.feishu.base import API_RESERVATIONS, DAY, PAGE_SIZE, GatewayBase
from bot.feishu.errors import LOCAL_CODE, FeishuUnavailable
from bot.feishu.export_file import ExportFormatError, parse_export
from bot.feishu.exports import create_export, download_export, wait_export
from bot.feishu.ledger import LedgerRead, local_days, next_midnight
from bot.feishu.models import Reservation
from bot.feishu.parsing import (
    reservation_from_dict,
    reservation_key,
)
from bot.feishu.resilience import Deadline

log = logging.getLogger(__name__)


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


class ReservationCalls(GatewayBase):
    """Reservations by day-chunks, through the ledger cache, or through the asynchronous export."""

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

