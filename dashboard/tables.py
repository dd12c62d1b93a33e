"""A dashboard table as data: its columns and rows, built once and shown on the page or downloaded as CSV or as a
workbook. Every download is made safe against spreadsheet formula injection: a text cell that a spreadsheet would
read as a formula (starting =, +, -, @, a tab or a carriage return) is written with a leading apostrophe, so it is
shown as the text it is and never run."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False
    format: Callable[[Any], str] | None = None  # how the page shows a value; downloads keep the value itself


@dataclass(frozen=True)
class Table:
    key: str  # the download's name: /dashboard/export/<key>.csv
    caption: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    links: dict[str, Callable[[dict[str, Any]], str | None]] = field(default_factory=dict)  # column -> href
    exact_csv: str | None = None  # a CSV in a shape set elsewhere (the DfE return), sent as it is, without a BOM

    def shown(self, row: dict[str, Any], column: Column) -> str:
        value = row.get(column.key)
        if value is None:
            return ""
        if column.format is not None:
            return column.format(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        if isinstance(value, float):
            return f"{value:,.1f}"
        if isinstance(value, date):
            return f"{value.day} {value:%b %Y}"
        return str(value)


def safe_text(value: str) -> str:
    """Text a spreadsheet will show and never evaluate."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return safe_text(str(value))


def as_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(column.label) for column in table.columns])
    for row in table.rows:
        cells = [_cell(row.get(column.key)) for column in table.columns]
        writer.writerow([cell.isoformat() if isinstance(cell, date) else cell for cell in cells])
    return out.getvalue()


def as_xlsx(table: Table) -> bytes:
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = table.caption[:31].translate(str.maketrans("", "", "[]:*?/\\")) or "Table"
    sheet.append([safe_text(column.label) for column in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        # Control characters a workbook cannot hold (a pupil's name from a school's file may have one) are dropped.
        cells = [_cell(row.get(column.key)) for column in table.columns]
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell for cell in cells])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, whatever it starts with
            elif isinstance(cell.value, date | datetime):
                cell.number_format = "yyyy-mm-dd"
    for index, column in enumerate(table.columns, start=1):
        longest = max([len(column.label)] + [len(str(row.get(column.key) or "")) for row in table.rows[:500]])
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(60, longest + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
