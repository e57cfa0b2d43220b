"""roombot's Feishu errors: every failure of a Feishu call becomes one of these."""
from __future__ import annotations


class FeishuError(Exception):
    """A Feishu call failed; carries Feishu's code, msg and log_id."""

    def __init__(self, code: int, msg: str, log_id: str = "", http_status: int = 0) -> None:
        super().__init__(f"Feishu error {code}: {msg} (log_id={log_id or '-'})")
        self.code = code
        self.msg = msg
        self.log_id = log_id
        self.http_status = http_status


class RateLimited(FeishuError):
    """HTTP 429 / code 99991400 that outlasted our retries."""

    def __init__(self, code: int, msg: str, log_id: str = "", http_status: int = 429,
                 retry_after: float = 0.0) -> None:
        super().__init__(code, msg, log_id, http_status)
        self.retry_after = retry_after


class PermissionMissing(FeishuError):
    """The app lacks a scope (99991672 / 121005 ...); `scopes` names what to grant."""

    def __init__(self, code: int, msg: str, log_id: str = "", http_status: int = 400,
                 scopes: tuple[str, ...] = ()) -> None:
        super().__init__(code, msg, log_id, http_status)
        self.scopes = scopes


class InvalidParameters(FeishuError):
    """Feishu rejected our parameters (126005/126006/121003/230001 ...): a bug on our side."""


class FeishuUnavailable(FeishuError):
    """Feishu is down, answered garbage, or did not answer within our time budget."""


class ChatUnreachable(FeishuError):
    """The bot cannot post to this chat: removed (230002) or the chat was dissolved (232009)."""


class NotFound(FeishuError):
    """The object does not exist (121004, 230011 ...)."""


class CredentialsInvalid(FeishuError):
    """Feishu refused our app_id/app_secret when we asked for a tenant token (10014, 10003 ...)."""


class ExportFailed(FeishuError):
    """An export task ended in status 2 (failed); `fail_msg` is Feishu's reason."""

    def __init__(self, code: int, msg: str, log_id: str = "", http_status: int = 200,
                 fail_msg: str = "") -> None:
        super().__init__(code, msg, log_id, http_status)
        self.fail_msg = fail_msg


LOCAL_CODE = -1  # `code` of errors raised by roombot itself (no Feishu code to carry)
