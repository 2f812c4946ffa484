"""PDF exports through reportlab's canvas: a paginated table, drawn page by page.

Not a platypus Table over all rows, which would hold every row until the end; the
canvas keeps only each finished page's compressed content until the file is saved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from custgraph.exports.cells import Cell, as_text

MARGIN = 28.0
ROW_HEIGHT = 12.0
FONT_SIZE = 7.5
# DejaVu covers far more than Latin-1 (names in Greek, Cyrillic, …); Helvetica, built
# into every PDF reader, is the fallback where the font is not installed.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def _fonts() -> tuple[str, str]:
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        if "CustgraphSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("CustgraphSans", str(regular)))
            pdfmetrics.registerFont(TTFont("CustgraphSans-Bold", str(bold)))
        return "CustgraphSans", "CustgraphSans-Bold"
    return "Helvetica", "Helvetica-Bold"


class PdfWriter:
    def __init__(self, path: Path, headers: Sequence[str], title: str, subtitle: str) -> None:
        self._font, self._bold = _fonts()
        self._size = landscape(A4)
        self._canvas = Canvas(str(path), pagesize=self._size, pageCompression=1)
        self._canvas.setTitle(title)
        self._headers = list(headers)
        self._title, self._subtitle = title, subtitle
        self._widths: list[float] | None = None
        self._page = 0
        self._y = 0.0
        self._shade = False

    def _fit(self, text: str, width: float, font: str) -> str:
        if pdfmetrics.stringWidth(text, font, FONT_SIZE) <= width:
            return text
        while text and pdfmetrics.stringWidth(text + "…", font, FONT_SIZE) > width:
            text = text[:-1]
        return text + "…"

    def _measure(self, sample: Sequence[Sequence[str]]) -> list[float]:
        # Each column's share: its header's and its widest sampled value's length.
        wants = []
        for index, header in enumerate(self._headers):
            longest = max([len(header), *(len(row[index]) for row in sample)])
            wants.append(float(min(max(longest, 4), 40)))
        usable = self._size[0] - 2 * MARGIN
        return [usable * want / sum(wants) for want in wants]

    def _new_page(self) -> None:
        if self._page:
            self._canvas.showPage()
        self._page += 1
        canvas, (width, height) = self._canvas, self._size
        canvas.setFont(self._bold, 12)
        canvas.drawString(MARGIN, height - MARGIN, self._title)
        canvas.setFont(self._font, 8)
        canvas.drawString(MARGIN, height - MARGIN - 13, self._subtitle)
        canvas.drawRightString(width - MARGIN, MARGIN / 2, f"Page {self._page}")
        self._y = height - MARGIN - 34
        self._draw(self._headers, self._bold)
        canvas.line(MARGIN, self._y + ROW_HEIGHT - 3, width - MARGIN, self._y + ROW_HEIGHT - 3)
        self._shade = False

    def _draw(self, texts: Sequence[str], font: str) -> None:
        assert self._widths is not None
        canvas, x = self._canvas, MARGIN
        if self._shade:
            canvas.setFillGray(0.93)
            canvas.rect(MARGIN, self._y - 3, self._size[0] - 2 * MARGIN, ROW_HEIGHT, 0, 1)
            canvas.setFillGray(0)
        canvas.setFont(font, FONT_SIZE)
        for text, width in zip(texts, self._widths, strict=True):
            canvas.drawString(x + 1, self._y, self._fit(text, width - 3, font))
            x += width
        self._y -= ROW_HEIGHT

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        texts = [[as_text(value) for value in row] for row in rows]
        if self._widths is None:
            self._widths = self._measure(texts[:200])
            self._new_page()
        for row in texts:
            if self._y < MARGIN + ROW_HEIGHT:
                self._new_page()
            self._shade = not self._shade
            self._draw(row, self._font)

    def close(self) -> None:
        if self._widths is None:  # no rows: the header on one page
            self._widths = self._measure([])
            self._new_page()
        self._canvas.save()
