"""Every dashboard table as a file: CSV (UTF-8 with a BOM, so Excel reads Chinese) or xlsx."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

Column = tuple[str, str]  # (key in the row, heading)
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
        writer.writerows(values)
        return out.getvalue().encode("utf-8-sig")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(headings)
    for line in values:
        sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float, str)):
        return value
    return str(value)
