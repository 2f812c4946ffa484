"""The customer and everything read through it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from custgraph.auth.permissions import Permission
from custgraph.db import models
from custgraph.resolvers.nested import newest_first
from custgraph.schema.activity import CustomerEvent, Notification
from custgraph.schema.address import Address
from custgraph.schema.custom_fields import CustomFieldValue
from custgraph.schema.enums import CustomerStatus, Gender
from custgraph.schema.giftcards import GiftCard
from custgraph.schema.ledgers import CreditEntry, PointsEntry
from custgraph.schema.loyalty import Membership
from custgraph.schema.money import Money, money
from custgraph.schema.node import Node
from custgraph.schema.notes import Note
from custgraph.schema.orders import Order
from custgraph.schema.pagination import Connection
from custgraph.schema.permissions import needs, requires_text
from custgraph.schema.row_fields import (
    Env,
    NewestFirst,
    RowFields,
    RowList,
    global_id,
    reads,
    relation,
    shop_money,
)
from custgraph.schema.staff import StaffUser

P = Permission


def _guarded(
    permission: Permission, description: str, loaded: RowList | NewestFirst | None = None
) -> Any:
    """A field (or resolver) that needs `permission` beyond reading the customer; with
    `loaded`, the relation it is (schema/row_fields.py)."""
    return strawberry.field(
        description=description + requires_text(permission),
        extensions=[needs(permission)],
        metadata=relation(loaded) if loaded is not None else None,
    )


# The relations the compiled read path batches too (fastpath/compiler.py reads these
# declarations off the fields).
_ADDRESSES = RowList("addresses")
_BILLING = RowList("addresses", pick="is_default_billing")
_SHIPPING = RowList("addresses", pick="is_default_shipping")
_GIFT_CARDS = RowList("gift_cards")
_ORDERS = NewestFirst("orders")
_POINTS = NewestFirst("points")
_CREDIT = NewestFirst("credit")
_NOTES = NewestFirst("notes")


@strawberry.type(description="An identity document on file.")
class IdDocument:
    type: str = strawberry.field(description="Kind of document, e.g. `PASSPORT`.")
    number: str = strawberry.field(description="Document number.")


@strawberry.type(description="Multi-factor authentication settings.")
class Mfa:
    customer_id: strawberry.Private[int]
    enabled: bool = strawberry.field(description="Whether a second factor is required.")
    phone: str | None = _guarded(P.CUSTOMERS_READ_PII, "Phone receiving the codes, E.164.")


@strawberry.type(description="A customer of the shop, with everything around them.")
class Customer(Node):
    customer_id: strawberry.Private[int]
    sales_rep_id: strawberry.Private[int | None]
    merged_into_id: strawberry.Private[int | None]
    # Identity
    reference: str = strawberry.field(description="Unique human-readable reference.")
    external_id: str | None = strawberry.field(description="ERP or partner id, unique when set.")
    account_number: str | None = strawberry.field(description="Account number (B2B).")
    # Person
    salutation: str | None = strawberry.field(description="Salutation, e.g. `Mr`.")
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    display_name: str = strawberry.field(description="Name to show: person, company or reference.")
    email: str | None = _guarded(P.CUSTOMERS_READ_PII, "Email address; used to sign in.")
    email_verified: bool = strawberry.field(description="Whether the email was verified.")
    phone: str | None = _guarded(P.CUSTOMERS_READ_PII, "Phone number, E.164.")
    company: str | None = strawberry.field(description="Company name.")
    gender: Gender = strawberry.field(description="Gender as stated.")
    date_of_birth: date | None = _guarded(P.CUSTOMERS_READ_PII, "Date of birth.")
    locale: str | None = strawberry.field(description="Preferred locale, e.g. `de-DE`.")
    city: str | None = strawberry.field(description="City of residence.")
    id_document: IdDocument | None = _guarded(P.CUSTOMERS_READ_PII, "Identity document on file.")
    # State
    status: CustomerStatus = strawberry.field(description="Lifecycle status.")
    registered_at: datetime = strawberry.field(description="When the customer registered.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")
    version: int = strawberry.field(description="Grows by one on every write; for expectedVersion.")
    registration_code: str | None = strawberry.field(description="Code used at registration.")
    referral_code: str | None = strawberry.field(description="Code to refer others.")
    mfa: Mfa = strawberry.field(description="Multi-factor authentication settings.")
    # Commercial
    tags: list[str] = strawberry.field(description="Free tags, e.g. `VIP`.")
    price_list: str | None = strawberry.field(description="Price list applied to this customer.")
    discount_group: str | None = strawberry.field(description="Discount group.")
    payment_terms: str | None = strawberry.field(description="Payment terms, e.g. `NET30`.")
    credit_limit: Money | None = strawberry.field(description="Credit limit for invoices.")
    branch: str | None = strawberry.field(description="Branch serving the customer.")
    department: str | None = strawberry.field(description="Department at the customer.")
    commission_reduced_percent: Decimal | None = strawberry.field(
        description="Reduced sales commission, in percent."
    )
    # Loyalty and money
    level: str | None = _guarded(P.LOYALTY_READ, "Loyalty level, e.g. `Gold`.")
    points_balance: int | None = _guarded(P.LOYALTY_READ, "Loyalty points balance.")
    credit_balance: Money | None = _guarded(P.CREDIT_READ, "Store credit balance.")
    total_revenue: Money | None = _guarded(P.ORDERS_READ, "Revenue of all orders.")
    order_count: int | None = _guarded(P.ORDERS_READ, "Number of orders.")

    @strawberry.field(description="The customer's addresses.", metadata=relation(_ADDRESSES))
    async def addresses(self, info: Info) -> list[Address]:
        return [Address.from_row(r) for r in await _ADDRESSES.rows(info, self.customer_id)]

    @strawberry.field(description="The default billing address.", metadata=relation(_BILLING))
    async def default_billing_address(self, info: Info) -> Address | None:
        row = await _BILLING.picked(info, self.customer_id)
        return Address.from_row(row) if row is not None else None

    @strawberry.field(description="The default shipping address.", metadata=relation(_SHIPPING))
    async def default_shipping_address(self, info: Info) -> Address | None:
        row = await _SHIPPING.picked(info, self.customer_id)
        return Address.from_row(row) if row is not None else None

    @_guarded(P.ORDERS_READ, "Orders, newest first.", _ORDERS)
    async def orders(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Order] | None:
        return await _ORDERS.page(info, self.customer_id, first, after, Order.from_row)

    @_guarded(P.LOYALTY_READ, "Loyalty points ledger, newest first.", _POINTS)
    async def points_history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PointsEntry] | None:
        return await _POINTS.page(info, self.customer_id, first, after, PointsEntry.from_row)

    @_guarded(P.CREDIT_READ, "Store credit ledger, newest first.", _CREDIT)
    async def credit_history(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CreditEntry] | None:
        return await _CREDIT.page(info, self.customer_id, first, after, CreditEntry.from_row)

    @_guarded(P.GIFTCARDS_READ, "Gift cards, newest first.", _GIFT_CARDS)
    async def gift_cards(self, info: Info) -> list[GiftCard] | None:
        return [GiftCard.from_row(r) for r in await _GIFT_CARDS.rows(info, self.customer_id)]

    @_guarded(P.NOTES_READ, "Staff notes, newest first.", _NOTES)
    async def notes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Note] | None:
        return await _NOTES.page(info, self.customer_id, first, after, Note.from_row)

    @_guarded(P.AUDIT_READ, "Activity log: who did what and when, newest first.")
    async def events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CustomerEvent] | None:
        return await newest_first(
            info, "events", self.customer_id, first, after, CustomerEvent.from_row
        )

    @_guarded(P.AUDIT_READ, "Messages sent to the customer, newest first.")
    async def notifications(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Notification] | None:
        return await newest_first(
            info, "notifications", self.customer_id, first, after, Notification.from_row
        )

    @_guarded(P.LOYALTY_READ, "Loyalty and club memberships.")
    async def memberships(self, info: Info) -> list[Membership] | None:
        rows = await info.context.loaders.memberships.load(self.customer_id)
        return [Membership.from_row(r) for r in rows]

    @strawberry.field(description="Values of admin-defined custom fields.")
    async def custom_fields(self, info: Info) -> list[CustomFieldValue]:
        rows = await info.context.loaders.custom_fields.load(self.customer_id)
        return [CustomFieldValue.from_row(r) for r in rows]

    @strawberry.field(description="The staff user responsible for this customer.")
    async def sales_rep(self, info: Info) -> StaffUser | None:
        if self.sales_rep_id is None:
            return None
        row = await info.context.loaders.staff_user.load(self.sales_rep_id)
        return StaffUser.from_row(row) if row is not None else None

    @strawberry.field(description="The customer this one was merged into, if MERGED.")
    async def merged_into(self, info: Info) -> Customer | None:
        target = self.merged_into_id
        if target is None or not info.context.principal.can(P.CUSTOMERS_READ, target):
            return None
        row = await info.context.loaders.customer.load(target)
        return Customer.from_row(row, info.context.settings.currency) if row else None

    @classmethod
    def from_row(cls, row: Any, currency: str) -> Customer:
        return _customer_from_row(row, currency)


# The fields computed from more than their own column, read off the customer's row by
# both read paths (schema/row_fields.py).


@reads("first_name", "last_name", "company", "reference")
def _display_name(row: Any, env: Env) -> str:
    return f"{row.first_name} {row.last_name}".strip() or row.company or row.reference


@reads("id_document_type", "id_document_number")
def _id_document(row: Any, env: Env) -> IdDocument | None:
    if row.id_document_type and row.id_document_number:
        return IdDocument(type=row.id_document_type, number=row.id_document_number)
    return None


@reads("id", "mfa_enabled", "mfa_phone")
def _mfa(row: Any, env: Env) -> Mfa:
    return Mfa(customer_id=row.id, enabled=row.mfa_enabled, phone=row.mfa_phone)


@reads("tags")
def _tags(row: Any, env: Env) -> list[str]:
    return list(row.tags or ())


# The JSON text in SQL (fastpath/json_render.py), and when it is what Python writes: an
# array of strings (serialize_string would write other items differently, or refuse them).
# PostgreSQL writes such an array with ", " between its items (strings escaped as
# `to_json` escapes them); inside a string a quote is always escaped, so `", "` with
# bare quotes is only ever that separator. Made compact in place: a fourth of a flat
# page's statement time went to unnesting and aggregating each customer's tags.
_tags.json_sql = lambda alias, env: (  # type: ignore[attr-defined]
    f"""replace(coalesce({alias}.tags, '[]'::jsonb)::text, '", "', '","')""",
    [
        f"({alias}.tags IS NULL OR (jsonb_typeof({alias}.tags) = 'array' AND NOT "
        f"jsonb_path_exists({alias}.tags, '$[*] ? (@.type() != \"string\")')))"
    ],
)

CUSTOMER_ROW = RowFields(
    "Customer",
    models.Customer.__table__,
    computed={
        "id": global_id("Customer"),
        "display_name": _display_name,
        "id_document": _id_document,
        "mfa": _mfa,
        "tags": _tags,
        "credit_limit": reads("credit_limit")(
            lambda row, env: money(row.credit_limit, env.currency)
        ),
        "credit_balance": shop_money("credit_balance"),
        "total_revenue": shop_money("total_revenue"),
    },
    renamed={"customer_id": "id"},
    enums={"gender": Gender, "status": CustomerStatus},
)
_customer_from_row = CUSTOMER_ROW.from_row_of(Customer)
