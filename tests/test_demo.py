"""`roombot demo` fills in a card's form: it asks for each field, then sends action.form_value."""
from __future__ import annotations

import html
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from bot.cli import _embedded
from bot.demo import DemoChat, run_demo
from bot.render.text import card_to_text

TZ = ZoneInfo("Asia/Shanghai")
SUBMIT = {"v": 1, "q": "form_find_free", "lang": "en"}


def scripted(out: io.StringIO, steps: list[Any], prompts: list[str]) -> Callable[[str], str]:
    """A `read` that answers with `steps` in turn (a callable step gets the output so far)."""
    answers: Iterator[Any] = iter(steps)

    def read(prompt: str) -> str:
        prompts.append(prompt)
        step = next(answers)
        return step(out.getvalue()) if callable(step) else step
    return read


def finder_button(shown: str) -> str:
    """The number of the last card's room-finder submit button, as the demo printed it."""
    return re.findall(r"\[(\d+)\] Find rooms \(form\)", shown)[-1]


def demo(steps: list[Any], mode: str = "webhook") -> tuple[str, list[str]]:
    """Run the demo on the embedded sandbox; (its output, the prompts it showed)."""
    out, prompts = io.StringIO(), []
    with _embedded() as (settings, sandbox):
        settings = replace(settings, feishu=replace(settings.feishu, mode=mode))
        assert run_demo(settings, sandbox, read=scripted(out, steps, prompts), out=out) == 0
    return out.getvalue(), prompts


@pytest.mark.parametrize("mode", ["webhook", "long_connection"])
def test_the_help_cards_form_filled_in_finds_free_rooms(mode: str) -> None:
    day = datetime.now(TZ) + timedelta(days=1)  # the sandbox clock is the real one
    # date, from, to, people, where (1 = the first option, Anywhere)
    text, prompts = demo(["help", finder_button, day.date().isoformat(), "14:00", "15:00", "8", "1",
                          ":quit"], mode)
    assert "People: _ (Any number)" in text  # the help card's form, its fields listed
    assert "(clicked “Find rooms”)" in text
    assert "Free rooms for 8+" in text  # the answer to the form, in place of the help card
    assert f"{day:%a} {day.day} {day:%b} 14:00–15:00" in text
    asked = [p for p in prompts if not p.startswith("\nyou")]
    assert [p.split(" (")[0].strip() for p in asked] == ["Date", "From", "To", "People", "Where"]
    assert "1) Anywhere" in text  # the select's options, numbered, before its prompt


def test_a_bad_value_gets_the_form_again_with_the_bots_error() -> None:
    text, _prompts = demo(["help", finder_button, "", "", "", "lots", "", ":quit"])
    assert "(clicked “Find rooms”)" in text
    answer = text.split("(clicked “Find rooms”)", 1)[1]
    assert "People must be a whole number from 1 to 1000, or left empty." in answer
    assert "Find rooms (form)" in answer  # the form again, to try once more


# --------------------------------------------------------------- the form_value sent, without a bot

FORM_CARD = {"schema": "2.0", "body": {"elements": [
    {"tag": "markdown", "content": "Find a room"},
    {"tag": "form", "name": "room_finder", "elements": [
        {"tag": "column_set", "columns": [
            {"tag": "column", "elements": [
                {"tag": "markdown", "content": "<font color='grey'>Date</font>"},
                {"tag": "date_picker", "name": "rf_date", "required": True,
                 "placeholder": {"tag": "plain_text", "content": "Pick a date"},
                 "initial_date": "2026-11-17"}]},
            {"tag": "column", "elements": [
                {"tag": "markdown", "content": "<font color='grey'>From</font>"},
                {"tag": "picker_time", "name": "rf_start", "required": True,
                 "placeholder": {"tag": "plain_text", "content": "Start"}}]},
            {"tag": "column", "elements": [
                {"tag": "markdown", "content": "<font color='grey'>To</font>"},
                {"tag": "picker_time", "name": "rf_end", "required": True,
                 "placeholder": {"tag": "plain_text", "content": "End"}, "initial_time": "10:30"}]}]},
        {"tag": "markdown", "content": "<font color='grey'>People</font>"},
        {"tag": "input", "name": "rf_people", "max_length": 4, "default_value": "4",
         "placeholder": {"tag": "plain_text", "content": "Any number"}},
        {"tag": "markdown", "content": "<font color='grey'>Where</font>"},
        {"tag": "select_static", "name": "rf_place", "initial_option": "anywhere",
         "placeholder": {"tag": "plain_text", "content": "Anywhere"},
         "options": [{"text": {"tag": "plain_text", "content": "Anywhere"}, "value": "anywhere"},
                     {"text": {"tag": "plain_text", "content": "5F"}, "value": "floor:omb_5"}]},
        {"tag": "button", "name": "rf_submit", "form_action_type": "submit",
         "text": {"tag": "plain_text", "content": "Find rooms"},
         "behaviors": [{"type": "callback", "value": SUBMIT}]}]}]}}


class FakeSandbox:
    def now(self) -> datetime:
        return datetime(2026, 11, 17, 9, 0, tzinfo=TZ)

    def on_card_update(self, watcher: Callable[..., None]) -> None:
        pass


class FakeDoor:
    def __init__(self) -> None:
        self.clicks: list[tuple[dict[str, Any], dict[str, Any] | None]] = []

    def message(self, text: str, chat_type: str) -> str:
        return ""

    def click(self, value: dict[str, Any], message_id: str, chat_id: str,
              form_value: dict[str, Any] | None = None) -> dict[str, Any]:
        self.clicks.append((value, form_value))
        return {"toast": {"content": "ok"}}


def fill(answers: list[str]) -> tuple[FakeDoor, str]:
    out, door = io.StringIO(), FakeDoor()
    chat = DemoChat(FakeSandbox(), door, out, scripted(out, answers, []))
    chat.last = card_to_text(FORM_CARD)
    chat.click(1)
    return door, out.getvalue()


def test_a_submitted_form_sends_form_value_as_the_feishu_client_does() -> None:
    door, text = fill(["2026-02-30", "tomorrow", "2026-11-18", "", "9:30", "", "-", "five", "2"])
    assert door.clicks == [(SUBMIT, {"rf_date": "2026-11-18 +0800", "rf_start": "09:30 +0800",
                                     "rf_end": "10:30 +0800", "rf_place": "floor:omb_5"})]
    assert text.count("(not a value Date can hold: like 2024-05-14)") == 2  # a picker holds dates
    assert "(From is required)" in text  # Feishu does not send a form missing a required value
    assert "(not a value Where can hold" in text  # a select holds only its options
    assert "1) Anywhere   2) 5F" in text


def test_an_input_takes_any_text_up_to_its_length_and_the_form_can_be_given_up() -> None:
    door, _text = fill(["", "14:00", "", "lots", ""])
    assert door.clicks == [(SUBMIT, {"rf_date": "2026-11-17 +0800", "rf_start": "14:00 +0800",
                                     "rf_end": "10:30 +0800", "rf_people": "lots",
                                     "rf_place": "anywhere"})]
    door, text = fill(["", ":cancel"])
    assert door.clicks == [] and "(form not sent)" in text


# --------------------------------------------------------------- card updates, as Feishu redraws them

def waits_for(marker: str, count: int = 1, timeout: float = 60) -> Callable[[str], str]:
    """A step that types nothing until the demo has printed `marker` `count` times."""
    def step(_shown: str) -> str:
        deadline = time.monotonic() + timeout
        while SHOWN.getvalue().count(marker) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return ""
    return step


SHOWN = io.StringIO()
MARK = "\n(card updated)\n"  # the banner names the marker too, mid-line


def refresh_button(_shown: str) -> str:
    return re.findall(r"\[(\d+)\] Refresh", SHOWN.getvalue())[-1]


def demo_into(out: io.StringIO, steps: list[Any]) -> str:
    with _embedded() as (settings, sandbox):
        assert run_demo(settings, sandbox, read=scripted(out, steps, []), out=out) == 0
    return out.getvalue()


def test_a_slow_report_is_printed_again_when_the_bot_patches_the_working_card() -> None:
    SHOWN.seek(0)
    SHOWN.truncate()
    text = demo_into(SHOWN, ["how busy was 5F last week", waits_for(MARK), ":quit"])
    working, updated = text.split(MARK, 1)
    assert "Working on it" in working and "this card will update" in working
    assert "Utilisation · T2 · 5F" in updated  # the finished report, with its chart drawn as text
    assert re.search(r"█+░*\s+\d+(\.\d)?%", updated)
    assert "[1] ← Previous period" in updated  # its buttons are the ones a number clicks now


def test_a_refresh_prints_the_new_card_under_the_update_marker() -> None:
    SHOWN.seek(0)
    SHOWN.truncate()
    text = demo_into(SHOWN, ["who booked Mercury today", refresh_button, ":quit"])
    before, after = text.split("(clicked “Refresh”)", 1)
    assert "Who booked Mercury" in before
    assert after.startswith(MARK) and "Who booked Mercury" in after


def button_labelled(label: str) -> Callable[[str], str]:
    def step(_shown: str) -> str:
        return re.findall(r"\[(\d+)\] " + re.escape(label), SHOWN.getvalue())[-1]
    return step


def test_the_demo_books_extends_and_cancels_from_the_cards() -> None:
    SHOWN.seek(0)
    SHOWN.truncate()
    # Seeded meetings start from 08:00 and late ones end by 02:00, and Oslo has no booking rules:
    # 06:00-07:30 tomorrow is free whatever the day
    text = demo_into(SHOWN, ["is Oslo free tomorrow 6-7am", button_labelled("Book Oslo"),
                             waits_for("Oslo is booked"), button_labelled("Extend 30 min"),
                             waits_for("Oslo is booked", 2), button_labelled("Cancel"), ":quit"])
    assert "Booking Oslo…" in text and "Extending Oslo…" in text
    assert "06:00–07:30" in text.split("Extending Oslo…", 1)[1]  # the end moved by 30 minutes
    assert "Oslo cancelled" in text and "the room is free again" in text


def test_the_demo_prints_the_dashboard_and_its_user_signs_in() -> None:
    pages: list[requests.Response] = []

    def visit(shown: str) -> str:
        url = re.search(r"Dashboard: (http://127\.0\.0\.1:\d+/admin/) \(sign in on the sandbox's Feishu page as (.+?);",
                        shown)
        assert url, shown
        http = requests.Session()
        login = http.get(url.group(1))
        form = re.search(rf'<button[^>]*value="(ou_[^"]+)"[^>]*data-name="{re.escape(html.escape(url.group(2)))}"',
                         login.text)
        assert form, login.text[:500]
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', login.text))
        fields = {k: html.unescape(v) for k, v in fields.items()} | {"open_id": form.group(1)}
        pages.append(http.post(login.url.split("?")[0], data=fields))
        return ":quit"

    demo_into(io.StringIO(), [visit])
    [page] = pages
    assert page.status_code == 200 and page.url.endswith("/admin/") and "Overview" in page.text
