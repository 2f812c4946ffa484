"""The export writers: each file read back by a real reader (csv, openpyxl, pdftotext) and
checked cell by cell, the formula guard, and memory that stays flat as rows stream through."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from custgraph.exports.cells import Cell, guarded_text
from custgraph.exports.formats import EXTENSIONS, MEDIA_TYPES, ExportFormat, open_writer
from custgraph.exports.pdf_file import PAGES_PER_PART
from custgraph.exports.xlsx_file import FIRST_DATA_ROW, HEADER_ROW, SUBTITLE_ROW, TITLE_ROW

TITLE = "Customers"
SUBTITLE = "Filter: status ACTIVE; search “anna” — exported 2026-12-02 18:30 UTC by Jane Doe"
HEADERS = [
    "Reference",
    "Name",
    "Phone",
    "Credit balance (EUR)",
    "Orders",
    "Born",
    "Registered at (UTC)",
    "Verified",
    "Note",
]
REGISTERED = datetime(2026, 12, 2, 18, 30, 5, tzinfo=UTC)
BERLIN = timezone(timedelta(hours=1))
FORMULAS = ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd", "\t=1"]
PLAIN = ["+4930123456", "-12.50", "Anna"]


def _note_row(index: int, note: str) -> list[Cell]:
    return [f"CUST-1{index:03d}", "Formula", None, None, None, None, None, None, note]


ROWS: list[list[Cell]] = [
    [
        "CUST-0001",
        "Jürgen Müller",
        "+4930123456",
        Decimal("12.50"),
        3,
        date(1980, 5, 17),
        REGISTERED,
        True,
        None,
    ],
    # The same instant in another zone: exported in UTC.
    [
        "CUST-0002",
        "Zoë Ærøskøbing",
        None,
        Decimal("-0.01"),
        0,
        None,
        REGISTERED.astimezone(BERLIN),
        False,
        'comma, "quote"\nand a second line',
    ],
    [
        "CUST-0003",
        "Anna",
        "-12.50",
        Decimal("1E+3"),
        -7,
        date(2000, 2, 29),
        None,
        None,
        "Straße",
    ],
    *(_note_row(index, note) for index, note in enumerate(FORMULAS + PLAIN)),
]


def _write(fmt: ExportFormat, path: Path, rows: Sequence[Sequence[Cell]], batch: int = 2) -> Path:
    writer = open_writer(fmt, path, HEADERS, title=TITLE, subtitle=SUBTITLE)
    for start in range(0, len(rows), batch):
        writer.write_rows(rows[start : start + batch])
    writer.close()
    return path


# The guard


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1+1", "'  =1+1"),
        ("-", "'-"),
        ("+", "'+"),
        ("-1e5", "'-1e5"),
        ("+1.2.3", "'+1.2.3"),
        ("+4930123456", "+4930123456"),
        ("-12.50", "-12.50"),
        ("+0.5", "+0.5"),
        ("-.5", "-.5"),
        ("Anna", "Anna"),
        ("a=b", "a=b"),
        ("", ""),
        ("12", "12"),
    ],
)
def test_guarded_text(value: str, expected: str) -> None:
    assert guarded_text(value) == expected


# The registry


def test_every_format_has_a_media_type_and_an_extension() -> None:
    assert set(MEDIA_TYPES) == set(EXTENSIONS) == set(ExportFormat)
    assert MEDIA_TYPES[ExportFormat.CSV] == "text/csv; charset=utf-8"
    assert ExportFormat("XLSX") is ExportFormat.XLSX and str(ExportFormat.PDF) == "PDF"
    assert [EXTENSIONS[fmt] for fmt in ExportFormat] == ["csv", "xlsx", "pdf"]


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_a_row_of_the_wrong_width_is_refused(fmt: ExportFormat, tmp_path: Path) -> None:
    writer = open_writer(fmt, tmp_path / "short", HEADERS, title=TITLE, subtitle=SUBTITLE)
    with pytest.raises(ValueError, match="cells"):
        writer.write_rows([["CUST-0001"]])
    writer.close()


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_a_naive_datetime_is_refused(fmt: ExportFormat, tmp_path: Path) -> None:
    writer = open_writer(fmt, tmp_path / "naive", ["At"], title=TITLE, subtitle=SUBTITLE)
    with pytest.raises(ValueError, match="timezone-aware"):
        writer.write_rows([[datetime(2026, 1, 1, 12, 0)]])
    writer.close()


# CSV


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.reader(file))


def test_csv_reads_back_cell_by_cell(tmp_path: Path) -> None:
    path = _write(ExportFormat.CSV, tmp_path / "customers.csv", ROWS)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfReference,Name,")  # the BOM, and no title line
    assert raw.count(b"\r\n") == len(ROWS) + 1  # the one newline inside a cell stays \n
    read = _read_csv(path)
    assert read[0] == HEADERS
    assert read[1] == [
        "CUST-0001",
        "Jürgen Müller",
        "+4930123456",
        "12.50",
        "3",
        "1980-05-17",
        "2026-12-02T18:30:05Z",
        "true",
        "",
    ]
    assert read[2] == [
        "CUST-0002",
        "Zoë Ærøskøbing",
        "",
        "-0.01",
        "0",
        "",
        "2026-12-02T18:30:05Z",
        "false",
        'comma, "quote"\nand a second line',
    ]
    assert read[3] == ["CUST-0003", "Anna", "-12.50", "1000", "-7", "2000-02-29", "", "", "Straße"]
    notes = [row[-1] for row in read[4:]]
    assert notes == ["'" + value for value in FORMULAS] + PLAIN
    assert len(read) == len(ROWS) + 1


def test_csv_with_no_rows_is_the_header(tmp_path: Path) -> None:
    assert _read_csv(_write(ExportFormat.CSV, tmp_path / "empty.csv", [])) == [HEADERS]


# XLSX


def _sheet_rows(path: Path) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(cell.value for cell in row) for row in book["Customers"].iter_rows()]
    finally:
        book.close()


def test_xlsx_reads_back_cell_by_cell(tmp_path: Path) -> None:
    path = _write(ExportFormat.XLSX, tmp_path / "customers.xlsx", ROWS)
    rows = _sheet_rows(path)
    assert rows[TITLE_ROW][0] == TITLE
    assert rows[SUBTITLE_ROW][0] == SUBTITLE
    assert list(rows[HEADER_ROW]) == HEADERS
    data = rows[FIRST_DATA_ROW:]
    assert len(data) == len(ROWS)
    for read, written in zip(data, ROWS, strict=True):
        for got, expected in zip(read, written, strict=True):
            assert _xlsx_value(got) == _xlsx_expected(expected), (read, written)


def _xlsx_expected(value: Cell) -> object:
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)  # times are UTC, stored naive
    return value


def _xlsx_value(value: object) -> object:
    if isinstance(value, float):
        return Decimal(repr(value)).quantize(Decimal("0.01"))
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()  # Excel has no date type: a date is a midnight
    return value


def test_xlsx_keeps_types_and_never_makes_a_formula(tmp_path: Path) -> None:
    headers = ["Text", "Amount", "Born", "At", "Count", "Big", "Exact", "Flag"]
    row: list[Cell] = [
        '=HYPERLINK("http://x")',
        Decimal("12.50"),
        date(1980, 5, 17),
        REGISTERED,
        42,
        2**60,
        Decimal("12345678901234567.89"),
        True,
    ]
    path = tmp_path / "types.xlsx"
    writer = open_writer(ExportFormat.XLSX, path, headers, title=TITLE, subtitle=SUBTITLE)
    writer.write_rows([row, ["http://example.com", None, None, None, None, None, None, None]])
    writer.close()
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = book["Customers"]
        cells = list(sheet.iter_rows(min_row=FIRST_DATA_ROW + 1, max_row=FIRST_DATA_ROW + 2))
        text, amount, born, at, count, big, exact, flag = cells[0]
        assert text.data_type == "s" and text.value == '=HYPERLINK("http://x")'
        assert amount.data_type == "n" and amount.value == 12.5 and amount.number_format == "0.00"
        assert born.is_date and born.value == datetime(1980, 5, 17)
        assert at.is_date and at.value == datetime(2026, 12, 2, 18, 30, 5)
        assert count.value == 42
        # Past what a double holds exactly, numbers are written as text rather than changed.
        assert big.data_type == "s" and big.value == str(2**60)
        assert exact.data_type == "s" and exact.value == "12345678901234567.89"
        assert flag.data_type == "b" and flag.value is True
        assert cells[1][0].data_type == "s" and cells[1][0].value == "http://example.com"
    finally:
        book.close()
    assert openpyxl.load_workbook(path).active.freeze_panes == f"A{FIRST_DATA_ROW + 1}"


def test_xlsx_with_no_rows_has_the_header(tmp_path: Path) -> None:
    rows = _sheet_rows(_write(ExportFormat.XLSX, tmp_path / "empty.xlsx", []))
    assert rows[TITLE_ROW][0] == TITLE and list(rows[HEADER_ROW]) == HEADERS
    assert len(rows) == HEADER_ROW + 1


# PDF

REFERENCE = re.compile(r"CUST-\d{4,5}")


def _pdf_pages(path: Path) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page, the last one too, with \f


def _many_rows(count: int) -> list[list[Cell]]:
    return [
        [
            f"CUST-{index:05d}",
            f"Anna Müller {index}",
            "+4930123456",
            Decimal(index) / 100,
            index,
            date(1990, 1, 1),
            REGISTERED,
            index % 2 == 0,
            None,
        ]
        for index in range(1, count + 1)
    ]


def test_pdf_pages_each_have_the_header_and_the_rows_in_order(tmp_path: Path) -> None:
    rows = _many_rows(300)
    pages = _pdf_pages(_write(ExportFormat.PDF, tmp_path / "customers.pdf", rows, batch=100))
    assert len(pages) >= 3
    assert TITLE in pages[0] and SUBTITLE in pages[0]
    for number, page in enumerate(pages, start=1):
        header_line = next(line for line in page.splitlines() if "Reference" in line)
        assert header_line.split() == " ".join(HEADERS).split()
        assert f"Page {number}" in page
    assert REFERENCE.findall("\n".join(pages)) == [row[0] for row in rows]
    first = next(line for line in pages[0].splitlines() if "CUST-00001" in line)
    assert first.split() == [
        "CUST-00001",
        "Anna",
        "Müller",
        "1",
        "+4930123456",
        "0.01",
        "1",
        "1990-01-01",
        "2026-12-02T18:30:05Z",
        "false",
    ]


def test_pdf_with_no_rows_is_one_page_with_the_header(tmp_path: Path) -> None:
    pages = _pdf_pages(_write(ExportFormat.PDF, tmp_path / "empty.pdf", []))
    assert len(pages) == 1
    assert TITLE in pages[0] and SUBTITLE in pages[0] and "Page 1" in pages[0]
    assert all(header.split()[0] in pages[0] for header in HEADERS)


def test_pdf_takes_any_text_and_cuts_what_does_not_fit(tmp_path: Path) -> None:
    odd: list[Cell] = [
        "CUST-0001",
        "Łódź Ωμέγα Кирилл 漢字",
        "\x00\x07",
        None,
        None,
        None,
        None,
        None,
        "a line\nand another " + "x" * 500,
    ]
    pages = _pdf_pages(_write(ExportFormat.PDF, tmp_path / "odd.pdf", [*ROWS, odd]))
    text = "\n".join(pages)
    assert REFERENCE.findall(text) == [row[0] for row in [*ROWS, odd]]
    long_line = next(line for line in text.splitlines() if "and another" in line)
    assert long_line.rstrip().endswith("…") and "x" * 500 not in long_line
    # No guard in a PDF: nothing runs there, so the text is shown as it is.
    assert '=HYPERLINK("http://x")' in text


# Memory


def _batch(start: int, size: int) -> list[list[Cell]]:
    # Fresh objects for every batch: a writer that kept rows would keep all of them.
    return [
        [f"CUST-{index:06d}", f"Jürgen Müller {index}", Decimal(index) / 100, REGISTERED, True]
        for index in range(start, start + size)
    ]


def _peak_bytes(fmt: ExportFormat, path: Path, rows: int) -> int:
    headers = ["Reference", "Name", "Credit balance (EUR)", "Registered at (UTC)", "Verified"]
    tracemalloc.start()
    try:
        writer = open_writer(fmt, path, headers, title=TITLE, subtitle=SUBTITLE)
        for start in range(0, rows, 1000):
            writer.write_rows(_batch(start, 1000))
        writer.close()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


MB = 1 << 20


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_memory_stays_flat(fmt: ExportFormat, tmp_path: Path) -> None:
    _peak_bytes(fmt, tmp_path / "warm-up", 1000)  # imports, fonts and first-use caches, untimed
    small = _peak_bytes(fmt, tmp_path / "small", 2_000)
    large = _peak_bytes(fmt, tmp_path / "large", 20_000)
    # 18,000 more rows kept would take some 7 MB more (a PDF's pages kept, more still).
    # tracemalloc sees Python's heap only: qpdf's page tree, which joins a PDF's parts, is
    # C++ memory, measured for the whole process by bench/export.py.
    assert large < 2 * small + 2 * MB, (small, large)


def test_pdf_of_several_parts_is_one_document_with_pages_in_order(tmp_path: Path) -> None:
    rows = _many_rows(PAGES_PER_PART * 45 * 2 + 10)  # some 45 rows a page: three parts
    path = _write(ExportFormat.PDF, tmp_path / "long.pdf", rows, batch=1000)
    pages = _pdf_pages(path)
    assert len(pages) > 2 * PAGES_PER_PART
    assert [f"Page {number}" in page for number, page in enumerate(pages, start=1)] == [True] * len(
        pages
    )
    assert REFERENCE.findall("\n".join(pages)) == [row[0] for row in rows]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.pdf"]  # no part left behind
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert f"Title:           {TITLE}" in info.stdout
