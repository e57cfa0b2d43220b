"""The room finder's form_value -> FindFree, as strictly as typed text: a table of submissions.

NOW is Tuesday 17 Nov 2026 10:20 in the test tenant (T2 with floors 3F-9F, T3 with its 4F).
"""
from __future__ import annotations

from typing import Any

import pytest
from understand_fixtures import NOW, T2, T2_4, T3_4, make_directory, span

from bot.queries import TENANT, FindFree
from bot.understand import actions
from bot.understand.form import FormError, is_room_finder, place_value, read_form

DIRECTORY = make_directory()
GOOD = {"rf_date": "2026-11-17", "rf_start": "14:00", "rf_end": "15:00", "rf_people": "6",
        "rf_place": "floor:t2_4"}


def ask(**changes: Any) -> FindFree | FormError:
    """The GOOD submission with some fields changed (None removes a field)."""
    form = {**GOOD, **changes}
    return read_form({k: v for k, v in form.items() if v is not None}, "en", NOW, DIRECTORY)


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, FindFree("en", span(17, 14, 0, 15, 0), 6, T2_4)),
    ({"rf_people": ""}, FindFree("en", span(17, 14, 0, 15, 0), 0, T2_4)),
    ({"rf_people": None}, FindFree("en", span(17, 14, 0, 15, 0), 0, T2_4)),
    ({"rf_people": "  8 "}, FindFree("en", span(17, 14, 0, 15, 0), 8, T2_4)),
    ({"rf_people": "１２"}, FindFree("en", span(17, 14, 0, 15, 0), 12, T2_4)),  # full-width
    ({"rf_people": 1000}, FindFree("en", span(17, 14, 0, 15, 0), 1000, T2_4)),
    ({"rf_place": "anywhere"}, FindFree("en", span(17, 14, 0, 15, 0), 6, TENANT)),
    ({"rf_place": ""}, FindFree("en", span(17, 14, 0, 15, 0), 6, TENANT)),
    ({"rf_place": None}, FindFree("en", span(17, 14, 0, 15, 0), 6, TENANT)),
    ({"rf_place": "building:t2"}, FindFree("en", span(17, 14, 0, 15, 0), 6, T2)),
    ({"rf_place": "floor:t3_4"}, FindFree("en", span(17, 14, 0, 15, 0), 6, T3_4)),
    # what Feishu's pickers send: the value, a space and the client's UTC offset
    ({"rf_date": "2026-11-18 +0800", "rf_start": "09:30 +0800", "rf_end": "10:00 +0800"},
     FindFree("en", span(18, 9, 30, 10, 0), 6, T2_4)),
    ({"rf_start": "10:00", "rf_end": "10:30"}, FindFree("en", span(17, 10, 0, 10, 30), 6, T2_4)),
    ({"rf_start": "00:00", "rf_end": "23:59", "rf_date": "2026-11-18"}, "too_long"),
    ({"rf_start": "08:00", "rf_end": "20:00"}, FindFree("en", span(17, 8, 0, 20, 0), 6, T2_4)),
])
def test_good_submissions(changes: dict[str, Any], expected: Any) -> None:
    found = ask(**changes)
    if isinstance(expected, str):
        assert isinstance(found, FormError) and found.reason == expected
    else:
        assert found == expected


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"rf_date": None}, "rf_date", "missing_date"),
    ({"rf_date": ""}, "rf_date", "missing_date"),
    ({"rf_date": "2026-02-30"}, "rf_date", "bad_date"),
    ({"rf_date": "17/11/2026"}, "rf_date", "bad_date"),
    ({"rf_date": "tomorrow"}, "rf_date", "bad_date"),
    ({"rf_date": 20261117}, "rf_date", "bad_date"),
    ({"rf_date": ["2026-11-17"]}, "rf_date", "bad_date"),
    ({"rf_date": {"date": "2026-11-17"}}, "rf_date", "bad_date"),
    ({"rf_date": "2026-11-17" + " " * 100}, "rf_date", "bad_date"),
    ({"rf_date": "2027-11-17"}, "rf_date", "too_far"),
    ({"rf_start": None}, "rf_start", "missing_time"),
    ({"rf_end": ""}, "rf_end", "missing_time"),
    ({"rf_start": "3pm"}, "rf_start", "bad_time"),
    ({"rf_start": "25:00"}, "rf_start", "bad_time"),
    ({"rf_start": "14:60"}, "rf_start", "bad_time"),
    ({"rf_start": "9:00"}, "rf_start", "bad_time"),
    ({"rf_start": "14:00:00"}, "rf_start", "bad_time"),
    ({"rf_end": 1500}, "rf_end", "bad_time"),
    ({"rf_end": True}, "rf_end", "bad_time"),
    ({"rf_end": "15:00 +08:00"}, "rf_end", "bad_time"),
    ({"rf_end": "13:00"}, "rf_end", "end_before_start"),
    ({"rf_end": "14:00"}, "rf_end", "end_before_start"),
    ({"rf_start": "09:00", "rf_end": "10:00"}, "rf_end", "past"),
    ({"rf_date": "2026-11-16"}, "rf_end", "past"),
    ({"rf_start": "07:00", "rf_end": "19:30"}, "rf_end", "too_long"),
    ({"rf_people": "0"}, "rf_people", "bad_people"),
    ({"rf_people": "-3"}, "rf_people", "bad_people"),
    ({"rf_people": "1001"}, "rf_people", "bad_people"),
    ({"rf_people": "6 people"}, "rf_people", "bad_people"),
    ({"rf_people": "six"}, "rf_people", "bad_people"),
    ({"rf_people": "4.5"}, "rf_people", "bad_people"),
    ({"rf_people": 10**30}, "rf_people", "bad_people"),
    ({"rf_people": "9" * 100_000}, "rf_people", "bad_people"),
    ({"rf_people": True}, "rf_people", "bad_people"),
    ({"rf_people": 4.0}, "rf_people", "bad_people"),
    ({"rf_people": ["6"]}, "rf_people", "bad_people"),
    ({"rf_place": "floor:nowhere"}, "rf_place", "unknown_place"),
    ({"rf_place": "building:t2_4"}, "rf_place", "unknown_place"),  # a floor sent as a building
    ({"rf_place": "room:mer"}, "rf_place", "unknown_place"),
    ({"rf_place": "floor:0"}, "rf_place", "unknown_place"),  # the root is not a floor
    ({"rf_place": "t2_4"}, "rf_place", "unknown_place"),
    ({"rf_place": 4}, "rf_place", "unknown_place"),
    ({"rf_place": {"value": "floor:t2_4"}}, "rf_place", "unknown_place"),
])
def test_bad_submissions_name_the_field_and_keep_the_rest(changes: dict[str, Any], field: str,
                                                         reason: str) -> None:
    found = ask(**changes)
    assert isinstance(found, FormError), found
    assert (found.field, found.reason, found.lang) == (field, reason, "en")
    assert field not in found.filled  # the bad value is never put back into the form
    for name, value in found.filled.items():
        assert isinstance(value, str) and len(value) <= 64, name


def test_the_first_problem_in_field_order_is_reported() -> None:
    found = ask(rf_date="nope", rf_people="lots", rf_place="floor:nowhere")
    assert isinstance(found, FormError) and found.field == "rf_date"


def test_fields_that_were_fine_come_back_normalised() -> None:
    found = ask(rf_date="2026-11-18 +0800", rf_start="09:30 +0800", rf_people="１２", rf_end="08:00")
    assert isinstance(found, FormError) and found.reason == "end_before_start"
    assert found.filled == {"rf_date": "2026-11-18", "rf_start": "09:30", "rf_people": "12",
                            "rf_place": "floor:t2_4"}


def test_an_empty_or_foreign_form_is_an_error_not_a_crash() -> None:
    for form in ({}, {"Input_lf4": "1234"}, {"rf_date": None, "rf_start": None}):
        found = read_form(form, "zh", NOW, DIRECTORY)
        assert isinstance(found, FormError) and found.lang == "zh"


def test_place_values_round_trip() -> None:
    for place in (TENANT, T2, T2_4, T3_4):
        assert ask(rf_place=place_value(place)).place == place  # type: ignore[union-attr]


def test_a_submission_is_recognised_by_its_button_or_its_fields() -> None:
    assert is_room_finder(actions.room_finder("zh"), {})
    assert is_room_finder({}, {"rf_date": "2026-11-17"})  # a client that drops the button value
    assert not is_room_finder({}, {"Input_lf4": "1234"})
    assert not is_room_finder({"v": 1, "q": "find_free", "lang": "en"}, GOOD)
    assert not is_room_finder({"v": 2, "q": "form_find_free"}, GOOD)
