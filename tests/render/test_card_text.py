"""Cards flattened to terminal text with numbered buttons."""
from bot.render.text import FormField, card_to_text

CARD = {
    "schema": "2.0",
    "header": {"title": {"tag": "plain_text", "content": "Mercury"},
               "subtitle": {"tag": "plain_text", "content": "today"}},
    "body": {"elements": [
        {"tag": "markdown", "content": "**10:00–11:00** <font color='grey'>张三</font>"},
        {"tag": "hr"},
        {"tag": "table", "columns": [{"name": "room", "display_name": "Room"}],
         "rows": [{"room": "Oslo"}]},
        {"tag": "column_set", "columns": [
            {"tag": "column", "elements": [{"tag": "button", "text": {"content": "Refresh"},
                                            "behaviors": [{"type": "callback", "value": {"q": "a"}}]}]},
            {"tag": "column", "elements": [{"tag": "button", "text": {"content": "Next day"},
                                            "behaviors": [{"type": "callback", "value": {"q": "b"}}]}]}]},
    ]},
}


def test_card_becomes_lines_and_numbered_buttons() -> None:
    text = card_to_text(CARD)
    assert text.lines[0] == "━━ Mercury ━━  (today)"
    assert "10:00–11:00 张三" in text.lines
    assert "Oslo" in text.lines
    assert text.buttons == [("Refresh", {"q": "a"}), ("Next day", {"q": "b"})]
    assert "[1] Refresh" in str(text) and "[2] Next day" in str(text)


def _chart(spec: dict) -> dict:
    return {"schema": "2.0", "body": {"elements": [{"tag": "chart", "chart_spec": spec}]}}


def test_a_horizontal_bar_chart_prints_as_text_bars_on_its_axis() -> None:
    card = _chart({"type": "bar", "direction": "horizontal", "title": {"text": "Utilisation (%)"},
                   "data": {"values": [{"name": "Mercury", "value": 78.0}, {"name": "木星", "value": 35.5}]},
                   "xField": "value", "yField": "name", "label": {"visible": True, "formatter": "{value}%"},
                   "axes": [{"orient": "left", "type": "band"},
                            {"orient": "bottom", "type": "linear", "min": 0, "max": 100}]})
    assert card_to_text(card).lines == ["Utilisation (%)",
                                        "Mercury ████████░░ 78%",
                                        "木星    ████░░░░░░ 35.5%"]


def test_a_vertical_chart_without_axis_scales_to_its_largest_value() -> None:
    card = _chart({"type": "bar", "data": [{"id": "d", "values": [
        {"band": "<5%", "rooms": 2}, {"band": "≥60%", "rooms": 8}]}], "xField": "band", "yField": "rooms"})
    assert card_to_text(card).lines == ["<5%  ██░░░░░░░░ 2", "≥60% ██████████ 8"]


def test_grouped_bars_name_their_series() -> None:
    card = _chart({"type": "bar", "direction": "horizontal", "seriesField": "what",
                   "data": {"values": [{"room": "Everest", "what": "Seats", "n": 30},
                                       {"room": "Everest", "what": "People", "n": 3}]},
                   "xField": "n", "yField": ["room", "what"], "label": {"formatter": "{n}"}})
    assert card_to_text(card).lines == ["Everest · Seats  ██████████ 30",
                                        "Everest · People █░░░░░░░░░ 3"]


def test_a_forms_fields_and_submit_button_are_listed() -> None:
    submit = {"q": "form_find_free"}
    card = {"schema": "2.0", "body": {"elements": [
        {"tag": "button", "text": {"content": "Refresh"},
         "behaviors": [{"type": "callback", "value": {"q": "a"}}]},
        {"tag": "form", "name": "finder", "elements": [
            {"tag": "markdown", "content": "**Find a free room**"},
            {"tag": "column_set", "columns": [{"tag": "column", "elements": [
                {"tag": "markdown", "content": "<font color='grey'>Date</font>"},
                {"tag": "date_picker", "name": "rf_date", "required": True,
                 "placeholder": {"tag": "plain_text", "content": "Pick a date"},
                 "initial_date": "2024-05-14"}]}]},
            {"tag": "input", "name": "rf_people", "max_length": 4, "default_value": "",
             "placeholder": {"tag": "plain_text", "content": "Any number"}},
            {"tag": "markdown", "content": "Where"},
            {"tag": "select_static", "name": "rf_place", "initial_option": "floor:5",
             "options": [{"text": {"content": "Anywhere"}, "value": "anywhere"},
                         {"text": {"content": "5F"}, "value": "floor:5"}]},
            {"tag": "button", "form_action_type": "submit", "name": "rf_submit",
             "text": {"content": "Find rooms"}, "behaviors": [{"type": "callback", "value": submit}]},
            {"tag": "button", "form_action_type": "reset", "name": "rf_reset",
             "text": {"content": "Clear"}}]}]}}
    text = card_to_text(card)
    assert text.lines == ["[1] Refresh", "Find a free room", "Date: 2024-05-14",
                          "Any number: _ (Any number)", "Where: 5F   options: Anywhere · 5F",
                          "[2] Find rooms (form)"]
    assert text.buttons == [("Refresh", {"q": "a"}), ("Find rooms", submit)]  # no reset: no callback
    assert text.forms == {2: [
        FormField("rf_date", "date_picker", "Date", "Pick a date", "2024-05-14", required=True),
        FormField("rf_people", "input", "Any number", "Any number", max_length=4),
        FormField("rf_place", "select_static", "Where", "", "floor:5",
                  (("Anywhere", "anywhere"), ("5F", "floor:5")))]}
