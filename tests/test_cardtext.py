"""Cards flattened to terminal text with numbered buttons."""
from bot.cardtext import card_to_text

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
