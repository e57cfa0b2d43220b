"""The xlsx writer: what a spreadsheet reader gets back, and a typed "=..." that stays text."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from bot.render.sheet import xlsx

ROWS = [["=HYPERLINK(\"http://x\",\"y\")", 3, 0.25, None, True],
        ["珠峰 Everest", -1, 1e6, "http://example.com", "012"]]


def test_cells_come_back_with_their_types_and_a_formula_stays_text() -> None:
    book = load_workbook(io.BytesIO(xlsx("Rooms", ["Room", "N", "Rate", "Note", "Flag"], ROWS)))
    sheet = book["Rooms"]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == ["Room", "N", "Rate", "Note", "Flag"]
    assert cells[1] == ROWS[0] and cells[2] == ROWS[1]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formula cell
    assert all(c.hyperlink is None for row in sheet.iter_rows() for c in row)  # nor a link


def test_calamine_reads_the_sheet_roombot_writes() -> None:
    data = xlsx("预订", ["会议室"], [["珠峰"], ["=1+1"]])
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("预订")
    assert sheet.to_python() == [["会议室"], ["珠峰"], ["=1+1"]]


def test_a_title_excel_refuses_is_mended_and_cut_to_31_characters() -> None:
    data = xlsx("5F: rooms [all] / " + "x" * 40, ["a"], [])
    [name] = load_workbook(io.BytesIO(data)).sheetnames
    assert name == ("5F- rooms -all- - " + "x" * 40)[:31]
    assert load_workbook(io.BytesIO(xlsx("", ["a"], []))).sheetnames == ["Sheet1"]
