"""Token issuance and the checks every endpoint applies, driven through lark-oapi and raw HTTP."""
from __future__ import annotations

import json

import pytest
import requests
from lark_oapi.api.vc.v1 import ListRoomRequest
from lark_oapi.core.exception import ObtainAccessTokenException
from sandbox_helpers import client, get, token

from bot.sandbox import Sandbox

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"


def test_sdk_fetches_a_token_once_and_lists_rooms(sandbox: Sandbox) -> None:
    sdk = client(sandbox)
    for _ in range(2):
        assert sdk.vc.v1.room.list(ListRoomRequest.builder().build()).success()
    assert len(sandbox.calls_to(TOKEN_PATH)) == 1
    rooms_call = sandbox.calls_to("/vc/v1/rooms")[0]
    assert (rooms_call.method, rooms_call.status, rooms_call.code) == ("GET", 200, 0)


def test_token_body_is_json_whatever_the_content_type(sandbox: Sandbox) -> None:
    body = json.dumps({"app_id": sandbox.app_id, "app_secret": sandbox.app_secret})
    reply = requests.post(sandbox.url + TOKEN_PATH, data=body, headers={"Content-Type": "text/plain"}, timeout=5)
    data = reply.json()
    assert (reply.status_code, data["code"], data["expire"]) == (200, 0, 7200)
    assert data["tenant_access_token"].startswith("t-")
    assert "data" not in data


def test_same_token_while_more_than_30_minutes_left(sandbox: Sandbox) -> None:
    assert token(sandbox) == token(sandbox)


def test_bad_secret_raises_obtain_access_token_exception(sandbox: Sandbox) -> None:
    with pytest.raises(ObtainAccessTokenException) as caught:
        client(sandbox, secret="wrong").vc.v1.room.list(ListRoomRequest.builder().build())
    assert caught.value.code == 10014


def test_bad_app_id_is_10003_with_http_200(sandbox: Sandbox) -> None:
    reply = requests.post(sandbox.url + TOKEN_PATH, json={"app_id": "cli_nope", "app_secret": "x"}, timeout=5)
    assert (reply.status_code, reply.json()["code"]) == (200, 10003)


def test_missing_authorization_is_99991661(sandbox: Sandbox) -> None:
    reply = get(sandbox, "/open-apis/vc/v1/rooms", auth=None)
    assert (reply.status_code, reply.json()["code"]) == (400, 99991661)


def test_unknown_token_is_99991663(sandbox: Sandbox) -> None:
    reply = get(sandbox, "/open-apis/vc/v1/rooms", auth="t-forged")
    assert (reply.status_code, reply.json()["code"]) == (400, 99991663)
    assert reply.json()["error"]["log_id"] == reply.headers["X-Tt-Logid"]


def test_expired_tokens_get_99991663_and_a_new_token_is_issued(sandbox: Sandbox) -> None:
    old = token(sandbox)
    sandbox.expire_tokens()
    assert get(sandbox, "/open-apis/vc/v1/rooms", auth=old).json()["code"] == 99991663
    assert token(sandbox) != old


def test_unknown_path_is_json_404(sandbox: Sandbox) -> None:
    reply = get(sandbox, "/open-apis/vc/v1/nothing_here")
    assert (reply.status_code, reply.json()["code"]) == (404, 99991201)


def test_replies_use_canonical_header_casing(sandbox: Sandbox) -> None:
    reply = get(sandbox, "/open-apis/bot/v3/info")
    raw_names = set(dict(reply.raw.headers.items()))
    assert {"Content-Type", "X-Tt-Logid"} <= raw_names
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.json()["bot"]["open_id"] == sandbox.tenant.bot_open_id


def test_tenant_token_is_refused_on_room_search(sandbox: Sandbox) -> None:
    reply = requests.post(sandbox.url + "/open-apis/vc/v1/rooms/search", json={"keyword": "Oslo"},
                          headers={"Authorization": f"Bearer {token(sandbox)}"}, timeout=5)
    assert reply.json()["code"] == 99991663


def test_each_sandbox_has_its_own_app_id() -> None:
    with Sandbox.start(seed=7, rooms=5) as one, Sandbox.start(seed=7, rooms=5) as two:
        assert one.app_id != two.app_id
        assert one.tenant.rooms == two.tenant.rooms
