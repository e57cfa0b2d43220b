"""The sandbox refuses what Feishu refuses: one bad card of each kind, sent through lark-oapi, gets
HTTP 400 and 230099 with its sub-code and ErrPath; a bad PATCH and a bad callback reply too."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from lark_oapi.api.im.v1 import (
    CreateMessageRequest,
    CreateMessageRequestBody,
    PatchMessageRequest,
    PatchMessageRequestBody,
)
from sandbox_helpers import client

from bot.sandbox import Sandbox
from bot.sandbox.cardcheck import check_card
from bot.sandbox.pusher import callback_reply_error

BUTTON = {"tag": "button", "text": {"tag": "plain_text", "content": "Go"},
          "behaviors": [{"type": "callback", "value": {"q": "x"}}]}
TABLE = {"tag": "table", "page_size": 5,
         "columns": [{"name": "room", "display_name": "Room", "data_type": "text"},
                     {"name": "seats", "display_name": "Seats", "data_type": "number"}],
         "rows": [{"room": "Everest", "seats": 8}]}
CHART = {"tag": "chart", "aspect_ratio": "16:9",
         "chart_spec": {"type": "bar", "data": {"values": [{"x": "a", "y": 1}]}, "xField": "x", "yField": "y"}}
FORM = {"tag": "form", "name": "f", "elements": [
    {"tag": "input", "name": "people", "placeholder": {"tag": "plain_text", "content": "How many"}},
    {**BUTTON, "name": "go", "form_action_type": "submit"}]}
GOOD = {"schema": "2.0", "config": {"update_multi": True},
        "header": {"title": {"tag": "plain_text", "content": "Rooms"}, "template": "green"},
        "body": {"elements": [{"tag": "markdown", "content": "hi"}, {"tag": "hr"},
                              {"tag": "column_set", "flex_mode": "flow", "columns": [
                                  {"tag": "column", "width": "auto", "elements": [BUTTON]}]},
                              TABLE, CHART, FORM]}}


def edited(change: Any) -> dict[str, Any]:
    card = copy.deepcopy(GOOD)
    change(card)
    return card


def elements(card: dict[str, Any]) -> list[Any]:
    return card["body"]["elements"]


BAD = [
    ("an unknown property", lambda c: elements(c)[2].update(colour="red"), 200621,
     "ROOT -> body -> elements -> [2](tag: column_set) -> colour"),
    ("an unknown header property", lambda c: c["header"].update(color="green"), 200621,
     "ROOT -> header -> color"),
    ("an unknown top-level property", lambda c: c.update(elements=[]), 200621, "ROOT -> elements"),
    ("a button type not in the enum", lambda c: elements(c)[2]["columns"][0]["elements"][0].update(type="big"),
     200621, "-> type"),
    ("a button without behaviors", lambda c: elements(c)[2]["columns"][0]["elements"][0].pop("behaviors"),
     200621, "tag: button"),
    ("update_multi false", lambda c: c["config"].update(update_multi=False), 200621, "update_multi"),
    ("a 1.0 action module", lambda c: elements(c).append({"tag": "action", "actions": [BUTTON]}),
     200861, "(tag: action)"),
    ("a 1.0 note", lambda c: elements(c).append({"tag": "note", "elements": []}), 200861, "(tag: note)"),
    ("a chart_spec that is not an object", lambda c: elements(c)[4].update(chart_spec="bar"), 200550,
     "ROOT -> body -> elements -> [4](tag: chart)"),
    ("a chart_spec without data", lambda c: elements(c)[4]["chart_spec"].pop("data"), 200550, "(tag: chart)"),
    ("more than 200 elements", lambda c: elements(c).extend([{"tag": "hr"}] * 200), 11310, "ROOT"),
    ("table rows that are not objects", lambda c: elements(c)[3].update(rows=["Everest"]), 200914, "-> rows"),
    ("a number cell holding text", lambda c: elements(c)[3]["rows"][0].update(seats="eight"), 200915,
     "-> rows -> [0] -> seats"),
    ("a table in a column", lambda c: elements(c)[2]["columns"][0]["elements"].append(copy.deepcopy(TABLE)),
     200621, "(tag: table)"),
    ("a chart in a form", lambda c: elements(c)[5]["elements"].append(copy.deepcopy(CHART)), 200621,
     "(tag: chart)"),
    ("a form without a submit button", lambda c: elements(c)[5]["elements"][1].pop("form_action_type"),
     200621, "(tag: form)"),
    ("a form input without a name", lambda c: elements(c)[5]["elements"][0].pop("name"), 200621,
     "(tag: input)"),
    ("a name used twice", lambda c: elements(c)[5]["elements"][0].update(name="go"), 200621, "-> name"),
    ("six charts", lambda c: elements(c).extend(copy.deepcopy(CHART) for _ in range(5)), 200621, "ROOT"),
]


def send(sb: Sandbox, card: dict[str, Any]) -> Any:
    body = (CreateMessageRequestBody.builder().receive_id("oc_team").msg_type("interactive")
            .content(json.dumps(card)).build())
    return client(sb).im.v1.message.create(
        CreateMessageRequest.builder().receive_id_type("chat_id").request_body(body).build())


def test_a_card_within_every_rule_is_sent(sandbox: Sandbox) -> None:
    assert check_card(GOOD) is None
    assert send(sandbox, GOOD).success()


@pytest.mark.parametrize(("what", "change", "code", "path"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_card_is_refused_as_feishu_does(sandbox: Sandbox, what: str, change: Any, code: int,
                                              path: str) -> None:
    reply = send(sandbox, edited(change))
    assert (reply.code, reply.raw.status_code) == (230099, 400), what
    assert f"ErrCode: {code};" in reply.msg and path in reply.msg, reply.msg
    assert sandbox.sent == []  # nothing reached the chat


def test_a_patch_with_a_bad_card_is_refused_and_the_card_stays(sandbox: Sandbox) -> None:
    sent = send(sandbox, GOOD)
    bad = edited(lambda c: elements(c)[2].update(colour="red"))
    patch = client(sandbox).im.v1.message.patch(
        PatchMessageRequest.builder().message_id(sent.data.message_id).request_body(
            PatchMessageRequestBody.builder().content(json.dumps(bad)).build()).build())
    assert (patch.code, patch.raw.status_code) == (230099, 400)
    assert sandbox.sent[0].patches == [] and sandbox.sent[0].card == GOOD


def test_a_callback_reply_with_a_bad_card_shows_the_client_error() -> None:
    good = json.dumps({"card": {"type": "raw", "data": GOOD}}).encode()
    bad = json.dumps({"card": {"type": "raw", "data": edited(lambda c: c.update(elements=[]))}}).encode()
    assert callback_reply_error(200, good, 0.1) == ""
    assert callback_reply_error(200, bad, 0.1) == "200673"


def test_a_1_0_card_is_not_judged_by_2_0_rules() -> None:
    assert check_card({"elements": [{"tag": "action", "actions": [BUTTON]}]}) is None
