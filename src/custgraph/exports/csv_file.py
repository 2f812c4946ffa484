"""The CSV writer: UTF-8 with a BOM, CRLF line ends, formula-looking text guarded."""

from __future__ import annotations

import csv
import pathlib
from collections.abc import Iterable, Sequence

from custgraph.exports.cells import Cell, as_text, guarded_text

# Without a BOM, Excel reads UTF-8 CSV as the locale's code page and garbles umlauts.
_ENCODING = "utf-8-sig"
_BUFFER_BYTES = 1 << 16


def _csv_cell(value: Cell) -> str:
    if isinstance(value, str):
        return guarded_text(value)
    return as_text(value)


class CsvExportWriter:
    """Writes a header row, then each batch of rows straight to the file (no row is kept)."""

    def __init__(self, path: pathlib.Path, headers: Sequence[str]) -> None:
        self._width = len(headers)
        # newline="" lets the csv module write its own \r\n and quote newlines inside cells.
        self._file = path.open("w", encoding=_ENCODING, newline="", buffering=_BUFFER_BYTES)
        self._csv = csv.writer(self._file, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        self._csv.writerow([guarded_text(header) for header in headers])

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        for row in rows:
            if len(row) != self._width:
                raise ValueError(f"a row has {len(row)} cells, the header {self._width}")
            self._csv.writerow([_csv_cell(value) for value in row])

    def close(self) -> None:
        self._file.close()
