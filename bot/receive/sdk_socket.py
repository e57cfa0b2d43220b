"""The SDK's `lark.ws.Client`, adapted: frames handled on a pool, every frame noted for the watchdog,
and the loop ended when the connection ends (reconnecting is LongConnection's job, not the SDK's)."""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from typing import Any, Protocol

import lark_oapi as lark
import lark_oapi.ws.client as ws_client
from lark_oapi.ws.const import HEADER_BIZ_RT, HEADER_MESSAGE_ID, HEADER_SEQ, HEADER_SUM, HEADER_TYPE
from lark_oapi.ws.enum import MessageType

from bot.config import FeishuSettings

log = logging.getLogger(__name__)

CLOSE_SECONDS = 2.0  # closing a client never takes longer than this


class SocketOwner(Protocol):
    """What the socket tells the connection that owns it (LongConnection)."""

    def on_connected(self, conn_id: str, ping_seconds: float) -> None: ...
    def on_lost(self, why: str) -> None: ...
    def on_advised(self, interval: float, nonce: float, ping: float) -> None: ...
    async def run_door(self, payload: bytes) -> tuple[int, dict[str, Any] | None]: ...


class SdkSocket(lark.ws.Client):  # type: ignore[misc]
    """lark.ws.Client whose handlers run on a pool, which notes every frame and ends its loop
    when its connection ends (instead of the SDK's reconnect)."""

    def __init__(self, link: SocketOwner, feishu: FeishuSettings) -> None:
        super().__init__(feishu.app_id, feishu.app_secret, log_level=lark.LogLevel.WARNING,
                         domain=feishu.domain, auto_reconnect=False)
        self.link = link
        self.heard = time.monotonic()

    async def _connect(self) -> None:
        await super()._connect()
        self.heard = time.monotonic()
        self.link.on_connected(self._conn_id, self._ping_interval)

    async def _receive_message_loop(self) -> None:
        try:
            await super()._receive_message_loop()  # with auto_reconnect=False it ends by raising
        except Exception as exc:  # (not CancelledError: that is us closing the client)
            log.debug("long connection: the receive loop ended", exc_info=True)
            self.link.on_lost(f"connection lost ({type(exc).__name__}: {exc})")
        else:
            self.link.on_lost("connection lost")

    async def _handle_message(self, msg: bytes) -> None:
        self.heard = time.monotonic()
        await super()._handle_message(msg)

    def _configure(self, conf: Any) -> None:
        super()._configure(conf)
        self.link.on_advised(conf.ReconnectInterval, conf.ReconnectNonce, conf.PingInterval)

    async def _handle_data_frame(self, frame: Any) -> None:
        """Run the door on a pool thread, then ACK with the same frame (as the SDK does)."""
        headers = frame.headers
        payload = frame.payload
        parts = int(ws_client._get_by_key(headers, HEADER_SUM))
        if parts > 1:
            payload = self._combine(ws_client._get_by_key(headers, HEADER_MESSAGE_ID), parts,
                                    int(ws_client._get_by_key(headers, HEADER_SEQ)), payload)
            if payload is None:  # more parts to come
                return
        if ws_client._get_by_key(headers, HEADER_TYPE) != MessageType.EVENT.value:
            log.warning("long connection: dropped a non-event frame; subscribe callbacks in "
                        "long-connection mode so card clicks arrive as events")
            return
        started = time.monotonic()
        code, body = await self.link.run_door(payload)
        header = headers.add()
        header.key, header.value = HEADER_BIZ_RT, str(int((time.monotonic() - started) * 1000))
        ack: dict[str, Any] = {"code": code}
        if body is not None:
            ack["data"] = base64.b64encode(json.dumps(body, ensure_ascii=False).encode()).decode()
        frame.payload = json.dumps(ack).encode()
        await self._write_message(frame.SerializeToString())


def stop_soon(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.call_soon_threadsafe(loop.stop)
    except RuntimeError:  # already closed
        pass


def close_client(loop: asyncio.AbstractEventLoop, client: SdkSocket | None) -> None:
    """Cancel the SDK's tasks (receive, ping, cache cron, watchdog), close the socket and the loop."""
    try:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:  # bounded: the SDK's ping loop sleeps again in a `finally` when cancelled
            loop.run_until_complete(asyncio.wait(tasks, timeout=CLOSE_SECONDS))
        if client is not None:
            loop.run_until_complete(asyncio.wait_for(client._disconnect(), CLOSE_SECONDS))
        loop.run_until_complete(loop.shutdown_asyncgens())
    except Exception:  # closing a broken connection: nothing more to do
        log.debug("long connection: closing the client failed", exc_info=True)
    finally:
        loop.close()
