"""The XLSX writer: XlsxWriter in constant-memory mode, every cell with its own type."""

from __future__ import annotations

import pathlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter

from custgraph.exports.cells import Cell, as_utc

SHEET_NAME = "Customers"
TITLE_ROW = 0
SUBTITLE_ROW = 1
HEADER_ROW = 3
FIRST_DATA_ROW = 4

_MAX_ROWS = 1_048_576  # Excel's limit; XlsxWriter would drop rows past it silently
_EXACT_INT_LIMIT = 2**53  # past it a double (all Excel stores) loses digits
_MIN_WIDTH = 10
_MAX_WIDTH = 50

_WORKBOOK_OPTIONS = {
    # Rows go to a temporary file as they are written: memory stays flat whatever the row count.
    "constant_memory": True,
    # Customer text is data: "=HYPERLINK(...)" or "http://..." must stay text, never be run.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def _column_width(header: str) -> int:
    # Constant-memory mode writes rows as they come, so widths are set up front from the headers.
    return min(max(len(header) + 2, _MIN_WIDTH), _MAX_WIDTH)


def _exact_float(value: Decimal) -> float | None:
    """The Decimal as a float when the float reads back as the same number, else None.

    Excel keeps numbers as doubles: an amount like 12.50 survives, but one with more than about
    15 significant digits would silently change, so such a value is written as text instead.
    """
    if not value.is_finite():
        return None
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else None


class XlsxExportWriter:
    """Writes the title, the subtitle and the header, then each batch of rows as it comes."""

    def __init__(
        self, path: pathlib.Path, headers: Sequence[str], *, title: str, subtitle: str
    ) -> None:
        self._width = len(headers)
        self._workbook = xlsxwriter.Workbook(str(path), _WORKBOOK_OPTIONS)
        self._sheet = self._workbook.add_worksheet(SHEET_NAME)
        bold = self._workbook.add_format({"bold": True})
        self._date_format = self._workbook.add_format({"num_format": "yyyy-mm-dd"})
        self._datetime_format = self._workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._decimal_formats: dict[int, Any] = {}
        for column, header in enumerate(headers):
            self._sheet.set_column(column, column, _column_width(header))
        self._sheet.write_string(TITLE_ROW, 0, title, bold)
        self._sheet.write_string(SUBTITLE_ROW, 0, subtitle)
        for column, header in enumerate(headers):
            self._sheet.write_string(HEADER_ROW, column, header, bold)
        self._sheet.freeze_panes(FIRST_DATA_ROW, 0)
        self._next_row = FIRST_DATA_ROW

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        for row in rows:
            if len(row) != self._width:
                raise ValueError(f"a row has {len(row)} cells, the header {self._width}")
            if self._next_row >= _MAX_ROWS:
                raise ValueError(f"an XLSX sheet holds at most {_MAX_ROWS} rows")
            for column, value in enumerate(row):
                self._write_cell(self._next_row, column, value)
            self._next_row += 1

    def close(self) -> None:
        last_row = max(self._next_row - 1, HEADER_ROW)
        if self._width:
            self._sheet.autofilter(HEADER_ROW, 0, last_row, self._width - 1)
        self._workbook.close()

    def _write_cell(self, row: int, column: int, value: Cell) -> None:
        # bool before int and datetime before date: each is a subclass of the other.
        sheet = self._sheet
        if value is None:
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, str):
            sheet.write_string(row, column, value)
        elif isinstance(value, int):
            if abs(value) < _EXACT_INT_LIMIT:
                sheet.write_number(row, column, value)
            else:
                sheet.write_string(row, column, str(value))
        elif isinstance(value, Decimal):
            self._write_decimal(row, column, value)
        elif isinstance(value, datetime):
            # XlsxWriter takes naive datetimes only; every export time is UTC.
            naive = as_utc(value).replace(tzinfo=None)
            sheet.write_datetime(row, column, naive, self._datetime_format)
        elif isinstance(value, date):
            sheet.write_datetime(row, column, value, self._date_format)

    def _write_decimal(self, row: int, column: int, value: Decimal) -> None:
        as_float = _exact_float(value)
        if as_float is None:
            self._sheet.write_string(row, column, format(value, "f"))
            return
        self._sheet.write_number(row, column, as_float, self._decimal_format(value))

    def _decimal_format(self, value: Decimal) -> Any:
        # Two places for money; more when the value has them, so that none is hidden.
        exponent = value.as_tuple().exponent
        places = max(2, -exponent) if isinstance(exponent, int) else 2
        if places not in self._decimal_formats:
            pattern = "0." + "0" * places
            self._decimal_formats[places] = self._workbook.add_format({"num_format": pattern})
        return self._decimal_formats[places]
