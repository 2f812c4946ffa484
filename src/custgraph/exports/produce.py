"""Writing a customer list to a file: rows streamed from the database, a batch at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row

from custgraph.db.reader import Reader
from custgraph.exports.columns import ExportColumn, cells_of
from custgraph.exports.formats import ExportFormat, open_writer
from custgraph.loaders.customer_list import CustomerListFilter, count_customers, fetch_customer_page
from custgraph.schema.customer import Customer

# Rows per statement and per hand-over to the writer's thread: large enough that the
# statements' round trips do not count, small enough that memory stays flat.
BATCH_SIZE = 1000

Progress = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class ExportRequest:
    """What to export and how: the list's filter and order, the columns, the format."""

    format: ExportFormat
    columns: Sequence[ExportColumn]
    filter: CustomerListFilter
    sort: str = "REFERENCE"
    descending: bool = False
    title: str = "Customers"
    subtitle: str = ""


async def customer_batches(
    reader: Reader, request: ExportRequest, batch_size: int = BATCH_SIZE
) -> AsyncIterator[list[Row[Any]]]:
    """The list's rows in its order, a batch at a time, by keyset (never an OFFSET, and
    never more than one batch in memory)."""
    after: str | None = None
    while True:
        page = await fetch_customer_page(
            reader,
            request.filter,
            sort=request.sort,
            descending=request.descending,
            size=batch_size,
            backward=False,
            after=after,
            before=None,
        )
        if page.rows:
            yield page.rows
        if not page.has_next_page or not page.rows:
            return
        after = page.cursor(len(page.rows) - 1)


async def count_rows(reader: Reader, request: ExportRequest) -> int:
    return await count_customers(reader, request.filter)


async def write_export(
    reader: Reader,
    request: ExportRequest,
    path: Path,
    currency: str,
    progress: Progress | None = None,
) -> int:
    """Write the export to `path`; returns the number of rows. `progress` is awaited with
    the rows written so far after each batch (and may raise to stop the export).

    The writers are synchronous (CSV, XlsxWriter, reportlab) and run in a thread, so
    that a large export does not hold up the requests this process serves meanwhile.
    """
    headings = [column.heading(currency) for column in request.columns]
    writer = await asyncio.to_thread(
        open_writer, request.format, path, headings, title=request.title, subtitle=request.subtitle
    )
    written = 0
    try:
        async for rows in customer_batches(reader, request):
            cells = [cells_of(Customer.from_row(row, currency), request.columns) for row in rows]
            await asyncio.to_thread(writer.write_rows, cells)
            written += len(rows)
            if progress is not None:
                await progress(written)
    finally:
        await asyncio.to_thread(writer.close)
    return written
