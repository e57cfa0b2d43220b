"""What the sandbox's long connection records and hands out: client settings, connected clients,
pings, the bootstrap frame, and each delivery with its ACK (longconn.py runs the server)."""
from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection

from bot.sandbox.frames import Frame
from bot.sandbox.pusher import TIMEOUT, callback_reply_error

ACK_WAIT = 5.0  # seconds a delivery waits for its ACK by default (Feishu's limit is TIMEOUT, 3 s)
WS_PATH = "/ws/v2"


@dataclass(frozen=True)
class ClientConfig:
    """The ClientConfig Feishu sends, in seconds: Feishu's are 120/30/120, the sandbox's short."""

    reconnect_count: int = -1  # -1: retry forever
    reconnect_interval: float = 1
    reconnect_nonce: float = 0.2  # upper bound of the random wait before the first reconnect
    ping_interval: float = 2

    def wire(self) -> dict[str, Any]:
        """The JSON object under data.ClientConfig (and in pong payloads)."""
        return {"ReconnectCount": self.reconnect_count,
                "ReconnectInterval": self.reconnect_interval,
                "ReconnectNonce": self.reconnect_nonce, "PingInterval": self.ping_interval}


@dataclass(frozen=True)
class ClientInfo:
    """One connected client, as the handshake identified it."""

    conn_id: str  # the device_id of its URL
    service_id: int
    connected_at: float  # time.monotonic()


@dataclass(frozen=True)
class Ping:
    """One ping frame a client sent."""

    conn_id: str
    at: float  # time.monotonic()


@dataclass(frozen=True)
class Bootstrap:
    """One POST /callback/ws/endpoint: who asked, with which headers, and the code it got."""

    app_id: str
    locale: str
    user_agent: str
    code: int


@dataclass(eq=False)
class Delivery:
    """One event pushed over the long connection, and the client's ACK once it arrives."""

    envelope: dict[str, Any]
    frame_id: str  # the frame's message_id header (not the IM message id)
    frame_type: str = "event"
    parts: int = 1
    message_id: str = ""  # the IM message id, for im.message.receive_v1
    connection: str = ""  # conn_id of the client it went to
    error: str = ""  # why not sent: "no client connected", "connection closed" or "... silenced"
    sent_at: float = 0.0
    elapsed: float | None = None  # seconds from the first frame sent to the ACK received
    ack: dict[str, Any] | None = None  # the ACK frame's payload
    handler_ms: int | None = None  # the ACK's biz_rt header: the handler's own time
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def event_id(self) -> str:
        """The envelope's event_id (kept by redeliver)."""
        return str(self.envelope.get("header", {}).get("event_id", ""))

    @property
    def event_type(self) -> str:
        """The envelope's event_type."""
        return str(self.envelope.get("header", {}).get("event_type", ""))

    def wait(self, timeout: float = ACK_WAIT) -> bool:
        """Block until the ACK arrives; False when it did not within the timeout."""
        return self._done.wait(timeout)

    @property
    def acked(self) -> bool:
        """Whether the client ACKed (waiting up to ACK_WAIT for it)."""
        return not self.error and self.wait()

    @property
    def status_code(self) -> int:
        """The ACK's code: 200, or 500 when the handler raised; 0 without an ACK."""
        return int((self.ack or {}).get("code", 0))

    @property
    def response_json(self) -> Any:
        """The handler's result: the ACK's base64 `data` decoded as JSON, or None."""
        data = (self.ack or {}).get("data")
        return json.loads(base64.b64decode(data)) if data else None

    @property
    def ok(self) -> bool:
        """ACKed with code 200 within Feishu's 3 s."""
        return self._done.is_set() and self.status_code == 200 and (self.elapsed or 0) <= TIMEOUT

    @property
    def callback_error(self) -> str:
        """For card.action.trigger: the error code the user would see, or "" for a valid reply."""
        if not self._done.is_set():
            return "200341"
        data = (self.ack or {}).get("data")
        body = base64.b64decode(data) if data else b"{}"
        status = 200 if self.status_code == 200 else 500
        return callback_reply_error(status, body, self.elapsed or 0.0)

    def _acknowledge(self, frame: Frame, at: float) -> None:
        try:
            self.ack = json.loads(frame.payload or b"{}")
        except ValueError:
            self.ack = {"code": 0, "raw": (frame.payload or b"").decode(errors="replace")}
        biz_rt = frame.header("biz_rt")
        self.handler_ms = int(biz_rt) if biz_rt and biz_rt.isdigit() else None
        self.elapsed = at - self.sent_at
        self._done.set()


@dataclass
class _Client:
    info: ClientInfo
    ws: ServerConnection
