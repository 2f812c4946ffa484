"""Plain relations written as JSON by PostgreSQL (fastpath/json_level.py).

Under a list page or a customer, the relations whose selection needs no Python are
written by one statement per level; the bodies must stay byte for byte what the general
path answers, whatever the text, timestamps and amounts hold.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import pytest_asyncio
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from custgraph.auth.permissions import BUILTIN_ROLES
from custgraph.db.models import Address, Customer, GiftCard, Note, Order, PointsEntry
from custgraph.global_id import encode_global_id
from custgraph.loaders.customer_list import SORT_KEYS
from tests.conftest import SeededWorld
from tests.support.databases import backend
from tests.support.statements import recorded
from tests.support.truth import fetch
from tests.support.two_paths import TwoPaths, two_paths

PLAIN_RELATIONS = """
  addresses { __typename id firstName line1 line2 postalCode city country phone
              isDefaultBilling }
  defaultBillingAddress { id city }
  giftCards { id code initialBalance { amount currency } balance { amount __typename }
              currency expiresOn isActive message createdAt }
  orders(first: 3) {
    __typename totalCount
    pageInfo { hasNextPage hasPreviousPage __typename }
    edges { __typename node { id reference state placedAt itemCount currency
                              grandTotal { amount currency } } }
    nodes { reference }
  }
  pointsHistory(first: 4) { totalCount nodes { id delta balanceAfter reason source createdAt } }
  notes(first: 2) { nodes { id body createdAt updatedAt } }
"""

_SHORT_CODES = itertools.count()

# Text that JSON must escape, or that one encoder might escape and another not.
HOSTILE = [
    'quote " backslash \\ slash / tab \t newline \n return \r',
    "".join(chr(c) for c in range(1, 32)) + "\x7f",
    "unicode é ß 中文 emoji 🧾 line sep \u2028 para sep \u2029 bom \ufeff",
    "",
    '</script><script>alert(1)</script> {"json": [1, 2]}',
]


@pytest_asyncio.fixture(scope="module")
async def seeded_paths(seeded: SeededWorld) -> AsyncIterator[TwoPaths]:
    async with two_paths(seeded) as two:
        yield two


@pytest_asyncio.fixture(scope="module")
async def writable_paths(writable: SeededWorld) -> AsyncIterator[TwoPaths]:
    async with two_paths(writable) as two:
        yield two


async def _first_customer_updated(engine: AsyncEngine, **values: object) -> int:
    """The id of the world's first customer, after writing `values` to it."""
    (customer_id,) = (await fetch(engine, select(Customer.id).order_by(Customer.id).limit(1)))[0]
    async with engine.begin() as connection:
        await connection.execute(
            update(Customer).where(Customer.id == customer_id).values(**values)
        )
    return int(customer_id)


@contextlib.asynccontextmanager
async def _check_dropped(engine: AsyncEngine, table: str, name: str) -> AsyncIterator[None]:
    """The table without its CHECK `name` for a while: rows the schema does not know can
    be written (and must be put right before the CHECK comes back)."""
    async with engine.begin() as connection:
        check = (
            await connection.execute(
                text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :n"),
                {"n": name},
            )
        ).scalar_one()
        await connection.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
    try:
        yield
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {check}"))


@pytest.mark.skipif(backend() != "postgresql", reason="SQLite reads relations as rows")
async def test_plain_relations_take_one_statement_below_the_page(
    seeded: SeededWorld, seeded_paths: TwoPaths
) -> None:
    query = f"""query Page($first: Int!) {{ customers(first: $first) {{ totalCount
        nodes {{ id {PLAIN_RELATIONS} }} }} }}"""
    counts = []
    for first in (5, 40):
        assert await seeded_paths.same(query, {"first": first})
        with recorded(seeded.app.state.engine) as log:
            await seeded_paths.post(query, {"first": first})
        counts.append(log.count)
    # The principal, the page (with its count), and one statement for all six relations
    # (the rows path runs eight: addresses, gift cards, three pages, two counts).
    assert counts == [3, 3]


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
async def test_every_role_gets_the_general_paths_bytes(seeded_paths: TwoPaths, role: str) -> None:
    # Roles without a field's permission get its refusal: that relation stays on rows.
    query = f"""query Page {{ customers(first: 12, sort: {{field: TOTAL_REVENUE}}) {{
        nodes {{ reference {PLAIN_RELATIONS} }} }} }}"""
    assert await seeded_paths.same(query, role=role)


async def _customer_with_hostile_rows(writable: SeededWorld) -> int:
    """A customer whose relations hold every kind of awkward value."""
    engine = writable.app.state.engine
    (customer_id,) = (await fetch(engine, select(Customer.id).order_by(Customer.id).limit(1)))[0]
    tag = uuid.uuid4().hex[:10]
    whole_second = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    with_micros = datetime(2031, 1, 2, 3, 4, 5, 7, tzinfo=UTC)
    async with engine.begin() as connection:
        await connection.execute(
            update(Customer).where(Customer.id == customer_id).values(tags=HOSTILE)
        )
        for n, text in enumerate(HOSTILE):
            await connection.execute(
                insert(Note).values(
                    customer_id=customer_id,
                    body=text,
                    created_at=with_micros if n % 2 else whole_second,
                    updated_at=whole_second,
                )
            )
            await connection.execute(
                insert(Address).values(
                    customer_id=customer_id,
                    first_name=text or None,
                    line1=text,
                    line2=None,
                    postal_code="\\",
                    city=text,
                    country="DE",
                    phone=None,
                )
            )
        for n, total in enumerate([Decimal("0"), Decimal("-0.05"), Decimal("123456789.10")]):
            await connection.execute(
                insert(Order).values(
                    customer_id=customer_id,
                    reference=f"O-{tag}-{n}",
                    state="REFUNDED",
                    placed_at=whole_second if n else with_micros,
                    grand_total=total,
                    currency="EUR",
                    item_count=n,
                )
            )
            await connection.execute(
                insert(PointsEntry).values(
                    customer_id=customer_id,
                    delta=-(2**31) if n == 0 else 2**31 - 1,
                    balance_after=0,
                    reason=HOSTILE[n],
                    created_at=with_micros,
                )
            )
        await connection.execute(
            insert(GiftCard).values(
                customer_id=customer_id,
                # Shorter than the four characters shown to readers; unique (two random
                # hex digits collided once in a few hundred runs).
                code=f"G{next(_SHORT_CODES):02x}",
                initial_balance=Decimal("0.01"),
                balance=Decimal("0"),
                currency="EUR",
                expires_on=date(1999, 12, 31),
                is_active=False,
                message=HOSTILE[0],
                created_at=with_micros,
            )
        )
    return int(customer_id)


@pytest.mark.parametrize("role", ["OWNER", "SUPPORT"])
async def test_awkward_text_times_and_amounts_are_written_as_python_writes_them(
    writable: SeededWorld, writable_paths: TwoPaths, role: str
) -> None:
    customer_id = await _customer_with_hostile_rows(writable)
    query = f"""query One($id: ID!) {{ customer(id: $id) {{ id tags creditBalance {{ amount }}
        {PLAIN_RELATIONS.replace("first: 2", "first: 10").replace("first: 4", "first: 10")}
    }} }}"""
    variables = {"id": encode_global_id("Customer", customer_id)}
    assert await writable_paths.same(query, variables, role=role)  # compiled, and alike


@pytest.mark.parametrize("tags", [["a", 1, True], {"not": "a list"}, None])
async def test_tags_that_are_not_a_list_of_strings_answer_as_python_answers(
    writable: SeededWorld, writable_paths: TwoPaths, tags: object
) -> None:
    engine = writable.app.state.engine
    (customer_id,) = (await fetch(engine, select(Customer.id).order_by(Customer.id.desc())))[0]
    async with engine.begin() as connection:
        await connection.execute(
            update(Customer).where(Customer.id == customer_id).values(tags=tags)
        )
    query = """query One($id: ID!) { customer(id: $id) { tags giftCards { currency } } }"""
    variables = {"id": encode_global_id("Customer", customer_id)}
    fast, slow, _ = await writable_paths.both(query, variables)
    assert fast == slow


@pytest.mark.skipif(backend() != "postgresql", reason="the CHECK is dropped for the test")
async def test_a_stored_value_the_schema_does_not_know_is_reported_by_the_general_path(
    writable: SeededWorld, writable_paths: TwoPaths
) -> None:
    # The database's CHECK keeps unknown states out; a row written before a state was
    # retired, or past the CHECK, must still get the general path's error, not a guess.
    engine = writable.app.state.engine
    (customer_id,) = (await fetch(engine, select(Customer.id).order_by(Customer.id.desc())))[0]
    reference = f"O-{uuid.uuid4().hex[:12]}"
    async with _check_dropped(engine, "orders", "ck_orders_state"):
        async with engine.begin() as connection:
            await connection.execute(
                insert(Order).values(
                    customer_id=customer_id,
                    reference=reference,
                    state="LOST_IN_TRANSIT",
                    placed_at=datetime(2040, 1, 1, tzinfo=UTC),
                    grand_total=Decimal("1"),
                    currency="EUR",
                    item_count=1,
                )
            )
        try:
            query = """query One($id: ID!) { customer(id: $id) {
                orders(first: 1) { nodes { reference state } } } }"""
            variables = {"id": encode_global_id("Customer", customer_id)}
            fast, slow, compiled = await writable_paths.both(query, variables)
            assert fast == slow
            assert b'"errors"' in fast and not compiled
        finally:
            async with engine.begin() as connection:
                await connection.execute(delete(Order).where(Order.reference == reference))


async def test_a_page_after_a_cursor_is_read_as_rows_and_answers_alike(
    seeded_paths: TwoPaths,
) -> None:
    first = """query { customers(first: 3, sort: {field: TOTAL_REVENUE, direction: DESC}) { nodes {
        orders(first: 2) { edges { cursor } } } } }"""
    fast, _, _ = await seeded_paths.both(first)
    cursor = next(c for c in _cursors(fast))
    query = f"""query {{ customers(first: 3, sort: {{field: TOTAL_REVENUE, direction: DESC}})
        {{ nodes {{ orders(first: 2, after: "{cursor}") {{ totalCount pageInfo {{ hasNextPage
        hasPreviousPage }} nodes {{ reference placedAt }} }} giftCards {{ code }} }} }} }}"""
    assert await seeded_paths.same(query)


def _cursors(body: bytes) -> list[str]:
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "cursor" and isinstance(item, str):
                    found.append(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(body))
    return found


FLAT_FIELDS = """__typename id reference firstName lastName email phone company
  gender dateOfBirth locale city status tags level pointsBalance orderCount registeredAt
  updatedAt creditBalance { amount currency } totalRevenue { amount }"""


@pytest.mark.skipif(backend() != "postgresql", reason="SQLite builds the customers in Python")
async def test_a_flat_page_is_written_by_its_page_statement(
    seeded: SeededWorld, seeded_paths: TwoPaths
) -> None:
    query = f"""query Flat($first: Int!) {{ customers(first: $first) {{ totalCount
        edges {{ node {{ {FLAT_FIELDS} }} }} nodes {{ id email }} }} }}"""
    for first in (5, 40):
        assert await seeded_paths.same(query, {"first": first})
        with recorded(seeded.app.state.engine) as log:
            await seeded_paths.post(query, {"first": first})
        assert log.count == 2  # the principal, the page: no statement per customer, none after
        page = log.statements[1]
        # The rows hold the cursor's keys, then each node selection's JSON, then the total.
        assert page.startswith("SELECT customers.id, customers.reference, CASE WHEN"), page[:200]
        assert "AS custgraph_json_0" in page and "AS custgraph_json_1" in page


@pytest.mark.parametrize("field", sorted(SORT_KEYS))
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_a_written_page_pages_on_by_its_cursors_as_the_general_path(
    seeded_paths: TwoPaths, field: str, direction: str
) -> None:
    # The page's rows hold only the sort's keys when the database writes the customers:
    # the cursors made from them must lead where the general path's lead.
    query = """query Flat($sort: CustomerSort, $after: String) {
        customers(first: 7, sort: $sort, after: $after) {
          pageInfo { hasNextPage endCursor } edges { cursor node { reference email } } } }"""
    after = None
    for _ in range(3):
        variables = {"sort": {"field": field, "direction": direction}, "after": after}
        fast, slow, compiled = await seeded_paths.both(query, variables)
        assert fast == slow and compiled
        after = json.loads(fast)["data"]["customers"]["pageInfo"]["endCursor"]


@pytest.mark.parametrize("role", ["OWNER", "SUPPORT", "VIEWER"])
async def test_awkward_customer_text_on_a_flat_page_is_written_as_python_writes_it(
    writable: SeededWorld, writable_paths: TwoPaths, role: str
) -> None:
    customer_id = await _first_customer_updated(
        writable.app.state.engine,
        tags=HOSTILE,
        first_name=HOSTILE[0],
        last_name=HOSTILE[2],
        company=HOSTILE[4],
        city=HOSTILE[1],
        phone=None,
        date_of_birth=date(1970, 1, 1),
        updated_at=datetime(2099, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    )
    # Only this customer: others of this world may hold what sends a page to Python.
    query = f"""query Flat {{ customers(first: 1, sort: {{field: UPDATED_AT, direction: DESC}})
        {{ nodes {{ {FLAT_FIELDS} }} }} }}"""
    fast, slow, compiled = await writable_paths.both(query, role=role)
    assert fast == slow and compiled
    assert json.loads(fast)["data"]["customers"]["nodes"][0]["id"] == encode_global_id(
        "Customer", customer_id
    )


@pytest.mark.skipif(backend() != "postgresql", reason="the CHECK is dropped for the test")
async def test_a_customer_status_the_schema_does_not_know_on_a_flat_page_goes_general(
    writable: SeededWorld, writable_paths: TwoPaths
) -> None:
    engine = writable.app.state.engine
    customer_id, status, updated_at = (
        await fetch(
            engine,
            select(Customer.id, Customer.status, Customer.updated_at).order_by(Customer.id.desc()),
        )
    )[0]
    async with _check_dropped(engine, "customers", "ck_customers_status"):
        async with engine.begin() as connection:
            await connection.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(status="ON_HOLIDAY", updated_at=datetime(2100, 1, 1, tzinfo=UTC))
            )
        try:
            query = """query Flat { customers(first: 2, sort: {field: UPDATED_AT, direction: DESC})
                { nodes { reference status } } }"""
            fast, slow, compiled = await writable_paths.both(query)
            assert fast == slow
            assert b'"errors"' in fast and not compiled
        finally:
            async with engine.begin() as connection:
                await connection.execute(
                    update(Customer)
                    .where(Customer.id == customer_id)
                    .values(status=status, updated_at=updated_at)
                )


@pytest.mark.parametrize(
    "tags",
    [
        ['a", "b', '", "', ", ", '"', "\\", 'x\\", "y', "", "\\\\", '\\"'],
        ["plain", "two words", "comma,no space", "[", "]", "{}"],
        [],
    ],
    ids=["separator-like", "brackets", "empty"],
)
async def test_tags_that_look_like_json_syntax_are_written_as_python_writes_them(
    writable: SeededWorld, writable_paths: TwoPaths, tags: list[str]
) -> None:
    # PostgreSQL writes the array with ", " between items and the text is made compact
    # in place (fastpath/rows.py): only the separators may change.
    customer_id = await _first_customer_updated(
        writable.app.state.engine, tags=tags, updated_at=datetime(2098, 1, 1, tzinfo=UTC)
    )
    one = "query One($id: ID!) { customer(id: $id) { tags giftCards { currency } } }"
    variables = {"id": encode_global_id("Customer", customer_id)}
    fast, slow, compiled = await writable_paths.both(one, variables)
    assert fast == slow and compiled
    assert json.loads(fast)["data"]["customer"]["tags"] == tags
    page = """query { customers(first: 1, sort: {field: UPDATED_AT, direction: DESC})
        { nodes { id tags } } }"""
    fast, slow, compiled = await writable_paths.both(page)
    assert fast == slow and compiled
    assert json.loads(fast)["data"]["customers"]["nodes"][0]["tags"] == tags
