"""Fault knobs: injected failures, enforced quotas, latency; and the foreground runner."""
from __future__ import annotations

import io
import json
import threading
import time

import pytest
import requests
from lark_oapi.api.vc.v1 import ListRoomRequest
from sandbox_helpers import client, get, token

from bot.sandbox import Sandbox, serve_forever

ROOMS = "/open-apis/vc/v1/rooms"


def list_rooms(sb: Sandbox):
    return client(sb).vc.v1.room.list(ListRoomRequest.builder().build())


def test_rate_limit_injection(sandbox: Sandbox) -> None:
    sandbox.faults.inject(ROOMS, "rate_limit", times=2, reset=3)
    for _ in range(2):
        reply = list_rooms(sandbox)
        assert (reply.raw.status_code, reply.code) == (429, 99991400)
        assert reply.raw.headers["x-ogw-ratelimit-reset"] == "3"
    assert list_rooms(sandbox).success()


def test_server_error_and_bad_gateway(sandbox: Sandbox) -> None:
    sandbox.faults.inject(ROOMS, "server_error")
    reply = list_rooms(sandbox)
    assert (reply.raw.status_code, reply.code) == (500, 121001)
    sandbox.faults.inject(ROOMS, "bad_gateway")
    with pytest.raises(json.JSONDecodeError):
        list_rooms(sandbox)


def test_token_expired_invalidates_current_tokens(sandbox: Sandbox) -> None:
    old = token(sandbox)
    sandbox.faults.inject(ROOMS, "token_expired")
    assert get(sandbox, ROOMS, auth=old).json()["code"] == 99991663
    assert get(sandbox, ROOMS, auth=old).json()["code"] == 99991663
    assert get(sandbox, ROOMS).json()["code"] == 0


def test_permission_names_the_scope(sandbox: Sandbox) -> None:
    sandbox.faults.inject("/exports/", "permission")
    reply = requests.post(f"{sandbox.url}/open-apis/vc/v1/exports/resource_reservation_list", json={},
                          headers={"Authorization": f"Bearer {token(sandbox)}"}, timeout=5)
    body = reply.json()
    assert (reply.status_code, body["code"]) == (400, 99991672)
    assert "[vc:export]" in body["msg"] and body["error"]["permission_violations"][0]["subject"] == "vc:export"


def test_unknown_fault_kind_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError):
        sandbox.faults.inject(ROOMS, "meteor")


def test_enforced_quota_of_50_per_second(sandbox: Sandbox) -> None:
    sandbox.faults.rate_limits = True
    headers = {"Authorization": f"Bearer {token(sandbox)}"}
    with requests.Session() as session:
        replies = [session.get(sandbox.url + ROOMS, headers=headers, timeout=5) for _ in range(55)]
    limited = [r for r in replies if r.status_code == 429]
    assert limited and limited[0].json()["code"] == 99991400
    assert limited[0].headers["x-ogw-ratelimit-limit"] == "50"
    assert int(limited[0].headers["x-ogw-ratelimit-reset"]) >= 1


def test_latency_is_added_to_every_call(sandbox: Sandbox) -> None:
    sandbox.faults.latency = 0.2
    started = time.monotonic()
    get(sandbox, "/open-apis/bot/v3/info", auth=None)
    assert time.monotonic() - started >= 0.2


def test_serve_forever_prints_the_config_snippet() -> None:
    out, stop = io.StringIO(), threading.Event()
    runner = threading.Thread(target=serve_forever, kwargs={"port": 0, "seed": 3, "rooms": 10, "out": out,
                                                            "stop": stop})
    runner.start()
    deadline = time.monotonic() + 10
    while "domain" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    runner.join(timeout=10)
    text = out.getvalue()
    assert "[feishu]" in text and 'domain = "http://127.0.0.1:' in text and "app_secret" in text
