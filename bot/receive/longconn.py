"""The second door: Feishu's long connection (a WebSocket roombot opens), through `lark.ws.Client`.

    link = LongConnection(settings.feishu, SocketDoor(inbox, clicks), threads=8).start()
    link.status()      # LinkStatus: connected or not, since when, how many connects, last error
    link.stop()

What each frame's ACK says is socket_door.py's; the SDK client subclass is sdk_socket.py.

How the SDK (1.7.5) is run, and why:
- `Client.start()` blocks forever on the module global `lark_oapi.ws.client.loop`. The client runs
  in its own thread on its own loop (the global points at it; one client per process).
- The SDK calls handlers synchronously on that loop, one frame at a time, so a card click waiting
  for Feishu would hold up every other ACK and the pings. `SdkSocket` runs each frame's handler on
  a thread pool instead and writes the ACK when it is done; it also gets the raw payload this way
  (no typed SDK objects to marshal back) and never logs message text.
- Reconnecting is ours, not the SDK's (`auto_reconnect=False`): a ClientException while the SDK
  reconnects ends its receive task and leaves `start()` blocked on a dead client forever. When a
  connection ends, its loop is stopped and a fresh client is built after a back-off (Feishu's
  ReconnectNonce as jitter, doubling up to its ReconnectInterval).
- A watchdog on the client's loop rebuilds a client that has heard nothing (not even a pong)
  for three ping intervals: a deaf client or a half-open connection.
"""
from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import lark_oapi.ws.client as ws_client
from lark_oapi.ws.exception import ClientException

from bot.config import FeishuSettings
from bot.observe import metrics
from bot.receive.sdk_socket import SdkSocket, close_client, stop_soon
from bot.receive.socket_door import ACK_FAILED, Ack, SocketDoor

__all__ = ["LinkStatus", "LongConnection", "SocketDoor"]

log = logging.getLogger(__name__)

WATCHDOG_SECONDS = 2.0  # how often the watchdog looks
SILENT_PINGS = 3  # no frame for this many ping intervals (+ margin): rebuild the client
STABLE_SECONDS = 60.0  # a connection that lasted this long resets the back-off


@dataclass(frozen=True)
class LinkStatus:
    """What `roombot doctor`, the logs and the status route say about the connection."""

    mode: str = "long_connection"
    state: str = "starting"  # starting | connecting | connected | waiting (to reconnect) | stopped
    conn_id: str = ""
    since: float = 0.0  # wall-clock time of the last state change
    connects: int = 0  # connections made since start
    last_error: str = ""

    @property
    def connected(self) -> bool:
        return self.state == "connected"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "connected": self.connected}


@dataclass
class Backoff:
    """Waits between connection attempts: jitter, then doubling up to a ceiling.

    Feishu's ClientConfig (ReconnectNonce, ReconnectInterval) replaces the defaults once known.
    """

    first: float = 1.0
    ceiling: float = 60.0
    jitter: float = 1.0
    failures: int = 0

    def next_delay(self) -> float:
        delay = min(self.ceiling, self.first * 2 ** min(self.failures, 16))
        self.failures += 1
        return delay + random.uniform(0, self.jitter)


class LongConnection:
    """Keeps one `lark.ws.Client` connected in a daemon thread; rebuilds it when it dies."""

    def __init__(self, feishu: FeishuSettings, door: SocketDoor, *, threads: int = 8,
                 watchdog_seconds: float = WATCHDOG_SECONDS) -> None:
        self.feishu = feishu
        self.door = door
        self.watchdog_seconds = watchdog_seconds
        self.backoff = Backoff()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="roombot-frame")
        self._status = LinkStatus()
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ping_seconds = 120.0
        self._thread = threading.Thread(target=self._supervise, name="roombot-longconn",
                                        daemon=True)

    def start(self) -> LongConnection:
        """Connect in the background; `status()` and the logs say when the link is up."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close the connection and end the thread; frames in hand are answered first."""
        with self._changed:
            self._stopping.set()
            loop = self._loop
        if loop is not None:
            stop_soon(loop)
        self._thread.join(timeout)
        self._pool.shutdown(wait=True)
        self._set(state="stopped", conn_id="")
        metrics.LONG_CONNECTION_UP.set(0)

    def status(self) -> LinkStatus:
        with self._changed:
            return self._status

    def wait_connected(self, timeout: float = 10.0, after: int = 0) -> LinkStatus:
        """Block until connected (with more than `after` connects); TimeoutError otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._status.connected
                                          and self._status.connects > after, timeout):
                raise TimeoutError(f"no long connection within {timeout} s: {self._status}")
            return self._status

    # -- the supervisor thread ---------------------------------------------------------------

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                error = self._run_client()
            except Exception as exc:  # a bug here must not end the door for good
                log.exception("long connection: the client failed")
                error = repr(exc)
            if self._stopping.is_set():
                return
            if time.monotonic() - started > STABLE_SECONDS:
                self.backoff.failures = 0
            delay = self.backoff.next_delay()
            self._set(state="waiting", conn_id="", last_error=error)
            metrics.LONG_CONNECTION_UP.set(0)
            log.warning("long connection down (%s); reconnecting in %.1f s", error, delay)
            self._stopping.wait(delay)

    def _run_client(self) -> str:
        """Build a client on a fresh loop, run it until its connection ends; why it ended."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        ws_client.loop = loop  # the SDK schedules everything on this module global
        with self._changed:
            if self._stopping.is_set():
                loop.close()
                return "stopping"
            self._loop = loop
        self._set(state="connecting")
        log.info("long connection: connecting to %s as %s", self.feishu.domain, self.feishu.app_id)
        client: SdkSocket | None = None
        try:
            client = SdkSocket(self, self.feishu)
            loop.create_task(self._watch(client))
            client.start()  # returns only by raising: the loop was stopped, or connecting failed
            return "stopped"
        except ClientException as exc:  # refused: wrong credentials, too many connections
            log.error("long connection refused by Feishu: %s", exc)
            return f"refused: {exc}"
        except RuntimeError:  # our loop.stop(): the connection ended, or the watchdog fired
            return self.status().last_error or "the connection ended"
        except Exception as exc:  # Feishu unreachable, handshake refused, ...
            log.debug("long connection: connecting failed", exc_info=True)
            return repr(exc)
        finally:
            close_client(loop, client)
            with self._changed:
                self._loop = None

    async def _watch(self, client: SdkSocket) -> None:
        """Stop the loop of a client that has heard nothing for SILENT_PINGS ping intervals."""
        while True:
            await asyncio.sleep(self.watchdog_seconds)
            silent = time.monotonic() - client.heard
            if client._conn is not None and silent > SILENT_PINGS * self._ping_seconds + 5:
                log.warning("long connection: nothing from Feishu for %.0f s; rebuilding the "
                            "client", silent)
                self._set(last_error=f"silent for {silent:.0f} s")
                asyncio.get_running_loop().stop()

    async def run_door(self, payload: bytes) -> Ack:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, self.door.handle,
                                                                    payload)
        except Exception:  # a bug, or stopping: Feishu re-delivers the frame
            log.exception("long connection: a frame could not be handled")
            return ACK_FAILED, None

    # -- callbacks from the client, on its loop ----------------------------------------------

    def on_connected(self, conn_id: str, ping_seconds: float) -> None:
        connects = self.status().connects + 1
        self._set(state="connected", conn_id=conn_id, connects=connects, last_error="")
        metrics.LONG_CONNECTION_UP.set(1)
        if connects > 1:
            metrics.LONG_CONNECTION_RECONNECTS.inc()
        log.info("long connection up (conn_id=%s, connect #%d, ping every %s s)", conn_id,
                 connects, ping_seconds)

    def on_lost(self, why: str) -> None:
        if not self._stopping.is_set() and self.status().connected:
            self._set(last_error=why)
        asyncio.get_running_loop().stop()

    def on_advised(self, interval: float, nonce: float, ping: float) -> None:
        """Feishu's ClientConfig: the back-off's ceiling and jitter, and the ping interval."""
        self.backoff.ceiling = max(0.1, float(interval))
        self.backoff.jitter = max(0.0, float(nonce))
        self._ping_seconds = max(0.1, float(ping))

    def _set(self, **changes: Any) -> None:
        with self._changed:
            values = {**asdict(self._status), **changes}
            if changes.get("state", self._status.state) != self._status.state:
                values["since"] = time.time()
            self._status = LinkStatus(**values)
            self._changed.notify_all()
