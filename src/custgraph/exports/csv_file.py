"""CSV exports: UTF-8 with a byte-order mark (so Excel reads accents), spreadsheet-safe."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from custgraph.exports.cells import Cell, as_text, guarded_text


class CsvWriter:
    def __init__(self, path: Path, headers: Sequence[str]) -> None:
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._file, lineterminator="\r\n")
        self._csv.writerow(headers)

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        self._csv.writerows(
            [guarded_text(v) if isinstance(v, str) else as_text(v) for v in row] for row in rows
        )

    def close(self) -> None:
        self._file.close()
