"""The columns a customer export can hold: their titles, values and permissions.

A column's value is read off the API's own `Customer` (schema/customer.py), built by the
same `from_row` as every read, and its permission is the one declared on that field: an
export shows what the list page would show its caller, and a new guard on a field
guards its column too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from strawberry.permission import PermissionExtension

from custgraph.auth.permissions import Permission
from custgraph.exports.cells import Cell
from custgraph.schema.customer import Customer
from custgraph.schema.money import Money


@dataclass(frozen=True)
class ExportColumn:
    name: str  # as in the API's CustomerExportColumn enum
    field: str  # the Customer field it shows (Python name)
    title: str
    value: Callable[[Customer], Cell]
    money: bool = False  # titled with the shop currency

    def heading(self, currency: str) -> str:
        return f"{self.title} ({currency})" if self.money else self.title

    @property
    def permission(self) -> Permission | None:
        """What reading the column needs beyond `customers:read`: its field's guard."""
        return field_permission(self.field)


def field_permission(python_name: str) -> Permission | None:
    definition = Customer.__strawberry_definition__  # type: ignore[attr-defined]
    field = next(f for f in definition.fields if f.python_name == python_name)
    for extension in field.extensions:
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                found: Permission | None = getattr(permission, "permission", None)
                if found is not None:
                    return found
    return None


def _attribute(name: str) -> Callable[[Customer], Cell]:
    def read(customer: Customer) -> Cell:
        value: Any = getattr(customer, name)
        if isinstance(value, Enum):
            return str(value.name)
        result: Cell = value
        return result

    return read


def _amount(name: str) -> Callable[[Customer], Cell]:
    def read(customer: Customer) -> Cell:
        value: Money | None = getattr(customer, name)
        return None if value is None else value.amount

    return read


def _column(name: str, field: str, title: str) -> ExportColumn:
    return ExportColumn(name, field, title, _attribute(field))


def _money(name: str, field: str, title: str) -> ExportColumn:
    return ExportColumn(name, field, title, _amount(field), money=True)


CATALOG: tuple[ExportColumn, ...] = (
    ExportColumn("ID", "id", "ID", lambda c: str(c.id)),
    _column("REFERENCE", "reference", "Reference"),
    _column("EXTERNAL_ID", "external_id", "External ID"),
    _column("ACCOUNT_NUMBER", "account_number", "Account number"),
    _column("SALUTATION", "salutation", "Salutation"),
    _column("FIRST_NAME", "first_name", "First name"),
    _column("LAST_NAME", "last_name", "Last name"),
    _column("DISPLAY_NAME", "display_name", "Name"),
    _column("COMPANY", "company", "Company"),
    _column("EMAIL", "email", "Email"),
    _column("EMAIL_VERIFIED", "email_verified", "Email verified"),
    _column("PHONE", "phone", "Phone"),
    _column("GENDER", "gender", "Gender"),
    _column("DATE_OF_BIRTH", "date_of_birth", "Date of birth"),
    _column("LOCALE", "locale", "Locale"),
    _column("CITY", "city", "City"),
    _column("STATUS", "status", "Status"),
    _column("REGISTERED_AT", "registered_at", "Registered at (UTC)"),
    _column("UPDATED_AT", "updated_at", "Updated at (UTC)"),
    ExportColumn("TAGS", "tags", "Tags", lambda c: ", ".join(c.tags)),
    _column("PRICE_LIST", "price_list", "Price list"),
    _column("DISCOUNT_GROUP", "discount_group", "Discount group"),
    _column("PAYMENT_TERMS", "payment_terms", "Payment terms"),
    _money("CREDIT_LIMIT", "credit_limit", "Credit limit"),
    _column("BRANCH", "branch", "Branch"),
    _column("DEPARTMENT", "department", "Department"),
    _column("LEVEL", "level", "Loyalty level"),
    _column("POINTS_BALANCE", "points_balance", "Points balance"),
    _money("CREDIT_BALANCE", "credit_balance", "Store credit"),
    _money("TOTAL_REVENUE", "total_revenue", "Total revenue"),
    _column("ORDER_COUNT", "order_count", "Orders"),
)
COLUMNS: dict[str, ExportColumn] = {column.name: column for column in CATALOG}
# What an export holds when no columns are named: nothing beyond `customers:read`.
DEFAULT_COLUMNS: tuple[str, ...] = (
    "REFERENCE",
    "FIRST_NAME",
    "LAST_NAME",
    "COMPANY",
    "CITY",
    "STATUS",
    "TAGS",
    "REGISTERED_AT",
)


def columns_named(names: Sequence[str]) -> list[ExportColumn]:
    return [COLUMNS[name] for name in names]


def cells_of(customer: Customer, columns: Sequence[ExportColumn]) -> list[Cell]:
    return [column.value(customer) for column in columns]
