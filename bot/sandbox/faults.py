"""Knobs of the sandbox: latency, injected failures, documented rate limits, export behaviour."""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

# Failures served instead of the call, and (AFTER_KINDS) failures of the answer to a call that
# was carried out: "lost_response" answers a 504 page, "stalled_response" holds the answer for
# `Faults.stall_seconds` (long enough for a test to kill the caller while it waits).
AFTER_KINDS = ("lost_response", "stalled_response")
FAULT_KINDS = ("rate_limit", "server_error", "bad_gateway", "token_expired", "permission",
               "method_rate_limit", "app_rate_limit", *AFTER_KINDS)
# The calendar APIs' own throttles (HTTP 429) [DOC 创建日程 错误码]: per method and per app.
CALENDAR_LIMIT_CODES = {"method_rate_limit": (190004, "method rate limited"),
                        "app_rate_limit": (190005, "app rate limited")}
CALENDAR_QUOTA = ((60, 1000), (1, 50))

# Documented quotas per API [DOC 频控策略 and each API page]: (window seconds, max calls).
QUOTAS: dict[str, tuple[tuple[int, int], ...]] = {
    "reservation_list": ((60, 100),),
    "export_create": ((60, 100),),
    "export_get": ((60, 100),),
    "export_download": ((60, 100),),
    "rooms": ((60, 1000), (1, 50)),
    "room_get": ((60, 1000), (1, 50)),
    "room_mget": ((60, 1000), (1, 50)),
    "room_levels": ((60, 1000), (1, 50)),
    "room_level_get": ((60, 1000), (1, 50)),
    "room_level_mget": ((60, 1000), (1, 50)),
    "message_create": ((60, 1000), (1, 50)),
    "message_reply": ((60, 1000), (1, 50)),
    "message_patch": ((60, 1000), (1, 50)),
    "reserve_scope": ((60, 100),),
    **{api: CALENDAR_QUOTA for api in ("calendar_primary", "event_create", "event_get", "event_patch",
                                        "event_delete", "attendee_create", "attendee_list", "attendee_delete")},
}


@dataclass
class Injection:
    """A failure to serve to the next `remaining` calls whose path contains `path_substring`."""

    path_substring: str
    kind: str
    remaining: int
    reset: int


class RateLimiter:
    """Sliding-window counters per API, in real time (quotas are real time even under a fake clock)."""

    def __init__(self) -> None:
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, api: str) -> tuple[int, int] | None:
        """Count one call; (limit, reset seconds) when it exceeds a quota, else None."""
        quotas = QUOTAS.get(api)
        if not quotas:
            return None
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(api, deque())
            while calls and calls[0] <= now - 60:
                calls.popleft()
            for window, limit in quotas:
                inside = [t for t in calls if t > now - window] if window < 60 else calls
                if len(inside) >= limit:
                    return limit, max(1, math.ceil(inside[0] + window - now))
            calls.append(now)
        return None


class Faults:
    """What can go wrong, switched on by tests: `sb.faults`."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency  # seconds added to every call
        self.rate_limits = False  # True: enforce the documented quotas (429 + 99991400)
        self.export_polls = 1  # GET /exports/:task_id answers "processing" this many times first ...
        self.export_seconds = 0.0  # ... and for at least this long after the task was created
        self.export_failure = ""  # non-empty: export tasks end with status 2 and this fail_msg
        self.stall_seconds = 30.0  # how long a "stalled_response" holds its answer
        self.limiter = RateLimiter()
        self._injections: list[Injection] = []
        self._lock = threading.Lock()

    def inject(self, path_substring: str, kind: str, times: int = 1, reset: int = 1) -> None:
        """Fail the next `times` calls whose path contains `path_substring` with `kind`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {FAULT_KINDS}")
        with self._lock:
            self._injections.append(Injection(path_substring, kind, times, reset))

    def clear(self) -> None:
        """Remove every pending injection and switch rate limits off."""
        with self._lock:
            self._injections.clear()
        self.rate_limits = False

    def take(self, path: str) -> Injection | None:
        """The injection that applies to this call, consuming one of its uses."""
        with self._lock:
            for injection in self._injections:
                if injection.path_substring in path and injection.remaining > 0:
                    injection.remaining -= 1
                    if injection.remaining == 0:
                        self._injections.remove(injection)
                    return injection
        return None
