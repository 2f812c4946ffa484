"""Which customers a bulk action or export is for: ids, or the list's filter and search."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from custgraph.db.models import Customer, JobItem
from custgraph.domain.errors import DomainError
from custgraph.loaders.customer_list import CustomerListFilter, filter_conditions

_DATES = {"registered_from", "registered_to"}
_TIMES = {"updated_from", "updated_to"}
# How each filter condition reads in a job's description (and an export's header).
_WORDS = {
    "search": "search",
    "statuses": "status",
    "tags": "tags",
    "levels": "level",
    "sales_rep_id": "sales rep",
    "branch": "branch",
    "registered_from": "registered from",
    "registered_to": "registered to",
    "email_verified": "email verified",
    "has_orders": "has orders",
    "external_ids": "external id",
    "updated_from": "updated from",
    "updated_to": "updated before",
}


@dataclass(frozen=True)
class Selection:
    """Customers chosen by id (ticked rows), or every customer the filter matches."""

    ids: Sequence[int] | None = None
    filter: CustomerListFilter | None = None

    def describe(self) -> str:
        if self.ids is not None:
            count = len(set(self.ids))
            return f"{count} customer{'s' if count != 1 else ''} chosen by id"
        return describe_filter(self.filter or CustomerListFilter())


def describe_filter(flt: CustomerListFilter) -> str:
    """The filter in words: `status ACTIVE, BLOCKED; search “anna”`, or `all customers`."""
    parts = []
    for name, value in filter_to_json(flt).items():
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        if name == "search":
            shown = f"“{shown}”"
        parts.append(f"{_WORDS[name]} {shown}")
    return "; ".join(parts)[:500] if parts else "all customers"


def filter_to_json(flt: CustomerListFilter) -> dict[str, Any]:
    """The filter's given conditions as JSON values (for a job that runs it later)."""
    result: dict[str, Any] = {}
    for field in dataclasses.fields(flt):
        value = getattr(flt, field.name)
        if value is None:
            continue
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, Sequence) and not isinstance(value, str):
            value = list(value)
        result[field.name] = value
    return result


def filter_from_json(values: dict[str, Any]) -> CustomerListFilter:
    parsed: dict[str, Any] = {}
    for name, value in values.items():
        if name in _DATES:
            value = date.fromisoformat(value)
        elif name in _TIMES:
            value = datetime.fromisoformat(value)
        parsed[name] = value
    return CustomerListFilter(**parsed)


async def add_items(session: AsyncSession, job_id: int, selection: Selection) -> int:
    """Record the selection's customers as the job's pending items; returns how many.

    A filter is resolved now, in one INSERT … SELECT: the job acts on the customers that
    matched when it was asked for, not on whoever matches when it reaches them. Ids are
    taken as given (each once); an unknown one is that customer's NOT_FOUND outcome.
    """
    if selection.ids is not None:
        ids = list(dict.fromkeys(selection.ids))
        if ids:
            await session.execute(
                insert(JobItem),
                [{"job_id": job_id, "customer_id": i, "state": "PENDING"} for i in ids],
            )
        return len(ids)
    dialect = session.get_bind().dialect.name
    conditions = filter_conditions(selection.filter or CustomerListFilter(), dialect)
    matching = select(literal(job_id), Customer.id, literal("PENDING")).where(
        and_(True, *conditions)
    )
    await session.execute(insert(JobItem).from_select(["job_id", "customer_id", "state"], matching))
    counted = await session.scalar(
        select(func.count()).select_from(JobItem).where(JobItem.job_id == job_id)
    )
    return int(counted or 0)


def refuse_too_many(count: int, most: int) -> None:
    if count > most:
        raise DomainError(
            "INVALID",
            f"The selection holds {count} customers; a bulk action takes at most {most}. "
            "Narrow the filter, or split the work.",
            ["selection"],
        )
