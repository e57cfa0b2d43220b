"""Who booked: through the real gateway against the sandbox, compared with the sandbox's ground truth."""
from __future__ import annotations

from datetime import timedelta

from bot.answer import router
from bot.answer.windows import day_start, whole_day
from bot.feishu.gateway import API_FREEBUSY, API_RESERVATIONS
from bot.queries import WhoBooked, Window
from bot.render.cards import render
from tests.answer.conftest import NOW, api_calls

TODAY = whole_day(NOW, "today")
TOMORROW = whole_day(NOW + timedelta(days=1), "tomorrow")


def ask(question: WhoBooked, ctx) -> dict:  # type: ignore[no-untyped-def]
    reply = router.answer(question, ctx)
    assert reply.card == "who_booked"
    render(reply)  # the card is valid
    return reply.data


def test_today_equals_ground_truth_with_one_reservation_call(sb, ctx, directory, gateway) -> None:
    mercury = directory.room_by_name("Mercury")
    data = ask(WhoBooked("en", directory.room_place(mercury), TODAY), ctx())
    truth = [r for r in sb.tenant.reservations_on(NOW.date()) if r.room_id == mercury.room_id]
    got = [(row["start"], row["end"], row["who"], row["state_raw"]) for row in data["rows"]]
    assert got == [(r.start, r.end, r.reserver, r.check_in_status) for r in truth]
    assert len(truth) >= 3 and data["total"] == len(truth)
    assert api_calls(gateway) == {API_RESERVATIONS: 1}  # warm directory: one call, nothing else
    # later today is included: the list shows upcoming meetings as 待签到 / 签到时间未结束
    assert any(row["start"] > NOW and row["state"] == "pending" for row in data["rows"])


def test_one_reservation_call_plus_one_message(sb, ctx, directory, gateway) -> None:
    mercury = directory.room_by_name("Mercury")
    sb.register_messages([("om_question_1", "oc_room_chat")])
    reply = router.answer(WhoBooked("zh", directory.room_place(mercury), TODAY), ctx())
    gateway.reply_card("om_question_1", render(reply))
    calls = api_calls(gateway)
    assert calls.pop(API_RESERVATIONS) == 1
    assert list(calls.values()) == [1] and "messages" in next(iter(calls))  # the one reply
    assert sb.sent[-1].reply_to == "om_question_1"


def test_reservation_call_uses_the_rooms_own_level(sb, ctx, directory) -> None:
    oslo = directory.room_by_name("Oslo")
    before = len(sb.calls_to("resource_reservation_list"))
    ask(WhoBooked("en", directory.room_place(oslo), TODAY), ctx())
    call = sb.calls_to("resource_reservation_list")[before]
    assert call.query["room_level_id"] == [oslo.level_id]
    assert call.query["room_ids"] == [oslo.room_id]


def test_past_afternoon_lists_only_overlapping_bookings(sb, ctx, directory) -> None:
    room = directory.room_by_name("青城山")
    yesterday = day_start(NOW) - timedelta(days=1)
    window = Window(yesterday + timedelta(hours=12), yesterday + timedelta(hours=18))
    data = ask(WhoBooked("zh", directory.room_place(room), window), ctx())
    truth = [r for r in sb.tenant.reservations_on(yesterday.date())
             if r.room_id == room.room_id and r.start < window.end and r.end > window.start]
    assert [(row["start"], row["who"]) for row in data["rows"]] == [(r.start, r.reserver) for r in truth]


def test_tomorrow_uses_freebusy_organizers(sb, ctx, directory, gateway) -> None:
    mercury = directory.room_by_name("Mercury")
    data = ask(WhoBooked("en", directory.room_place(mercury), TOMORROW), ctx())
    truth = sb.tenant.busy(mercury.room_id, TOMORROW.start, TOMORROW.end)
    assert [(row["start"], row["who"], row["private"]) for row in data["rows"]] == [
        (b.start, b.organizer_name, not b.organizer_open_id) for b in truth]
    assert truth and api_calls(gateway) == {API_FREEBUSY: 1}


def test_window_spanning_today_and_tomorrow_counts_each_booking_once(sb, ctx, directory, gateway) -> None:
    mercury = directory.room_by_name("Mercury")
    window = Window(TODAY.start, TOMORROW.end)
    data = ask(WhoBooked("en", directory.room_place(mercury), window), ctx())
    today = [r for r in sb.tenant.reservations_on(NOW.date()) if r.room_id == mercury.room_id]
    tomorrow = sb.tenant.busy(mercury.room_id, TOMORROW.start, TOMORROW.end)
    assert [row["start"] for row in data["rows"]] == [r.start for r in today] + [b.start for b in tomorrow]
    assert api_calls(gateway) == {API_RESERVATIONS: 1, API_FREEBUSY: 1}


def test_floor_today_is_one_level_call_and_matches_truth(sb, ctx, directory, gateway) -> None:
    floor = directory.floor_of(directory.room_by_name("Mercury"))
    place = directory.level_place(floor)
    data = ask(WhoBooked("en", place, TODAY), ctx())
    ids = {r.room_id for r in directory.rooms_under(floor.level_id)}
    truth = [r for r in sb.tenant.reservations_on(NOW.date()) if r.room_id in ids]
    assert data["total"] == len(truth)
    assert api_calls(gateway) == {API_RESERVATIONS: 1}


def test_topics_only_when_allowed(ctx, directory) -> None:
    mercury = directory.room_by_name("Mercury")
    hidden = ask(WhoBooked("en", directory.room_place(mercury), TODAY), ctx())
    shown = ask(WhoBooked("en", directory.room_place(mercury), TODAY), ctx(show_topics=True))
    assert all(row["topic"] == "" for row in hidden["rows"])
    assert any(row["topic"] for row in shown["rows"])


def test_counts_only_privacy_hides_names(ctx, directory) -> None:
    mercury = directory.room_by_name("Mercury")
    data = ask(WhoBooked("en", directory.room_place(mercury), TODAY), ctx(names="counts_only"))
    assert data["rows"] and all(row["who"] == "" and row["dept"] == "" for row in data["rows"])
