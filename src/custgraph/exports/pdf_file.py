"""The PDF writer: A4 landscape pages drawn row by row on a reportlab canvas.

reportlab keeps every finished page's content, uncompressed, in memory until the document
is saved (some 80 KB a page of 31 columns). So the pages are drawn in parts of
PAGES_PER_PART pages, each part saved to its own file as it fills, and the parts joined
into one document at the end (`pdf_join`), which writes each part's objects out as it
reads them: memory stays flat whatever the page count.
"""

from __future__ import annotations

import pathlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from custgraph.exports.cells import Cell, as_text
from custgraph.exports.pdf_join import join_pdfs

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 36.0
USABLE_WIDTH = PAGE_WIDTH - 2 * MARGIN

TITLE_SIZE = 14.0
SUBTITLE_SIZE = 9.0
ROW_SIZE = 8.0
ROW_HEIGHT = 11.0
CELL_PADDING = 3.0
FOOTER_Y = MARGIN - 12.0
SHADE_GRAY = 0.93

PAGES_PER_PART = 100  # about 2 MB of reportlab's page content, 4,500 rows

ELLIPSIS = "…"
_SAMPLE_ROWS = 200
_MIN_COLUMN = 36.0
_MAX_COLUMN = USABLE_WIDTH * 0.4
# No 8 pt glyph is narrower than about 1.5 pt: text beyond this many characters cannot fit a row.
_MAX_DRAWN_CHARS = int(PAGE_WIDTH / 1.5)

_DEJAVU = pathlib.Path("/usr/share/fonts/truetype/dejavu")
# Line breaks, tabs and other controls would draw as boxes or break the row's single line.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Exports run in worker threads; registering a font again while another PDF uses it would
# swap the font object under that document.
_REGISTERING = threading.Lock()


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    # The built-in Helvetica covers only WinAnsi (Latin-1 and a few more): others become "?".
    winansi_only: bool


def _load_fonts() -> _Fonts:
    """DejaVu Sans when the system has it (it covers Greek, Cyrillic and more), else Helvetica."""
    regular, bold = _DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf"
    if not (regular.is_file() and bold.is_file()):
        return _Fonts("Helvetica", "Helvetica-Bold", winansi_only=True)
    with _REGISTERING:
        registered = pdfmetrics.getRegisteredFontNames()
        for name, file in (("DejaVuSans", regular), ("DejaVuSans-Bold", bold)):
            if name not in registered:
                pdfmetrics.registerFont(TTFont(name, str(file)))
    return _Fonts("DejaVuSans", "DejaVuSans-Bold", winansi_only=False)


def _drawable(text: str, fonts: _Fonts) -> str:
    text = _CONTROLS.sub(" ", text)
    if fonts.winansi_only:
        return text.encode("cp1252", "replace").decode("cp1252")
    return text


def _fit(text: str, font: str, size: float, width: float) -> str:
    """The text, cut with an ellipsis where it is wider than width."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    text = text[:_MAX_DRAWN_CHARS]
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if pdfmetrics.stringWidth(text[:middle] + ELLIPSIS, font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + ELLIPSIS if low else ""


def _column_widths(natural: Sequence[float]) -> list[float]:
    """The usable width shared by the columns: each narrow one (a reference, a status)
    keeps its natural width whole, and only the wide ones (emails, tags) share what is
    left, so that short values are never cut for the sake of long ones."""
    bounded = [min(max(width, _MIN_COLUMN), _MAX_COLUMN) for width in natural]
    if not bounded:
        return []
    if sum(bounded) <= USABLE_WIDTH:
        scale = USABLE_WIDTH / sum(bounded)
        return [width * scale for width in bounded]
    wide = set(range(len(bounded)))
    while True:
        fixed = sum(bounded[i] for i in range(len(bounded)) if i not in wide)
        share = (USABLE_WIDTH - fixed) / len(wide)
        narrow = {i for i in wide if bounded[i] <= share}
        if not narrow or narrow == wide:
            break
        wide -= narrow
    room = USABLE_WIDTH - sum(bounded[i] for i in range(len(bounded)) if i not in wide)
    wanted = sum(bounded[i] for i in wide)
    return [bounded[i] * room / wanted if i in wide else bounded[i] for i in range(len(bounded))]


class PdfExportWriter:
    """Draws each row as it comes, starts a new page when one is full, and a new part file
    (beside the path) every PAGES_PER_PART pages; close() joins the parts."""

    def __init__(
        self, path: pathlib.Path, headers: Sequence[str], *, title: str, subtitle: str
    ) -> None:
        self._fonts = _load_fonts()
        self._headers = [_drawable(header, self._fonts) for header in headers]
        self._title = _drawable(title, self._fonts)
        self._subtitle = _drawable(subtitle, self._fonts)
        self._path = path
        self._parts: list[pathlib.Path] = []
        self._canvas = self._start_part()
        self._pages_in_part = 0
        self._widths: list[float] | None = None  # fixed by the first rows, or at close
        self._page = 0
        self._y = 0.0
        self._row_on_page = 0

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        batch = rows if isinstance(rows, Sequence) else list(rows)
        if not batch:
            return
        if self._widths is None:
            self._lay_out(batch[:_SAMPLE_ROWS])
        for row in batch:
            if len(row) != len(self._headers):
                raise ValueError(f"a row has {len(row)} cells, the header {len(self._headers)}")
            if self._y - ROW_HEIGHT < MARGIN:
                self._finish_page()
                self._start_page()
            self._draw_row(row)

    def close(self) -> None:
        try:
            if self._widths is None:
                self._lay_out([])
            self._finish_page()
            self._canvas.save()
            if len(self._parts) == 1:
                self._parts[0].replace(self._path)
            else:
                self._join_parts()
        finally:
            for part in self._parts:
                part.unlink(missing_ok=True)

    def _start_part(self) -> canvas.Canvas:
        part = self._path.with_name(f"{self._path.name}.part{len(self._parts)}")
        self._parts.append(part)
        pdf = canvas.Canvas(str(part), pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
        pdf.setTitle(self._title)
        return pdf

    def _join_parts(self) -> None:
        join_pdfs(self._parts, self._path, self._title)

    def _lay_out(self, sample: Sequence[Sequence[Cell]]) -> None:
        """Fixes the column widths from the headers and a sample of rows, and starts page 1."""
        fonts = self._fonts
        natural = [pdfmetrics.stringWidth(header, fonts.bold, ROW_SIZE) for header in self._headers]
        for row in sample:
            for column, value in enumerate(row[: len(natural)]):
                text = _drawable(as_text(value), fonts)[:_MAX_DRAWN_CHARS]
                width = pdfmetrics.stringWidth(text, fonts.regular, ROW_SIZE)
                natural[column] = max(natural[column], width)
        self._widths = _column_widths([width + 2 * CELL_PADDING for width in natural])
        self._start_page()

    def _start_page(self) -> None:
        # A part is saved only when a page follows it, so that no part is ever empty.
        if self._pages_in_part == PAGES_PER_PART:
            self._canvas.save()
            self._canvas = self._start_part()
            self._pages_in_part = 0
        self._page += 1
        self._row_on_page = 0
        pdf, fonts = self._canvas, self._fonts
        top = PAGE_HEIGHT - MARGIN
        pdf.setFont(fonts.bold, TITLE_SIZE)
        pdf.drawString(
            MARGIN, top - TITLE_SIZE, _fit(self._title, fonts.bold, TITLE_SIZE, USABLE_WIDTH)
        )
        subtitle_y = top - TITLE_SIZE - SUBTITLE_SIZE - 6
        pdf.setFont(fonts.regular, SUBTITLE_SIZE)
        subtitle = _fit(self._subtitle, fonts.regular, SUBTITLE_SIZE, USABLE_WIDTH)
        pdf.drawString(MARGIN, subtitle_y, subtitle)
        header_y = subtitle_y - 2 * SUBTITLE_SIZE
        self._draw_cells(header_y, self._headers, fonts.bold, right_aligned=())
        pdf.setLineWidth(0.6)
        rule_y = header_y - 3
        pdf.line(MARGIN, rule_y, PAGE_WIDTH - MARGIN, rule_y)
        self._y = rule_y - 2

    def _finish_page(self) -> None:
        pdf = self._canvas
        pdf.setFont(self._fonts.regular, ROW_SIZE)
        pdf.drawRightString(PAGE_WIDTH - MARGIN, FOOTER_Y, f"Page {self._page}")
        pdf.showPage()
        self._pages_in_part += 1

    def _draw_row(self, row: Sequence[Cell]) -> None:
        top = self._y
        if self._row_on_page % 2:
            self._canvas.setFillGray(SHADE_GRAY)
            self._canvas.rect(MARGIN, top - ROW_HEIGHT, USABLE_WIDTH, ROW_HEIGHT, stroke=0, fill=1)
            self._canvas.setFillGray(0)
        texts = [_drawable(as_text(value), self._fonts) for value in row]
        # Numbers line up on the right, as in a spreadsheet.
        numeric = {
            column
            for column, value in enumerate(row)
            if isinstance(value, int | Decimal) and not isinstance(value, bool)
        }
        self._draw_cells(top - ROW_HEIGHT + 3, texts, self._fonts.regular, right_aligned=numeric)
        self._y = top - ROW_HEIGHT
        self._row_on_page += 1

    def _draw_cells(
        self, baseline: float, texts: Sequence[str], font: str, *, right_aligned: Iterable[int]
    ) -> None:
        right = set(right_aligned)
        line = self._canvas.beginText()
        line.setFont(font, ROW_SIZE)
        left = MARGIN
        widths = self._widths or []
        for column, (text, width) in enumerate(zip(texts, widths, strict=True)):
            room = width - 2 * CELL_PADDING
            shown = _fit(text, font, ROW_SIZE, room)
            x = left + CELL_PADDING
            if column in right:
                x += room - pdfmetrics.stringWidth(shown, font, ROW_SIZE)
            line.setTextOrigin(x, baseline)
            line.textOut(shown)
            left += width
        self._canvas.drawText(line)
