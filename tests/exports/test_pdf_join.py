"""Joining PDF parts (exports/pdf_join.py): one valid document, the pages in order, and
memory that does not grow with the number of pages joined."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pikepdf
import pytest
from reportlab.pdfgen import canvas

from custgraph.exports.pdf_file import _load_fonts
from custgraph.exports.pdf_join import join_pdfs


def _part(path: Path, first_page: int, pages: int) -> Path:
    """A part as the export writes one: reportlab, compressed pages, the embedded font."""
    fonts = _load_fonts()
    pdf = canvas.Canvas(str(path), pageCompression=1)
    for number in range(first_page, first_page + pages):
        pdf.setFont(fonts.regular, 11)
        pdf.drawString(72, 720, f"Seite {number} — Kundin Jürgen Øster")
        pdf.setFont(fonts.bold, 9)
        pdf.drawString(72, 700, f"marker-{number:05d}")
        pdf.showPage()
    pdf.save()
    return path


def _parts(directory: Path, count: int, pages: int) -> list[Path]:
    return [_part(directory / f"p{i}.pdf", i * pages + 1, pages) for i in range(count)]


def _fonts_of(pdf: pikepdf.Pdf) -> set[tuple[int, int]]:
    return {font.objgen for page in pdf.pages for font in page.obj["/Resources"]["/Font"].values()}


def test_the_joined_document_is_valid_and_holds_every_page_in_order(tmp_path: Path) -> None:
    parts = _parts(tmp_path, 3, 4)
    target = tmp_path / "joined.pdf"
    join_pdfs(parts, target, "Customers — Ünïcode")
    with pikepdf.open(target) as joined:
        assert joined.check_pdf_syntax() == []
        assert len(joined.pages) == 12
        assert str(joined.docinfo["/Title"]) == "Customers — Ünïcode"
        # Each part's fonts are copied once, not once per page.
        assert len(_fonts_of(joined)) == sum(len(_fonts_of(pikepdf.open(p))) for p in parts)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")[:-1]
    assert [f"marker-{n:05d}" in page for n, page in enumerate(pages, start=1)] == [True] * 12
    assert "Seite 7 — Kundin Jürgen Øster" in pages[6]


def test_a_single_part_joins_to_the_same_pages(tmp_path: Path) -> None:
    (part,) = _parts(tmp_path, 1, 2)
    join_pdfs([part], tmp_path / "one.pdf", "One")
    with pikepdf.open(tmp_path / "one.pdf") as joined, pikepdf.open(part) as original:
        assert joined.check_pdf_syntax() == []
        assert [p.obj["/MediaBox"] for p in joined.pages] == [
            p.obj["/MediaBox"] for p in original.pages
        ]


_PEAK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from custgraph.exports.pdf_join import join_pdfs

    parts = sorted(Path(sys.argv[1]).glob("p*.pdf"), key=lambda p: int(p.stem[1:]))
    join_pdfs(parts[: int(sys.argv[2])], Path(sys.argv[1]) / "joined.pdf", "t")
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print(int(line.split()[1]))
    """
)


def _peak_kib(directory: Path, parts: int) -> int:
    """The peak resident memory of a process that joins the first `parts` parts."""
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(directory), str(parts)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_memory_does_not_grow_with_the_pages_joined(tmp_path: Path) -> None:
    # qpdf's memory is not Python's: measured as the process's peak resident set.
    _parts(tmp_path, 40, 100)
    few, many = _peak_kib(tmp_path, 4), _peak_kib(tmp_path, 40)
    # 3,600 more pages: joined by qpdf (`pages.extend`, `save`) they cost some 40 MiB.
    assert many - few < 8 * 1024, (few, many)
