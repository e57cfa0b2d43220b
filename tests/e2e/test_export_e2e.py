"""Bookings to a chat as a file: an admin's "export … bookings" uploads an xlsx through
im/v1/files and replies with a file message whose rows calamine reads back and which match the
reservation list; names follow the privacy settings; anyone else is refused and nothing is sent."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from bot.config import ExportSettings, PrivacySettings
from bot.render.text import card_to_text
from tests.e2e.harness import RunningBot, start_bot


@pytest.fixture
def admin(sandbox: Any) -> Any:
    return sandbox.tenant.users[3]


def running(sandbox: Any, tmp_path: Path, admin: Any, **sections: Any) -> RunningBot:
    return start_bot(sandbox, tmp_path, sections={"exports": ExportSettings(admins=(admin.open_id,)),
                                                  **sections})


def sheet(bot: RunningBot, record: Any) -> list[list[Any]]:
    uploaded = bot.sandbox.files.get(record.content["file_key"])
    assert uploaded is not None and uploaded.file_type == "xls" and uploaded.file_name.endswith(".xlsx")
    book = CalamineWorkbook.from_filelike(io.BytesIO(uploaded.data))
    return book.get_sheet_by_index(0).to_python()


def test_an_admin_gets_the_bookings_as_an_xlsx_file_message(sandbox: Any, tmp_path: Path, admin: Any) -> None:
    bot = running(sandbox, tmp_path, admin)
    try:
        before = len(bot.sandbox.sent)
        bot.ask("export T2 bookings yesterday", sender=admin)
        sent = bot.sandbox.wait_for_sent(before + 2, timeout=20)[before:]
        [file] = [r for r in sent if r.msg_type == "file"]
        [card] = [r for r in sent if r.msg_type == "interactive"]
        rows = sheet(bot, file)
        assert rows[0][:5] == ["Room", "Where", "Start", "End", "Reserver"]
        day = (bot.sandbox.now() - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        t2 = next(b for b in bot.responder.directory.get().buildings() if b.name == "T2")
        listed = bot.responder.gateway.reservations(t2.level_id, day, day + timedelta(days=1))
        assert len(rows) - 1 == len([r for r in listed if r.end > day and r.start < day + timedelta(days=1)])
        assert all(row[1].startswith("T2") for row in rows[1:])
        text = str(card_to_text(card.content))
        assert f"{len(rows) - 1} bookings of T2" in text and "Sent" in text
    finally:
        bot.stop()


def test_names_are_left_out_where_privacy_hides_them(sandbox: Any, tmp_path: Path, admin: Any) -> None:
    bot = running(sandbox, tmp_path, admin, privacy=PrivacySettings(reserver_names="dm_only"))
    try:
        before = len(bot.sandbox.sent)
        bot.ask("导出T2昨天的预订", sender=admin, chat_type="group")
        [file] = [r for r in bot.sandbox.sent[before:] if r.msg_type == "file"]
        header = sheet(bot, file)[0]
        assert "预定人" not in header and "部门" not in header and header[0] == "会议室"
    finally:
        bot.stop()


def test_anyone_else_is_refused_and_nothing_is_uploaded(sandbox: Any, tmp_path: Path, admin: Any) -> None:
    bot = running(sandbox, tmp_path, admin)
    try:
        card = bot.ask("export T2 bookings yesterday", sender=bot.sandbox.tenant.users[4])
        assert "Only admins can export" in str(card_to_text(card.content))
        assert bot.sandbox.calls_to("/im/v1/files") == []
        assert not any(r.msg_type == "file" for r in bot.sandbox.sent)
    finally:
        bot.stop()
