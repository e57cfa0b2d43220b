"""The /admin/ blueprint: sign-in with Feishu, then the overview, rooms and people pages and
their downloads. Every page reads the store's remembered day facts only, never Feishu.

Without a session a page redirects to the sign-in and a download answers 401; a signed-in user
who is not in `[dashboard] admins` gets 403. Posts (language, sign out) carry the CSRF token.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, redirect, render_template, request, session

from bot.dashboard import charts, numbers, signin
from bot.dashboard.downloads import TYPES, table_file
from bot.dashboard.kept import WEEK_CHOICES, History
from bot.digest import facts
from bot.digest.history import backfill_progress
from bot.directory.tree import Directory
from bot.feishu.errors import FeishuError
from bot.feishu.models import RoomLevel
from bot.respond import Responder

log = logging.getLogger(__name__)

EARLIEST = date(2000, 1, 1)
Columns = tuple[tuple[str, str, str], ...]  # (key, Chinese heading, English heading)
ROOM_COLUMNS: Columns = (
    ("name", "会议室", "Room"), ("where", "位置", "Where"), ("capacity", "座位", "Seats"),
    ("utilisation", "使用率 %", "Utilisation %"), ("median_people", "人数中位数", "Median people"),
    ("fit", "人数/座位 %", "People/seats %"), ("bookings", "预定", "Bookings"), ("booked_hours", "预定小时", "Booked h"),
    ("no_shows", "未签到", "No-shows"), ("no_show_rate", "未签到率 %", "No-show %"),
    ("no_show_hours", "空占小时", "No-show h"), ("early_releases", "提前释放", "Early releases"),
    ("reclaimed_hours", "回收小时", "Given back h"), ("idle_weeks", "闲置周数", "Idle weeks"),
    ("cost_per_hour", "每小时成本", "Cost per hour"), ("cost", "空占成本", "No-show cost"))
OVERVIEW_COLUMNS: Columns = (
    ("weeks", "周数", "Weeks"), ("first", "起", "From"), ("last", "止", "To"),
    ("utilisation", "使用率 %", "Utilisation %"), ("bookings", "预定", "Bookings"), ("no_shows", "未签到", "No-shows"),
    ("no_show_rate", "未签到率 %", "No-show %"), ("no_show_hours", "空占小时", "No-show h"),
    ("early_releases", "提前释放", "Early releases"), ("reclaimed_hours", "回收小时", "Given back h"),
    ("cost", "空占成本", "No-show cost"))
PLACE_COLUMNS: Columns = (
    ("kind", "类型", "Kind"), ("name", "地点", "Place"), ("rooms", "会议室数", "Rooms"),
    ("no_shows", "未签到", "No-shows"), ("no_show_hours", "空占小时", "No-show h"),
    ("cost", "空占成本", "No-show cost"))
DEPARTMENT_COLUMNS: Columns = (
    ("name", "部门", "Department"), ("bookings", "预定", "Bookings"),
    ("no_shows", "未签到", "No-shows"), ("no_show_rate", "未签到率 %", "No-show %"),
    ("no_show_hours", "空占小时", "No-show h"), ("early_releases", "提前释放", "Early releases"),
    ("reclaimed_hours", "回收小时", "Given back h"))
PEOPLE_COLUMNS: Columns = (("name", "预定人", "Person"), ("no_shows", "未签到", "No-shows"),
                           ("no_show_hours", "空占小时", "No-show h"),
                           ("early_releases", "提前释放", "Early releases"),
                           ("reclaimed_hours", "回收小时", "Given back h"))
BACKFILL_SILENT = timedelta(minutes=10)  # a backfill not heard of this long has stopped


def dashboard_blueprint(responder: Responder, warm: bool = False) -> Blueprint:
    """The dashboard's routes over one responder's store and directory; `warm` sums the
    remembered weeks in a background thread now, so the first pages answer from memory."""
    settings = responder.settings
    admins = settings.dashboard.admins
    pages = Blueprint("dashboard", __name__, url_prefix="/admin", template_folder="pages",
                      static_folder="static", static_url_path="/static")
    history = History(responder)
    if warm:
        threading.Thread(target=history.keep_warm, args=(responder,), name="dashboard-warm",
                         daemon=True).start()

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
        view = _View(responder, history)
        trend = view.trend()
        return view.page("admin_overview.html", "overview", rows=view.overview(), trend=trend,
                         charts=view.overview_charts(trend), places=view.place_costs()[:20],
                         place_columns=PLACE_COLUMNS)

    @pages.get("/patterns")
    def patterns() -> Any:
        view = _View(responder, history)
        place = view.place()
        floors = view.floors(place)
        weekly = view.weekly(view.weeks)
        trend = numbers.floor_trend(weekly, view.window, floors, view.working)
        found = numbers.window_rollup(weekly, view.window, view.layout)
        cells = found.heatmap(found.group(place.level_id if place else None), view.working)
        return view.page("admin_patterns.html", "patterns", places=view.places(), place=place,
                         charts=view.pattern_charts(place, cells, trend), trend=trend,
                         floors=sorted(floors.values()))

    @pages.get("/rooms")
    def rooms() -> Any:
        view = _View(responder, history)
        column, descending = request.args.get("sort", ""), request.args.get("desc") == "1"
        rows = numbers.sort_rows(view.rooms(), column, descending)
        shown = None if request.args.get("rows") == "all" else settings.dashboard.rooms_per_page
        return view.page("admin_rooms.html", "rooms", rows=rows[:shown],
                         total=len(rows), columns=ROOM_COLUMNS, sort=column, desc=descending)

    @pages.get("/people")
    def people() -> Any:
        view = _View(responder, history)
        groups = view.people()
        return view.page("admin_people.html", "people", groups=groups,
                         columns=DEPARTMENT_COLUMNS, people_columns=PEOPLE_COLUMNS,
                         charts=view.people_charts(groups["departments"]))

    @pages.get("/<table>.<fmt>")
    def download(table: str, fmt: str) -> Any:
        if fmt not in TYPES or table not in ("overview", "rooms", "places", "departments",
                                                        "people"):
            abort(404)
        view = _View(responder, history)
        columns, rows = view.table(table)
        heads = [(key, zh if view.lang == "zh" else en) for key, zh, en in columns]
        body = table_file(fmt, table, heads, rows)
        name = f"roombot-{table}-{view.weeks}w-{view.last.isoformat()}.{fmt}"
        return Response(body, 200, {"Content-Type": TYPES[fmt],
                                    "Content-Disposition": f'attachment; filename="{name}"'})

    return pages


class _View:
    """One request's window, language and history."""

    def __init__(self, responder: Responder, history: History) -> None:
        self.responder = responder
        self.history = history
        self.settings = responder.settings
        self.last = numbers.last_sunday(responder.now().date())
        weeks = request.args.get("weeks", "4")
        self.weeks = int(weeks) if weeks in {str(w) for w in WEEK_CHOICES} else 4
        self.window = numbers.Weeks(self.weeks, self.last)
        chosen = session.get("lang") or request.accept_languages.best_match(["zh", "en"]) or "en"
        self.lang = "zh" if chosen.startswith("zh") else "en"
        self.working = self.settings.insights.working
        self.directory: Directory = responder.directory.get()
        self.layout, self.unknown_places = history.layout(self.directory, self.settings)

    def weekly(self, weeks_back: int) -> dict[date, Any]:
        """The rollups of the last `weeks_back` weeks, by Monday."""
        return self.history.rollups.weeks(numbers.Weeks(weeks_back, self.last).mondays(),
                                          self.layout)

    def t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def overview(self) -> list[dict[str, Any]]:
        return numbers.overview(self.weekly(2 * max(numbers.WINDOWS)), self.last, self.layout)

    def trend(self) -> list[dict[str, Any]]:
        """The last 13 weeks, week by week, for the whole tenant."""
        return numbers.weekly_trend(self.weekly(13), numbers.Weeks(13, self.last), self.working)

    def overview_charts(self, trend: list[dict[str, Any]]) -> list[dict[str, Any]]:
        t = self.t
        kinds = [{"week": p["week"], "what": t("使用率 %", "Utilisation %"), "value": p["utilisation"]}
                 for p in trend]
        kinds += [{"week": p["week"], "what": t("未签到率 %", "No-show %"), "value": p["no_show_rate"]}
                  for p in trend]
        return [{"id": "chart-trend", "spec": charts.lines(
            kinds, "week", "value", "what",
            t("最近 13 周：使用率与未签到率", "Last 13 weeks: utilisation and no-shows"), percent=True)}]

    def place(self) -> RoomLevel | None:
        """The building or floor chosen with ?place= (None: the whole tenant)."""
        level = self.directory.level(request.args.get("place", ""))
        return level if level is not None and not self.directory.is_root(level.level_id) else None

    def places(self) -> list[tuple[str, str]]:
        """(level id, label) of every building and floor, for the place picker."""
        found = []
        for building in self.directory.buildings():
            found.append((building.level_id, building.name))
            found += [(floor.level_id, self.directory.level_label(floor))
                      for floor in self.directory.floors_in(building.level_id)]
        return found

    def floors(self, place: RoomLevel | None) -> dict[str, str]:
        """{level id: label} of the floors whose weekly trend is drawn: the place's floors (at
        most 12, most rooms first), or the place itself when it is a floor."""
        rooms = self.directory.rooms if place is None else self.directory.rooms_under(place.level_id)
        sizes: Counter[str] = Counter()
        for room in rooms:
            floor = self.directory.floor_of(room)
            if floor is not None:
                sizes[floor.level_id] += 1
        biggest = sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:12]
        labels = {lid: self.directory.level_label(self.directory.level(lid)) for lid, _ in biggest}
        return dict(sorted(labels.items(), key=lambda item: item[1]))

    def pattern_charts(self, place: RoomLevel | None, cells: list[dict[str, Any]],
                       trend: list[dict[str, Any]]) -> list[dict[str, Any]]:
        t = self.t
        where = self.directory.level_label(place) if place else t("全部会议室", "all rooms")
        return [
            {"id": "chart-heatmap", "spec": charts.heatmap(
                cells, self.lang, t(f"{where}：每周几每小时的使用率 %",
                                    f"{where}: utilisation % by weekday and hour"))},
            {"id": "chart-floor-utilisation", "spec": charts.lines(
                trend, "week", "utilisation", "floor",
                t("各楼层每周使用率 %", "Weekly utilisation % per floor"), percent=True)},
            {"id": "chart-floor-no-shows", "spec": charts.lines(
                trend, "week", "no_shows", "floor", t("各楼层每周未签到", "Weekly no-shows per floor"))},
        ]

    def rooms(self) -> list[dict[str, Any]]:
        return self.history.rooms_table(self.window, self.directory, self.layout)

    def place_costs(self) -> list[dict[str, Any]]:
        found = numbers.window_rollup(self.weekly(self.weeks), self.window, self.layout)
        kinds = {"building": self.t("楼", "Building"), "floor": self.t("楼层", "Floor")}
        return [{**row, "kind": kinds[row["kind"]]}
                for row in numbers.place_costs(found, self.directory)]

    def people(self) -> dict[str, list[dict[str, Any]]]:
        names = self.settings.privacy.reserver_names == "all"
        found = numbers.window_rollup(self.weekly(self.weeks), self.window, self.layout,
                                      levels=False)
        return {"departments": numbers.departments(found),
                "people": self.history.people(self.window, self.settings.bot.tz) if names else []}

    def people_charts(self, departments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        t = self.t
        top = departments[:10]
        values = [{"name": d["name"], "what": t("未签到", "No-shows"), "value": d["no_shows"]}
                  for d in top]
        values += [{"name": d["name"], "what": t("提前释放", "Early releases"),
                    "value": d["early_releases"]} for d in top]
        if not values:
            return []
        return [{"id": "chart-departments", "spec": charts.bars(
            values, "name", "value",
            t("未签到与提前释放最多的部门", "Departments with the most no-shows and early releases"),
            series="what")}]

    def table(self, name: str) -> tuple[Any, list[dict[str, Any]]]:
        if name == "rooms":
            return ROOM_COLUMNS, self.rooms()
        if name == "overview":
            return OVERVIEW_COLUMNS, [{**row["totals"], **row} for row in self.overview()]
        if name == "places":
            return PLACE_COLUMNS, self.place_costs()
        groups = self.people()
        if name == "people":
            return PEOPLE_COLUMNS, groups["people"]
        return DEPARTMENT_COLUMNS, groups["departments"]

    def backfill(self) -> dict[str, Any] | None:
        """The running or interrupted backfill, for the progress line (None when done or none)."""
        found = backfill_progress(self.responder.store)
        if not found or found.get("finished") and found["done"] >= found["total"]:
            return None
        at = datetime.fromisoformat(found["at"])
        stale = self.responder.now() - at > BACKFILL_SILENT
        return {**found, "at": at, "stopped": bool(found.get("finished")) or stale}

    def coverage(self) -> date | None:
        days = self.responder.store.fact_days(facts.ROOM_COUNTS, EARLIEST, self.last)
        return min(days) if days else None

    def page(self, template: str, tab: str, **data: Any) -> str:
        dashboard = self.settings.dashboard
        return render_template(
            template, tab=tab, lang=self.lang, weeks=self.weeks, choices=WEEK_CHOICES,
            window=self.window, since=self.coverage(), currency=dashboard.currency,
            cost_per_hour=dashboard.cost_per_room_hour or any(c for _, c in dashboard.cost_per_place),
            unknown_places=self.unknown_places, backfill=self.backfill(),
            admin=session.get("name", ""),
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
