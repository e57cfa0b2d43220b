"""The `roombot` commands, run in-process on the embedded sandbox tenant."""
from __future__ import annotations

import io
import json

import pytest

from bot.cli import _embedded, main
from bot.demo import run_demo


def test_parse_prints_the_query(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "who booked Mercury today", "--now", "2026-11-17T10:20:00+08:00",
                 "--json"]) == 0
    parsed = json.loads(capsys.readouterr().out)
    text = json.dumps(parsed, ensure_ascii=False)
    assert "WhoBooked" in text or "who_booked" in text
    assert "Mercury" in text and "2026-11-17" in text


def test_ask_prints_a_readable_card(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "谁订了木星"]) == 0
    out = capsys.readouterr().out
    assert "木星" in out and "[1]" in out


def test_ask_prints_the_finished_report_not_the_working_card(capsys: pytest.CaptureFixture[str]) -> None:
    # In a chat this question first gets a "Working on it" card that is patched later.
    assert main(["ask", "how busy was 5F last week"]) == 0
    out = capsys.readouterr().out
    assert "Working on it" not in out
    assert "Utilisation · T2 · 5F" in out and "bookings" in out and "█" in out


def test_ask_json_prints_the_card(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "is Oslo free at 3pm", "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["schema"] == "2.0"


def test_bad_config_exits_2_naming_the_key(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "roombot.toml"
    config.write_text('[feishu]\napp_id = "cli_x"\n')
    assert main(["serve", "--config", str(config)]) == 2
    assert "feishu.app_secret" in capsys.readouterr().err


def test_demo_answers_typed_questions_and_clicks() -> None:
    lines = iter(["who booked Mercury today", "1", ":group", "5楼下午3点有空吗", ":sent", ":quit"])
    out = io.StringIO()
    with _embedded() as (settings, sandbox):
        assert run_demo(settings, sandbox, read=lambda prompt: next(lines), out=out) == 0
        posted = len(sandbox.sent)
    text = out.getvalue()
    assert "Mercury" in text
    assert "(clicked" in text
    assert "5F" in text or "5楼" in text
    assert posted == 2  # two questions, two answers; the click updated the card in place
