"""Feishu failures become an honest error card (dispatch), never a crash or a wrong answer."""
from __future__ import annotations

from bot.answer import dispatch
from bot.answer.windows import whole_day
from bot.cards import render
from bot.queries import FindFree, Help, IsFree, WhoBooked, Window
from tests.answer.conftest import NOW


def card_text(reply) -> str:  # type: ignore[no-untyped-def]
    import json
    return json.dumps(render(reply), ensure_ascii=False)


def test_bad_gateway_gives_unavailable_card_with_log_id(sb, ctx, directory) -> None:
    sb.faults.inject("resource_reservation_list", "bad_gateway", times=10)
    mercury = directory.room_place(directory.room_by_name("Mercury"))
    reply = dispatch.answer(WhoBooked("en", mercury, whole_day(NOW)), ctx())
    assert reply.card == "error" and reply.data["kind"] == "unavailable"
    assert "Feishu is unavailable" in card_text(reply)


def test_rate_limit_says_when_to_try_again(sb, ctx, directory) -> None:
    sb.faults.inject("freebusy", "rate_limit", times=10, reset=30)
    oslo = directory.room_place(directory.room_by_name("Oslo"))
    reply = dispatch.answer(IsFree("zh", oslo, Window(NOW, NOW.replace(minute=50))), ctx())
    assert reply.card == "error" and reply.data["kind"] == "rate_limited"
    assert reply.data["retry_after"] >= 1
    assert "秒后再试" in card_text(reply)


def test_missing_permission_names_the_scope(sb, ctx) -> None:
    sb.faults.inject("freebusy", "permission", times=10)
    reply = dispatch.answer(FindFree("en", Window(NOW, NOW.replace(hour=11)), 4), ctx())
    assert reply.card == "error" and reply.data["kind"] == "permission"
    assert reply.data["scopes"] and reply.data["log_id"]
    text = card_text(reply)
    assert reply.data["scopes"][0] in text and reply.data["log_id"] in text


def test_transient_server_error_is_retried_by_the_gateway(sb, ctx, directory) -> None:
    sb.faults.inject("resource_reservation_list", "server_error", times=1)
    mercury = directory.room_place(directory.room_by_name("Mercury"))
    reply = dispatch.answer(WhoBooked("en", mercury, whole_day(NOW)), ctx())
    assert reply.card == "who_booked"


def test_help_needs_no_feishu_call(ctx, gateway) -> None:
    reply = dispatch.answer(Help("en"), ctx())
    assert reply.card == "help" and gateway.calls.total == 0
