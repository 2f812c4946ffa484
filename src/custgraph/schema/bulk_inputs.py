"""The inputs and payloads of bulk actions on many customers at once, exports of the list,
and cancelling either.

Each bulk action checks the permission and applies the rules of its single mutation to
every customer of the selection, one transaction per customer, and logs each one's
event. A selection of at most `CUSTGRAPH_BULK_INLINE_MAX` customers is done before the
answer, which lists each customer's outcome; a larger one runs as a background job
(`bulkJob`), which survives restarts and never applies an action twice.
"""

from __future__ import annotations

from enum import Enum

import strawberry

from custgraph.schema.bulk_jobs import (
    BulkErrorPolicy,
    BulkJob,
    CustomerExportColumn,
    CustomerExportFormat,
)
from custgraph.schema.customer import Customer
from custgraph.schema.customer_list import CustomerFilter, CustomerSort
from custgraph.schema.enums import CustomerStatus
from custgraph.schema.user_errors import UserError

_POLICY = "What a refused customer does to the rest: skip it (default) or stop."


@strawberry.input(
    description="Which customers: `ids` (ticked rows), or `filter` and `search` as on the "
    "customer list (every match at the time of asking; `filter: {}` for all customers)."
)
class CustomerSelection:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="These customers (at most `CUSTGRAPH_BULK_MAX_IDS`)."
    )
    filter: CustomerFilter | None = strawberry.field(
        default=None, description="Every customer the list's filter matches."
    )
    search: str | None = strawberry.field(
        default=None, description="Every customer the list's search matches."
    )


@strawberry.enum(description="What became of one customer of a bulk action.")
class BulkItemOutcome(Enum):
    SUCCEEDED = strawberry.enum_value(
        "SUCCEEDED", description="Done (or already so: nothing needed to change)."
    )
    FAILED = strawberry.enum_value("FAILED", description="Refused; see `userErrors`.")
    NOT_ATTEMPTED = strawberry.enum_value(
        "NOT_ATTEMPTED", description="Not reached: the job stopped or was cancelled first."
    )


@strawberry.type(description="One customer's outcome of a bulk action done in the request.")
class CustomerBulkResult:
    customer_id: strawberry.ID = strawberry.field(description="The customer's id.")
    outcome: BulkItemOutcome = strawberry.field(description="What became of it.")
    customer: Customer | None = strawberry.field(
        description="The customer as it is now; null when deleted or not found."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why it was refused, as the single mutation says it."
    )


@strawberry.type(description="The result of a bulk action.")
class CustomerBulkPayload:
    job: BulkJob | None = strawberry.field(
        description="The job, with its counts; null when the request was refused."
    )
    results: list[CustomerBulkResult] | None = strawberry.field(
        description="Each customer's outcome, in id order, when done in the request; null "
        "when the job runs in the background (read `bulkJob` for its progress)."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the request was refused as a whole; nothing was done."
    )


@strawberry.input(description="Move many customers to a status.")
class CustomerBulkSetStatusInput:
    selection: CustomerSelection = strawberry.field(description="Which customers.")
    status: CustomerStatus = strawberry.field(
        description="The status to move to, as `customerSetStatus` takes it."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why, as each activity log shows it (at most 300 characters)."
    )
    error_policy: BulkErrorPolicy = strawberry.field(
        default=BulkErrorPolicy.SKIP_FAILED, description=_POLICY
    )


@strawberry.input(description="Tags to add to, or remove from, many customers.")
class CustomerBulkTagsInput:
    selection: CustomerSelection = strawberry.field(description="Which customers.")
    tags: list[str] = strawberry.field(description="The tags, compared case-insensitively.")
    error_policy: BulkErrorPolicy = strawberry.field(
        default=BulkErrorPolicy.SKIP_FAILED, description=_POLICY
    )


@strawberry.input(description="A sales rep for many customers.")
class CustomerBulkAssignSalesRepInput:
    selection: CustomerSelection = strawberry.field(description="Which customers.")
    sales_rep_id: strawberry.ID | None = strawberry.field(
        description="An active staff user; null to unassign."
    )
    error_policy: BulkErrorPolicy = strawberry.field(
        default=BulkErrorPolicy.SKIP_FAILED, description=_POLICY
    )


@strawberry.input(description="A price list for many customers.")
class CustomerBulkAssignPriceListInput:
    selection: CustomerSelection = strawberry.field(description="Which customers.")
    price_list: str | None = strawberry.field(description="The price list; null to clear it.")
    error_policy: BulkErrorPolicy = strawberry.field(
        default=BulkErrorPolicy.SKIP_FAILED, description=_POLICY
    )


@strawberry.input(description="Many customers to act on with no further arguments.")
class CustomerBulkInput:
    selection: CustomerSelection = strawberry.field(description="Which customers.")
    error_policy: BulkErrorPolicy = strawberry.field(
        default=BulkErrorPolicy.SKIP_FAILED, description=_POLICY
    )


@strawberry.input(description="What to export and in which format.")
class CustomersExportInput:
    format: CustomerExportFormat = strawberry.field(description="CSV, XLSX or PDF.")
    filter: CustomerFilter | None = strawberry.field(
        default=None, description="As on the customer list; none: every customer."
    )
    search: str | None = strawberry.field(default=None, description="As on the customer list.")
    sort: CustomerSort | None = strawberry.field(
        default=None, description="As on the customer list; by reference when not given."
    )
    columns: list[CustomerExportColumn] | None = strawberry.field(
        default=None,
        description="The columns, in order; by default reference, names, company, city, "
        "status, tags and registration. Each needs the permission of its field.",
    )


@strawberry.type(description="The result of `customersExport`.")
class CustomersExportPayload:
    job: BulkJob | None = strawberry.field(
        description="The export's job; its `export.url` is set once the file is written."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the export was refused.")


@strawberry.input(description="The job to cancel.")
class BulkJobCancelInput:
    job_id: strawberry.ID = strawberry.field(description="The job.")


@strawberry.type(description="The result of `bulkJobCancel`.")
class BulkJobCancelPayload:
    job: BulkJob | None = strawberry.field(description="The job, CANCELLED.")
    user_errors: list[UserError] = strawberry.field(description="Why it was not cancelled.")
