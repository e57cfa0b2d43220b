"""`LongConnection`: Feishu's long-connection (WebSocket) side, for `lark.ws.Client` (contract 2.9).

    lc = sb.long_connection()    # POST {sb.url}/callback/ws/endpoint hands out lc's ws:// URL
    lc.wait_for_clients(1)
    delivery = lc.message("free rooms now?")   # one DATA frame to one random client, then its ACK
    assert delivery.acked and delivery.status_code == 200
    lc.silence()                               # half-dead: connected, but Feishu says nothing more

Frames are plaintext (no signature, token or encryption). Each event goes to one randomly chosen
connected client (seeded), as Feishu does in cluster mode; the client ACKs with the same frame.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from werkzeug.wrappers import Response as HttpResponse

from bot.sandbox.directory import User, stable_hex
from bot.sandbox.frames import CONTROL, DATA, Frame, FrameError, data_frames, pong_frame
from bot.sandbox.longconn_records import (
    WS_PATH,
    Bootstrap,
    ClientConfig,
    ClientInfo,
    Delivery,
    Ping,
    _Client,
)
from bot.sandbox.pusher import EventFactory
from bot.sandbox.server import Call, Route, json_response

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)
# Codes of POST /callback/ws/endpoint and of the handshake (lark_oapi/ws/const.py; 1000040345/6 as
# real Feishu answers wrong credentials: HTTP 200 {"code":1000040346,"msg":"app_id is invalid"}).
NO_CREDENTIAL, SECRET_INVALID, APP_ID_INVALID = 1000040344, 1000040345, 1000040346
AUTH_FAILED, EXCEED_CONN_LIMIT = 514, 1000040350
class LongConnection:
    """A WebSocket server speaking pbbp2 frames on its own asyncio loop, in a daemon thread."""

    def __init__(self, sb: Sandbox, config: ClientConfig | None = None, *, seed: int | None = None,
                 max_connections: int = 50) -> None:
        self.sb = sb
        self.config = config or ClientConfig()  # what the endpoint hands out
        self.pong_config: ClientConfig | None = self.config  # what pongs carry (None: bare pongs)
        self.max_connections = max_connections
        self.events = EventFactory(sb)
        self.service_id = int(stable_hex("service", sb.app_id, length=7), 16)
        self.url = ""
        self._rng = random.Random(sb.seed if seed is None else seed)
        self._cond = threading.Condition()
        self._tickets: set[str] = set()
        self._clients: dict[str, _Client] = {}
        self._silenced: set[str] = set()  # conn_ids of half-dead connections (see silence())
        self._pending: dict[str, Delivery] = {}
        self._deliveries: list[Delivery] = []
        self._pings: list[Ping] = []
        self._bootstraps: list[Bootstrap] = []
        self._seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Future[None] | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Listen on 127.0.0.1 (a free port); returns once listening."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True,
                                        name="sandbox-longconn")
        self._thread.start()
        if not ready.wait(10) or not self.url:
            raise RuntimeError("the long-connection server did not start")

    def stop(self) -> None:
        """Close every connection and the server."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: stopping.done() or stopping.set_result(None))
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve(ready))
        finally:
            loop.close()

    async def _serve(self, ready: threading.Event) -> None:
        self._stopping = asyncio.get_running_loop().create_future()
        listening = serve(self._connection, "127.0.0.1", 0, process_request=self._handshake,
                          close_timeout=1)
        async with listening as server:
            port = next(iter(server.sockets)).getsockname()[1]
            self.url = f"ws://127.0.0.1:{port}{WS_PATH}"
            ready.set()
            log.info("long connection listening on %s", self.url)
            await self._stopping

    # --- bootstrap and handshake ---------------------------------------------------------------

    def endpoint(self, body: Mapping[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
        """The reply to POST /callback/ws/endpoint: a fresh ws URL and the ClientConfig."""
        app_id, secret = str(body.get("AppID") or ""), str(body.get("AppSecret") or "")
        code, msg = 0, "ok"
        if not app_id or not secret:
            code, msg = NO_CREDENTIAL, "app_id or app_secret is empty"
        elif app_id != self.sb.app_id:
            code, msg = APP_ID_INVALID, "app_id is invalid"
        elif secret != self.sb.app_secret:
            code, msg = SECRET_INVALID, "app_id or app_secret is invalid"
        with self._cond:
            self._bootstraps.append(Bootstrap(app_id, headers.get("locale", ""),
                                              headers.get("User-Agent", ""), code))
            self._cond.notify_all()
        if code:
            return {"code": code, "msg": msg, "data": {"URL": ""}}
        device_id, ticket = secrets.token_hex(8), secrets.token_hex(16)
        with self._cond:
            self._tickets.add(ticket)
        url = (f"{self.url}?fpid=493&aid=552564&device_id={device_id}"
               f"&access_key={secrets.token_hex(16)}&service_id={self.service_id}&ticket={ticket}")
        return {"code": 0, "msg": msg, "data": {"URL": url, "ClientConfig": self.config.wire()}}

    def _handshake(self, ws: ServerConnection, request: Request) -> Response | None:
        """Refuse an unknown ticket or one connection too many, in the headers the SDK reads."""
        query = parse_qs(urlsplit(request.path).query)
        with self._cond:
            known = query.get("ticket", [""])[0] in self._tickets
            full = len(self._clients) >= self.max_connections
        if known and not full and query.get("device_id") and query.get("service_id"):
            return None
        auth_code, msg = (EXCEED_CONN_LIMIT, "exceed conn limit") if full else (0, "invalid ticket")
        response = ws.respond(403, msg + "\n")
        response.headers["handshake-status"] = str(AUTH_FAILED)
        response.headers["handshake-msg"] = msg
        response.headers["handshake-autherrcode"] = str(auth_code)
        return response

    async def _connection(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "").query)
        info = ClientInfo(query["device_id"][0], int(query["service_id"][0]), time.monotonic())
        with self._cond:
            self._clients[info.conn_id] = _Client(info, ws)
            self._cond.notify_all()
        log.info("long connection: client %s connected", info.conn_id)
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    await self._on_frame(info, ws, message)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                self._clients.pop(info.conn_id, None)
                self._silenced.discard(info.conn_id)
                self._cond.notify_all()
            log.info("long connection: client %s gone", info.conn_id)

    async def _on_frame(self, info: ClientInfo, ws: ServerConnection, message: bytes) -> None:
        """Answer a ping with a pong; match a DATA frame (an ACK) to its delivery.

        From a silenced connection, pings are recorded but not answered and ACKs are lost.
        """
        try:
            frame = Frame.decode(message)
        except FrameError as exc:
            log.warning("long connection: bad frame from %s: %s", info.conn_id, exc)
            return
        kind = frame.header("type")
        if frame.method == CONTROL and kind == "ping":
            with self._cond:
                self._pings.append(Ping(info.conn_id, time.monotonic()))
                silenced = info.conn_id in self._silenced
                self._cond.notify_all()
            if silenced:
                return
            config = self.pong_config
            payload = json.dumps(config.wire()).encode() if config else None
            await ws.send(pong_frame(frame, payload).encode())
        elif frame.method == DATA:
            with self._cond:
                delivery = self._pending.pop(frame.header("message_id") or "", None)
                silenced = info.conn_id in self._silenced
            if silenced:
                log.info("long connection: ACK from silenced %s lost", info.conn_id)
                return
            if delivery is None:
                log.warning("long connection: ACK for unknown frame from %s", info.conn_id)
                return
            delivery._acknowledge(frame, time.monotonic())
            log.debug("long connection: event_id=%s ACKed by %s in %.3f s with %s",
                      delivery.event_id, info.conn_id, delivery.elapsed, delivery.status_code)

    # --- records -------------------------------------------------------------------------------

    def connected_clients(self) -> list[ClientInfo]:
        """The clients connected now, oldest first."""
        with self._cond:
            return [client.info for client in self._clients.values()]

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery so far."""
        with self._cond:
            return list(self._deliveries)

    @property
    def pings(self) -> list[Ping]:
        """Every ping received so far."""
        with self._cond:
            return list(self._pings)

    @property
    def bootstraps(self) -> list[Bootstrap]:
        """Every endpoint call so far."""
        with self._cond:
            return list(self._bootstraps)

    def wait_for_clients(self, n: int = 1, timeout: float = 5) -> list[ClientInfo]:
        """Block until at least n clients are connected; TimeoutError otherwise."""
        self._wait_until(lambda: len(self._clients) >= n, timeout, f"{n} connected clients")
        return self.connected_clients()

    def wait_for_pings(self, n: int = 1, timeout: float = 5) -> list[Ping]:
        """Block until at least n pings were received in all; TimeoutError otherwise."""
        self._wait_until(lambda: len(self._pings) >= n, timeout, f"{n} pings")
        return self.pings

    def wait_for_bootstraps(self, n: int = 1, timeout: float = 5) -> list[Bootstrap]:
        """Block until at least n endpoint calls were answered; TimeoutError otherwise."""
        self._wait_until(lambda: len(self._bootstraps) >= n, timeout, f"{n} endpoint calls")
        return self.bootstraps

    def _wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                raise TimeoutError(f"no {what} within {timeout} s")

    def drop_connections(self) -> list[str]:
        """Close every connection from Feishu's side (clients then reconnect); their conn_ids."""
        with self._cond:
            dropped = list(self._clients.values())
            self._clients.clear()
        if dropped and self._loop is not None:
            closing = _close_all([client.ws for client in dropped])
            asyncio.run_coroutine_threadsafe(closing, self._loop).result(5)
        return [client.info.conn_id for client in dropped]

    def silence(self, *conn_ids: str) -> list[str]:
        """Make connections half-dead, as behind a broken NAT or proxy; their conn_ids.

        Without arguments: every client connected now. Each stays open (WebSocket-level keepalive
        still answers), but Feishu's side goes quiet for good: its pings are recorded and never
        answered with a pong, its ACKs are lost, and an event routed to it is not sent (the
        delivery's error is "connection silenced"). It stays silenced until it disconnects; a new
        connection (new conn_id) behaves normally. Safe to call from any thread.
        """
        with self._cond:
            chosen = [conn_id for conn_id in (conn_ids or self._clients) if conn_id in self._clients]
            self._silenced.update(chosen)
        if chosen:
            log.info("long connection: silenced %s", ", ".join(chosen))
        return chosen

    @property
    def silenced(self) -> set[str]:
        """The conn_ids of the connected clients that silence() made half-dead."""
        with self._cond:
            return set(self._silenced)

    # --- deliveries ----------------------------------------------------------------------------

    def message(self, text: str, *, chat_type: str = "p2p", chat_id: str | None = None,
                sender: User | str | None = None, mention_bot: bool | None = None,
                message_type: str = "text", event_id: str | None = None,
                message_id: str | None = None, parts: int = 1, wait: bool = True) -> Delivery:
        """im.message.receive_v1 from a user, registered so the bot may reply (see EventPusher)."""
        envelope, message_id = self.events.message(
            text, chat_type=chat_type, chat_id=chat_id, sender=sender, mention_bot=mention_bot,
            message_type=message_type, event_id=event_id, message_id=message_id)
        return self.deliver(envelope, parts=parts, wait=wait, message_id=message_id)

    def card_action(self, value: dict[str, Any], *, message_id: str, chat_id: str,
                    operator: User | str | None = None, form_value: dict[str, Any] | None = None,
                    wait: bool = True) -> Delivery:
        """card.action.trigger, as an EVENT frame; the reply is Delivery.response_json."""
        envelope = self.events.card_action(value, message_id=message_id, chat_id=chat_id,
                                           operator=operator, form_value=form_value)
        return self.deliver(envelope, wait=wait, message_id=message_id)

    def bot_added(self, chat_id: str, operator: User | str | None = None,
                  wait: bool = True) -> Delivery:
        """im.chat.member.bot.added_v1: the bot joined a group."""
        return self.deliver(self.events.bot_added(chat_id, operator), wait=wait)

    def redeliver(self, delivery: Delivery, wait: bool = True) -> Delivery:
        """The same event (same event_id) in a new frame, to a randomly chosen client again."""
        return self.deliver(delivery.envelope, parts=delivery.parts, frame_type=delivery.frame_type,
                            wait=wait, message_id=delivery.message_id)

    def deliver(self, envelope: dict[str, Any], *, parts: int = 1, frame_type: str = "event",
                wait: bool = True, message_id: str = "") -> Delivery:
        """Send a plaintext envelope as DATA frames to one random client; wait for its ACK."""
        delivery = Delivery(envelope, secrets.token_hex(16), frame_type, parts, message_id)
        client, seq = self._route(delivery)
        if client is None or self._loop is None:
            delivery.error = delivery.error or "no client connected"
            return delivery
        payload = json.dumps(envelope, ensure_ascii=False).encode("utf-8")
        frames = data_frames(payload, service=client.info.service_id, message_id=delivery.frame_id,
                             trace_id=secrets.token_hex(16), seq_id=seq, frame_type=frame_type,
                             log_id=int(secrets.token_hex(7), 16), parts=parts)
        sending = asyncio.run_coroutine_threadsafe(_send(client.ws, frames, delivery), self._loop)
        try:
            sending.result(5)
        except (ConnectionClosed, TimeoutError) as exc:
            log.info("long connection: event_id=%s to %s failed: %r", delivery.event_id,
                     client.info.conn_id, exc)
            with self._cond:
                self._pending.pop(delivery.frame_id, None)
            delivery.error = "connection closed"
            return delivery
        if wait:
            delivery.wait()
        return delivery

    def _route(self, delivery: Delivery) -> tuple[_Client | None, int]:
        """Record a delivery and pick its client at random (seeded); also its frame SeqID.

        Silenced clients are picked too (Feishu cannot tell), but nothing is sent to them.
        """
        with self._cond:
            self._deliveries.append(delivery)
            self._seq += 1
            clients = list(self._clients.values())
            if not clients:
                return None, self._seq
            client = self._rng.choice(clients)
            delivery.connection = client.info.conn_id
            if client.info.conn_id in self._silenced:
                delivery.error = "connection silenced"
                return None, self._seq
            self._pending[delivery.frame_id] = delivery
            return client, self._seq

    def reconfigure(self, **changes: Any) -> ClientConfig:
        """Change the ClientConfig sent by later endpoint calls and pongs; returns the new one."""
        self.config = replace(self.config, **changes)
        if self.pong_config is not None:
            self.pong_config = replace(self.pong_config, **changes)
        return self.config


async def _send(ws: ServerConnection, frames: list[Frame], delivery: Delivery) -> None:
    delivery.sent_at = time.monotonic()
    for frame in frames:
        await ws.send(frame.encode())


async def _close_all(connections: list[ServerConnection]) -> None:
    closing = (ws.close(1001, "going away") for ws in connections)
    await asyncio.gather(*closing, return_exceptions=True)


def _endpoint(call: Call) -> HttpResponse:
    """POST /callback/ws/endpoint: HTTP 200 with code 0 or a credential error code."""
    return json_response(200, call.sb.long_connection().endpoint(call.body(), call.request.headers))


WS_ROUTES = (Route("POST", "/callback/ws/endpoint", _endpoint, "callback.ws.endpoint", auth=False),)
