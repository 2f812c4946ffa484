"""Bulk mutations and exports: each repeats a single mutation over a selection."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.domain.bulk_operations import OPERATIONS
from custgraph.resolvers import bulk
from custgraph.schema.bulk_inputs import (
    BulkJobCancelInput,
    BulkJobCancelPayload,
    CustomerBulkAssignPriceListInput,
    CustomerBulkAssignSalesRepInput,
    CustomerBulkInput,
    CustomerBulkPayload,
    CustomerBulkSetStatusInput,
    CustomerBulkTagsInput,
    CustomersExportInput,
    CustomersExportPayload,
)
from custgraph.schema.mutation_access import SIGNED_IN, mutation


def _bulk_action(operation: str, what: str) -> Any:
    """A bulk mutation, requiring the permission of the single action it repeats."""
    return mutation(
        requires=OPERATIONS[operation].permission, description=f"{what} {{requires}}." + _INLINE
    )


_INLINE = (
    " Up to `CUSTGRAPH_BULK_INLINE_MAX` customers are done before the answer (`results`); "
    "more run as a background job (`job`)."
)


@strawberry.type(description="Acting on many customers at once, and exporting the list.")
class BulkMutations:
    @_bulk_action("SET_STATUS", "`customerSetStatus` for every customer of a selection.")
    async def customer_bulk_set_status(
        self, info: Info, input: CustomerBulkSetStatusInput
    ) -> CustomerBulkPayload:
        return await bulk.resolve_bulk_set_status(info, input)

    @_bulk_action("TAGS_ADD", "`customerTagsAdd` for every customer of a selection.")
    async def customer_bulk_tags_add(
        self, info: Info, input: CustomerBulkTagsInput
    ) -> CustomerBulkPayload:
        return await bulk.resolve_bulk_tags(info, input, "TAGS_ADD")

    @_bulk_action("TAGS_REMOVE", "`customerTagsRemove` for every customer of a selection.")
    async def customer_bulk_tags_remove(
        self, info: Info, input: CustomerBulkTagsInput
    ) -> CustomerBulkPayload:
        return await bulk.resolve_bulk_tags(info, input, "TAGS_REMOVE")

    @_bulk_action("ASSIGN_SALES_REP", "`customerAssignSalesRep` for every customer of a selection.")
    async def customer_bulk_assign_sales_rep(
        self, info: Info, input: CustomerBulkAssignSalesRepInput
    ) -> CustomerBulkPayload:
        return await bulk.resolve_bulk_assign_sales_rep(info, input)

    @_bulk_action(
        "ASSIGN_PRICE_LIST", "`customerAssignPriceList` for every customer of a selection."
    )
    async def customer_bulk_assign_price_list(
        self, info: Info, input: CustomerBulkAssignPriceListInput
    ) -> CustomerBulkPayload:
        return await bulk.resolve_bulk_assign_price_list(info, input)

    @_bulk_action(
        "DELETE",
        "`customerDelete` for every customer of a selection (those with orders are refused "
        "with HAS_ORDERS).",
    )
    async def customer_bulk_delete(
        self, info: Info, input: CustomerBulkInput
    ) -> CustomerBulkPayload:
        return await bulk.resolve_bulk_plain(info, input, "DELETE")

    @_bulk_action(
        "SEND_PASSWORD_RESET", "`customerSendPasswordReset` for every customer of a selection."
    )
    async def customer_bulk_send_password_reset(
        self, info: Info, input: CustomerBulkInput
    ) -> CustomerBulkPayload:
        return await bulk.resolve_bulk_plain(info, input, "SEND_PASSWORD_RESET")

    @mutation(
        requires=Permission.CUSTOMERS_READ,
        description="Export the customer list as a file, in the background; read the job "
        "with `bulkJob` for its download link. {requires} and each column's permission "
        "(email, phone and date of birth: `customers:read_pii`).",
    )
    async def customers_export(
        self, info: Info, input: CustomersExportInput
    ) -> CustomersExportPayload:
        return await bulk.resolve_customers_export(info, input)

    @mutation(
        requires=SIGNED_IN,
        description="Cancel a queued or running bulk job or export; what it did stays done. "
        "Requires the permissions the job needed.",
    )
    async def bulk_job_cancel(self, info: Info, input: BulkJobCancelInput) -> BulkJobCancelPayload:
        return await bulk.resolve_bulk_job_cancel(info, input)
