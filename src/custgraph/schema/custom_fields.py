"""Admin-defined custom fields and their typed values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry

from custgraph.schema.enums import CustomFieldType


@strawberry.type(description="A customer's value of a custom field, typed by its definition.")
class CustomFieldValue:
    key: str = strawberry.field(description="The field's key, e.g. `vat_number`.")
    label: str = strawberry.field(description="The field's label for people.")
    type: CustomFieldType = strawberry.field(description="The type of its values.")
    value: str = strawberry.field(description="The value in its canonical text form.")
    text_value: str | None = strawberry.field(description="The value, for TEXT fields.")
    integer_value: int | None = strawberry.field(description="The value, for INTEGER fields.")
    decimal_value: Decimal | None = strawberry.field(description="The value, for DECIMAL fields.")
    date_value: date | None = strawberry.field(description="The value, for DATE fields.")
    boolean_value: bool | None = strawberry.field(description="The value, for BOOLEAN fields.")

    @classmethod
    def from_row(cls, row: Any) -> CustomFieldValue:
        kind = CustomFieldType(row.type)
        text = row.value
        return cls(
            key=row.key,
            label=row.label,
            type=kind,
            value=text,
            text_value=text if kind is CustomFieldType.TEXT else None,
            integer_value=int(text) if kind is CustomFieldType.INTEGER else None,
            decimal_value=Decimal(text) if kind is CustomFieldType.DECIMAL else None,
            date_value=date.fromisoformat(text) if kind is CustomFieldType.DATE else None,
            boolean_value=(text == "true") if kind is CustomFieldType.BOOLEAN else None,
        )
