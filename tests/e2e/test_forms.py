"""The room finder through the real webhook: a signed, encrypted card.action.trigger carrying
action.form_value, answered in the callback's response with the card that replaces the form's card.

Every malformed submission (wrong types, missing fields, huge values, unknown places, impossible
times) gets HTTP 200 with the form again and the problem above it, in the asker's language.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.pusher import EventPusher
from tests.e2e.harness import CJK, RunningBot

TZ = ZoneInfo("Asia/Shanghai")


def form_of(card: dict[str, Any]) -> dict[str, Any]:
    """The card's form element (at the body's root, as Feishu requires)."""
    forms = [e for e in card["body"]["elements"] if e["tag"] == "form"]
    assert len(forms) == 1, "one room finder per card"
    return forms[0]


def fields_of(form: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The form's named components, however deep."""
    found: dict[str, dict[str, Any]] = {}

    def walk(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            if element.get("name"):
                found[element["name"]] = element
            walk([e for c in element.get("columns", []) for e in c.get("elements", [])])
            walk(element.get("elements", []))
    walk(form["elements"])
    return found


def as_shown(card: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the submit button's value, the form_value Feishu sends when it is submitted untouched)."""
    fields = fields_of(form_of(card))
    submit = fields.pop("rf_submit")
    assert submit["form_action_type"] == "submit"
    keys = ("initial_date", "initial_time", "default_value", "initial_option")
    values = {name: next((f[k] for k in keys if k in f), None) for name, f in fields.items()}
    return submit["behaviors"][0]["value"], values


def submit(bot: RunningBot, record: Any, value: dict[str, Any], form_value: Any) -> dict[str, Any]:
    """Submit a form on the card of `record`; the new card from the callback's response."""
    push = bot.pusher.card_action(value, message_id=record.message_id, chat_id=record.chat_id,
                                  form_value=form_value)
    assert push.status == 200, push.body[:300]
    assert not push.error, push.error  # Feishu would accept this callback reply
    return push.json["card"]["data"]


def tomorrow() -> str:
    return (datetime.now(TZ) + timedelta(days=1)).date().isoformat()


def free_rows(card: dict[str, Any]) -> list[dict[str, Any]]:
    tables = [e for e in card["body"]["elements"] if e["tag"] == "table"]
    return tables[0]["rows"] if tables else []


def title(card: dict[str, Any]) -> str:
    return card["header"]["title"]["content"]


@pytest.mark.parametrize(("text", "lang"), [("help", "en"), ("帮助", "zh")])
def test_the_help_cards_form_submitted_as_shown_lists_free_rooms(bot: RunningBot, text: str,
                                                                  lang: str) -> None:
    record = bot.ask(text)
    value, shown = as_shown(record.content)
    assert value == {"v": 1, "q": "form_find_free", "lang": lang}
    card = submit(bot, record, value, shown)
    assert card["schema"] == "2.0" and form_of(card)  # the answer carries the form again
    assert title(card) == ("空闲会议室" if lang == "zh" else "Free rooms")
    assert bool(CJK.search(card["header"]["subtitle"]["content"])) == (lang == "zh")


def test_a_filled_form_finds_rooms_that_are_really_free(bot: RunningBot) -> None:
    record = bot.ask("help")
    value, shown = as_shown(record.content)
    options = fields_of(form_of(record.content))["rf_place"]["options"]
    floor = next(o for o in options if o["value"].startswith("floor:"))
    form = {**shown, "rf_date": tomorrow() + " +0800", "rf_start": "14:00 +0800",
            "rf_end": "15:00 +0800", "rf_people": "6", "rf_place": floor["value"]}
    card = submit(bot, record, value, form)
    assert floor["text"]["content"] in title(card) and "6+" in title(card)
    day = datetime.fromisoformat(tomorrow()).replace(tzinfo=TZ)
    start, end = day.replace(hour=14), day.replace(hour=15)
    floor_id = floor["value"].split(":", 1)[1]
    tenant = bot.sandbox.tenant
    on_floor = {r.name: r for r in tenant.rooms if r.level_id == floor_id}
    for row in free_rows(card):
        room = on_floor[row["room"]]
        assert room.capacity >= 6 and tenant.busy(room.room_id, start, end) == []
    _value, again = as_shown(card)  # the new card's form holds what was asked
    assert (again["rf_date"], again["rf_start"], again["rf_people"], again["rf_place"]) == (
        tomorrow(), "14:00", "6", floor["value"])


def test_a_free_room_answer_carries_the_form_and_its_submission_replaces_it(bot: RunningBot) -> None:
    record = bot.ask("find a room for 4 tomorrow at 2pm")
    value, shown = as_shown(record.content)
    assert shown["rf_people"] == "4" and shown["rf_start"] == "14:00"
    card = submit(bot, record, value, {**shown, "rf_people": "8"})
    assert "8+" in title(card)


BAD: list[tuple[str, Any, str, str]] = [  # (what, form_value, English words, Chinese words)
    ("nothing", {}, "Pick a date", "请选择日期"),
    ("date as a number", {"rf_date": 20250101}, "date is not valid", "日期不对"),
    ("date as a list", {"rf_date": ["2025-01-01"]}, "date is not valid", "日期不对"),
    ("no such day", {"rf_date": "2025-02-30"}, "date is not valid", "日期不对"),
    ("no start", {"rf_start": None}, "Pick a start time", "请选择开始时间"),
    ("time not HH:MM", {"rf_start": "3pm"}, "use HH:MM", "HH:MM"),
    ("hour 25", {"rf_end": "25:00"}, "use HH:MM", "HH:MM"),
    ("end before start", {"rf_start": "15:00", "rf_end": "14:00"}, "end must be after", "结束时间要晚于"),
    ("too long", {"rf_start": "07:00", "rf_end": "21:00"}, "at most 12 hours", "最多查 12 个小时"),
    ("far in the past", {"rf_date": "2020-01-01"}, "too far", "太远"),
    ("yesterday", {"rf_date": "yesterday"}, "already passed", "已经过去"),
    ("people zero", {"rf_people": "0"}, "whole number from 1 to 1000", "1 到 1000"),
    ("people huge", {"rf_people": "9" * 200_000}, "whole number from 1 to 1000", "1 到 1000"),
    ("people as a dict", {"rf_people": {"n": 6}}, "whole number from 1 to 1000", "1 到 1000"),
    ("people as a bool", {"rf_people": True}, "whole number from 1 to 1000", "1 到 1000"),
    ("people in words", {"rf_people": "six"}, "whole number from 1 to 1000", "1 到 1000"),
    ("unknown place", {"rf_place": "floor:omb_narnia"}, "place does not exist", "没有这个地点"),
    ("place of the wrong kind", {"rf_place": "room:omm_x"}, "place does not exist", "没有这个地点"),
    ("place as a list", {"rf_place": ["anywhere"]}, "place does not exist", "没有这个地点"),
    ("huge place", {"rf_place": "floor:" + "x" * 300_000}, "place does not exist", "没有这个地点"),
]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_malformed_form_gets_the_form_again_with_the_problem(bot: RunningBot, lang: str) -> None:
    record = bot.ask("help" if lang == "en" else "帮助")
    value, shown = as_shown(record.content)
    good = {**shown, "rf_date": tomorrow(), "rf_start": "14:00", "rf_end": "15:00"}
    yesterday = (datetime.now(TZ) - timedelta(days=1)).date().isoformat()
    for what, changes, english, chinese in BAD:
        if changes.get("rf_date") == "yesterday":
            changes = {"rf_date": yesterday}
        form = {} if not changes else {k: v for k, v in {**good, **changes}.items() if v is not None}
        card = submit(bot, record, value, form)
        text = str(card)
        assert title(card) == ("找空会议室" if lang == "zh" else "Find a free room"), what
        assert (chinese if lang == "zh" else english) in text, (what, text[:400])
        assert card["body"]["elements"][0]["tag"] == "markdown"  # the problem, above the form
        assert form_of(card), what
        assert "9" * 100 not in text and "x" * 100 not in text  # a huge value is never echoed


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_form_value_of_the_wrong_type_gets_200_and_a_toast_in_the_askers_language(
        bot: RunningBot, lang: str) -> None:
    record = bot.ask("help" if lang == "en" else "帮助")
    value, _shown = as_shown(record.content)
    assert value.get("lang") == lang
    expected = "无法读取这个表单" if lang == "zh" else "The form could not be read"
    for form_value in ("rf_date=2025-01-01", ["rf_date"], 7, {"rf_date": deep(20)}):
        push = bot.pusher.card_action(value, message_id=record.message_id, chat_id=record.chat_id,
                                      form_value=form_value)
        # Signed and encrypted by Feishu, so not a 4xx: any non-200 is an error popup.
        assert push.status == 200, push.body
        assert not push.error, push.error
        toast = push.json["toast"]
        assert toast["type"] == "error" and toast["content"].startswith(expected), toast
        assert set(toast["i18n"]) == {"zh_cn", "en_us"}
        assert "card" not in push.json  # the form stays as it was, to fill in again
    assert len(record.patches) == 0


def deep(levels: int) -> Any:
    return [deep(levels - 1)] if levels else 1


def test_a_forged_callback_with_a_bad_form_is_still_refused(bot: RunningBot) -> None:
    record = bot.ask("help")
    value, _shown = as_shown(record.content)
    forged = EventPusher(bot.sandbox, bot.webhook_url, sign=False)  # no signature: not Feishu
    push = forged.card_action(value, message_id=record.message_id, chat_id=record.chat_id,
                              form_value="rf_date=2025-01-01")
    assert push.status in (400, 401), push.body


def test_a_submission_without_the_buttons_value_is_still_the_room_finder(bot: RunningBot) -> None:
    record = bot.ask("help")
    _value, shown = as_shown(record.content)
    card = submit(bot, record, {}, {**shown, "rf_people": "abc"})
    assert title(card) == "Find a free room"
    card = submit(bot, record, {}, {**shown, "rf_date": tomorrow(), "rf_start": "14:00",
                                    "rf_end": "15:00"})
    assert title(card) == "Free rooms"


def test_the_submit_button_clicked_without_a_form_asks_for_the_date(bot: RunningBot) -> None:
    record = bot.ask("帮助")
    value, _shown = as_shown(record.content)
    push = bot.pusher.card_action(value, message_id=record.message_id, chat_id=record.chat_id)
    assert push.status == 200 and not push.error
    assert "请选择日期" in str(push.json["card"]["data"])
