"""XLSX exports through XlsxWriter in constant-memory mode: each row goes to disk as written."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from custgraph.exports.cells import Cell

HEADER_ROW = 3


class XlsxWriter:
    def __init__(self, path: Path, headers: Sequence[str], title: str, subtitle: str) -> None:
        # Strings are never turned into formulas or links: a name starting with `=` is text.
        self._book = xlsxwriter.Workbook(
            str(path),
            {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        self._sheet = self._book.add_worksheet("Customers")
        bold = self._book.add_format({"bold": True})
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._time = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._amount = self._book.add_format({"num_format": "0.00"})
        for index, header in enumerate(headers):
            self._sheet.set_column(index, index, max(10, min(40, len(header) + 4)))
        self._sheet.write_string(0, 0, title, bold)
        self._sheet.write_string(1, 0, subtitle)
        for index, header in enumerate(headers):
            self._sheet.write_string(HEADER_ROW, index, header, bold)
        self._sheet.freeze_panes(HEADER_ROW + 1, 0)
        self._row = HEADER_ROW + 1

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        for row in rows:
            for column, value in enumerate(row):
                self._write(column, value)
            self._row += 1

    def _write(self, column: int, value: Cell) -> None:
        sheet: Any = self._sheet
        if value is None:
            return
        if isinstance(value, bool):
            sheet.write_boolean(self._row, column, value)
        elif isinstance(value, int):
            sheet.write_number(self._row, column, value)
        elif isinstance(value, Decimal):
            # Money has two decimals and fits a double exactly enough to show; anything
            # a double would round is written as text rather than changed.
            if Decimal(str(float(value))) == value:
                sheet.write_number(self._row, column, float(value), self._amount)
            else:
                sheet.write_string(self._row, column, format(value, "f"))
        elif isinstance(value, datetime):
            naive = value.astimezone(UTC).replace(tzinfo=None)  # XlsxWriter wants naive UTC
            sheet.write_datetime(self._row, column, naive, self._time)
        elif isinstance(value, date):
            sheet.write_datetime(
                self._row, column, datetime(value.year, value.month, value.day), self._date
            )
        else:
            sheet.write_string(self._row, column, value)

    def close(self) -> None:
        self._book.close()
