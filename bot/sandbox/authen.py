"""Web login (OAuth 2) of the fake Feishu: the authorization page, the code-for-token exchange and
the logged-in user's profile.

- GET/POST authen/v1/authorize [DOC 获取授权码]: the page lists the tenant's people; picking one
  redirects to `redirect_uri?code=…&state=…` (cancelling: `?error=access_denied&state=…`). A code is
  valid 5 minutes, single use. Real Feishu serves this page on accounts.feishu.cn; here it is on sb.url.
- POST authen/v2/oauth/token [DOC 获取 user_access_token]: RFC 6749 shape, errors as
  {"code", "error", "error_description"} with the doc's codes; 20010 when the user is outside the
  app's availability.
  JSON or form-encoded bodies, client credentials in the body or as HTTP Basic (20070: both).
- GET authen/v1/user_info [DOC 获取用户信息] with `Bearer <user_access_token>`.
Knobs on `sb.authen`: `unavailable` (open_ids, 20010), `redirect_urls` (the console's list, 20029),
`clock`, `code_for()`, `expire_user_tokens()`. Codes and tokens are never logged.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus, urlencode

from werkzeug.wrappers import Response

from bot.sandbox.server import ApiError, Route, json_response, ok

if TYPE_CHECKING:
    from bot.sandbox.directory import Directory, User
    from bot.sandbox.server import Call

AUTHORIZE_PATH = "/open-apis/authen/v1/authorize"
CODE_LIFETIME = 300  # seconds [DOC 获取授权码: 有效期为 5 分钟，且只能被使用一次]
ACCESS_LIFETIME = 7200  # the doc's example; "非固定值"
REFRESH_LIFETIME = 604800  # the doc's example; returned only with the offline_access scope
HTML_TYPE = "text/html; charset=utf-8"
# Token-endpoint errors, all HTTP 400 [DOC 获取 user_access_token 错误码]: code -> (error, description).
# The doc names only "server_error" (20050); these `error` values are RFC 6749 §5.2's, inferred.
ONCE = "Please note that an authorization code can only be used once."
TOKEN_ERRORS: dict[int, tuple[str, str]] = {
    20001: ("invalid_request", "The request is missing a required parameter."),
    20002: ("invalid_client", "The client secret is invalid."),
    20003: ("invalid_grant", f"The authorization code is not found. {ONCE}"),
    20004: ("invalid_grant", "The authorization code has expired."),
    20008: ("invalid_grant", "The user does not exist."),
    20010: ("invalid_grant", "The user does not have permission to use this app."),
    20036: ("unsupported_grant_type", "The specified grant_type is not supported."),
    20048: ("invalid_client", "The specified app does not exist."),
    20049: ("invalid_grant", "PKCE code challenge failed."),
    20063: ("invalid_request", "The request is malformed. Please check your request."),
    20065: ("invalid_grant", f"The authorization code has been used. {ONCE}"),
    20067: ("invalid_scope", "The provided scope list contains duplicate scopes. Please ensure all scopes are unique."),
    20068: ("invalid_scope", "The provided scope list contains scopes that are not permitted. Please ensure all scopes are allowed."),
    20070: ("invalid_request", "Multiple authentication methods were provided. Please only use one to proceed."),
    20071: ("invalid_grant", "The provided redirect URI does not match the one used during authorization."),
}


class TokenError(Exception):
    """A token-endpoint failure, answered as {"code", "error", "error_description"}."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code

    def response(self) -> Response:
        error, description = TOKEN_ERRORS[self.code]
        return json_response(400, {"code": self.code, "error": error, "error_description": description})


@dataclass(frozen=True)
class Grant:
    """One authorization code: who picked themselves, for which redirect, when."""

    open_id: str
    redirect_uri: str
    scope: str
    issued: float
    code_challenge: str = ""
    challenge_method: str = ""


@dataclass(frozen=True)
class UserToken:
    open_id: str
    scope: str
    expires: float


class AuthenStore:
    """Codes and user tokens of one app; `clock` (default time.time) makes expiry testable."""

    def __init__(self, app_id: str, app_secret: str, directory: Directory,
                 clock: Callable[[], float] = time.time) -> None:
        self.app_id, self.app_secret, self.directory = app_id, app_secret, directory
        self.clock = clock
        self.unavailable: set[str] = set()  # open_ids outside the app's availability: 20010
        self.redirect_urls: set[str] | None = None  # None: any; else the console's list (20029)
        self._grants: dict[str, Grant] = {}
        self._used: set[str] = set()
        self._tokens: dict[str, UserToken] = {}
        self._lock = threading.Lock()

    def issue_code(self, open_id: str, redirect_uri: str, scope: str = "",
                   code_challenge: str = "", challenge_method: str = "") -> str:
        """A fresh code for this person, as the page issues it when they pick themselves."""
        if self.directory.user(open_id) is None:
            raise ValueError(f"no user {open_id!r} in the sandbox tenant")
        code = secrets.token_urlsafe(48)  # the doc: [A-Za-z0-9-_], reserve at least 64 chars
        grant = Grant(open_id, redirect_uri, scope, self.clock(), code_challenge, challenge_method)
        with self._lock:
            self._grants[code] = grant
        return code

    def code_for(self, open_id: str, redirect_uri: str, scope: str = "") -> str:
        """Test convenience: a code as if the user had picked themselves on the page."""
        return self.issue_code(open_id, redirect_uri, scope)

    def redirect_allowed(self, redirect_uri: str) -> bool:
        """Whether the console lists this URL; "?" and "#" suffixes do not count [DOC 配置重定向 URL]."""
        if self.redirect_urls is None:
            return True
        return redirect_uri.split("#")[0].split("?")[0] in self.redirect_urls

    def exchange(self, params: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        """The token reply for an authorization_code request, or TokenError."""
        if not params.get("grant_type"):
            raise TokenError(20001)
        if params["grant_type"] != "authorization_code":  # refresh_token is not faked
            raise TokenError(20036)
        if basic is not None and params.get("client_secret"):
            raise TokenError(20070)
        client_id, client_secret = basic or (params.get("client_id", ""), params.get("client_secret", ""))
        code = params.get("code", "")
        if not (client_id and client_secret and code):
            raise TokenError(20001)
        if client_id != self.app_id:
            raise TokenError(20048)
        if client_secret != self.app_secret:
            raise TokenError(20002)
        with self._lock:
            grant = self._checked(code, params)
            scope = narrowed_scope(grant.scope, params.get("scope"))
            del self._grants[code]  # spent only on success (unconfirmed: whether Feishu burns a
            self._used.add(code)  # code on a failed exchange)
            return self._issue_token(grant.open_id, scope)

    def _checked(self, code: str, params: dict[str, str]) -> Grant:
        """The code's grant, if it may be exchanged by this request."""
        if code in self._used:
            raise TokenError(20065)
        grant = self._grants.get(code)
        if grant is None:
            raise TokenError(20003)
        if self.clock() - grant.issued > CODE_LIFETIME:
            raise TokenError(20004)
        # redirect_uri is optional in the token request [DOC]; compared only when sent.
        if "redirect_uri" in params and params["redirect_uri"] != grant.redirect_uri:
            raise TokenError(20071)
        if grant.code_challenge and not pkce_matches(grant, params.get("code_verifier", "")):
            raise TokenError(20049)
        if self.directory.user(grant.open_id) is None:
            raise TokenError(20008)
        if grant.open_id in self.unavailable:
            raise TokenError(20010)
        return grant

    def _issue_token(self, open_id: str, scope: str) -> dict[str, Any]:
        access = "u-" + secrets.token_urlsafe(32)
        self._tokens[access] = UserToken(open_id, scope, self.clock() + ACCESS_LIFETIME)
        reply: dict[str, Any] = {"code": 0, "access_token": access, "expires_in": ACCESS_LIFETIME,
                                 "token_type": "Bearer", "scope": scope}
        if "offline_access" in scope.split():  # refresh tokens are issued but not redeemable here
            reply |= {"refresh_token": "ur-" + secrets.token_urlsafe(32),
                      "refresh_token_expires_in": REFRESH_LIFETIME}
        return reply

    def user_for(self, token: str) -> User:
        """The person behind a live user token; 99991677 when it expired, 99991668 otherwise."""
        with self._lock:
            issued = self._tokens.get(token)
        if issued is not None and issued.expires <= self.clock():
            raise ApiError(400, 99991677, "token expire")
        user = self.directory.user(issued.open_id) if issued is not None else None
        if user is None:
            raise ApiError(400, 99991668, "Invalid access token for authorization. "
                                          "Please make a request with token attached.")
        return user

    def expire_user_tokens(self) -> None:
        """Every issued user token becomes expired (99991677)."""
        with self._lock:
            self._tokens = {t: UserToken(u.open_id, u.scope, 0) for t, u in self._tokens.items()}


def narrowed_scope(granted: str, wanted: str | None) -> str:
    """The token's scope: the granted one, or the subset the request names (20067, 20068)."""
    if not wanted:
        return granted
    names = wanted.split()
    if len(set(names)) != len(names):
        raise TokenError(20067)
    if not set(names) <= set(granted.split()):
        raise TokenError(20068)
    return " ".join(names)


def pkce_matches(grant: Grant, verifier: str) -> bool:
    """RFC 7636: S256 or plain (the doc's default method)."""
    if grant.challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == grant.code_challenge
    return verifier == grant.code_challenge


# --- the authorization page ---------------------------------------------------------------------

def html_page(status: int, title: str, body: str, code: int = 0) -> Response:
    page = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}'
            "</title><style>body{font-family:sans-serif;max-width:46em;margin:2em auto}"
            "td{padding:.2em .8em}button{cursor:pointer}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>")
    response = Response(page, status=status, content_type=HTML_TYPE)
    response.feishu_code = code  # type: ignore[attr-defined]
    return response


def page_error(call: Call, fields: Any) -> Response | None:
    """The 400 page for a request the page cannot serve, or None. [DOC 获取授权码] documents no
    page errors except 20029 (unregistered redirect_uri); the others are the sandbox's wording."""
    store: AuthenStore = call.sb.authen
    redirect_uri = fields.get("redirect_uri", "")
    problems = (
        (fields.get("client_id") != store.app_id, "Unknown client_id.", 0),
        (not redirect_uri, "redirect_uri is required.", 0),
        (fields.get("response_type", "code") != "code", "response_type must be code.", 0),
        (fields.get("code_challenge_method", "plain") not in ("plain", "S256"), "Bad code_challenge_method.", 0),
        (not store.redirect_allowed(redirect_uri), "20029 redirect_uri 请求不合法", 20029),
    )
    for failed, message, code in problems:
        if failed:
            return html_page(400, "授权失败 Authorization failed", f"<p>{message}</p>", code)
    return None


CARRIED = ("client_id", "redirect_uri", "state", "scope", "response_type", "code_challenge",
           "code_challenge_method")


def authorize_page(call: Call) -> Response:
    """GET authen/v1/authorize: who asks, and one "log in as" button per person of the tenant."""
    args = call.request.args
    error = page_error(call, args)
    if error is not None:
        return error
    directory = call.sb.tenant.directory
    hidden = "".join(f'<input type="hidden" name="{name}" value="{html.escape(args[name])}">'
                     for name in CARRIED if name in args)
    rows = "".join(
        f"<tr><td>{html.escape(u.name)}</td><td>{html.escape(u.department)}</td><td>"
        f'<button type="submit" name="open_id" value="{u.open_id}" id="login-{u.open_id}" '
        f'data-open-id="{u.open_id}" data-name="{html.escape(u.name)}">登录 Log in as '
        f"{html.escape(u.name)}</button></td></tr>" for u in directory.users)
    scope = f"<p>Scope: <code>{html.escape(args['scope'])}</code></p>" if args.get("scope") else ""
    body = (f'<p><b id="app-name">{html.escape(directory.bot_name)}</b> (<code id="app-id">'
            f"{html.escape(call.sb.app_id)}</code>) asks you to log in. You will return to "
            f'<code>{html.escape(args["redirect_uri"])}</code>.</p>{scope}'
            f'<form method="post" action="{AUTHORIZE_PATH}">{hidden}<table id="users">{rows}</table>'
            '<p><button type="submit" name="deny" value="1" id="deny">拒绝 Cancel</button></p></form>')
    return html_page(200, "飞书授权登录 Feishu login (sandbox)", body)


def authorize_pick(call: Call) -> Response:
    """POST authen/v1/authorize: 302 to redirect_uri with code and state (or error=access_denied)."""
    form = call.request.form
    error = page_error(call, form)
    if error is not None:
        return error
    if form.get("deny"):
        extra = {"error": "access_denied"}
    else:
        open_id = form.get("open_id", "")
        if call.sb.tenant.directory.user(open_id) is None:
            return html_page(400, "授权失败 Authorization failed", "<p>Unknown user.</p>")
        extra = {"code": call.sb.authen.issue_code(
            open_id, form["redirect_uri"], form.get("scope", ""), form.get("code_challenge", ""),
            form.get("code_challenge_method", "plain") if form.get("code_challenge") else "")}
    if "state" in form:  # "如未传入此处不会返回"
        extra["state"] = form["state"]
    response = Response("", status=302, headers={"Location": with_query(form["redirect_uri"], extra)})
    response.feishu_code = 0  # type: ignore[attr-defined]
    return response


def with_query(url: str, extra: dict[str, str]) -> str:
    """The URL with parameters appended to its query, before any #fragment [DOC 获取授权码]."""
    base, hash_mark, fragment = url.partition("#")
    separator = "" if base.endswith(("?", "&")) else "&" if "?" in base else "?"
    return base + separator + urlencode(extra) + hash_mark + fragment


# --- token and user_info ------------------------------------------------------------------------

def token_params(call: Call) -> tuple[dict[str, str], tuple[str, str] | None]:
    """The request's fields (JSON, or a form as OAuth libraries send) and any Basic credentials."""
    request = call.request
    if request.mimetype == "application/x-www-form-urlencoded":
        params: Any = request.form.to_dict()
    else:
        try:
            params = json.loads(request.get_data() or b"{}")
        except ValueError:
            raise TokenError(20063) from None
        if not isinstance(params, dict):
            raise TokenError(20063)
    header = request.headers.get("Authorization", "")
    basic = None
    if header.startswith("Basic "):
        try:
            user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            raise TokenError(20063) from None
        basic = (unquote_plus(user), unquote_plus(secret))  # RFC 6749 §2.3.1 form-encodes both
    return {k: v for k, v in params.items() if isinstance(v, str)}, basic


def oauth_token(call: Call) -> Response:
    """POST authen/v2/oauth/token."""
    try:
        params, basic = token_params(call)
        return json_response(200, call.sb.authen.exchange(params, basic))
    except TokenError as err:
        return err.response()


def user_info(call: Call) -> Response:
    """GET authen/v1/user_info: the profile fields the sandbox tenant has."""
    header = call.request.headers.get("Authorization", "")
    if not header.strip():
        raise ApiError(400, 99991661, "Missing access token for authorization. "
                                      "Please make a request with token attached.")
    user = call.sb.authen.user_for(header.removeprefix("Bearer").strip())
    # Left out: en_name (the tenant has no English names), avatar_*, email, mobile, employee_no.
    # user_id needs contact:user.employee_id:readonly in Feishu; the sandbox app is taken to hold it.
    return ok({"name": user.name, "open_id": user.open_id, "union_id": user.union_id,
               "user_id": user.user_id, "tenant_key": call.sb.tenant.directory.tenant_key})


AUTHEN_ROUTES = (
    Route("GET", AUTHORIZE_PATH, authorize_page, "authen_authorize", auth=False),
    Route("POST", AUTHORIZE_PATH, authorize_pick, "authen_authorize", auth=False),
    Route("POST", "/open-apis/authen/v2/oauth/token", oauth_token, "authen_token", auth=False),
    Route("GET", "/open-apis/authen/v1/user_info", user_info, "authen_user_info", auth=False),
)
