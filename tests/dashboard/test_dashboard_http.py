"""The dashboard over real HTTP: Feishu sign-in through the sandbox's authorize page, token and
user_info; who gets in (401, 403, forged and replayed state); the pages' numbers against the
weekly card's; downloads read back; privacy; CSRF."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import requests
from python_calamine import CalamineWorkbook

from bot.dashboard import numbers
from bot.dashboard.kept import History
from bot.digest.history import note_progress
from bot.digest.weekly import run_weekly_digests
from bot.insights import incidents, outcomes
from tests.dashboard.conftest import (
    LAST_SUNDAY,
    NOW,
    Dashboard,
    query_of,
    remember_weeks,
    sign_in,
    start_dashboard,
)


def cells(html: str, row_attr: str, key: str) -> str:
    """The text of the cell `key` in the table row carrying `row_attr` (e.g. data-weeks="1")."""
    row = re.search(rf"<tr {row_attr}>(.*?)</tr>", html, re.DOTALL)
    assert row, f"no row {row_attr}"
    cell = re.search(rf'data-key="{key}">\s*([^<]*)', row.group(1))
    assert cell, f"no cell {key}"
    return cell.group(1).strip()


def admin_session(dash: Dashboard) -> requests.Session:
    http = requests.Session()
    final = sign_in(dash, dash.admin, http)
    assert final.status_code == 200 and final.url == dash.url, (final.status_code, final.url)
    return http


def test_without_a_session_pages_redirect_to_feishu_and_downloads_answer_401(dashboard: Dashboard) -> None:
    page = requests.get(dashboard.url, allow_redirects=False)
    assert page.status_code == 302 and page.headers["Location"].startswith("/admin/login?next=")
    login = requests.get(dashboard.server.url + page.headers["Location"], allow_redirects=False)
    target = login.headers["Location"]
    assert target.startswith(dashboard.sandbox.url + "/open-apis/authen/v1/authorize?")
    asked = query_of(target)
    assert asked["client_id"] == dashboard.sandbox.app_id and len(asked["state"]) >= 24
    assert asked["redirect_uri"] == dashboard.server.url + "/admin/callback"
    for path in ("rooms.csv", "rooms.xlsx", "overview.csv"):
        assert requests.get(dashboard.url + path).status_code == 401


def test_an_admin_signs_in_with_a_signed_httponly_lax_cookie(dashboard: Dashboard) -> None:
    http = requests.Session()
    final = sign_in(dashboard, dashboard.admin, http)
    assert final.status_code == 200 and final.url == dashboard.url
    assert "Overview" in final.text and dashboard.admin.name in final.text
    callback = next(r for r in final.history if "/admin/callback" in r.url)
    cookie = callback.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin" in cookie
    assert "Expires=" in cookie
    code = query_of(callback.url)["code"]
    for response in (final, *final.history):  # neither the code nor a token is shown back
        if "/admin/" in response.url:
            assert code not in response.text and code not in response.headers.get("Location", "")


def test_a_non_admin_gets_403_and_a_forged_or_replayed_state_is_refused(dashboard: Dashboard) -> None:
    refused = sign_in(dashboard, dashboard.stranger)
    assert refused.status_code == 403 and "not a roombot admin" in refused.text
    http = requests.Session()
    final = sign_in(dashboard, dashboard.admin, http)
    callback_url = next(r for r in final.history if "/admin/callback" in r.url).url
    replayed = http.get(callback_url, allow_redirects=False)
    assert replayed.status_code == 400 and "already used" in replayed.text
    http.get(dashboard.url + "login", allow_redirects=False)  # a sign-in started, then a forged return
    forged = http.get(dashboard.url + "callback?code=whatever&state=forged-state", allow_redirects=False)
    assert forged.status_code == 400
    stranger = requests.Session()  # no sign-in started in this browser at all
    assert stranger.get(callback_url, allow_redirects=False).status_code == 400


def test_the_last_week_on_the_page_is_the_weekly_cards_week(dashboard: Dashboard) -> None:
    http = admin_session(dashboard)
    page = http.get(dashboard.url).text
    dashboard.responder.store.add_subscription("oc_dash_week", lang="en", period="weekly")
    run = run_weekly_digests(dashboard.responder, dry_run=True)
    [card] = run.cards
    body = json.dumps(card, ensure_ascii=False)
    no_shows, releases = cells(page, 'data-weeks="1"', "no_shows"), cells(page, 'data-weeks="1"', "early_releases")
    assert f"{no_shows} no-shows" in body and f"{releases} early releases" in body
    first = LAST_SUNDAY.toordinal() - 6
    days = [LAST_SUNDAY.fromordinal(first + n) for n in range(7)]
    rows = outcomes.dedupe(r for d in days for r in dashboard.sandbox.tenant.reservations_on(d))
    truth = incidents.count(rows)
    assert int(cells(page, 'data-weeks="1"', "bookings").split()[0]) == truth.bookings
    assert int(no_shows.split()[0]) == truth.no_shows > 0
    cost = cells(page, 'data-weeks="1"', "cost")
    directory = dashboard.responder.directory.get()
    expected = sum((r.end - r.start).total_seconds() / 3600 * (
        200.0 if (room := directory.room(r.room_id)) and directory.location_label(room).startswith("T2")
        else 120.0) for r in rows if outcomes.outcome(r) == "no_show")
    assert cost == f"{expected:.2f} CNY"  # T2's rooms cost 200 an hour ([dashboard] cost_per_place)


def test_the_rooms_table_adds_up_sorts_and_downloads(dashboard: Dashboard) -> None:
    http = admin_session(dashboard)
    first = http.get(dashboard.url + "rooms?weeks=4&sort=no_shows&desc=1").text
    assert len(re.findall(r"<tr data-room=", first)) == 25  # [dashboard] rooms_per_page
    assert "Showing 25 of 60 rooms" in first and 'id="rooms-all"' in first
    page = http.get(dashboard.url + "rooms?weeks=4&sort=no_shows&desc=1&rows=all").text
    assert 'id="rooms-more"' not in page
    counts = [int(n) for n in re.findall(r'data-key="no_shows">(\d+)<', page)]
    assert counts == sorted(counts, reverse=True) and len(counts) == len(dashboard.responder.directory.get().rooms)
    overview = http.get(dashboard.url + "?weeks=4").text
    assert sum(counts) == int(cells(overview, 'data-weeks="4"', "no_shows").split()[0])
    sheet = http.get(dashboard.url + "rooms.xlsx?weeks=4")
    assert sheet.status_code == 200 and "attachment" in sheet.headers["Content-Disposition"]
    rows = CalamineWorkbook.from_filelike(io.BytesIO(sheet.content)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "Room" and len(rows) == 1 + len(counts)
    column = rows[0].index("No-shows")
    assert sum(int(r[column]) for r in rows[1:]) == sum(counts)
    csv = http.get(dashboard.url + "rooms.csv?weeks=4").content.decode("utf-8-sig").splitlines()
    assert csv[0].startswith("Room,Where,Seats") and len(csv) == 1 + len(counts)


def test_people_follow_the_privacy_setting(dash_sandbox, tmp_path: Path, dashboard: Dashboard) -> None:
    http = admin_session(dashboard)
    shown = http.get(dashboard.url + "people?weeks=4").text
    assert 'id="people"' in shown
    people, departments = shown.split('id="people"')[1], shown.split('id="people"')[0]
    for key in ("no_shows", "early_releases"):  # every booker's, added up, is every department's
        by_person = sum(int(n) for n in re.findall(rf'data-key="{key}">(\d+)<', people))
        by_department = sum(int(n) for n in re.findall(rf'data-key="{key}">(\d+)<', departments))
        assert by_person == by_department > 0, key
    counts_only = start_dashboard(dash_sandbox, tmp_path, names="counts_only")
    try:
        remember_weeks(counts_only.responder, 4)
        other = admin_session(counts_only)
        page = other.get(counts_only.url + "people?weeks=4").text
        assert 'id="departments"' in page and 'id="people"' not in page and "people-hidden" in page
        assert other.get(counts_only.url + "people.csv?weeks=4").content.decode("utf-8-sig").count("\n") == 1
    finally:
        counts_only.server.stop()


def test_posts_need_the_csrf_token_and_the_language_follows_the_browser(dashboard: Dashboard) -> None:
    http = admin_session(dashboard)
    assert http.post(dashboard.url + "lang", data={"lang": "zh"}, allow_redirects=False).status_code == 400
    chinese = http.get(dashboard.url, headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "总览" in chinese and "未签到率" in chinese
    token = re.search(r'name="csrf" value="([^"]+)"', chinese).group(1)
    http.post(dashboard.url + "lang", data={"lang": "en", "csrf": token, "next": "/admin/"})
    assert "Overview" in http.get(dashboard.url, headers={"Accept-Language": "zh-CN"}).text
    assert http.post(dashboard.url + "logout", data={"csrf": token}).status_code == 200
    assert http.get(dashboard.url, allow_redirects=False).status_code == 302


def test_the_page_reads_no_feishu(dashboard: Dashboard) -> None:
    http = admin_session(dashboard)
    before = len(dashboard.sandbox.calls)
    for path in ("", "?weeks=52", "rooms?weeks=13", "people?weeks=13", "rooms.xlsx?weeks=13"):
        assert http.get(dashboard.url + path).status_code == 200
    assert dashboard.sandbox.calls[before:] == []


def test_costs_by_building_and_floor_and_unknown_cost_places(dashboard: Dashboard) -> None:
    http = admin_session(dashboard)
    page = http.get(dashboard.url + "?weeks=4").text
    places = dict(re.findall(r'<tr data-place="([^"]+)">.*?data-key="cost">([\d.]+) CNY', page, re.DOTALL))
    floors = {name: float(cost) for name, cost in places.items() if "·" in name}
    t2 = sum(cost for name, cost in floors.items() if name.startswith("T2 ·"))
    assert abs(float(places["T2"]) - t2) < 0.05 and t2 > 0
    assert "Atlantis" in re.search(r'id="unknown-places">([^<]*)<', page).group(1)
    sheet = http.get(dashboard.url + "places.csv?weeks=4")
    assert sheet.status_code == 200 and sheet.content.decode("utf-8-sig").startswith("Kind,Place,Rooms")



def test_warming_up_sums_every_week_the_overview_compares_once(dashboard: Dashboard) -> None:
    history = History(dashboard.responder)
    history.warm(dashboard.responder)
    assert history.rollups.built == 2 * 52  # the last 52 weeks and the 52 before them
    layout, _ = history.layout(dashboard.responder.directory.get(), dashboard.responder.settings)
    last = numbers.last_sunday(dashboard.responder.now().date())
    history.rollups.weeks(numbers.Weeks(13, last).mondays(), layout)
    assert history.rollups.built == 2 * 52  # nothing summed again
    assert history.made == 2 * 4  # each window's rooms table and people (names may show here)
    directory = dashboard.responder.directory.get()
    for weeks in (1, 4, 13, 52):
        window = numbers.Weeks(weeks, last)
        history.rooms_table(window, directory, layout)
        history.people(window, dashboard.responder.settings.bot.tz)
    assert history.made == 2 * 4  # nothing made again


def test_a_running_or_stopped_backfill_shows_a_progress_line(dashboard: Dashboard) -> None:
    http = admin_session(dashboard)
    store = dashboard.responder.store
    try:
        note_progress(store, 3, 14, NOW, finished=False)
        line = re.search(r'id="backfill">([^<]*)<', http.get(dashboard.url + "rooms").text)
        assert line and "Reading history: 3 of 14 days (at 09:00)" in line.group(1)
        note_progress(store, 5, 14, NOW - timedelta(hours=1), finished=False)  # heard of no more
        assert "A backfill stopped at 5 of 14 days" in http.get(dashboard.url).text
        note_progress(store, 6, 14, NOW, finished=True)  # ended by an error
        assert "A backfill stopped at 6 of 14 days" in http.get(dashboard.url + "people").text
    finally:
        note_progress(store, 14, 14, NOW, finished=True)
    assert 'id="backfill"' not in http.get(dashboard.url).text
