"""The long connection, driven by lark-oapi's real `lark.ws.Client` (contract 2.9).

`Client.start()` blocks forever on the module-level `lark_oapi.ws.client.loop`, and lark-oapi 1.7.5
has no stop(). `ThreadedClient` runs one client per process on a private loop in a daemon thread;
a second client (cluster mode) runs in a spawned process.
"""
from __future__ import annotations

import asyncio
import json
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import lark_oapi as lark
import lark_oapi.ws.client as ws_client
import pytest
import requests
from lark_oapi.api.im.v1 import ReplyMessageRequest, ReplyMessageRequestBody
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse
from lark_oapi.ws.exception import ClientException, ServerException
from lark_oapi.ws.pb.pbbp2_pb2 import Frame as SdkFrame
from sandbox_helpers import client as api_client
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bot.sandbox import ClientConfig, LongConnection, Sandbox
from bot.sandbox.frames import CONTROL, Frame, data_frames

FAST = ClientConfig(reconnect_interval=0.2, reconnect_nonce=0.1, ping_interval=0.5)
CARD = {"schema": "2.0", "body": {"elements": [{"tag": "markdown", "content": "Mercury is free"}]}}
TOAST = {"type": "success", "content": "booked"}


class ThreadedClient:
    """The real lark.ws.Client on a private event loop in a daemon thread, and a way to stop it.

    The SDK schedules everything on the module global `lark_oapi.ws.client.loop`, so that global is
    pointed at this thread's loop, and the Client is built inside the thread: its ExpiringCache
    creates a task on the current thread's loop. Hence one running client per process.
    """

    def __init__(self, make: Callable[[], lark.ws.Client]) -> None:
        self.make = make
        self.loop = asyncio.new_event_loop()
        self.client: lark.ws.Client | None = None
        self.error: BaseException | None = None
        self._built = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="lark-ws-client")

    def start(self) -> ThreadedClient:
        self._thread.start()
        self._built.wait(5)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        ws_client.loop = self.loop
        try:
            self.client = self.make()
            self._built.set()
            self.client.start()
        except (ClientException, ServerException, RuntimeError) as exc:  # RuntimeError: stop()
            self.error = exc
        finally:
            self._built.set()
            self._close()

    def _close(self) -> None:
        """Cancel the SDK's tasks (receive, ping, cache cron), close the socket, close the loop."""
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        if self.client is not None:
            self.loop.run_until_complete(self.client._disconnect())  # closes the WebSocket
        self.loop.close()

    @property
    def alive(self) -> bool:
        """Whether start() is still running."""
        return self._thread.is_alive()

    def join(self, timeout: float = 5) -> BaseException | None:
        """Wait for start() to return (it only does by raising); the exception it raised."""
        self._thread.join(timeout)
        return self.error

    def stop(self) -> None:
        """No reconnect, stop the loop: start() raises in the thread, which then cleans up."""
        if self.client is not None:
            self.client._auto_reconnect = False  # else start() would reconnect instead of raising
        try:
            self.loop.call_soon_threadsafe(self.loop.stop)
        except RuntimeError:  # already closed: start() had raised
            pass
        self._thread.join(5)


@dataclass
class Handlers:
    """A bot's event handlers: they record what they get; card replies carry the bot's name."""

    name: str = "thread"
    messages: list[Any] = field(default_factory=list)
    cards: list[Any] = field(default_factory=list)
    card_reply: dict[str, Any] | None = field(default_factory=lambda: {"toast": TOAST})

    def on_message(self, data: Any) -> None:
        text = json.loads(data.event.message.content).get("text", "")
        if "boom" in text:
            raise ValueError("handler failed")
        if "slow" in text:
            time.sleep(0.3)
        self.messages.append(data)

    def on_card(self, data: Any) -> P2CardActionTriggerResponse | None:
        self.cards.append(data)
        if self.card_reply is None:
            return None
        toast = {**TOAST, "content": self.name}
        return P2CardActionTriggerResponse({**self.card_reply, "toast": toast})

    def build(self) -> lark.EventDispatcherHandler:
        """The SDK's dispatcher (keys unused: long-connection frames are plaintext)."""
        return (lark.EventDispatcherHandler.builder("", "", lark.LogLevel.CRITICAL)
                .register_p2_im_message_receive_v1(self.on_message)
                .register_p2_card_action_trigger(self.on_card).build())


@dataclass
class Bot:
    """A threaded client connected to the sandbox, and what its handlers received."""

    lc: LongConnection
    runner: ThreadedClient
    seen: Handlers


def ws(sb: Sandbox, handler: lark.EventDispatcherHandler, secret: str | None = None,
       app_id: str | None = None) -> lark.ws.Client:
    """The real long-connection client pointed at the sandbox (plain http on 127.0.0.1)."""
    return lark.ws.Client(app_id or sb.app_id, secret or sb.app_secret, event_handler=handler,
                          domain=sb.url, log_level=lark.LogLevel.CRITICAL)


@pytest.fixture
def bot(sandbox: Sandbox) -> Iterator[Bot]:
    """A connected threaded client whose handlers record what they get."""
    lc = sandbox.long_connection()
    lc.config = lc.pong_config = FAST
    seen = Handlers()
    runner = ThreadedClient(lambda: ws(sandbox, seen.build())).start()
    lc.wait_for_clients(1)
    yield Bot(lc, runner, seen)
    runner.stop()


def _serve_in_process(domain: str, app_id: str, secret: str, name: str) -> None:
    """A second bot instance (spawned process): its toasts carry its name."""
    lark.ws.Client(app_id, secret, event_handler=Handlers(name).build(), domain=domain,
                   log_level=lark.LogLevel.CRITICAL).start()


# --- wire format and bootstrap ------------------------------------------------------------------


def test_frames_are_byte_identical_to_the_sdks() -> None:
    ours = data_frames("会议室 Mercury".encode(), service=33554678, message_id="m1", trace_id="t1",
                       seq_id=7, log_id=2**63 + 5, parts=2)
    for frame in ours:
        sdk = SdkFrame()
        sdk.ParseFromString(frame.encode())
        assert sdk.SerializeToString() == frame.encode()
        assert {h.key: h.value for h in sdk.headers}["sum"] == "2"
    assert b"".join(f.payload or b"" for f in ours).decode() == "会议室 Mercury"
    sdk = ws_client._new_ping_frame(-3)
    assert Frame.decode(sdk.SerializeToString()) == Frame(0, 0, -3, CONTROL, [("type", "ping")])


def test_endpoint_bootstrap(sandbox: Sandbox) -> None:
    url = sandbox.url + "/callback/ws/endpoint"
    credentials = {"AppID": sandbox.app_id, "AppSecret": sandbox.app_secret}
    good = requests.post(url, json=credentials, timeout=5)
    body = good.json()
    assert good.status_code == 200 and body["code"] == 0
    assert body["data"]["URL"].startswith(sandbox.long_connection().url + "?")
    assert "device_id=" in body["data"]["URL"] and "service_id=" in body["data"]["URL"]
    assert set(body["data"]["ClientConfig"]) == {"ReconnectCount", "ReconnectInterval",
                                                 "ReconnectNonce", "PingInterval"}
    wrong = requests.post(url, json={"AppID": sandbox.app_id, "AppSecret": "nope"}, timeout=5)
    unknown = requests.post(url, json={"AppID": "cli_nope", "AppSecret": "x"}, timeout=5)
    assert (wrong.status_code, wrong.json()["code"]) == (200, 1000040345)
    assert unknown.json() == {"code": 1000040346, "msg": "app_id is invalid", "data": {"URL": ""}}
    nobody = sandbox.long_connection().message("nobody listens", wait=False)
    assert nobody.error == "no client connected" and not nobody.acked


def test_handshake_refusals_read_as_the_sdk_reads_them(sandbox: Sandbox) -> None:
    lc = sandbox.long_connection()
    with pytest.raises(InvalidStatus) as forged:
        connect(lc.url + "?device_id=d&service_id=1&ticket=forged").close()
    with pytest.raises(ServerException, match="514"):  # the SDK retries a ServerException
        ws_client._parse_ws_conn_exception(forged.value)
    lc.max_connections = 0
    granted = requests.post(sandbox.url + "/callback/ws/endpoint", timeout=5,
                            json={"AppID": sandbox.app_id, "AppSecret": sandbox.app_secret})
    with pytest.raises(InvalidStatus) as full:
        connect(granted.json()["data"]["URL"]).close()
    with pytest.raises(ClientException, match="514"):  # ... and gives up on the connection limit
        ws_client._parse_ws_conn_exception(full.value)


def test_bad_credentials_fail_start_without_retrying(sandbox: Sandbox) -> None:
    lc = sandbox.long_connection()
    for app_id, code in ((None, 1000040345), ("cli_nope", 1000040346)):
        runner = ThreadedClient(partial(ws, sandbox, Handlers().build(), "wrong", app_id)).start()
        error = runner.join()
        assert isinstance(error, ClientException) and error.code == code
    assert [b.code for b in lc.bootstraps] == [1000040345, 1000040346]  # no retries
    assert not lc.connected_clients()


# --- events through the real client ---------------------------------------------------------------


def test_message_event_reaches_the_handler(sandbox: Sandbox, bot: Bot) -> None:
    user = sandbox.tenant.users[2]
    delivery = bot.lc.message("who booked Mercury today", chat_type="group", sender=user)
    assert delivery.acked and delivery.ok and delivery.status_code == 200
    assert delivery.response_json is None and delivery.elapsed is not None and delivery.elapsed < 3
    event = bot.seen.messages[0]
    assert event.header.event_id == delivery.event_id
    assert event.header.event_type == "im.message.receive_v1"
    assert event.header.app_id == sandbox.app_id
    message = event.event.message
    assert json.loads(message.content) == {"text": "@_user_1 who booked Mercury today"}
    assert (message.message_id, message.chat_type) == (delivery.message_id, "group")
    assert message.mentions[0].id.open_id == sandbox.tenant.bot_open_id
    assert event.event.sender.sender_id.open_id == user.open_id
    bootstrap = bot.lc.bootstraps[0]
    assert bootstrap.locale == "zh" and bootstrap.user_agent.startswith("oapi-sdk-python/")
    reply = api_client(sandbox).im.v1.message.reply(
        ReplyMessageRequest.builder().message_id(message.message_id).request_body(
            ReplyMessageRequestBody.builder().msg_type("text").content('{"text":"ok"}').build()).build())
    assert reply.success(), reply.msg  # the message was registered, so the bot may answer it


def test_redelivery_parts_failures_and_card_frames(bot: Bot) -> None:
    first = bot.lc.message("free rooms now")
    again = bot.lc.redeliver(first)
    assert again.acked and again.event_id == first.event_id and again.frame_id != first.frame_id
    assert [m.header.event_id for m in bot.seen.messages] == [first.event_id] * 2
    split = bot.lc.message("a long question " * 50, parts=3)
    assert split.acked and split.parts == 3
    assert json.loads(bot.seen.messages[-1].event.message.content)["text"].count("long") == 50
    failed = bot.lc.message("boom")
    assert failed.acked and failed.status_code == 500 and not failed.ok
    slow, quick = bot.lc.message("slow", wait=False), bot.lc.message("quick", wait=False)
    assert slow.acked and slow.elapsed is not None and slow.elapsed >= 0.3
    assert slow.handler_ms is not None and slow.handler_ms >= 300
    # Handlers run one at a time on the SDK's loop: the quick one waited for the slow one.
    assert quick.acked and quick.elapsed is not None and quick.elapsed >= 0.25
    card_frame = bot.lc.deliver(first.envelope, frame_type="card", wait=False)
    assert not card_frame.wait(0.5)  # the SDK drops type=card frames without an ACK
    assert bot.lc.bot_added("oc_rooms").status_code == 500  # no processor registered for it


def test_card_action_reply_is_in_the_ack(bot: Bot) -> None:
    bot.seen.card_reply = {"card": {"type": "raw", "data": CARD}}
    delivery = bot.lc.card_action({"cmd": "book", "room": "omm_1"}, message_id="om_card",
                                  chat_id="oc_rooms", form_value={"when": "10:00"})
    assert delivery.acked and delivery.status_code == 200 and delivery.callback_error == ""
    assert delivery.response_json == {"card": {"type": "raw", "data": CARD},
                                      "toast": {**TOAST, "content": "thread"}}
    action = bot.seen.cards[0].event.action
    assert action.value == {"cmd": "book", "room": "omm_1"}
    assert action.form_value == {"when": "10:00"}
    assert bot.seen.cards[0].event.context.open_message_id == "om_card"
    bot.seen.card_reply = None  # over the webhook lark-oapi answers 500 for None; here it is 200
    bare = bot.lc.card_action({"cmd": "noop"}, message_id="om_card", chat_id="oc_rooms")
    assert bare.ack == {"code": 200} and bare.callback_error == ""


def test_ping_pong_carries_client_config(bot: Bot) -> None:
    pings = bot.lc.wait_for_pings(2, timeout=3)  # one on connecting, then every PingInterval
    assert pings[1].at - pings[0].at >= 0.4
    assert {p.conn_id for p in pings} == {c.conn_id for c in bot.lc.connected_clients()}
    bot.lc.reconfigure(ping_interval=30, reconnect_interval=0.3)  # the next pong carries this
    client = bot.runner.client
    assert client is not None
    deadline = time.monotonic() + 3
    while client._ping_interval != 30 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (client._ping_interval, client._reconnect_interval) == (30, 0.3)  # the SDK applied it


def test_dropped_connection_is_reestablished(bot: Bot) -> None:
    dropped = bot.lc.drop_connections()
    assert len(dropped) == 1
    again = bot.lc.wait_for_clients(1)
    assert again[0].conn_id not in dropped and len(bot.lc.bootstraps) == 2  # it asked for a new URL
    assert bot.lc.message("still there?").acked and len(bot.seen.messages) == 1


def test_two_clients_each_event_goes_to_exactly_one(sandbox: Sandbox, bot: Bot) -> None:
    spawn = multiprocessing.get_context("spawn")
    other = spawn.Process(target=_serve_in_process, daemon=True,
                          args=(sandbox.url, sandbox.app_id, sandbox.app_secret, "process"))
    other.start()
    try:
        clients = bot.lc.wait_for_clients(2, timeout=20)
        deliveries = [bot.lc.card_action({"n": n}, message_id="om_c", chat_id="oc_c")
                      for n in range(12)]
    finally:
        other.terminate()
        other.join(5)
    names = [d.response_json["toast"]["content"] for d in deliveries if d.acked]
    assert len(names) == 12 and set(names) == {"thread", "process"}
    assert names.count("thread") == len(bot.seen.cards)
    by_conn = {c.conn_id: [d for d in deliveries if d.connection == c.conn_id] for c in clients}
    assert sorted(len(v) for v in by_conn.values()) == sorted([names.count("thread"),
                                                               names.count("process")])


def test_rejected_reconnect_leaves_the_client_deaf(sandbox: Sandbox, bot: Bot) -> None:
    """A ClientException while reconnecting ends the SDK's receive task; start() blocks on."""
    secret = sandbox.app_secret
    sandbox.app_secret = "rotated"
    bot.lc.drop_connections()
    assert bot.lc.wait_for_bootstraps(2)[-1].code == 1000040345
    sandbox.app_secret = secret
    with pytest.raises(TimeoutError):
        bot.lc.wait_for_clients(1, timeout=1)  # ReconnectInterval is 0.2 s: it gave up for good
    assert bot.runner.alive and len(bot.lc.bootstraps) == 2
