"""The compiled read path's view of the row-backed types, from their declarations.

The compiled read path skips building the Strawberry objects (`from_row`) and reads the
rows the loaders return. Each row-backed type declares its fields once, beside its
Strawberry type (`RowFields`, schema/row_fields.py): `from_row` is generated from that
declaration, and here the compiled path takes the accessors of the declared fields, with
their SQL where PostgreSQL writes them; any other field is the row's column of the same
(snake_case) name. The equivalence tests (tests/api/test_fast_path.py) select every field
of the schema, but those the compiler leaves to the general path
(`compiler.GENERAL_PATH_ONLY`), and compare both paths' answers byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import FromClause

from custgraph.schema.address import ADDRESS_ROW
from custgraph.schema.customer import CUSTOMER_ROW
from custgraph.schema.giftcards import GIFT_CARD_ROW
from custgraph.schema.ledgers import CREDIT_ENTRY_ROW, POINTS_ENTRY_ROW
from custgraph.schema.notes import NOTE_ROW
from custgraph.schema.orders import ORDER_ROW
from custgraph.schema.row_fields import Accessor, Env

__all__ = [
    "COMPUTED",
    "DECLARED_ROWS",
    "LAYOUTS",
    "ROW_TYPES",
    "TABLES",
    "Accessor",
    "Env",
    "column_reader",
]

DECLARED_ROWS = (
    CUSTOMER_ROW,
    ADDRESS_ROW,
    ORDER_ROW,
    POINTS_ENTRY_ROW,
    CREDIT_ENTRY_ROW,
    GIFT_CARD_ROW,
    NOTE_ROW,
)

# The fields that are not a plain column, by type and GraphQL name.
COMPUTED: Mapping[str, Mapping[str, Accessor]] = {
    fields.type_name: fields.compiled_accessors() for fields in DECLARED_ROWS
}

# The table behind each row-backed type. Its loaders select the table's columns in the
# table's order, so a column is read by position (ten times faster than by name); the
# first row of every batch is checked against that layout (`layout_matches`).
TABLES: Mapping[str, FromClause] = {fields.type_name: fields.table for fields in DECLARED_ROWS}
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
