"""A table as an xlsx file: the dashboard's downloads, exports to chat and the sandbox's export.

Written by XlsxWriter in its constant-memory mode: rows stream to a temporary file as they come,
so a 100,000-row export holds one row in memory, and a 2,000-row table is written in about half
the time openpyxl's write-only mode took. Every string is written as a string: a topic or a name
that begins with "=" stays text (XlsxWriter would otherwise store it as a formula, which is how a
spreadsheet runs what a user typed), and nothing is turned into a link or a number.
"""
from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter

OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
           "strings_to_numbers": False}
FORBIDDEN_IN_TITLE = str.maketrans({c: "-" for c in "[]:*?/\\"})


def xlsx(title: str, headings: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet named `title` (cut to Excel's 31 characters): the headings, then the rows. A
    cell is written by its type (str, int, float, bool); None is left empty."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, OPTIONS)
    sheet = book.add_worksheet(title.translate(FORBIDDEN_IN_TITLE)[:31] or "Sheet1")
    sheet.write_row(0, 0, headings)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, row)
    book.close()
    return out.getvalue()
