"""How each field of a row-backed type reads its database row, declared once beside the
type: the type's `from_row` (the general read path) is generated from the declaration, and
the compiled read path (fastpath/rows.py) takes its accessors from the same declaration.

A field of the type is either declared computed (with the columns it reads), declared as
another column (`renamed`), converted to its Enum (`enums`), or it is the row's column of
the same name. A field that is none of these is refused when the type is declared, so a
new field cannot be read one way by one path and another way by the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import FromClause
from strawberry.utils.str_converters import to_camel_case

from custgraph.auth.permissions import Permission
from custgraph.global_id import encode_global_id
from custgraph.resolvers.nested import newest_first
from custgraph.schema.money import Money
from custgraph.schema.pagination import Connection


@dataclass(frozen=True)
class Env:
    """What a read is specialised for besides the row: the shop currency and, on the
    compiled path, the caller's permissions (the general path decides those per field)."""

    currency: str
    permissions: frozenset[Permission]


Accessor = Callable[[Any, Env], Any]
T = TypeVar("T")


def reads(*columns: str) -> Callable[[Accessor], Accessor]:
    """Declare the row columns an accessor reads: a list page selects only the columns
    its plan's accessors read (`columns_read` in fastpath/plan.py); an accessor that does
    not declare them has the page select every column."""

    def mark(read: Accessor) -> Accessor:
        read.columns = columns  # type: ignore[attr-defined]
        return read

    return mark


def global_id(type_name: str) -> Accessor:
    @reads("id")
    def read(row: Any, env: Env) -> Any:
        return encode_global_id(type_name, row.id)

    read.global_id = type_name  # type: ignore[attr-defined]  # codegen encodes it in place

    # The same text in SQL (fastpath/json_render.py): base64 of `Type:id` (short: no line
    # breaks).
    read.sql = lambda alias, env: (  # type: ignore[attr-defined]
        f"encode(convert_to('{type_name}:' || {alias}.id, 'UTF8'), 'base64')"
    )
    return read


def row_money(column: str) -> Accessor:
    """An amount in the currency the row holds (`currency`)."""

    @reads(column, "currency")
    def read(row: Any, env: Env) -> Any:
        return Money(amount=getattr(row, column), currency=row.currency)

    # (amount column, currency column or None for the shop's): codegen builds the Money
    # object's fields from the row without making the Money.
    read.money = (column, "currency")  # type: ignore[attr-defined]
    return read


def shop_money(column: str) -> Accessor:
    """An amount in the shop currency."""

    @reads(column)
    def read(row: Any, env: Env) -> Any:
        return Money(amount=getattr(row, column), currency=env.currency)

    read.money = (column, None)  # type: ignore[attr-defined]
    return read


_NO_PERMISSIONS: frozenset[Permission] = frozenset()


class RowFields:
    """The declaration of one row-backed type's fields (by their Python names)."""

    def __init__(
        self,
        type_name: str,
        table: FromClause,
        *,
        computed: Mapping[str, Accessor] | None = None,
        renamed: Mapping[str, str] | None = None,
        enums: Mapping[str, type[Enum]] | None = None,
        compiled_only: Mapping[str, Accessor] | None = None,
    ) -> None:
        self.type_name = type_name
        self.table = table
        self.computed = dict(computed or {})
        self.renamed = dict(renamed or {})
        self.enums = dict(enums or {})
        # Fields the general path answers with a resolver (which calls the same rule):
        # only the compiled path reads them here.
        self.compiled_only = dict(compiled_only or {})

    def from_row_of(self, cls: type[T]) -> Callable[..., T]:
        """`cls`'s constructor from a row (and the shop currency, for shop amounts),
        generated once: one keyword argument per field, as a hand-written one would be."""
        columns = set(self.table.columns.keys())
        namespace: dict[str, Any] = {"_cls": cls, "_Env": Env, "_none": _NO_PERMISSIONS}
        arguments = []
        for index, field in enumerate(f for f in dataclasses.fields(cls) if f.init):  # type: ignore[arg-type]
            name = field.name
            if name in self.computed:
                namespace[f"_a{index}"] = self.computed[name]
                arguments.append(f"{name}=_a{index}(row, env)")
            elif name in self.enums:
                namespace[f"_e{index}"] = self.enums[name]
                arguments.append(f"{name}=_e{index}(row.{name})")
            elif name in self.renamed:
                arguments.append(f"{name}=row.{self.renamed[name]}")
            elif name in columns:
                arguments.append(f"{name}=row.{name}")
            else:
                raise TypeError(
                    f"{cls.__name__}.{name} is neither a column of {self.table} nor declared "
                    "in its RowFields (schema/row_fields.py)"
                )
        source = (
            "def from_row(row, currency=None):\n"
            "    env = _Env(currency, _none)\n"
            f"    return _cls({', '.join(arguments)})\n"
        )
        exec(compile(source, f"<from_row of {cls.__name__}>", "exec"), namespace)
        from_row: Callable[..., T] = namespace["from_row"]
        return from_row

    def compiled_accessors(self) -> dict[str, Accessor]:
        """The accessors of the fields that are not a plain column, by GraphQL name, for
        the compiled read path."""
        accessors = {to_camel_case(name): read for name, read in self.computed.items()}
        accessors.update((to_camel_case(n), r) for n, r in self.compiled_only.items())
        return accessors


# Relations: which loader backs a relation field, declared on the field (its metadata) so
# that its resolver and the compiled read path's batched plan (fastpath/compiler.py) load
# it the same way.

RELATION = "custgraph.relation"


@dataclass(frozen=True)
class RowList:
    """A customer's small list of rows, loaded whole by `loader` (loaders/registry.py);
    with `pick`, the one row that has that column set (a default address)."""

    loader: str
    pick: str | None = None

    async def rows(self, info: Any, customer_id: int) -> list[Any]:
        loaded: list[Any] = await getattr(info.context.loaders, self.loader).load(customer_id)
        return loaded

    async def picked(self, info: Any, customer_id: int) -> Any:
        assert self.pick is not None
        return next((r for r in await self.rows(info, customer_id) if getattr(r, self.pick)), None)


@dataclass(frozen=True)
class NewestFirst:
    """A customer's connection, newest first, paged by the shared loaders
    (`loaders.registry.PAGED_RELATIONS[relation]`)."""

    relation: str

    async def page(
        self,
        info: Any,
        customer_id: int,
        first: int | None,
        after: str | None,
        build: Callable[[Any], T],
    ) -> Connection[T]:
        return await newest_first(info, self.relation, customer_id, first, after, build)


def relation(declared: RowList | NewestFirst) -> dict[str, Any]:
    """The field metadata that declares a relation."""
    return {RELATION: declared}


def relation_of(field: Any) -> RowList | NewestFirst | None:
    declared = (field.metadata or {}).get(RELATION)
    return declared if isinstance(declared, RowList | NewestFirst) else None
