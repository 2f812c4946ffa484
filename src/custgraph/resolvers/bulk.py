"""Bulk actions, exports and their jobs: turning the API's input into domain calls."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from custgraph.api_errors import forbidden
from custgraph.auth.permissions import Permission
from custgraph.db.models import Job, JobItem
from custgraph.domain import jobs
from custgraph.domain.errors import DomainError
from custgraph.domain.job_selection import Selection, describe_filter, filter_to_json
from custgraph.exports.columns import DEFAULT_COLUMNS, columns_named
from custgraph.global_id import decode_id_of, encode_global_id
from custgraph.jobs.claim import claimed_job
from custgraph.jobs.worker import run_claimed
from custgraph.resolvers.access import caller_of
from custgraph.resolvers.bulk_job_fields import item_error
from custgraph.resolvers.customers import list_filter_of
from custgraph.resolvers.outcome import attempt
from custgraph.schema import bulk_inputs as api
from custgraph.schema import bulk_jobs as types
from custgraph.schema.customer import Customer
from custgraph.schema.user_errors import user_error


def _selection(given: api.CustomerSelection) -> Selection:
    by_filter = given.filter is not None or given.search is not None
    if (given.ids is not None) == by_filter:
        raise DomainError(
            "INVALID",
            "Select customers by `ids`, or by `filter` and `search`; one of the two "
            "(`filter: {}` for all customers).",
            ["selection"],
        )
    if given.ids is not None:
        return Selection(ids=[decode_id_of("Customer", i, "selection.ids") for i in given.ids])
    return Selection(filter=list_filter_of(given.search, given.filter))


async def _bulk(
    info: Info,
    operation: str,
    selection: api.CustomerSelection,
    arguments: dict[str, Any],
    error_policy: types.BulkErrorPolicy,
) -> api.CustomerBulkPayload:
    context = info.context

    async def start() -> jobs.StartedJob:
        return await jobs.start_bulk_action(
            context.session_factory,
            context.settings,
            caller_of(info),
            operation,
            _selection(selection),
            arguments,
            error_policy=error_policy.name,
        )

    started, errors = await attempt(start())
    if started is None:
        return api.CustomerBulkPayload(job=None, results=None, user_errors=errors)
    results = None
    if started.claim is not None:
        # The action's transactions take write connections; the read one is not needed
        # meanwhile, and holding it could starve a busy pool.
        await context.reader.release_idle()
        job = await claimed_job(context.session_factory, started.job_id, started.claim)
        await run_claimed(context.session_factory, context.engine, context.settings, job)
        results = await _results(info, started.job_id)
    elif context.job_wakeup is not None:
        context.job_wakeup.set()
    return api.CustomerBulkPayload(
        job=await _fresh_job(info, started.job_id), results=results, user_errors=[]
    )


async def _fresh_job(info: Info, job_id: int) -> types.BulkJob:
    await info.context.reader.new_snapshot()
    [row] = await info.context.reader.all(select(Job.__table__).where(Job.id == job_id))
    return types.BulkJob.from_row(row)


_OUTCOMES = {"SUCCEEDED": "SUCCEEDED", "FAILED": "FAILED", "PENDING": "NOT_ATTEMPTED"}


async def _results(info: Info, job_id: int) -> list[api.CustomerBulkResult]:
    context = info.context
    await context.reader.new_snapshot()
    items = await context.reader.all(
        select(JobItem.__table__).where(JobItem.job_id == job_id).order_by(JobItem.customer_id)
    )
    currency = context.settings.currency
    loaded = [context.loaders.customer.load(item.customer_id) for item in items]
    results = []
    for item, pending in zip(items, loaded, strict=True):
        row = await pending
        errors = []
        if item.state == "FAILED":
            errors.append(item_error(item))
        results.append(
            api.CustomerBulkResult(
                customer_id=strawberry.ID(encode_global_id("Customer", item.customer_id)),
                outcome=api.BulkItemOutcome(_OUTCOMES[item.state]),
                customer=Customer.from_row(row, currency) if row is not None else None,
                user_errors=errors,
            )
        )
    return results


async def resolve_bulk_set_status(
    info: Info, input: api.CustomerBulkSetStatusInput
) -> api.CustomerBulkPayload:
    arguments = {"status": input.status.name, "reason": input.reason}
    return await _bulk(info, "SET_STATUS", input.selection, arguments, input.error_policy)


async def resolve_bulk_tags(
    info: Info, input: api.CustomerBulkTagsInput, operation: str
) -> api.CustomerBulkPayload:
    arguments = {"tags": list(input.tags)}
    return await _bulk(info, operation, input.selection, arguments, input.error_policy)


async def resolve_bulk_assign_sales_rep(
    info: Info, input: api.CustomerBulkAssignSalesRepInput
) -> api.CustomerBulkPayload:
    rep = input.sales_rep_id
    arguments = {
        "sales_rep_id": decode_id_of("StaffUser", rep, "salesRepId") if rep is not None else None
    }
    return await _bulk(info, "ASSIGN_SALES_REP", input.selection, arguments, input.error_policy)


async def resolve_bulk_assign_price_list(
    info: Info, input: api.CustomerBulkAssignPriceListInput
) -> api.CustomerBulkPayload:
    arguments = {"price_list": input.price_list}
    return await _bulk(info, "ASSIGN_PRICE_LIST", input.selection, arguments, input.error_policy)


async def resolve_bulk_plain(
    info: Info, input: api.CustomerBulkInput, operation: str
) -> api.CustomerBulkPayload:
    return await _bulk(info, operation, input.selection, {}, input.error_policy)


async def resolve_customers_export(
    info: Info, input: api.CustomersExportInput
) -> api.CustomersExportPayload:
    principal = info.context.principal
    names = [c.name for c in input.columns] if input.columns else list(DEFAULT_COLUMNS)
    needed = {Permission.CUSTOMERS_READ}
    for index, column in enumerate(columns_named(names)):
        guard = column.permission
        if guard is not None and not principal.can(guard):
            raise forbidden(
                f"The column {column.name} (columns[{index}]) requires `{guard.value}`."
            )
        if guard is not None:
            needed.add(guard)
    flt = list_filter_of(input.search, input.filter)
    sort = input.sort
    arguments = {
        "format": input.format.name,
        "columns": names,
        "filter": filter_to_json(flt),
        "sort": sort.field.name if sort else "REFERENCE",
        "descending": sort is not None and sort.direction.name == "DESC",
    }
    context = info.context
    job_id, errors = await attempt(
        jobs.start_export(
            context.session_factory,
            caller_of(info),
            arguments,
            describe_filter(flt),
            sorted(p.value for p in needed),
        )
    )
    if job_id is None:
        return api.CustomersExportPayload(job=None, user_errors=errors)
    if context.job_wakeup is not None:
        context.job_wakeup.set()
    return api.CustomersExportPayload(job=await _fresh_job(info, job_id), user_errors=[])


async def _visible_job(info: Info, job_id: int) -> Any:
    """The job's row, or None unless the caller holds every permission the job needed."""
    rows = await info.context.reader.all(select(Job.__table__).where(Job.id == job_id))
    if not rows:
        return None
    principal = info.context.principal
    if not all(principal.can(Permission(p)) for p in rows[0].required_permissions):
        return None
    return rows[0]


async def resolve_bulk_job(info: Info, id: strawberry.ID) -> types.BulkJob | None:
    row = await _visible_job(info, decode_id_of("BulkJob", id))
    return types.BulkJob.from_row(row) if row is not None else None


async def resolve_bulk_job_cancel(
    info: Info, input: api.BulkJobCancelInput
) -> api.BulkJobCancelPayload:
    job_id = decode_id_of("BulkJob", input.job_id, "jobId")
    if await _visible_job(info, job_id) is None:
        error = DomainError("NOT_FOUND", "Job not found.", ["jobId"])
        return api.BulkJobCancelPayload(job=None, user_errors=[user_error(error)])
    cancelled, errors = await attempt(jobs.cancel_job(info.context.session_factory, job_id))
    if cancelled is None:
        return api.BulkJobCancelPayload(job=None, user_errors=errors)
    return api.BulkJobCancelPayload(job=await _fresh_job(info, job_id), user_errors=[])
