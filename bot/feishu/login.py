"""Web login for the dashboard: an OAuth code becomes a user access token, and the token the
user's open_id [DOC 获取授权码, 获取 user_access_token, 获取用户信息; contract "Web login"].

The token call (`POST authen/v2/oauth/token`) takes the app's own id and secret in its body and no
access token, so it goes out as a bare SDK request; user_info is the SDK's own call with the user
token. Neither the code nor the token is ever logged or kept: the dashboard keeps only the open_id.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lark_oapi as lark
from lark_oapi.api.authen.v1 import GetUserInfoRequest

from bot.feishu.base import GatewayBase
from bot.feishu.errors import LOCAL_CODE, FeishuUnavailable

API_OAUTH_TOKEN = "/open-apis/authen/v2/oauth/token"
API_USER_INFO = "/open-apis/authen/v1/user_info"


@dataclass(frozen=True)
class LoginUser:
    """Who signed in."""

    open_id: str
    name: str


class LoginCalls(GatewayBase):
    """The two calls of a Feishu web login."""

    def login_user(self, code: str, redirect_uri: str) -> LoginUser:
        """The user behind an authorization code (single use, five minutes); raises FeishuError."""
        deadline = self._deadline()
        body = {"grant_type": "authorization_code", "client_id": self._app_id,
                "client_secret": self._app_secret, "code": code, "redirect_uri": redirect_uri}
        request = (lark.BaseRequest.builder().http_method(lark.HttpMethod.POST)
                   .uri(API_OAUTH_TOKEN).token_types(set()).body(body).build())
        reply = self._call(API_OAUTH_TOKEN, lambda: self._client.request(request), deadline)
        token = str(reply.body.get("access_token") or "")
        if not token:
            raise FeishuUnavailable(LOCAL_CODE, "oauth token reply carried no access_token",
                                    reply.log_id, reply.status)
        option = lark.RequestOption.builder().user_access_token(token).build()
        info = self._call(API_USER_INFO, lambda: self._send_user_info(option), deadline).data
        open_id = str(info.get("open_id") or "")
        if not open_id:
            raise FeishuUnavailable(LOCAL_CODE, "user_info returned no open_id", "", 200)
        return LoginUser(open_id, str(info.get("name") or info.get("en_name") or open_id))

    def _send_user_info(self, option: lark.RequestOption) -> Any:
        return self._client.authen.v1.user_info.get(GetUserInfoRequest.builder().build(), option)

