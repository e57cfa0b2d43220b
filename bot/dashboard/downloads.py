"""Every dashboard table as a file: CSV (UTF-8 with a BOM, so Excel reads Chinese) or xlsx.

A spreadsheet runs a CSV cell that begins with = + - or @ as a formula, so such a text cell gets a
leading apostrophe, which Excel and LibreOffice show as text (OWASP's advice on CSV injection);
numbers are written as they are. The xlsx writes every string as a string (bot.render.sheet)."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from bot.render.sheet import xlsx

Column = tuple[str, str]  # (key in the row, heading)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TYPES = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def table_file(fmt: str, title: str, columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> bytes:
    """The table in `fmt` ("csv" or "xlsx"); headings first, empty cells for missing values."""
    values = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    headings = [heading for _, heading in columns]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(headings)
        writer.writerows([[_csv_text(cell) for cell in line] for line in values])
        return out.getvalue().encode("utf-8-sig")
    return xlsx(title, headings, values)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def _csv_text(cell: Any) -> Any:
    return "'" + cell if isinstance(cell, str) and cell[:1] in FORMULA_STARTS else cell
