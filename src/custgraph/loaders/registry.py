"""The loaders of one request, created on first use."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import FromClause, Select, select

from custgraph.db.models import (
    Address,
    CreditEntry,
    CustomerEvent,
    CustomFieldDefinition,
    CustomFieldValue,
    GiftCard,
    Membership,
    Note,
    Notification,
    Order,
    OrderLine,
    PointsEntry,
    StaffUser,
)
from custgraph.db.models import Customer as CustomerRow
from custgraph.db.reader import Reader
from custgraph.loaders.batch import (
    CountByParent,
    JsonRows,
    NewestFirstPage,
    RowById,
    RowsByParent,
)

# Connections under a customer, newest first: (table, sort column).
PAGED_RELATIONS: dict[str, tuple[FromClause, str]] = {
    "orders": (Order.__table__, "placed_at"),
    "points": (PointsEntry.__table__, "created_at"),
    "credit": (CreditEntry.__table__, "created_at"),
    "notes": (Note.__table__, "created_at"),
    "events": (CustomerEvent.__table__, "created_at"),
    "notifications": (Notification.__table__, "created_at"),
}

_customers = CustomerRow.__table__
_staff = StaffUser.__table__
_addresses = Address.__table__
_gift_cards = GiftCard.__table__
_memberships = Membership.__table__
_order_lines = OrderLine.__table__
_values = CustomFieldValue.__table__
_definitions = CustomFieldDefinition.__table__

STAFF_PUBLIC_COLUMNS = (
    _staff.c.id,
    _staff.c.email,
    _staff.c.first_name,
    _staff.c.last_name,
    _staff.c.role,
    _staff.c.is_active,
    _staff.c.created_at,
    _staff.c.last_login_at,
)


# The order of a whole relation's rows under their customer: (column, descending). The
# compiled read path writes the same order into its JSON statements (fastpath/json_level.py).
ROW_LIST_ORDER: dict[str, tuple[tuple[str, bool], ...]] = {
    "addresses": (("id", False),),
    "gift_cards": (("created_at", True), ("id", True)),
}


def _ordered(table: FromClause, loader: str) -> Select[Any]:
    order = [table.c[c].desc() if down else table.c[c] for c, down in ROW_LIST_ORDER[loader]]
    return select(table).order_by(table.c.customer_id, *order)


# Statements built once: a loader adds only its `WHERE parent IN keys`.
CUSTOMER_ROWS = select(_customers)
STAFF_ROWS = select(*STAFF_PUBLIC_COLUMNS)
ADDRESS_ROWS = _ordered(_addresses, "addresses")
GIFT_CARD_ROWS = _ordered(_gift_cards, "gift_cards")
MEMBERSHIP_ROWS = select(_memberships).order_by(
    _memberships.c.customer_id, _memberships.c.started_on
)
CUSTOM_FIELD_ROWS = (
    select(
        _values.c.customer_id,
        _values.c.value,
        _values.c.updated_at,
        _definitions.c.key,
        _definitions.c.label,
        _definitions.c.type,
    )
    .join(_definitions, _definitions.c.id == _values.c.definition_id)
    .order_by(_values.c.customer_id, _definitions.c.key)
)
ORDER_LINE_ROWS = select(_order_lines).order_by(_order_lines.c.order_id, _order_lines.c.id)


class Loaders:
    """Per-request registry; nothing here outlives the request.

    Each loader is made on first use: most requests use one or two of them, and making
    all of them measured as a few per cent of a compiled read.
    """

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self._pages: dict[tuple[Any, ...], NewestFirstPage] = {}
        self._counts: dict[str, CountByParent] = {}
        self._node_rows: dict[str, RowById] = {}
        self._json_rows: dict[tuple[str, tuple[int, ...]], JsonRows] = {}

    @cached_property
    def customer(self) -> RowById:
        return RowById(self.reader, CUSTOMER_ROWS)

    @cached_property
    def staff_user(self) -> RowById:
        return RowById(self.reader, STAFF_ROWS)

    @cached_property
    def addresses(self) -> RowsByParent:
        return RowsByParent(self.reader, ADDRESS_ROWS, "customer_id")

    @cached_property
    def gift_cards(self) -> RowsByParent:
        return RowsByParent(self.reader, GIFT_CARD_ROWS, "customer_id")

    @cached_property
    def memberships(self) -> RowsByParent:
        return RowsByParent(self.reader, MEMBERSHIP_ROWS, "customer_id")

    @cached_property
    def custom_fields(self) -> RowsByParent:
        return RowsByParent(self.reader, CUSTOM_FIELD_ROWS, "customer_id")

    @cached_property
    def order_lines(self) -> RowsByParent:
        return RowsByParent(self.reader, ORDER_LINE_ROWS, "order_id")

    def node_row(self, type_name: str, statement: Select[Any]) -> RowById:
        """Rows of one node type by id, for `node` and `nodes`."""
        loader = self._node_rows.get(type_name)
        if loader is None:
            loader = self.customer if type_name == "Customer" else RowById(self.reader, statement)
            self._node_rows[type_name] = loader
        return loader

    def page(
        self, relation: str, first: int, after: tuple[datetime, int] | None
    ) -> NewestFirstPage:
        """The loader of one page shape; parents asking for the same shape share it."""
        key = (relation, first, after)
        loader = self._pages.get(key)
        if loader is None:
            table, sort = PAGED_RELATIONS[relation]
            loader = NewestFirstPage(self.reader, table, "customer_id", sort, first, after)
            self._pages[key] = loader
        return loader

    def json_rows(self, sql: str, arguments: tuple[int, ...]) -> JsonRows:
        """The loader of one JSON-writing statement with these page sizes."""
        key = (sql, arguments)
        loader = self._json_rows.get(key)
        if loader is None:
            loader = self._json_rows[key] = JsonRows(self.reader, sql, arguments)
        return loader

    def count(self, relation: str) -> CountByParent:
        loader = self._counts.get(relation)
        if loader is None:
            table, _ = PAGED_RELATIONS[relation]
            loader = CountByParent(self.reader, table, "customer_id")
            self._counts[relation] = loader
        return loader
