"""The gateway's shared plumbing: one SDK client, the transport, deadlines, paging, concurrency.

Every API family (rooms.py, reservations.py, freebusy.py, messaging.py, calendar.py) is a mixin
over `GatewayBase`; `FeishuGateway` (gateway.py) combines them.
"""
from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import lark_oapi as lark

from bot.config import FeishuSettings
from bot.feishu.errors import LOCAL_CODE, FeishuUnavailable
from bot.feishu.ledger import LedgerCache
from bot.feishu.models import CallCounter
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


class GatewayBase:
    """What every API family of the gateway shares: the SDK client, the transport (counting,
    limits, retries), the time budget, paging, bounded concurrency and the tenant clock."""

    def __init__(self, feishu: FeishuSettings, *, tz: ZoneInfo,
                 clock: Callable[[], datetime] | None = None,
                 time_budget: float = 20.0,
                 max_concurrency: int = 4,
                 ledger_cache_seconds: float = 0.0,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic,
                 log_level: lark.LogLevel = lark.LogLevel.WARNING) -> None:
        self.tz = tz
        self._app_id, self._app_secret = feishu.app_id, feishu.app_secret  # the web login's token call
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
            .enable_set_token(True)  # lets user_info carry the signed-in admin's user token
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
              binary: bool = False, repeatable: bool = True) -> Reply:
        return self._transport.execute(api, send, deadline, binary=binary, repeatable=repeatable)

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

