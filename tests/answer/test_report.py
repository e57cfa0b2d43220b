"""On-demand reports through the gateway against the sandbox: ground truth, list vs export, privacy."""
from __future__ import annotations

import json
from datetime import date, timedelta

from bot.answer.report import answer_report, report_days
from bot.insights.incidents import analyse
from bot.queries import Report
from bot.render.cards import render
from bot.understand import actions, parse
from tests.answer.conftest import NOW, SH, Ctx, api_calls

LIST = "/open-apis/vc/v1/resource_reservation_list"
EXPORT = "/open-apis/vc/v1/exports/resource_reservation_list"


def test_no_shows_yesterday_matches_the_ground_truth_with_the_list_api(sb, ctx: Ctx) -> None:
    context = ctx()
    query = parse("no-shows yesterday", NOW, context.directory)
    assert isinstance(query, Report)
    reply = answer_report(query, context)
    yesterday = NOW.date() - timedelta(days=1)
    truth = analyse(sb.tenant.reservations_on(yesterday), [yesterday], SH)
    assert reply.data["totals"]["no_shows"] == truth.totals.no_shows > 0
    assert reply.data["method"] == "paging" and EXPORT not in api_calls(context.gateway)
    card = json.dumps(render(reply), ensure_ascii=False)
    assert f"{truth.totals.no_shows} no-shows" in card
    assert all(e["kind"] == "no_show" for e in reply.data["events"])


def test_this_week_early_releases_in_chinese(sb, ctx: Ctx) -> None:
    context = ctx()
    query = parse("这周谁提前释放了会议室", NOW, context.directory)
    reply = answer_report(query, context)
    assert reply.lang == "zh" and reply.data["kinds"] == ["early_releases"]
    days = report_days(query.window, NOW)
    truth = analyse([r for d in days for r in sb.tenant.reservations_on(d)], days, SH)
    assert reply.data["totals"]["early_releases"] == truth.totals.early_releases
    card = json.dumps(render(reply), ensure_ascii=False)
    assert "提前释放" in card


def test_a_long_window_uses_the_export_and_matches_the_ground_truth(sb, ctx: Ctx) -> None:
    context = ctx()
    query = parse("上周的未签到", NOW, context.directory)
    assert isinstance(query, Report) and len(report_days(query.window, NOW)) == 7
    by_export = answer_report(query, context)
    assert by_export.data["method"] == "export" and api_calls(context.gateway).get(EXPORT) == 1
    days = report_days(query.window, NOW)
    truth = analyse([r for d in days for r in sb.tenant.reservations_on(d)], days, SH)
    assert by_export.data["totals"]["no_shows"] == truth.totals.no_shows
    render(by_export)


def test_names_hidden_in_groups_with_dm_only(sb, ctx: Ctx) -> None:
    context = ctx(names="dm_only", chat_type="group")
    reply = answer_report(parse("no-shows yesterday", NOW, context.directory), context)
    card = json.dumps(render(reply), ensure_ascii=False)
    assert not reply.data["names"] and all(e["who"] == "" for e in reply.data["events"])
    assert "Names are hidden" in card


def test_a_floor_report_counts_only_that_floor(sb, ctx: Ctx) -> None:
    context = ctx()
    floor = next(lv for lv in context.directory.levels if context.directory.rooms_under(lv.level_id)
                 and lv.level_id != context.directory.root_id and not lv.has_child)
    place = context.directory.level_place(floor)
    yesterday = NOW.date() - timedelta(days=1)
    query = Report("en", ("no_shows", "early_releases"),
                   parse("no-shows yesterday", NOW, context.directory).window, place)
    reply = answer_report(query, context)
    rooms = {r.room_id for r in context.directory.rooms_under(floor.level_id)}
    truth = analyse([r for r in sb.tenant.reservations_on(yesterday) if r.room_id in rooms], [yesterday], SH)
    assert reply.data["totals"]["bookings"] == truth.totals.bookings


def test_future_window_and_previous_button(ctx: Ctx) -> None:
    context = ctx()
    window = parse("no-shows yesterday", NOW, context.directory).window
    future = Report("en", ("no_shows",), type(window)(window.start + timedelta(days=3),
                                                       window.end + timedelta(days=3), True))
    assert answer_report(future, context).data["status"] == "future"
    previous = actions.decode(answer_report(future, context).data["previous"], context.directory, NOW)
    assert previous.window.start.date() == date(2024, 5, 15)
