"""tenant_access_token issuance and validation, as documented for self-built apps."""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

LIFETIME = 7200  # seconds; the documented maximum
REISSUE_BELOW = 1800  # with less than 30 min left, a new token is issued (both stay valid)


@dataclass(frozen=True)
class Issued:
    """The answer to a token request: code 0 with a token, or an error code and msg."""

    code: int
    msg: str
    token: str = ""
    expire: int = 0


class TokenStore:
    """Tokens of one app; expiry runs on real time because lark-oapi caches by real time."""

    def __init__(self, app_id: str, app_secret: str) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self._tokens: dict[str, float] = {}  # token -> expiry (time.time())
        self._current = ""
        self._lock = threading.Lock()

    def issue(self, app_id: object, app_secret: object) -> Issued:
        """Check the credentials and hand out the current token, or a fresh one when it runs low."""
        if app_id != self.app_id:
            return Issued(10003, "invalid param")
        if app_secret != self.app_secret:
            return Issued(10014, "app secret invalid")
        now = time.time()
        with self._lock:
            left = self._tokens.get(self._current, 0) - now
            if left < REISSUE_BELOW:
                self._current = "t-" + secrets.token_hex(20)
                self._tokens[self._current] = now + LIFETIME
                left = LIFETIME
            return Issued(0, "ok", self._current, int(left))

    def valid(self, token: str) -> bool:
        """True for a token this store issued that has not expired."""
        with self._lock:
            return self._tokens.get(token, 0) > time.time()

    def expire_all(self) -> None:
        """Invalidate every issued token (the next token call issues a new one)."""
        with self._lock:
            self._tokens.clear()
            self._current = ""
