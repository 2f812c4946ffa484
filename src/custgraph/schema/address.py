"""Postal addresses of a customer."""

from __future__ import annotations

from typing import Any

import strawberry

from custgraph.auth.permissions import Permission
from custgraph.schema.global_id import encode_global_id
from custgraph.schema.node import Node
from custgraph.schema.permissions import needs, requires_text


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
        return cls(
            id=strawberry.ID(encode_global_id("Address", row.id)),
            customer_id=row.customer_id,
            salutation=row.salutation,
            first_name=row.first_name,
            last_name=row.last_name,
            company=row.company,
            line1=row.line1,
            line2=row.line2,
            line3=row.line3,
            postal_code=row.postal_code,
            city=row.city,
            region=row.region,
            country=row.country,
            phone=row.phone,
            is_default_billing=row.is_default_billing,
            is_default_shipping=row.is_default_shipping,
        )
