"""A roombot with the dashboard on, over a sandbox at a fixed Tuesday, with 8 weeks remembered."""
from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests

from bot.app import create_app
from bot.config import DashboardSettings, PrivacySettings, Settings, StorageSettings
from bot.digest.history import read_and_remember
from bot.respond import Responder
from bot.sandbox import Sandbox
from bot.serve import BackgroundServer

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 18, 9, 0, tzinfo=TZ)  # a Tuesday morning
LAST_SUNDAY = date(2025, 11, 16)
REMEMBERED_WEEKS = 8


@dataclass
class Dashboard:
    sandbox: Sandbox
    responder: Responder
    server: BackgroundServer
    admin: Any  # a sandbox user in [dashboard] admins
    stranger: Any  # a sandbox user who is not

    @property
    def url(self) -> str:
        return self.server.url + "/admin/"


def remember_weeks(responder: Responder, weeks: int) -> None:
    first = LAST_SUNDAY - timedelta(days=7 * weeks - 1)
    for _chunk in read_and_remember(responder, first, LAST_SUNDAY, lambda _m: None):
        pass


def start_dashboard(sandbox: Sandbox, tmp_path: Path, names: str = "all") -> Dashboard:
    admin, stranger = sandbox.tenant.users[0], sandbox.tenant.users[1]
    settings = Settings(feishu=sandbox.feishu_settings(),
                        storage=StorageSettings(f"sqlite:///{tmp_path / 'dash.db'}"),
                        privacy=PrivacySettings(reserver_names=names),
                        dashboard=DashboardSettings(enabled=True, admins=(admin.open_id,),
                                                    cost_per_room_hour=120.0, rooms_per_page=25,
                                                    cost_per_place=(("T2", 200.0), ("Atlantis", 1.0))))
    responder = Responder.build(settings, clock=lambda: NOW)
    server = BackgroundServer(create_app(settings, responder)).start()
    return Dashboard(sandbox, responder, server, admin, stranger)


@pytest.fixture(scope="module")
def dash_sandbox() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(seed=7, rooms=60, clock=lambda: NOW)
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="module")
def dashboard(dash_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    running = start_dashboard(dash_sandbox, tmp_path_factory.mktemp("dash"))
    remember_weeks(running.responder, REMEMBERED_WEEKS)
    yield running
    running.server.stop()
    running.responder.store.close()


def sign_in(dash: Dashboard, user: Any, http: requests.Session | None = None) -> requests.Response:
    """Open /admin/ and sign in on the sandbox's Feishu page as `user`, as a browser would
    (following every redirect); the last response."""
    http = http or requests.Session()
    page = http.get(dash.url)  # -> /admin/login -> the sandbox's authorize page
    assert page.status_code == 200 and urlsplit(page.url).path == "/open-apis/authen/v1/authorize", page.url
    form = pick_user_form(page.text, user.open_id)
    return http.post(urljoin(page.url, form["action"]), data=form["fields"])


def pick_user_form(html: str, open_id: str) -> dict[str, Any]:
    """The authorize page's form that signs in as `open_id`: its action and fields."""
    for match in re.finditer(r"<form\b[^>]*>(.*?)</form>", html, re.DOTALL):
        block = match.group(0)
        if open_id not in block:
            continue
        action = re.search(r'action="([^"]*)"', block)
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', block))
        button = re.search(rf'<button[^>]*name="([^"]+)"[^>]*value="{re.escape(open_id)}"', block)
        assert button, f"no button for {open_id}"
        fields[button.group(1)] = open_id
        return {"action": action.group(1) if action else "", "fields": _unescape(fields)}
    raise AssertionError(f"no form for {open_id} on the authorize page")


def _unescape(fields: dict[str, str]) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in fields.items()}


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
