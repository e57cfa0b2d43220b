"""The directory a process answers from: held for a while, reloaded when stale, re-listed when a
room turns up that it does not know (at most every few minutes)."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from bot.directory.tree import Directory

log = logging.getLogger(__name__)

MIN_REFRESH_SECONDS = 300.0  # an unknown room re-lists the directory at most this often


class DirectoryCache:
    """Hold a Directory for `ttl_seconds`, reloading it through `loader` when it is stale.

    If a reload fails while an older directory is held, the old one keeps serving (and the
    next call tries again): a Feishu hiccup should not break every question. `refresh_unknown`
    reloads through `fresh(names or ids)` (default: `loader()`) at most every
    `min_refresh_seconds`.
    """

    def __init__(self, loader: Callable[[], Directory], ttl_seconds: float = 600,
                 *, clock: Callable[[], float] = time.monotonic,
                 fresh: Callable[[Sequence[str]], Directory] | None = None,
                 min_refresh_seconds: float = MIN_REFRESH_SECONDS) -> None:
        self._loader = loader
        self._fresh = fresh or (lambda _what: loader())
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._value: Directory | None = None
        self._loaded_at = 0.0
        self._min_refresh = min_refresh_seconds
        self._refreshed_at: float | None = None

    def refresh_unknown(self, *what: str) -> Directory | None:
        """Re-list the directory from Feishu because `what` (room names or ids) is not in it;
        None when a refresh ran less than `min_refresh_seconds` ago (the directory is current)."""
        with self._lock:
            now = self._clock()
            if self._refreshed_at is not None and now - self._refreshed_at < self._min_refresh:
                return None
            self._refreshed_at = now
            self._value, self._loaded_at = self._fresh(what), now
            return self._value

    def get(self) -> Directory:
        """The cached directory, loading it first if missing or older than the TTL."""
        with self._lock:
            if self._value is not None and self._clock() - self._loaded_at < self._ttl:
                return self._value
            try:
                self._value = self._loader()
            except Exception:
                if self._value is None:
                    raise
                log.exception("directory reload failed; serving the previous one")
                return self._value
            self._loaded_at = self._clock()
            return self._value

    def invalidate(self) -> None:
        """Forget the cached directory so the next get() reloads it."""
        with self._lock:
            self._value = None
