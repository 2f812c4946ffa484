"""The export formats, their media types, and opening a writer for one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from custgraph.exports.cells import Cell


class ExportFormat(StrEnum):
    CSV = "CSV"
    XLSX = "XLSX"
    PDF = "PDF"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
}
EXTENSIONS = {ExportFormat.CSV: "csv", ExportFormat.XLSX: "xlsx", ExportFormat.PDF: "pdf"}


class ExportWriter(Protocol):
    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None: ...
    def close(self) -> None: ...


def open_writer(
    fmt: ExportFormat, path: Path, headers: Sequence[str], *, title: str, subtitle: str
) -> ExportWriter:
    """A writer of `fmt` to `path`; rows are written in batches, then `close()` finishes it."""
    # Imported here: each format's library is loaded only when a file of it is written.
    if fmt is ExportFormat.CSV:
        from custgraph.exports.csv_file import CsvWriter

        return CsvWriter(path, headers)
    if fmt is ExportFormat.XLSX:
        from custgraph.exports.xlsx_file import XlsxWriter

        return XlsxWriter(path, headers, title, subtitle)
    from custgraph.exports.pdf_file import PdfWriter

    return PdfWriter(path, headers, title, subtitle)
