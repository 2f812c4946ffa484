"""How each field of a row-backed type is read straight from its database row.

The compiled read path skips building the Strawberry objects (`from_row`) and reads
the rows the loaders return. A field listed here is computed, by the same functions
`from_row` calls (schema/customer.py, schema/giftcards.py), with its SQL where
PostgreSQL writes it; any other field of a row-backed type is the row's column of the
same (snake_case) name. The equivalence tests (tests/api/test_fast_path.py) select every
field of the schema, but those the compiler leaves to the general path
(`compiler.GENERAL_PATH_ONLY`), and compare both paths' answers byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import FromClause

from custgraph.auth.permissions import Permission
from custgraph.db import models
from custgraph.schema.actor import Actor
from custgraph.schema.customer import display_name_of, id_document_of, mfa_of, tags_of
from custgraph.schema.giftcards import shown_code
from custgraph.schema.global_id import encode_global_id
from custgraph.schema.money import Money, money


@dataclass(frozen=True)
class Env:
    """What a compiled plan is specialised for besides the document."""

    currency: str
    permissions: frozenset[Permission]


Accessor = Callable[[Any, Env], Any]


def reads(*columns: str) -> Callable[[Accessor], Accessor]:
    """Declare the row columns an accessor reads: a list page selects only the columns
    its plan's accessors read (`columns_read` in plan.py); an accessor that does not
    declare them has the page select every column."""

    def mark(read: Accessor) -> Accessor:
        read.columns = columns  # type: ignore[attr-defined]
        return read

    return mark


def _global_id(type_name: str) -> Accessor:
    @reads("id")
    def read(row: Any, env: Env) -> Any:
        return encode_global_id(type_name, row.id)

    read.global_id = type_name  # type: ignore[attr-defined]  # codegen encodes it in place

    # The same text in SQL (json_render.py): base64 of `Type:id` (short: no line breaks).
    read.sql = lambda alias, env: (  # type: ignore[attr-defined]
        f"encode(convert_to('{type_name}:' || {alias}.id, 'UTF8'), 'base64')"
    )
    return read


def _money_of(column: str) -> Accessor:
    @reads(column, "currency")
    def read(row: Any, env: Env) -> Any:
        return Money(amount=getattr(row, column), currency=row.currency)

    # (amount column, currency column or None for the shop's): codegen builds the Money
    # object's fields from the row without making the Money.
    read.money = (column, "currency")  # type: ignore[attr-defined]
    return read


def _shop_money(column: str) -> Accessor:
    @reads(column)
    def read(row: Any, env: Env) -> Any:
        return Money(amount=getattr(row, column), currency=env.currency)

    read.money = (column, None)  # type: ignore[attr-defined]
    return read


_display_name = reads("first_name", "last_name", "company", "reference")(
    lambda row, env: display_name_of(row)
)
_tags = reads("tags")(lambda row, env: tags_of(row))


# The JSON text in SQL (json_render.py), and when it is what Python writes: an array of
# strings (serialize_string would write other items differently, or refuse them).
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


_id_document = reads("id_document_type", "id_document_number")(lambda row, env: id_document_of(row))


def _gift_card_code(row: Any, env: Env) -> str:
    return shown_code(row.code, Permission.GIFTCARDS_WRITE in env.permissions)


_gift_card_code.sql = lambda alias, env: (  # type: ignore[attr-defined]
    f"{alias}.code" if Permission.GIFTCARDS_WRITE in env.permissions else f"right({alias}.code, 4)"
)


COMPUTED: Mapping[str, Mapping[str, Accessor]] = {
    "Customer": {
        "id": _global_id("Customer"),
        "displayName": _display_name,
        "idDocument": _id_document,
        "mfa": reads("id", "mfa_enabled", "mfa_phone")(lambda row, env: mfa_of(row)),
        "tags": _tags,
        "creditLimit": reads("credit_limit")(
            lambda row, env: money(row.credit_limit, env.currency)
        ),
        "creditBalance": _shop_money("credit_balance"),
        "totalRevenue": _shop_money("total_revenue"),
    },
    "Address": {"id": _global_id("Address")},
    "Order": {
        "id": _global_id("Order"),
        "grandTotal": _money_of("grand_total"),
    },
    "PointsEntry": {
        "id": _global_id("PointsEntry"),
        "actor": lambda row, env: Actor.from_row(row),
    },
    "CreditEntry": {
        "id": _global_id("CreditEntry"),
        "amount": _money_of("amount"),
        "balanceAfter": _money_of("balance_after"),
        "actor": lambda row, env: Actor.from_row(row),
    },
    "GiftCard": {
        "id": _global_id("GiftCard"),
        "code": _gift_card_code,
        "initialBalance": _money_of("initial_balance"),
        "balance": _money_of("balance"),
    },
    "Note": {
        "id": _global_id("Note"),
        "author": lambda row, env: Actor.from_row(row),
    },
}

# The table behind each row-backed type. Its loaders select the table's columns in the
# table's order, so a column is read by position (ten times faster than by name); the
# first row of every batch is checked against that layout (`layout_matches`).
TABLES: Mapping[str, FromClause] = {
    "Customer": models.Customer.__table__,
    "Address": models.Address.__table__,
    "Order": models.Order.__table__,
    "PointsEntry": models.PointsEntry.__table__,
    "CreditEntry": models.CreditEntry.__table__,
    "GiftCard": models.GiftCard.__table__,
    "Note": models.Note.__table__,
}
LAYOUTS: Mapping[str, tuple[str, ...]] = {
    name: tuple(table.columns.keys()) for name, table in TABLES.items()
}
ROW_TYPES = frozenset(TABLES)


def layout_matches(type_name: str, row: Any) -> bool:
    """The row starts with its table's columns in order (a list page may add its total)."""
    layout = LAYOUTS[type_name]
    return tuple(row._fields[: len(layout)]) == layout


def column_reader(type_name: str, column: str) -> Accessor:
    """A plain column of a row-backed type (Enums come as their stored values: the
    serializer maps them)."""
    index = LAYOUTS[type_name].index(column)

    def read(row: Any, env: Env) -> Any:
        return row[index]

    read.column_index = index  # type: ignore[attr-defined]  # codegen reads by position
    read.columns = (column,)  # type: ignore[attr-defined]
    return read
