"""`custgraph export`: the customer list to standard output, for operators.

It reads the database directly, as the operator running it may: every column is
allowed (the API is where permissions per column apply). Progress goes to standard
error, so that standard output holds nothing but the file.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from tqdm import tqdm

from custgraph.db.engine import create_engine
from custgraph.db.reader import Reader
from custgraph.domain.errors import DomainError
from custgraph.domain.job_selection import describe_filter
from custgraph.exports.columns import COLUMNS, DEFAULT_COLUMNS, columns_named
from custgraph.exports.formats import EXTENSIONS, ExportFormat
from custgraph.exports.produce import ExportRequest, count_rows, write_export
from custgraph.loaders.customer_list import SORT_KEYS, CustomerListFilter
from custgraph.settings import Settings

# `--filter name=value` names, as CustomerFilter's fields in the API, and how to read them.
_LISTS = {"status": "statuses", "tags": "tags", "level": "levels", "externalId": "external_ids"}
_SINGLE: dict[str, tuple[str, Callable[[str], Any]]] = {
    "branch": ("branch", str),
    "salesRepId": ("sales_rep_id", int),
    "registeredFrom": ("registered_from", date.fromisoformat),
    "registeredTo": ("registered_to", date.fromisoformat),
    "updatedFrom": ("updated_from", datetime.fromisoformat),
    "updatedTo": ("updated_to", datetime.fromisoformat),
    "emailVerified": ("email_verified", lambda v: _boolean(v)),
    "hasOrders": ("has_orders", lambda v: _boolean(v)),
}


def _boolean(value: str) -> bool:
    if value.lower() in ("true", "yes", "1"):
        return True
    if value.lower() in ("false", "no", "0"):
        return False
    raise ValueError(value)


def parse_filter(conditions: Sequence[str], search: str | None) -> CustomerListFilter:
    """`name=value` conditions (lists comma-separated) as the list's filter."""
    values: dict[str, Any] = {"search": search}
    for condition in conditions:
        name, _, value = condition.partition("=")
        try:
            if name in _LISTS:
                values[_LISTS[name]] = [v.strip() for v in value.split(",") if v.strip()]
            elif name in _SINGLE:
                field, parse = _SINGLE[name]
                values[field] = parse(value)
            else:
                known = ", ".join([*_LISTS, *_SINGLE])
                raise DomainError(
                    "INVALID", f"Unknown filter {name!r}; one of {known}.", ["filter"]
                )
        except ValueError:
            raise DomainError("INVALID", f"{value!r} is not a valid {name}.", ["filter"]) from None
    if "statuses" in values:
        values["statuses"] = [s.upper() for s in values["statuses"]]
    return CustomerListFilter(**values)


def export_request(
    fmt: str, conditions: Sequence[str], search: str | None, sort: str, columns: str | None
) -> ExportRequest:
    field, _, direction = sort.partition(":")
    if field.upper() not in SORT_KEYS:
        raise DomainError("INVALID", f"Sort by one of {', '.join(SORT_KEYS)}.", ["sort"])
    names = [c.strip().upper() for c in columns.split(",")] if columns else list(DEFAULT_COLUMNS)
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise DomainError("INVALID", f"Unknown columns: {', '.join(unknown)}.", ["columns"])
    flt = parse_filter(conditions, search)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return ExportRequest(
        format=ExportFormat(fmt.upper()),
        columns=columns_named(names),
        filter=flt,
        sort=field.upper(),
        descending=direction.lower() == "desc",
        subtitle=f"{describe_filter(flt)} — exported {when} from the command line",
    )


async def export_to(settings: Settings, request: ExportRequest, out: BinaryIO) -> int:
    """Write the export to `out` with a progress bar on standard error; returns the rows."""
    engine = create_engine(settings, pooled=False)
    reader = Reader(engine)
    try:
        total = await count_rows(reader, request)
        with (
            tempfile.TemporaryDirectory(prefix="custgraph-export-") as folder,
            tqdm(total=total, unit=" customers", file=sys.stderr, desc="exporting") as bar,
        ):
            path = Path(folder) / f"export.{EXTENSIONS[request.format]}"

            async def progress(rows: int) -> None:
                bar.update(rows - bar.n)

            rows = await write_export(reader, request, path, settings.currency, progress)
            with path.open("rb") as file:
                shutil.copyfileobj(file, out)
            out.flush()
        return rows
    finally:
        await reader.close()
        await engine.dispose()
