"""`Sandbox`: the fake Feishu Open API served over real HTTP on 127.0.0.1, for the SDK, the CLI and tests."""
from __future__ import annotations

import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot.config import FeishuSettings
from bot.sandbox.authen import AUTHEN_ROUTES, AuthenStore
from bot.sandbox.bookings import Booking
from bot.sandbox.calendar_api import CALENDAR_ROUTES
from bot.sandbox.calendar_knobs import SandboxCalendar
from bot.sandbox.directory import stable_hex
from bot.sandbox.exports import EXPORT_ROUTES, ExportStore
from bot.sandbox.faults import Faults
from bot.sandbox.files import FILE_ROUTES, FileStore
from bot.sandbox.longconn import WS_ROUTES, LongConnection
from bot.sandbox.messages import IM_ROUTES, Messenger, SentRecord
from bot.sandbox.reserve_api import RESERVE_ROUTES
from bot.sandbox.server import RecordedCall, Route, SandboxApp
from bot.sandbox.tenant import Clock, Tenant
from bot.sandbox.tokens import TokenStore
from bot.sandbox.vc_api import VC_ROUTES

if TYPE_CHECKING:
    from bot.sandbox.pusher import EventPusher

log = logging.getLogger(__name__)
_instances = itertools.count()
QUERY_CACHE_SIZE = 64
SHUTDOWN_POLL = 0.05  # seconds; how soon stop() takes effect


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler, logging each request at DEBUG instead of INFO."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self.path, code)


def routes() -> tuple[Route, ...]:
    """Every endpoint the sandbox serves (more specific paths first)."""
    return (VC_ROUTES + RESERVE_ROUTES + CALENDAR_ROUTES + EXPORT_ROUTES + FILE_ROUTES + IM_ROUTES + WS_ROUTES
            + AUTHEN_ROUTES)


class Sandbox:
    """A running fake Feishu: tenant data, knobs, and records of every call and message."""

    def __init__(self, seed: int = 7, rooms: int = 60, clock: Clock | None = None, latency: float = 0.0,
                 app_id: str | None = None) -> None:
        instance = next(_instances)
        self.seed = seed
        self.tenant = Tenant(seed, rooms, clock)
        self.faults = Faults(latency)
        # A distinct app_id per instance: lark-oapi caches tokens process-wide by app_id.
        self.app_id = app_id or f"cli_sb{stable_hex('app', seed, length=10)}{instance if instance else ''}"
        self.app_secret = stable_hex("secret", seed, self.app_id)
        self.encrypt_key = stable_hex("encrypt", seed, length=24)
        self.verification_token = stable_hex("verification", seed, length=24)
        self.tokens = TokenStore(self.app_id, self.app_secret)
        self.authen = AuthenStore(self.app_id, self.app_secret, self.tenant.directory)
        self.calendar = SandboxCalendar(self.tenant, self.app_id)
        self.messenger = Messenger(lambda: int(self.tenant.clock().timestamp() * 1000))
        self.calls: list[RecordedCall] = []
        self._lock = threading.Lock()
        self._queries: OrderedDict[tuple[Any, ...], list[Booking]] = OrderedDict()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._longconn: LongConnection | None = None
        self.exports = ExportStore(self)
        self.files = FileStore()
        self.url = ""

    @classmethod
    def start(cls, seed: int = 7, rooms: int = 60, port: int = 0, clock: Clock | None = None,
              latency: float = 0.0, *, app_id: str | None = None) -> Sandbox:
        """Build the tenant and serve it on 127.0.0.1:port (0 = any free port); returns once listening."""
        sb = cls(seed, rooms, clock, latency, app_id)
        sb._serve(port)
        return sb

    def _serve(self, port: int) -> None:
        self._server = make_server("127.0.0.1", port, SandboxApp(self, routes()), threaded=True,
                                   request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(SHUTDOWN_POLL,),
                                        name=f"sandbox-{self._server.server_port}", daemon=True)
        self._thread.start()
        log.info("Feishu sandbox listening on %s (app_id=%s, %d rooms)", self.url, self.app_id,
                 len(self.tenant.rooms))

    def stop(self) -> None:
        """Shut the server down and forget this app's cached SDK token."""
        if self._longconn is not None:
            self._longconn.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        forget_sdk_token(self.app_id)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- configuration for the bot ------------------------------------------------------------

    def feishu_settings(self) -> FeishuSettings:
        """Settings that point roombot at this sandbox."""
        return FeishuSettings(self.app_id, self.app_secret, self.encrypt_key, self.verification_token,
                              domain=self.url)

    def config_toml(self) -> str:
        """The [feishu] TOML snippet for this sandbox."""
        s = self.feishu_settings()
        return (f'[feishu]\napp_id = "{s.app_id}"\napp_secret = "{s.app_secret}"\n'
                f'encrypt_key = "{s.encrypt_key}"\nverification_token = "{s.verification_token}"\n'
                f'domain = "{s.domain}"\n')

    def now(self) -> datetime:
        """The sandbox clock."""
        return self.tenant.clock()

    # --- records and state ---------------------------------------------------------------------

    @property
    def sent(self) -> list[SentRecord]:
        """Every message the bot sent or replied, in order."""
        return self.messenger.sent

    def record(self, call: RecordedCall) -> None:
        """Keep one answered call."""
        with self._lock:
            self.calls.append(call)

    def calls_to(self, path_substring: str) -> list[RecordedCall]:
        """The recorded calls whose path contains the substring."""
        with self._lock:
            return [c for c in self.calls if path_substring in c.path]

    def on_card_update(self, watcher: Callable[[SentRecord, dict[str, Any]], None]) -> None:
        """Call `watcher(record, card)` after every card update the bot makes (PATCH)."""
        self.messenger.on_patch(watcher)

    def wait_for_sent(self, n: int = 1, timeout: float = 10) -> list[SentRecord]:
        """Block until at least n messages were posted; returns them all."""
        return self.messenger.wait_for(n, timeout)

    def remove_bot_from(self, chat_id: str) -> None:
        """Later sends to this chat get 230002."""
        self.messenger.remove_bot(chat_id)

    def dissolve(self, chat_id: str) -> None:
        """Later sends to this chat get 232009."""
        self.messenger.dissolve(chat_id)

    def expire_tokens(self) -> None:
        """Every issued tenant token becomes invalid (99991663)."""
        self.tokens.expire_all()

    def query_bookings(self, start: int, end: int, room_ids: Sequence[str]) -> list[Booking]:
        """Bookings for a reservation query, cached so paging does not recompute them (until the calendar changes)."""
        self.calendar.settle()
        key = (start, end, tuple(room_ids), self.calendar.version)
        with self._lock:
            hit = self._queries.get(key)
            if hit is not None:
                self._queries.move_to_end(key)
                return hit
        found = self.tenant.book.between(start, end, room_ids)
        with self._lock:
            self._queries[key] = found
            while len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return found

    def pusher(self, webhook_url: str, *, encrypt: bool = True) -> EventPusher:
        """An event pusher that signs (and encrypts) events for this sandbox's app, like Feishu does."""
        from bot.sandbox.pusher import EventPusher

        return EventPusher(self, webhook_url, encrypt=encrypt)

    def long_connection(self) -> LongConnection:
        """The long-connection (WebSocket) side, started on first use (the endpoint route too)."""
        with self._lock:
            if self._longconn is None:
                self._longconn = LongConnection(self)
                self._longconn.start()
            return self._longconn

    def register_messages(self, items: Iterable[tuple[str, str]]) -> None:
        """Make (message_id, chat_id) pairs known, so the bot may reply to them."""
        for message_id, chat_id in items:
            self.messenger.register(message_id, chat_id)


def forget_sdk_token(app_id: str) -> None:
    """Drop lark-oapi's process-global cached tenant token for one app_id."""
    try:
        from lark_oapi.core.token import TokenManager
    except ImportError:  # the SDK is optional for the sandbox itself
        return
    TokenManager.cache.cache.pop(f"self_tenant_token:{app_id}", None)  # type: ignore[attr-defined]
