"""Time budgets, back-off and the client-side rate limiter used by the gateway."""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence

from bot.feishu.errors import LOCAL_CODE, FeishuUnavailable, RateLimited

Quota = tuple[int, float]  # (calls, per seconds)

# Documented per-API quotas [contract §5, §6.1, §6.3, §4]. Keys are SDK path templates.
_ROOMS: tuple[Quota, ...] = ((1000, 60.0), (50, 1.0))
_MESSAGES: tuple[Quota, ...] = ((1000, 60.0), (50, 1.0))
_DATA: tuple[Quota, ...] = ((100, 60.0),)
QUOTAS: dict[str, tuple[Quota, ...]] = {
    "/open-apis/vc/v1/resource_reservation_list": _DATA,
    "/open-apis/vc/v1/exports/resource_reservation_list": _DATA,
    "/open-apis/vc/v1/exports/:task_id": _DATA,
    "/open-apis/vc/v1/exports/download": _DATA,
    "/open-apis/vc/v1/rooms": _ROOMS,
    "/open-apis/vc/v1/room_levels": _ROOMS,
    "/open-apis/vc/v1/room_levels/:room_level_id": _ROOMS,
    "/open-apis/im/v1/messages": _MESSAGES,
    "/open-apis/im/v1/messages/:message_id/reply": _MESSAGES,
    "/open-apis/im/v1/messages/:message_id": _MESSAGES,
}


class Deadline:
    """The time left for one public gateway call (its `time_budget`)."""

    def __init__(self, budget: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self._monotonic = monotonic
        self._end = monotonic() + budget

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._end - self._monotonic())

    def check(self, doing: str) -> None:
        """Raise FeishuUnavailable if the budget is spent."""
        if self.remaining() <= 0:
            raise FeishuUnavailable(
                LOCAL_CODE, f"time budget of {self.budget:g}s exhausted while {doing}")


def backoff_delay(attempt: int, base: float = 0.25, cap: float = 2.0) -> float:
    """Exponential back-off for the n-th retry (1-based): 0.25, 0.5, 1, 2, 2 ... seconds."""
    return min(cap, base * 2.0 ** max(0, attempt - 1))


def reset_seconds(headers: Mapping[str, str], default: float = 1.0) -> float:
    """Seconds to wait from `x-ogw-ratelimit-reset` (any header casing) [DOC 频控策略]."""
    for key, value in headers.items():
        if key.lower() == "x-ogw-ratelimit-reset":
            try:
                return max(0.0, float(value))
            except ValueError:
                return default
    return default


class RateLimiter:
    """Keeps each API under its documented quota, shared by every thread of the gateway.

    A caller reserves the earliest slot that respects every (calls, period) window of its API,
    then sleeps until that slot outside the lock; slots are handed out in FIFO order.
    """

    def __init__(self, quotas: Mapping[str, Sequence[Quota]] = QUOTAS,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 margin: float = 0.05) -> None:
        self._quotas = {api: tuple(q) for api, q in quotas.items()}
        self._margin = margin  # network jitter can bunch calls up on Feishu's side
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._slots: dict[str, deque[float]] = {}

    def acquire(self, api: str, deadline: Deadline) -> float:
        """Wait for a slot for `api`; returns the seconds waited.

        Raises RateLimited at once if the wait would outlast the deadline.
        """
        quotas = self._quotas.get(api)
        if not quotas:
            return 0.0
        with self._lock:
            now = self._monotonic()
            slots = self._slots.setdefault(api, deque())
            slot = self._next_slot(slots, quotas, now, self._margin)
            wait = slot - now
            if wait > deadline.remaining():
                raise RateLimited(
                    LOCAL_CODE, f"client-side quota for {api} reached", "", 0, retry_after=wait)
            slots.append(slot)
        if wait > 0:
            self._sleep(wait)
        return wait

    @staticmethod
    def _next_slot(slots: deque[float], quotas: tuple[Quota, ...], now: float,
                   margin: float) -> float:
        """Earliest time >= now (and >= the last slot) at which every window has room."""
        longest = max(period for _, period in quotas)
        while slots and slots[0] <= now - longest:
            slots.popleft()
        slot = max(now, slots[-1]) if slots else now
        for limit, period in quotas:
            if len(slots) >= limit:
                slot = max(slot, slots[-limit] + period + margin)
        return slot
