"""Signing admins in with Feishu: the authorize redirect, the callback, and the session cookie.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure behind https, path /admin)
holding only the admin's open_id and name, its expiry, a CSRF token and the language. `state` is
a random value kept in that cookie for ten minutes and used once, so a forged callback (state
not ours) or a replayed one (state already used) is refused. No code, token or secret is put in
a page, a URL of ours or a log.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Request, session

from bot.config import Settings

log = logging.getLogger(__name__)

STATE_SECONDS = 600  # a sign-in must come back within ten minutes
COOKIE = "roombot_admin"


def configure_session(app: Flask, settings: Settings) -> None:
    """Sign the dashboard's cookie with a key derived from the app secret (the same on every
    instance, different for every app) and set its flags."""
    dashboard = settings.dashboard
    app.secret_key = hmac.new(settings.feishu.app_secret.encode(), b"roombot dashboard session v1",
                              hashlib.sha256).digest()
    app.config.update(SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_PATH="/admin",
                      SESSION_COOKIE_SECURE=dashboard.public_url.startswith("https://"),
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=dashboard.session_hours))


def authorize_base(settings: Settings) -> str:
    """Feishu's authorize page for this tenant's domain (or the configured one)."""
    if settings.dashboard.authorize_url:
        return settings.dashboard.authorize_url
    host = urlsplit(settings.feishu.domain).hostname or ""
    if host == "open.feishu.cn":
        return "https://accounts.feishu.cn/open-apis/authen/v1/authorize"
    if host == "open.larksuite.com":
        return "https://accounts.larksuite.com/open-apis/authen/v1/authorize"
    return settings.feishu.domain.rstrip("/") + "/open-apis/authen/v1/authorize"


def redirect_uri(settings: Settings, request: Request) -> str:
    """The callback URL Feishu sends the browser back to (registered in the developer console)."""
    base = settings.dashboard.public_url or request.host_url
    return base.rstrip("/") + "/admin/callback"


def start(settings: Settings, request: Request, after: str) -> str:
    """A fresh state in the cookie; the authorize URL to send the browser to."""
    state = secrets.token_urlsafe(24)
    session["state"] = {"value": state, "at": time.time(), "next": _local_path(after)}
    query = urlencode({"client_id": settings.feishu.app_id, "response_type": "code",
                       "redirect_uri": redirect_uri(settings, request), "state": state})
    return f"{authorize_base(settings)}?{query}"


def take_state(given: str) -> str | None:
    """The page to go on to, if `given` is the state this browser was sent off with, at most ten
    minutes ago; the state is used up either way."""
    pending: Any = session.pop("state", None)
    if not isinstance(pending, dict) or not given:
        return None
    if not hmac.compare_digest(str(pending.get("value", "")), given):
        return None
    if time.time() - float(pending.get("at", 0)) > STATE_SECONDS:
        return None
    return str(pending.get("next") or "/admin/")


def sign_in(open_id: str, name: str, hours: float) -> None:
    """Remember the admin for `hours`."""
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session.update({"open_id": open_id, "name": name, "until": time.time() + hours * 3600,
                    "csrf": secrets.token_urlsafe(24)})
    if lang:
        session["lang"] = lang


def session_user() -> str | None:
    """The open_id this cookie signed in, while it has not expired."""
    open_id = session.get("open_id")
    if not open_id or float(session.get("until", 0)) < time.time():
        return None
    return str(open_id)


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def csrf_ok(given: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and given and hmac.compare_digest(str(expected), given))


def _local_path(path: str) -> str:
    """Only our own pages are gone on to after signing in (no open redirect)."""
    return path if path.startswith("/admin/") and "//" not in path and "\\" not in path else "/admin/"
