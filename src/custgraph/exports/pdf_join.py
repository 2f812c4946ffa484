"""Joining PDF part files into one document, written out as each part is read.

qpdf (through pikepdf) reads each part; every page and each object it reaches (its
content stream, fonts, resources) is written to the target at once, renumbered, and the
part is closed before the next is opened. What stays in memory for the whole document
is one file offset per object written and one object number per page, a few bytes a
page. Joining with qpdf itself (`Pdf.pages.extend`, then `save`) holds every part open
and every page's object tree until the end: some 40 KiB a page of an export.

Only what an export's parts hold is copied: pages, their resources and streams, as
reportlab writes them. Outlines, annotations' targets across parts and forms are not
carried (an export has none).
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, BinaryIO

import pikepdf

_HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


class _ObjectWriter:
    """Writes numbered objects to `out` in any order, remembering where each starts."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._offsets: list[int | None] = [None]  # object 0 is the free list's head
        out.write(_HEADER)
        self._position = len(_HEADER)

    def reserve(self) -> int:
        self._offsets.append(None)
        return len(self._offsets) - 1

    def write(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._position
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        self._out.write(chunk)
        self._position += len(chunk)

    def finish(self, root: int, info: int) -> None:
        """The cross-reference table and the trailer; every reserved object written."""
        if any(offset is None for offset in self._offsets[1:]):
            raise ValueError("an object was reserved but never written")
        lines = [b"xref\n0 %d\n" % len(self._offsets), b"0000000000 65535 f \n"]
        lines += [b"%010d 00000 n \n" % offset for offset in self._offsets[1:] if offset]
        self._out.write(b"".join(lines))
        self._out.write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(self._offsets), root, info, self._position)
        )


class _PartCopier:
    """Copies one part's objects into the writer, each once, renumbered."""

    def __init__(self, writer: _ObjectWriter, pages_number: int) -> None:
        self._writer = writer
        self._pages_number = pages_number
        self._numbers: dict[tuple[int, int], int] = {}
        self._pending: list[tuple[int, pikepdf.Object]] = []

    def copy_page(self, page: pikepdf.Object) -> int:
        number = self._writer.reserve()
        self._numbers[page.objgen] = number
        fields = [
            b"%s %s" % (pikepdf.Name(key).unparse(), self._value(value))
            for key, value in page.items()
            if key != "/Parent"
        ]
        fields.append(b"/Parent %d 0 R" % self._pages_number)
        self._writer.write(number, b"<< " + b" ".join(fields) + b" >>")
        self._write_pending()
        return number

    def _write_pending(self) -> None:
        while self._pending:
            number, obj = self._pending.pop()
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                fields = [
                    b"%s %s" % (pikepdf.Name(key).unparse(), self._value(value))
                    for key, value in obj.stream_dict.items()
                    if key != "/Length"
                ]
                fields.append(b"/Length %d" % len(raw))
                body = b"<< " + b" ".join(fields) + b" >>\nstream\n" + raw + b"\nendstream"
            else:
                body = self._direct(obj)
            self._writer.write(number, body)

    def _value(self, value: Any) -> bytes:
        if isinstance(value, pikepdf.Object) and value.is_indirect:
            number = self._numbers.get(value.objgen)
            if number is None:
                number = self._numbers[value.objgen] = self._writer.reserve()
                self._pending.append((number, value))
            return b"%d 0 R" % number
        return self._direct(value)

    def _direct(self, value: Any) -> bytes:
        if isinstance(value, bool):
            return b"true" if value else b"false"
        if isinstance(value, int):
            return b"%d" % value
        if isinstance(value, Decimal | float):
            return format(Decimal(value).normalize(), "f").encode()
        if value is None:
            return b"null"
        if isinstance(value, pikepdf.Dictionary):
            fields = [
                b"%s %s" % (pikepdf.Name(key).unparse(), self._value(item))
                for key, item in value.items()
            ]
            return b"<< " + b" ".join(fields) + b" >>"
        if isinstance(value, pikepdf.Array):
            return b"[" + b" ".join(self._value(item) for item in value) + b"]"
        unparsed: bytes = value.unparse()
        return unparsed


def join_pdfs(parts: Sequence[pathlib.Path], target: pathlib.Path, title: str) -> None:
    """Write the pages of `parts`, in order, as one document at `target` titled `title`."""
    with target.open("wb") as out:
        writer = _ObjectWriter(out)
        pages_number = writer.reserve()
        kids: list[int] = []
        for part in parts:
            with pikepdf.open(part) as pdf:
                copier = _PartCopier(writer, pages_number)
                kids.extend(copier.copy_page(page.obj) for page in pdf.pages)
        references = b" ".join(b"%d 0 R" % kid for kid in kids)
        writer.write(
            pages_number, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (references, len(kids))
        )
        catalog = writer.reserve()
        writer.write(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages_number)
        info = writer.reserve()
        writer.write(info, b"<< /Title %s >>" % pikepdf.String(title).unparse())
        writer.finish(catalog, info)
