"""Web login against the sandbox over real HTTP: the authorization page, the code exchange, user_info."""
from __future__ import annotations

import base64
import hashlib
import logging
import re
from urllib.parse import parse_qs, urlsplit

import lark_oapi as lark
import pytest
import requests
from lark_oapi.api.authen.v1 import GetUserInfoRequest
from lark_oapi.core.exception import NoAuthorizationException

from bot.sandbox import Sandbox
from bot.sandbox.authen import CODE_LIFETIME

AUTHORIZE = "/open-apis/authen/v1/authorize"
TOKEN = "/open-apis/authen/v2/oauth/token"
USER_INFO = "/open-apis/authen/v1/user_info"
CALLBACK = "http://127.0.0.1:9/admin/callback?next=%2Frooms"


def page(sb: Sandbox, **params: str) -> requests.Response:
    query = {"client_id": sb.app_id, "redirect_uri": CALLBACK, "state": "st-1", **params}
    return requests.get(sb.url + AUTHORIZE, params=query, timeout=5)


def pick(sb: Sandbox, open_id: str, **fields: str) -> requests.Response:
    form = {"client_id": sb.app_id, "redirect_uri": CALLBACK, "state": "st-1", "open_id": open_id, **fields}
    return requests.post(sb.url + AUTHORIZE, data=form, allow_redirects=False, timeout=5)


def exchange(sb: Sandbox, grant: str, **overrides: str) -> requests.Response:
    body = {"grant_type": "authorization_code", "client_id": sb.app_id, "client_secret": sb.app_secret,
            "code": grant, "redirect_uri": CALLBACK, **overrides}
    return requests.post(sb.url + TOKEN, json=body, timeout=5)


def login(sb: Sandbox, open_id: str) -> str:
    """A user access token for this person, through the code exchange."""
    return exchange(sb, sb.authen.code_for(open_id, CALLBACK)).json()["access_token"]


def test_page_names_the_app_and_lists_every_user(sandbox: Sandbox) -> None:
    reply = page(sandbox, scope="contact:user.base:readonly")
    assert (reply.status_code, reply.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert re.search(r"<title>[^<]+</title>", reply.text) and "<h1>" in reply.text
    assert sandbox.app_id in reply.text and sandbox.tenant.directory.bot_name in reply.text
    buttons = re.findall(r'<button type="submit" name="open_id" value="(ou_\w+)"', reply.text)
    assert buttons == [u.open_id for u in sandbox.tenant.users]
    first = sandbox.tenant.users[0]
    assert f'id="login-{first.open_id}"' in reply.text and f'data-name="{first.name}"' in reply.text
    assert '<input type="hidden" name="state" value="st-1">' in reply.text


@pytest.mark.parametrize("params", [{"client_id": "cli_other"}, {"redirect_uri": ""},
                                    {"response_type": "token"}])
def test_a_bad_authorize_request_is_a_400_page(sandbox: Sandbox, params: dict[str, str]) -> None:
    reply = page(sandbox, **params)
    assert (reply.status_code, reply.headers["Content-Type"]) == (400, "text/html; charset=utf-8")
    assert "<h1>" in reply.text and 'name="open_id"' not in reply.text


def test_an_unregistered_redirect_url_is_20029_when_the_console_list_is_set(sandbox: Sandbox) -> None:
    sandbox.authen.redirect_urls = {"http://127.0.0.1:9/admin/callback"}
    assert page(sandbox).status_code == 200  # the query does not count
    reply = page(sandbox, redirect_uri="http://evil.example/cb")
    assert reply.status_code == 400 and "20029" in reply.text


def test_picking_a_user_redirects_with_a_code_and_the_same_state(sandbox: Sandbox) -> None:
    user = sandbox.tenant.users[3]
    state = "a b&c=d/é#x"
    reply = pick(sandbox, user.open_id, state=state)
    assert reply.status_code == 302
    location = urlsplit(reply.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("http", "127.0.0.1:9", "/admin/callback")
    query = parse_qs(location.query)
    assert query["next"] == ["/rooms"] and query["state"] == [state]
    assert re.fullmatch(r"[A-Za-z0-9_-]{64,}", query["code"][0])
    assert exchange(sandbox, query["code"][0]).status_code == 200


def test_no_state_in_no_state_out_and_the_fragment_stays_last(sandbox: Sandbox) -> None:
    form = {"client_id": sandbox.app_id, "redirect_uri": "http://127.0.0.1:9/cb#/login",
            "open_id": sandbox.tenant.users[0].open_id}
    reply = requests.post(sandbox.url + AUTHORIZE, data=form, allow_redirects=False, timeout=5)
    assert re.fullmatch(r"http://127\.0\.0\.1:9/cb\?code=[\w-]+#/login", reply.headers["Location"])


def test_cancel_redirects_with_access_denied(sandbox: Sandbox) -> None:
    reply = pick(sandbox, "", deny="1")
    assert parse_qs(urlsplit(reply.headers["Location"]).query) == {
        "next": ["/rooms"], "error": ["access_denied"], "state": ["st-1"]}


def test_a_code_gives_a_token_once(sandbox: Sandbox) -> None:
    code = sandbox.authen.code_for(sandbox.tenant.users[0].open_id, CALLBACK)
    first = exchange(sandbox, code)
    body = first.json()
    assert first.status_code == 200
    assert set(body) == {"code", "access_token", "expires_in", "token_type", "scope"}
    assert (body["code"], body["expires_in"], body["token_type"]) == (0, 7200, "Bearer")
    assert body["access_token"].startswith("u-")
    again = exchange(sandbox, code)
    assert (again.status_code, again.json()["code"], again.json()["error"]) == (400, 20065, "invalid_grant")
    assert exchange(sandbox, "never-issued").json()["code"] == 20003


def test_offline_access_adds_a_refresh_token(sandbox: Sandbox) -> None:
    code = sandbox.authen.code_for(sandbox.tenant.users[0].open_id, CALLBACK, "offline_access auth:user.id:read")
    body = exchange(sandbox, code).json()
    assert body["refresh_token"].startswith("ur-") and body["refresh_token_expires_in"] > 0
    assert body["scope"] == "offline_access auth:user.id:read"


@pytest.mark.parametrize(("overrides", "code", "error"), [
    ({"redirect_uri": "http://127.0.0.1:9/other"}, 20071, "invalid_grant"),
    ({"client_secret": "wrong"}, 20002, "invalid_client"),
    ({"client_id": "cli_other"}, 20048, "invalid_client"),
    ({"grant_type": "refresh_token"}, 20036, "unsupported_grant_type"),
    ({"code": ""}, 20001, "invalid_request"),
])
def test_a_bad_exchange_is_refused_and_leaves_the_code_usable(sandbox: Sandbox, overrides: dict[str, str],
                                                               code: int, error: str) -> None:
    issued = sandbox.authen.code_for(sandbox.tenant.users[0].open_id, CALLBACK)
    reply = exchange(sandbox, issued, **overrides)
    body = reply.json()
    assert (reply.status_code, body["code"], body["error"]) == (400, code, error)
    assert body["error_description"] and "access_token" not in body
    assert exchange(sandbox, issued).status_code == 200


def test_a_code_older_than_five_minutes_is_20004(sandbox: Sandbox) -> None:
    now = [1_700_000_000.0]
    sandbox.authen.clock = lambda: now[0]
    code = sandbox.authen.code_for(sandbox.tenant.users[0].open_id, CALLBACK)
    now[0] += CODE_LIFETIME + 1
    assert exchange(sandbox, code).json()["code"] == 20004


def test_a_user_outside_the_app_availability_is_20010(sandbox: Sandbox) -> None:
    user = sandbox.tenant.users[5]
    sandbox.authen.unavailable.add(user.open_id)
    reply = exchange(sandbox, sandbox.authen.code_for(user.open_id, CALLBACK))
    assert (reply.status_code, reply.json()["code"]) == (400, 20010)


def test_a_form_encoded_request_with_basic_auth_and_pkce_works(sandbox: Sandbox) -> None:
    verifier = "v" * 43
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    reply = pick(sandbox, sandbox.tenant.users[1].open_id, code_challenge=challenge, code_challenge_method="S256")
    code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    credentials = (sandbox.app_id, sandbox.app_secret)
    wrong = requests.post(sandbox.url + TOKEN, data={**form, "code_verifier": "x" * 43}, auth=credentials, timeout=5)
    assert wrong.json()["code"] == 20049
    right = requests.post(sandbox.url + TOKEN, data={**form, "code_verifier": verifier}, auth=credentials, timeout=5)
    assert right.json()["code"] == 0


def test_user_info_through_the_sdk_is_the_picked_user(sandbox: Sandbox) -> None:
    user = sandbox.tenant.users[7]
    reply = pick(sandbox, user.open_id)
    code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]
    token = exchange(sandbox, code).json()["access_token"]
    option = lark.RequestOption.builder().user_access_token(token).build()
    client = lark.Client.builder().app_id(sandbox.app_id).app_secret(sandbox.app_secret).domain(sandbox.url).build()
    # lark-oapi 1.7.5 sends a user token only when the client enables set tokens (core/token/auth.py).
    with pytest.raises(NoAuthorizationException, match="need enable set token"):
        client.authen.v1.user_info.get(GetUserInfoRequest.builder().build(), option)
    client = (lark.Client.builder().app_id(sandbox.app_id).app_secret(sandbox.app_secret).domain(sandbox.url)
              .enable_set_token(True).build())
    resp = client.authen.v1.user_info.get(GetUserInfoRequest.builder().build(), option)
    assert resp.success(), resp.msg
    assert (resp.data.open_id, resp.data.name, resp.data.union_id) == (user.open_id, user.name, user.union_id)
    assert resp.data.tenant_key == sandbox.tenant.directory.tenant_key
    forged = lark.RequestOption.builder().user_access_token("u-forged").build()
    assert client.authen.v1.user_info.get(GetUserInfoRequest.builder().build(), forged).code == 99991668


@pytest.mark.parametrize(("header", "code"), [
    (None, 99991661), ("Bearer u-forged", 99991668), ("Bearer t-tenant-token-is-not-a-user", 99991668)])
def test_a_bad_user_token_is_refused(sandbox: Sandbox, header: str | None, code: int) -> None:
    headers = {} if header is None else {"Authorization": header}
    reply = requests.get(sandbox.url + USER_INFO, headers=headers, timeout=5)
    assert (reply.status_code, reply.json()["code"]) == (400, code)


def test_an_expired_user_token_is_99991677(sandbox: Sandbox) -> None:
    token = login(sandbox, sandbox.tenant.users[0].open_id)
    sandbox.authen.expire_user_tokens()
    reply = requests.get(sandbox.url + USER_INFO, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert reply.json()["code"] == 99991677


def test_calls_are_recorded_and_codes_and_tokens_never_logged(sandbox: Sandbox,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    reply = pick(sandbox, sandbox.tenant.users[0].open_id)
    code = parse_qs(urlsplit(reply.headers["Location"]).query)["code"][0]
    token = exchange(sandbox, code).json()["access_token"]
    requests.get(sandbox.url + USER_INFO, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    recorded = [(c.method, c.path, c.status) for c in sandbox.calls_to("/authen/")]
    assert recorded == [("POST", AUTHORIZE, 302), ("POST", TOKEN, 200), ("GET", USER_INFO, 200)]
    assert not any(code in str(c) or token in str(c) for c in sandbox.calls)
    assert not any(code in r.getMessage() or token in r.getMessage() for r in caplog.records)
