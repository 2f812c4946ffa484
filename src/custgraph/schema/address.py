"""Postal addresses of a customer."""

from __future__ import annotations

from typing import Any

import strawberry

from custgraph.auth.permissions import Permission
from custgraph.db import models
from custgraph.schema.node import Node
from custgraph.schema.permissions import needs, requires_text
from custgraph.schema.row_fields import RowFields, global_id


@strawberry.type(description="A postal address of a customer.")
class Address(Node):
    customer_id: strawberry.Private[int]
    salutation: str | None = strawberry.field(description="Salutation, e.g. `Ms`.")
    first_name: str | None = strawberry.field(description="First name of the recipient.")
    last_name: str | None = strawberry.field(description="Last name of the recipient.")
    company: str | None = strawberry.field(description="Company of the recipient.")
    line1: str = strawberry.field(description="Street and number.")
    line2: str | None = strawberry.field(description="Second address line.")
    line3: str | None = strawberry.field(description="Third address line.")
    postal_code: str | None = strawberry.field(description="Postal code.")
    city: str = strawberry.field(description="City.")
    region: str | None = strawberry.field(description="Region, state or province.")
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    phone: str | None = strawberry.field(
        description="Phone at this address, E.164." + requires_text(Permission.CUSTOMERS_READ_PII),
        extensions=[needs(Permission.CUSTOMERS_READ_PII)],
    )
    is_default_billing: bool = strawberry.field(description="The default billing address.")
    is_default_shipping: bool = strawberry.field(description="The default shipping address.")

    @classmethod
    def from_row(cls, row: Any) -> Address:
        return _address_from_row(row)


ADDRESS_ROW = RowFields("Address", models.Address.__table__, computed={"id": global_id("Address")})
_address_from_row = ADDRESS_ROW.from_row_of(Address)
