"""The fake Open API's HTTP core: routing, the JSON envelope, auth, injected faults, quotas, call records."""
from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from bot.sandbox.faults import AFTER_KINDS, CALENDAR_LIMIT_CODES, Injection

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)
JSON_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    """A Feishu error reply: HTTP status, code and msg (plus optional headers and `error` detail)."""

    def __init__(self, status: int, code: int, msg: str, *, headers: Mapping[str, str] | None = None,
                 error: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {msg}")
        self.status, self.code, self.msg = status, code, msg
        self.headers = dict(headers or {})
        self.error = error


def param_error(detail: str) -> ApiError:
    """121003 "param error" (HTTP 400), the VC APIs' answer to a bad parameter."""
    return ApiError(400, 121003, f"param error: {detail}")


def json_response(status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    """A JSON reply with Feishu's canonical header casing."""
    response = Response(json.dumps(body, ensure_ascii=False), status=status, headers=dict(headers or {}),
                        content_type=JSON_TYPE)
    response.feishu_code = body.get("code", 0)  # type: ignore[attr-defined]
    return response


def ok(data: dict[str, Any], msg: str = "success") -> Response:
    """HTTP 200 with {"code":0,"msg":...,"data":data}."""
    return json_response(200, {"code": 0, "msg": msg, "data": data})


def error_response(err: ApiError, log_id: str) -> Response:
    """The reply for an ApiError; `error.log_id` is always filled in."""
    body: dict[str, Any] = {"code": err.code, "msg": err.msg, "error": {"log_id": log_id, **(err.error or {})}}
    return json_response(err.status, body, err.headers)


@dataclass
class Call:
    """One incoming API call as a handler sees it."""

    sb: Sandbox
    request: Request
    params: dict[str, str]
    log_id: str

    def arg(self, name: str) -> str | None:
        """A query parameter (the first, when repeated), or None."""
        return self.request.args.get(name)

    def args(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (room_ids=a&room_ids=b)."""
        return self.request.args.getlist(name)

    def body(self) -> dict[str, Any]:
        """The JSON body, whatever the Content-Type says (lark-oapi sends none on the token call)."""
        try:
            data = json.loads(self.request.get_data() or b"{}")
        except ValueError:
            raise ApiError(400, 9499, "Bad Request: body is not JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, 9499, "Bad Request: body is not a JSON object")
        return data


Handler = Callable[[Call], Response]


@dataclass(frozen=True)
class Route:
    """A path template served by a handler; `api` names it for quotas and records."""

    method: str
    template: str
    handler: Handler
    api: str
    scope: str = ""
    auth: bool = True

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r":(\w+)", r"(?P<\1>[^/]+)", self.template) + "$")


@dataclass(frozen=True)
class RecordedCall:
    """One call the sandbox answered: what was asked and what it replied."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    code: int


def new_log_id() -> str:
    """A Feishu-looking log id: timestamp plus random hex."""
    return f"{datetime.now():%Y%m%d%H%M%S}" + secrets.token_hex(9).upper()


class SandboxApp:
    """The WSGI application: every request goes through the same checks before its handler."""

    def __init__(self, sb: Sandbox, routes: Iterable[Route]) -> None:
        self.sb = sb
        self.routes = [(route, route.pattern) for route in routes]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        log_id = new_log_id()
        response = self.handle(request, log_id)
        response.headers["X-Tt-Logid"] = log_id
        self.sb.record(RecordedCall(request.method, request.path,
                                    {k: request.args.getlist(k) for k in request.args},
                                    response.status_code, getattr(response, "feishu_code", 0)))
        return response(environ, start_response)

    def handle(self, request: Request, log_id: str) -> Response:
        """Route, then fault injection, auth, quotas and the handler; every failure is a Feishu reply."""
        if self.sb.faults.latency > 0:
            time.sleep(self.sb.faults.latency)
        try:
            route, params = self.match(request)
            injection = self.sb.faults.take(request.path)
            if injection is not None and injection.kind not in AFTER_KINDS:
                return self.injected(route, injection, request.path)
            if route.auth:
                self.check_token(request)
            self.check_quota(route)
            if injection is None:
                return route.handler(Call(self.sb, request, params, log_id))
            try:  # carried out (or refused); whichever it answers is lost or late
                response = route.handler(Call(self.sb, request, params, log_id))
            except ApiError as err:
                response = error_response(err, log_id)
            return self.answer_after(injection, response)
        except ApiError as err:
            return error_response(err, log_id)
        except Exception:  # a sandbox bug must still look like Feishu, not a Werkzeug page
            log.exception("sandbox handler failed for %s %s (log_id=%s)", request.method, request.path, log_id)
            return error_response(ApiError(500, 1, "internal error"), log_id)

    def match(self, request: Request) -> tuple[Route, dict[str, str]]:
        """The route for this method and path, or 404 99991201 / 400 99991301."""
        path_matched = False
        for route, pattern in self.routes:
            found = pattern.match(request.path)
            if found:
                path_matched = True
                if route.method == request.method:
                    return route, found.groupdict()
        if path_matched:
            raise ApiError(400, 99991301, f"method {request.method} not allowed on {request.path}")
        raise ApiError(404, 99991201, f"404 page not found: {request.path}")

    def answer_after(self, injection: Injection, response: Response) -> Response:
        """The answer to a call that was carried out: a gateway timeout page, or the answer late."""
        if injection.kind == "stalled_response":
            time.sleep(self.sb.faults.stall_seconds)
            return response
        page = "<html><head><title>504 Gateway Time-out</title></head><body>504 Gateway Time-out</body></html>"
        lost = Response(page, status=504, content_type="text/html; charset=utf-8")
        lost.feishu_code = 0  # type: ignore[attr-defined]
        return lost

    def injected(self, route: Route, injection: Injection, path: str) -> Response:
        """The reply for an injected fault served instead of the call."""
        kind = injection.kind
        if kind == "bad_gateway":
            page = "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>"
            response = Response(page, status=502, content_type="text/html; charset=utf-8")
            response.feishu_code = 0  # type: ignore[attr-defined]
            return response
        if kind == "rate_limit":
            raise ApiError(429, 99991400, "request trigger frequency limit", headers={
                "x-ogw-ratelimit-limit": "100", "x-ogw-ratelimit-reset": str(injection.reset)})
        if kind in CALENDAR_LIMIT_CODES:
            raise ApiError(429, *CALENDAR_LIMIT_CODES[kind])
        if kind == "server_error":
            code = 121001 if "/vc/" in path else 190003 if "/calendar/" in path else 1
            raise ApiError(500, code, "internal error")
        if kind == "token_expired":
            self.sb.expire_tokens()
            raise invalid_token()
        raise self.permission_error(route)

    def permission_error(self, route: Route) -> ApiError:
        """99991672 naming the scope the route needs, as Feishu words it."""
        scope = route.scope or "im:message"
        app_id = self.sb.app_id
        msg = (f"Access denied. One of the following scopes is required: [{scope}].应用尚未开通所需的应用身份权限："
               f"[{scope}]，点击链接申请并开通任一权限即可：https://open.feishu.cn/app/{app_id}/auth?q={scope}"
               "&op_from=openapi&token_type=tenant")
        return ApiError(400, 99991672, msg, error={"permission_violations": [
            {"type": "action_privilege_required", "subject": scope, "description": "no permission"}]})

    def check_token(self, request: Request) -> None:
        """99991661 without an Authorization header, 99991663 for an unknown or expired token."""
        header = request.headers.get("Authorization", "")
        if not header.strip():
            raise ApiError(400, 99991661, "Missing access token for authorization. "
                                          "Please make a request with token attached.")
        token = header.removeprefix("Bearer").strip()
        if not self.sb.tokens.valid(token):
            raise invalid_token()

    def check_quota(self, route: Route) -> None:
        """429 99991400 with x-ogw-ratelimit-* when the documented quota is exceeded (if enforced)."""
        if not self.sb.faults.rate_limits:
            return
        exceeded = self.sb.faults.limiter.check(route.api)
        if exceeded is not None:
            limit, reset = exceeded
            raise ApiError(429, 99991400, "request trigger frequency limit", headers={
                "x-ogw-ratelimit-limit": str(limit), "x-ogw-ratelimit-reset": str(reset)})


def invalid_token() -> ApiError:
    """99991663, the reply to a tenant token that is unknown or expired."""
    return ApiError(400, 99991663, "Invalid access token for authorization. Please make a request with token "
                                   "attached.", error={"message": "Refer to the documentation to fix the error: "
                                   "https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/"
                                   "trouble-shooting/how-to-fix-99991663-error"})
