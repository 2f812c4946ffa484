"""SQL that writes a plan's response objects as JSON text, byte for byte as the Python
path writes them (PostgreSQL only).

orjson writes compact JSON (no spaces), strings escaped as PostgreSQL's `to_json` escapes
them, timestamps as Python's `isoformat()` (microseconds only when not zero), money as
`str(Decimal)` of hundredths. The text is made by concatenation rather than with
`json_build_object`, which puts spaces around every colon.

A value the Python path would refuse (a null in a non-null field, an enum value the
schema does not know, an Int out of range) cannot be written here: its row's condition
(`Rendered.checks`) is false, the relation comes back as NULL, and the request goes to
the general path, which reports it its own way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLEnumType, GraphQLScalarType
from sqlalchemy import BigInteger, Boolean, Column, Date, Integer, SmallInteger, String

from custgraph.db.types import Cents, UTCDateTime
from custgraph.fastpath.plan import CHILD, LEAF, TYPENAME, Child, Leaf, ObjectPlan
from custgraph.fastpath.rows import TABLES, Env

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class NotRenderable(Exception):
    """This part of the plan needs Python; its relation is loaded as rows."""


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def json_key(key: str) -> str:
    """`"key":` as a SQL literal piece (response keys are GraphQL names)."""
    return json.dumps(key) + ":"


@dataclass
class Rendered:
    """One object's JSON text as a SQL expression over a row alias."""

    sql: str
    # Conditions every row must meet for the text to be what the Python path writes.
    checks: list[str] = field(default_factory=list)
    # Objects each row adds to the answer's actual cost: itself and its Money children.
    objects: int = 1


def concat(parts: list[tuple[str, bool]]) -> str:
    """Concatenate literal pieces (True) and SQL expressions (False), merging literals."""
    merged: list[tuple[str, bool]] = []
    for text, is_literal in parts:
        if is_literal and merged and merged[-1][1]:
            merged[-1] = (merged[-1][0] + text, True)
        else:
            merged.append((text, is_literal))
    return " || ".join(literal(t) if is_lit else f"({t})" for t, is_lit in merged)


def render_object(
    plan: ObjectPlan, alias: str, env: Env, relations: dict[int, str] | None = None
) -> Rendered:
    """The JSON object of `plan` for the row `alias` of its table; `relations` holds the
    JSON text of its loaded fields, by field position (the caller counts their objects)."""
    if plan.type_name not in TABLES:
        raise NotRenderable(plan.type_name)
    table = TABLES[plan.type_name]
    parts: list[tuple[str, bool]] = []
    checks: list[str] = []
    objects = 1
    for n, f in enumerate(plan.fields):
        parts.append((("{" if n == 0 else ",") + json_key(f.key), True))
        if f.kind is TYPENAME:
            parts.append((json.dumps(f.name), True))  # type: ignore[union-attr]
        elif f.kind is LEAF:
            value, leaf_checks = _leaf(f, table, alias, env)  # type: ignore[arg-type]
            parts.append((value, False))
            checks += leaf_checks
        elif f.kind is CHILD:
            parts.append((_money(f, table, alias, env), False))  # type: ignore[arg-type]
            objects += 1
        elif relations is not None and n in relations:
            parts.append((relations[n], False))
        else:
            raise NotRenderable(f"{plan.type_name}.{f.key}")
    parts.append(("}" if plan.fields else "{}", True))
    return Rendered(concat(parts), checks, objects)


def _leaf(leaf: Leaf, table: Any, alias: str, env: Env) -> tuple[str, list[str]]:
    written = getattr(leaf.read, "json_sql", None)
    if written is not None:
        text, checks = written(alias, env)
        return text, list(checks)
    output = leaf.output
    if output is None:
        raise NotRenderable(f"{leaf.key}: a list")
    index = getattr(leaf.read, "column_index", None)
    computed: Callable[[str, Env], str] | None = getattr(leaf.read, "sql", None)
    if index is not None:
        column: Column[Any] = table.columns[index]  # LAYOUTS are the table's columns in order
        value, column_type, may_be_null = f"{alias}.{column.name}", column.type, column.nullable
    elif computed is not None:
        value, column_type, may_be_null = computed(alias, env), String(), False
    else:
        raise NotRenderable(f"{leaf.key}: computed in Python")
    text, checks = _value(value, column_type, output)
    if may_be_null:
        if leaf.nullable:
            return f"coalesce({text}, 'null')", checks and [f"({value} IS NULL OR {checks[0]})"]
        checks = [f"{value} IS NOT NULL", *checks]
    return text, checks


def _value(value: str, column_type: Any, output: Any) -> tuple[str, list[str]]:
    """The JSON text of a non-null value, and what it must meet."""
    if isinstance(output, GraphQLEnumType):
        if not isinstance(column_type, String):
            raise NotRenderable("enum of a non-text column")
        names = {getattr(v.value, "value", v.value): name for name, v in output.values.items()}
        if not all(isinstance(stored, str) for stored in names):
            raise NotRenderable("enum of non-text values")
        cases = " ".join(
            f"WHEN {literal(stored)} THEN {literal(json.dumps(name))}"
            for stored, name in names.items()
        )
        known = ", ".join(literal(stored) for stored in names)
        return f"CASE {value} {cases} END", [f"{value} IN ({known})"]
    if not isinstance(output, GraphQLScalarType):
        raise NotRenderable(str(output))
    name = output.name
    if name in ("String", "ID") and isinstance(column_type, String):
        return f"to_json({value})::text", []
    if name == "Int" and isinstance(column_type, Integer | SmallInteger):
        if isinstance(column_type, BigInteger):
            return f"{value}::text", [f"{value} BETWEEN {_INT_MIN} AND {_INT_MAX}"]
        return f"{value}::text", []
    if name == "Boolean" and isinstance(column_type, Boolean):
        return f"{value}::text", []
    if name == "DateTime" and isinstance(column_type, UTCDateTime):
        return _iso_timestamp(value), []
    if name == "Date" and isinstance(column_type, Date):
        return f"""'"' || to_char({value}, 'YYYY-MM-DD') || '"'""", []
    if name == "Decimal" and isinstance(column_type, Cents):
        return _decimal(value), []
    raise NotRenderable(f"{name} from {column_type!r}")


def _iso_timestamp(value: str) -> str:
    """`datetime.isoformat()` of a UTC timestamp: microseconds only when not zero. One
    `to_char` and a `replace` cost half of two `to_char` calls and a `date_trunc`."""
    utc = f"({value} AT TIME ZONE 'UTC')"
    return (
        f"""'"' || replace(to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '') """
        f"""|| '+00:00"'"""
    )


def _decimal(hundredths: str) -> str:
    """`str(Decimal(n).scaleb(-2))`: the numeric product keeps exactly two places."""
    return f"""'"' || ({hundredths}::numeric * 0.01)::text || '"'"""


def _money(child: Child, table: Any, alias: str, env: Env) -> str:
    """A Money object from the row's amount column (and currency column or the shop's)."""
    money = getattr(child.read, "money", None)
    if money is None:
        raise NotRenderable(f"{child.key}: not Money")
    amount_column, currency_column = money
    amount = table.c[amount_column]
    if amount.nullable or not isinstance(amount.type, Cents):
        raise NotRenderable(f"{child.key}: nullable amount")
    parts: list[tuple[str, bool]] = []
    for n, f in enumerate(child.plan.fields):
        parts.append((("{" if n == 0 else ",") + json_key(f.key), True))
        if f.kind is TYPENAME:
            parts.append((json.dumps(f.name), True))  # type: ignore[union-attr]
        elif f.kind is LEAF and getattr(f.read, "attribute", None) == "amount":  # type: ignore[union-attr]
            parts.append((_decimal(f"{alias}.{amount.name}"), False))
        elif f.kind is LEAF and getattr(f.read, "attribute", None) == "currency":  # type: ignore[union-attr]
            if currency_column is None:
                parts.append((json.dumps(env.currency), True))
            else:
                currency = table.c[currency_column]
                if currency.nullable:
                    raise NotRenderable(f"{child.key}: nullable currency")
                parts.append((f"to_json({alias}.{currency.name})::text", False))
        else:
            raise NotRenderable(f"{child.key}: Money field")
    parts.append(("}" if child.plan.fields else "{}", True))
    return concat(parts)
