"""The /admin/ blueprint: sign-in with Feishu, then the overview, rooms and people pages and
their downloads. Every page reads the store's remembered day facts only, never Feishu.

Without a session a page redirects to the sign-in and a download answers 401; a signed-in user
who is not in `[dashboard] admins` gets 403. Posts (language, sign out) carry the CSRF token.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, redirect, render_template, request, session

from bot.dashboard import numbers, signin
from bot.dashboard.downloads import TYPES, table_file
from bot.digest import facts
from bot.feishu.errors import FeishuError
from bot.respond import Responder

log = logging.getLogger(__name__)

EARLIEST = date(2000, 1, 1)
Columns = tuple[tuple[str, str, str], ...]  # (key, Chinese heading, English heading)
ROOM_COLUMNS: Columns = (
    ("name", "会议室", "Room"), ("where", "位置", "Where"), ("capacity", "座位", "Seats"),
    ("bookings", "预定", "Bookings"), ("booked_hours", "预定小时", "Booked h"),
    ("no_shows", "未签到", "No-shows"), ("no_show_rate", "未签到率 %", "No-show %"),
    ("no_show_hours", "空占小时", "No-show h"), ("early_releases", "提前释放", "Early releases"),
    ("reclaimed_hours", "回收小时", "Given back h"), ("idle_weeks", "闲置周数", "Idle weeks"),
    ("cost", "空占成本", "No-show cost"))
OVERVIEW_COLUMNS: Columns = (
    ("weeks", "周数", "Weeks"), ("first", "起", "From"), ("last", "止", "To"),
    ("bookings", "预定", "Bookings"), ("no_shows", "未签到", "No-shows"),
    ("no_show_rate", "未签到率 %", "No-show %"), ("no_show_hours", "空占小时", "No-show h"),
    ("early_releases", "提前释放", "Early releases"), ("reclaimed_hours", "回收小时", "Given back h"),
    ("cost", "空占成本", "No-show cost"))
GROUP_COLUMNS: Columns = (("name", "部门", "Department"), ("no_shows", "未签到", "No-shows"),
                          ("no_show_hours", "空占小时", "No-show h"))
WEEK_CHOICES = (1, 4, 13, 52)


def dashboard_blueprint(responder: Responder) -> Blueprint:
    """The dashboard's routes over one responder's store and directory."""
    settings = responder.settings
    admins = settings.dashboard.admins
    pages = Blueprint("dashboard", __name__, url_prefix="/admin", template_folder="pages")

    @pages.before_request
    def _admins_only() -> Any:
        if request.endpoint in ("dashboard.login", "dashboard.callback"):
            return None
        user = signin.session_user()
        if user in admins:  # checked on every request: removing an admin locks them out at once
            return None
        if user:
            return _refused(str(session.get("name", "")), user)
        if request.path.endswith((".csv", ".xlsx")) or not request.accept_mimetypes.accept_html:
            return Response("Sign in at /admin/login first.\n", 401,
                            {"Content-Type": "text/plain; charset=utf-8"})
        return redirect(f"/admin/login?{_next_query()}")

    @pages.get("/login")
    def login() -> Any:
        return redirect(signin.start(settings, request, request.args.get("next", "/admin/")))

    @pages.get("/callback")
    def callback() -> Any:
        after = signin.take_state(request.args.get("state", ""))
        if after is None:
            return _plain(400, "This sign-in did not start here, or it was already used or is "
                               "more than ten minutes old. Open /admin/ to sign in again.")
        code = request.args.get("code", "")
        if not code:
            return _plain(400, "Feishu sent no authorization code (was the sign-in cancelled?).")
        try:
            user = responder.gateway.login_user(code, signin.redirect_uri(settings, request))
        except FeishuError as exc:
            log.warning("dashboard sign-in refused by Feishu: code %s", exc.code)
            return _plain(400, f"Feishu did not accept the sign-in (code {exc.code}). "
                               "Open /admin/ to try again.")
        signin.sign_in(user.open_id, user.name, settings.dashboard.session_hours)
        if user.open_id not in admins:
            log.info("dashboard: %s signed in but is not an admin", user.open_id)
            return _refused(user.name, user.open_id)
        log.info("dashboard: admin %s signed in", user.open_id)
        return redirect(after)

    @pages.post("/logout")
    def logout() -> Any:
        _check_csrf()
        session.clear()
        return _plain(200, "Signed out.")

    @pages.post("/lang")
    def lang() -> Any:
        _check_csrf()
        session["lang"] = "zh" if request.form.get("lang") == "zh" else "en"
        return redirect(_local(request.form.get("next", "/admin/")))

    @pages.get("/")
    def overview() -> Any:
        view = _View(responder)
        return view.page("admin_overview.html", "overview", rows=view.overview(),
                         trend=numbers.weekly_trend(view.counts(13), numbers.Weeks(13, view.last)))

    @pages.get("/rooms")
    def rooms() -> Any:
        view = _View(responder)
        column, descending = request.args.get("sort", ""), request.args.get("desc") == "1"
        rows = numbers.sort_rows(view.rooms(), column, descending)
        return view.page("admin_rooms.html", "rooms", rows=rows, columns=ROOM_COLUMNS,
                         sort=column, desc=descending)

    @pages.get("/people")
    def people() -> Any:
        view = _View(responder)
        return view.page("admin_people.html", "people", groups=view.people(),
                         columns=GROUP_COLUMNS)

    @pages.get("/<table>.<fmt>")
    def download(table: str, fmt: str) -> Any:
        if fmt not in TYPES or table not in ("overview", "rooms", "departments", "people"):
            abort(404)
        view = _View(responder)
        columns, rows = view.table(table)
        heads = [(key, zh if view.lang == "zh" else en) for key, zh, en in columns]
        body = table_file(fmt, table, heads, rows)
        name = f"roombot-{table}-{view.weeks}w-{view.last.isoformat()}.{fmt}"
        return Response(body, 200, {"Content-Type": TYPES[fmt],
                                    "Content-Disposition": f'attachment; filename="{name}"'})

    return pages


class _View:
    """One request's window, language and history."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.settings = responder.settings
        self.last = numbers.last_sunday(responder.now().date())
        weeks = request.args.get("weeks", "4")
        self.weeks = int(weeks) if weeks in {str(w) for w in WEEK_CHOICES} else 4
        self.window = numbers.Weeks(self.weeks, self.last)
        chosen = session.get("lang") or request.accept_languages.best_match(["zh", "en"]) or "en"
        self.lang = "zh" if chosen.startswith("zh") else "en"
        self._counts: dict[int, dict[date, Any]] = {}

    def counts(self, weeks_back: int) -> dict[date, Any]:
        if weeks_back not in self._counts:
            first = self.last - timedelta(days=7 * weeks_back - 1)
            self._counts[weeks_back] = facts.known_counts(self.responder.store, first, self.last)
        return self._counts[weeks_back]

    def overview(self) -> list[dict[str, Any]]:
        rows = numbers.overview(self.counts(2 * max(numbers.WINDOWS)), self.last,
                                self.settings.dashboard.cost_per_room_hour)
        return rows

    def rooms(self) -> list[dict[str, Any]]:
        return numbers.rooms_table(self.counts(self.weeks), self.window, self.responder.directory.get(),
                                   self.settings.dashboard.cost_per_room_hour)

    def people(self) -> dict[str, list[dict[str, Any]]]:
        misses = facts.known_no_shows(self.responder.store, self.window.first, self.last,
                                      self.settings.bot.tz)
        return numbers.departments(misses, self.window, self.settings.privacy.reserver_names == "all")

    def table(self, name: str) -> tuple[Any, list[dict[str, Any]]]:
        if name == "rooms":
            return ROOM_COLUMNS, self.rooms()
        if name == "overview":
            return OVERVIEW_COLUMNS, [{**row["totals"], **row} for row in self.overview()]
        groups = self.people()
        if name == "people":
            heading = ("name", "预定人", "Person")
            return (heading, *GROUP_COLUMNS[1:]), groups["people"]
        return GROUP_COLUMNS, groups["departments"]

    def coverage(self) -> date | None:
        days = self.responder.store.fact_days(facts.ROOM_COUNTS, EARLIEST, self.last)
        return min(days) if days else None

    def page(self, template: str, tab: str, **data: Any) -> str:
        dashboard = self.settings.dashboard
        return render_template(
            template, tab=tab, lang=self.lang, weeks=self.weeks, choices=WEEK_CHOICES,
            window=self.window, since=self.coverage(), currency=dashboard.currency,
            cost_per_hour=dashboard.cost_per_room_hour, admin=session.get("name", ""),
            csrf=signin.csrf_token(), path=request.full_path.rstrip("?"),
            t=lambda zh, en: zh if self.lang == "zh" else en, **data)


def _check_csrf() -> None:
    if not signin.csrf_ok(request.form.get("csrf")):
        abort(Response("The form is stale (CSRF check failed); reload the page.", 400,
                       {"Content-Type": "text/plain; charset=utf-8"}))


def _plain(status: int, text: str) -> Response:
    return Response(render_template("admin_message.html", text=text, status=status), status,
                    {"Content-Type": "text/html; charset=utf-8"})


def _refused(name: str, open_id: str) -> Response:
    return _plain(403, f"{name or open_id} is signed in to Feishu but is not a roombot admin. "
                       f"An admin can add {open_id} to [dashboard] admins in roombot's config.")


def _next_query() -> str:
    return urlencode({"next": request.full_path.rstrip("?")})


def _local(path: str) -> str:
    return path if path.startswith("/admin/") and "//" not in path else "/admin/"
