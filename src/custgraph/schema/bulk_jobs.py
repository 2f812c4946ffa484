"""Bulk jobs as clients see them: progress, counts, each refused customer, export files."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from custgraph.exports.columns import CATALOG, ExportColumn
from custgraph.global_id import encode_global_id
from custgraph.resolvers import bulk_job_fields
from custgraph.schema.actor import Actor
from custgraph.schema.enums import ActorKind
from custgraph.schema.node import Node
from custgraph.schema.pagination import Connection
from custgraph.schema.user_errors import UserError


@strawberry.enum(description="Where a bulk job stands.")
class BulkJobState(Enum):
    QUEUED = strawberry.enum_value("QUEUED", description="Waiting for a worker.")
    RUNNING = strawberry.enum_value(
        "RUNNING", description="Being worked on (or about to be taken up again after a restart)."
    )
    COMPLETED = strawberry.enum_value(
        "COMPLETED",
        description="Every customer was processed; `failedCount` says how many were refused.",
    )
    STOPPED = strawberry.enum_value(
        "STOPPED", description="Stopped at the first refusal (`STOP_ON_ERROR`)."
    )
    CANCELLED = strawberry.enum_value(
        "CANCELLED", description="Cancelled; what was done before stays done."
    )
    FAILED = strawberry.enum_value(
        "FAILED", description="Could not go on (see `failure`); what was done stays done."
    )
    EXPIRED = strawberry.enum_value(
        "EXPIRED", description="An export whose file was removed after its retention."
    )


@strawberry.enum(description="What a bulk job does to each customer of its selection.")
class BulkOperation(Enum):
    SET_STATUS = strawberry.enum_value("SET_STATUS", description="`customerBulkSetStatus`.")
    TAGS_ADD = strawberry.enum_value("TAGS_ADD", description="`customerBulkTagsAdd`.")
    TAGS_REMOVE = strawberry.enum_value("TAGS_REMOVE", description="`customerBulkTagsRemove`.")
    ASSIGN_SALES_REP = strawberry.enum_value(
        "ASSIGN_SALES_REP", description="`customerBulkAssignSalesRep`."
    )
    ASSIGN_PRICE_LIST = strawberry.enum_value(
        "ASSIGN_PRICE_LIST", description="`customerBulkAssignPriceList`."
    )
    DELETE = strawberry.enum_value("DELETE", description="`customerBulkDelete`.")
    SEND_PASSWORD_RESET = strawberry.enum_value(
        "SEND_PASSWORD_RESET", description="`customerBulkSendPasswordReset`."
    )
    EXPORT = strawberry.enum_value("EXPORT", description="`customersExport`: a file of the list.")


@strawberry.enum(description="What a bulk action does when a customer is refused.")
class BulkErrorPolicy(Enum):
    SKIP_FAILED = strawberry.enum_value(
        "SKIP_FAILED", description="Record the refusal and go on with the next customer."
    )
    STOP_ON_ERROR = strawberry.enum_value(
        "STOP_ON_ERROR",
        description="Stop at the first refusal; customers done before it stay done.",
    )


@strawberry.enum(description="The file format of an export.")
class CustomerExportFormat(Enum):
    CSV = strawberry.enum_value(
        "CSV", description="UTF-8 comma-separated values, spreadsheet-safe."
    )
    XLSX = strawberry.enum_value("XLSX", description="An Excel workbook.")
    PDF = strawberry.enum_value("PDF", description="A paginated, printable table.")


def _column_description(column: ExportColumn) -> str:
    guard = column.permission
    suffix = f" Requires `{guard.value}`." if guard is not None else ""
    return f"{column.title} (`Customer.{_camel(column.field)}`).{suffix}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# Made from the export catalog (exports/columns.py), so a column added there is offered
# here, with the permission its Customer field declares.
CustomerExportColumn: Any = strawberry.enum(  # type: ignore[call-overload]
    Enum(
        "CustomerExportColumn",
        {
            column.name: strawberry.enum_value(column.name, description=_column_description(column))
            for column in CATALOG
        },
    ),
    description="A column of a customer export: a field of `Customer`.",
)


@strawberry.type(description="A customer a bulk action refused, and why.")
class BulkJobFailure:
    customer_id: strawberry.ID = strawberry.field(description="The customer's id.")
    user_error: UserError = strawberry.field(description="Why, as the single mutation says it.")


@strawberry.type(description="The file an export wrote, and where to download it.")
class CustomerExportFile:
    job_id: strawberry.Private[int]
    state: strawberry.Private[str]
    format: CustomerExportFormat = strawberry.field(description="The file's format.")
    columns: list[CustomerExportColumn] = strawberry.field(
        description="The file's columns, in order."
    )
    byte_size: int | None = strawberry.field(description="The file's size; null until written.")
    expires_at: datetime | None = strawberry.field(
        description="When the file is removed; null until written."
    )

    @strawberry.field(
        description="A signed link to download the file (GET, no token needed), valid for "
        "`CUSTGRAPH_EXPORT_LINK_SECONDS` from now; null until the file is written."
    )
    def url(self, info: Info) -> str | None:
        return bulk_job_fields.download_url(info, self.job_id, self.state)

    @strawberry.field(description="When `url` stops working; null without a url.")
    def url_expires_at(self, info: Info) -> datetime | None:
        return bulk_job_fields.download_url_expiry(info, self.job_id, self.state)


_NODE_TYPE = {"STAFF": "StaffUser", "API_KEY": "ApiKey"}


@strawberry.type(
    description="A bulk action or export: its progress and outcome. Kept in the database, "
    "so it goes on after a server restart and can be read from any server."
)
class BulkJob(Node):
    job_id: strawberry.Private[int]
    operation: BulkOperation = strawberry.field(description="What the job does.")
    state: BulkJobState = strawberry.field(description="Where the job stands.")
    error_policy: BulkErrorPolicy = strawberry.field(description="What a refusal does.")
    selection: str = strawberry.field(
        description="The customers it is for, in words (the filter, or how many ids)."
    )
    total_count: int = strawberry.field(
        description="Customers in the selection (for exports: rows, once counted)."
    )
    processed_count: int = strawberry.field(description="Customers (or rows) done so far.")
    succeeded_count: int = strawberry.field(description="Customers the action was applied to.")
    failed_count: int = strawberry.field(description="Customers the action refused.")
    failure: str | None = strawberry.field(
        description="Why the job stopped or failed, when it did."
    )
    created_by: Actor = strawberry.field(description="Who asked for it; the job acts as them.")
    created_at: datetime = strawberry.field(description="When it was asked for.")
    started_at: datetime | None = strawberry.field(description="When work on it began.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")
    export: CustomerExportFile | None = strawberry.field(
        description="The file, for an export; null for bulk actions."
    )

    @strawberry.field(
        description="The customers refused, with why, in id order (`first` defaults to 20, "
        "at most 100)."
    )
    async def failures(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[BulkJobFailure]:
        return await bulk_job_fields.resolve_failures(
            info,
            self.job_id,
            first,
            after,
            lambda customer_id, error: BulkJobFailure(customer_id=customer_id, user_error=error),
        )

    @classmethod
    def from_row(cls, row: Any) -> BulkJob:
        arguments = row.arguments or {}
        export = None
        if row.operation == "EXPORT":
            export = CustomerExportFile(
                job_id=row.id,
                state=row.state,
                format=CustomerExportFormat(arguments["format"]),
                columns=[CustomerExportColumn[name] for name in arguments["columns"]],
                byte_size=row.file_size,
                expires_at=row.expires_at,
            )
        return cls(
            id=strawberry.ID(encode_global_id("BulkJob", row.id)),
            job_id=row.id,
            operation=BulkOperation(row.operation),
            state=BulkJobState(row.state),
            error_policy=BulkErrorPolicy(row.error_policy),
            selection=row.selection,
            total_count=row.total_count,
            processed_count=row.processed_count,
            succeeded_count=row.succeeded_count,
            failed_count=row.failed_count,
            failure=row.failure,
            created_by=Actor(
                kind=ActorKind(row.owner_type),
                id=strawberry.ID(encode_global_id(_NODE_TYPE[row.owner_type], row.owner_id))
                if row.owner_type in _NODE_TYPE and row.owner_id is not None
                else None,
                name=row.owner_label,
            ),
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            export=export,
        )
