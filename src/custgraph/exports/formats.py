"""The export formats: their media types and file extensions, and the writer for each."""

from __future__ import annotations

import pathlib
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Protocol, assert_never

from custgraph.exports.cells import Cell


class ExportFormat(StrEnum):
    CSV = "CSV"
    XLSX = "XLSX"
    PDF = "PDF"


MEDIA_TYPES: dict[ExportFormat, str] = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
}

EXTENSIONS: dict[ExportFormat, str] = {
    ExportFormat.CSV: "csv",
    ExportFormat.XLSX: "xlsx",
    ExportFormat.PDF: "pdf",
}


class ExportWriter(Protocol):
    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        """Appends a batch of rows, each with one cell per header."""

    def close(self) -> None:
        """Finishes the file: after it the file at the writer's path is complete."""


def open_writer(
    fmt: ExportFormat,
    path: pathlib.Path,
    headers: Sequence[str],
    *,
    title: str,
    subtitle: str,
) -> ExportWriter:
    """A writer of fmt to path; CSV has no room for the title and subtitle (its first row is
    the header), the other formats show them above it."""
    # Imported here: a process loads XlsxWriter or reportlab only once it writes such a file
    # (the app imports this module for its media types alone).
    match fmt:
        case ExportFormat.CSV:
            from custgraph.exports.csv_file import CsvExportWriter

            return CsvExportWriter(path, headers)
        case ExportFormat.XLSX:
            from custgraph.exports.xlsx_file import XlsxExportWriter

            return XlsxExportWriter(path, headers, title=title, subtitle=subtitle)
        case ExportFormat.PDF:
            from custgraph.exports.pdf_file import PdfExportWriter

            return PdfExportWriter(path, headers, title=title, subtitle=subtitle)
        case _:
            assert_never(fmt)
