"""The tables the seeder writes, as Core `Table` objects of the ORM models.

Inserting through the models' tables (not bare `table()` constructs) keeps the column
types, so `Cents`, `UTCDateTime` and `Json` convert the values exactly as the ORM would.
"""

from __future__ import annotations

from sqlalchemy import Table

from custgraph.db.models import (
    Address,
    Base,
    CreditEntry,
    Customer,
    CustomerEvent,
    CustomFieldDefinition,
    CustomFieldValue,
    GiftCard,
    GiftCardEntry,
    Membership,
    Note,
    Notification,
    Order,
    OrderLine,
    PointsEntry,
    StaffUser,
)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


STAFF_USERS = _table(StaffUser)
CUSTOM_FIELD_DEFINITIONS = _table(CustomFieldDefinition)
CUSTOMERS = _table(Customer)
ADDRESSES = _table(Address)
ORDERS = _table(Order)
ORDER_LINES = _table(OrderLine)
POINTS_ENTRIES = _table(PointsEntry)
CREDIT_ENTRIES = _table(CreditEntry)
GIFT_CARDS = _table(GiftCard)
GIFT_CARD_ENTRIES = _table(GiftCardEntry)
NOTES = _table(Note)
CUSTOMER_EVENTS = _table(CustomerEvent)
NOTIFICATIONS = _table(Notification)
MEMBERSHIPS = _table(Membership)
CUSTOM_FIELD_VALUES = _table(CustomFieldValue)

# Tables whose integer `id` the seeder assigns itself.
ID_TABLES: tuple[Table, ...] = (
    STAFF_USERS,
    CUSTOM_FIELD_DEFINITIONS,
    CUSTOMERS,
    ADDRESSES,
    ORDERS,
    ORDER_LINES,
    POINTS_ENTRIES,
    CREDIT_ENTRIES,
    GIFT_CARDS,
    GIFT_CARD_ENTRIES,
    NOTES,
    CUSTOMER_EVENTS,
    NOTIFICATIONS,
    MEMBERSHIPS,
)
