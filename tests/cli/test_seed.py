"""`custgraph seed`: deterministic, realistic data whose aggregates agree with their sources."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import Executable, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from custgraph.db.engine import create_engine
from custgraph.db.migrate import upgrade_to_head
from custgraph.db.models import (
    Address,
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
from custgraph.domain.search_text import customer_search_text
from custgraph.seed import SeedReport, seed_customers
from custgraph.settings import Settings

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CUSTOMERS = 200
SEEDED_TABLES = (
    Customer,
    Address,
    Order,
    OrderLine,
    PointsEntry,
    CreditEntry,
    GiftCard,
    GiftCardEntry,
    Note,
    CustomerEvent,
    Notification,
    Membership,
    CustomFieldValue,
)

Rows = list[tuple[Any, ...]]
MakeEngine = Callable[[str], AsyncEngine]


@pytest.fixture(scope="module")
async def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed-template") / "template.db"
    # Alembic's env runs its own event loop, so it must not run on the test loop's thread.
    await asyncio.to_thread(upgrade_to_head, f"sqlite+aiosqlite:///{path}")
    return path


def _engine_for_copy(template: Path, path: Path) -> AsyncEngine:
    shutil.copyfile(template, path)
    return create_engine(Settings(database_url=f"sqlite+aiosqlite:///{path}"))


@pytest.fixture
async def new_database(tmp_path: Path, template_db: Path) -> AsyncIterator[MakeEngine]:
    """Makes fresh migrated databases; disposes their engines afterwards."""
    engines: list[AsyncEngine] = []

    def make(name: str) -> AsyncEngine:
        engines.append(_engine_for_copy(template_db, tmp_path / f"{name}.db"))
        return engines[-1]

    yield make
    for engine in engines:
        await engine.dispose()


@pytest.fixture(scope="module")
async def seeded(
    tmp_path_factory: pytest.TempPathFactory, template_db: Path
) -> AsyncIterator[tuple[AsyncEngine, SeedReport]]:
    """One database with CUSTOMERS seeded customers, shared by the read-only checks."""
    engine = _engine_for_copy(template_db, tmp_path_factory.mktemp("seeded") / "seeded.db")
    report = await seed_customers(engine, CUSTOMERS, seed=7, now=NOW)
    yield engine, report
    await engine.dispose()


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


async def _rows(engine: AsyncEngine, model: type[Any]) -> Rows:
    table = _table(model)
    async with engine.connect() as connection:
        result = await connection.execute(select(table).order_by(*table.primary_key.columns))
        return [tuple(row) for row in result]


async def _fetch(engine: AsyncEngine, statement: Executable) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(statement)).all())


async def _all_rows(engine: AsyncEngine) -> dict[str, Rows]:
    return {model.__tablename__: await _rows(engine, model) for model in SEEDED_TABLES}


async def test_same_seed_on_fresh_databases_writes_identical_rows(
    new_database: MakeEngine,
) -> None:
    first, second = new_database("first"), new_database("second")

    await seed_customers(first, 120, seed=3, now=NOW)
    await seed_customers(second, 120, seed=3, now=NOW)

    first_rows, second_rows = await _all_rows(first), await _all_rows(second)
    assert first_rows["customers"]
    assert first_rows["points_entries"]
    assert first_rows["credit_entries"]
    assert first_rows["gift_card_entries"]
    for table, rows in first_rows.items():
        assert rows == second_rows[table], f"{table} differs between runs with the same seed"


async def test_different_seed_writes_different_customers_and_ledgers(
    new_database: MakeEngine,
) -> None:
    first, second = new_database("seed-1"), new_database("seed-2")

    await seed_customers(first, 50, seed=1, now=NOW)
    await seed_customers(second, 50, seed=2, now=NOW)

    assert await _rows(first, Customer) != await _rows(second, Customer)
    assert await _rows(first, PointsEntry) != await _rows(second, PointsEntry)


async def test_report_counts_equal_the_rows_written(
    seeded: tuple[AsyncEngine, SeedReport],
) -> None:
    engine, report = seeded
    counts = report.row_counts()

    for model in (*SEEDED_TABLES, StaffUser, CustomFieldDefinition):
        assert counts[model.__tablename__] == len(await _rows(engine, model)), model.__tablename__
    assert report.customers == CUSTOMERS
    assert report.staff_users == 8
    assert report.elapsed_seconds > 0


async def test_points_balance_equals_newest_entry_and_no_balance_goes_negative(
    seeded: tuple[AsyncEngine, SeedReport],
) -> None:
    engine, _ = seeded
    balances = dict(await _fetch(engine, select(Customer.id, Customer.points_balance)))
    entries = await _fetch(
        engine,
        select(PointsEntry.customer_id, PointsEntry.delta, PointsEntry.balance_after).order_by(
            PointsEntry.customer_id, PointsEntry.created_at, PointsEntry.id
        ),
    )

    newest: dict[int, int] = {}
    for customer_id, delta, balance_after in entries:
        assert balance_after == newest.get(customer_id, 0) + delta >= 0
        newest[customer_id] = balance_after
    assert balances == {customer_id: newest.get(customer_id, 0) for customer_id in balances}
    assert any(delta < 0 for _, delta, _ in entries)


async def test_credit_balance_equals_newest_entry_and_no_balance_goes_negative(
    seeded: tuple[AsyncEngine, SeedReport],
) -> None:
    engine, _ = seeded
    balances = dict(await _fetch(engine, select(Customer.id, Customer.credit_balance)))
    entries = await _fetch(
        engine,
        select(CreditEntry.customer_id, CreditEntry.amount, CreditEntry.balance_after).order_by(
            CreditEntry.customer_id, CreditEntry.created_at, CreditEntry.id
        ),
    )

    newest: dict[int, Decimal] = {}
    for customer_id, amount, balance_after in entries:
        assert balance_after == newest.get(customer_id, Decimal(0)) + amount >= 0
        assert amount.as_tuple().exponent == -2
        newest[customer_id] = balance_after
    expected = {customer_id: newest.get(customer_id, Decimal(0)) for customer_id in balances}
    assert balances == expected
    assert entries


async def test_gift_card_balance_equals_newest_entry_and_stays_within_initial(
    seeded: tuple[AsyncEngine, SeedReport],
) -> None:
    engine, _ = seeded
    cards = await _fetch(engine, select(GiftCard))
    entries = await _fetch(
        engine,
        select(
            GiftCardEntry.gift_card_id, GiftCardEntry.amount, GiftCardEntry.balance_after
        ).order_by(GiftCardEntry.gift_card_id, GiftCardEntry.created_at, GiftCardEntry.id),
    )

    newest: dict[int, Decimal] = {}
    for card_id, amount, balance_after in entries:
        assert balance_after == newest.get(card_id, Decimal(0)) + amount >= 0
        newest[card_id] = balance_after
    assert CUSTOMERS * 0.15 < len({card.customer_id for card in cards}) < CUSTOMERS * 0.45
    for card in cards:
        assert card.balance == newest[card.id]
        assert 0 <= card.balance <= card.initial_balance
        assert len(card.code) == 16 and card.code.isalnum() and card.code.isupper()
    assert any(card.expires_on and card.expires_on < NOW.date() for card in cards)


async def test_order_count_and_total_revenue_match_the_customers_orders(
    seeded: tuple[AsyncEngine, SeedReport],
) -> None:
    engine, _ = seeded
    customers = await _fetch(
        engine, select(Customer.id, Customer.order_count, Customer.total_revenue)
    )
    orders = await _fetch(engine, select(Order))

    counts: Counter[int] = Counter(order.customer_id for order in orders)
    revenue: dict[int, Decimal] = {}
    for order in orders:
        revenue[order.customer_id] = revenue.get(order.customer_id, Decimal(0)) + order.grand_total
    for customer_id, order_count, total_revenue in customers:
        assert order_count == counts[customer_id] <= 25
        assert total_revenue == revenue.get(customer_id, Decimal(0))
    states = {order.state for order in orders}
    assert states <= {"NEW", "PAID", "SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"}
    assert {"DELIVERED", "CANCELLED", "REFUNDED"} <= states


async def test_order_lines_add_up_to_the_grand_total(
    seeded: tuple[AsyncEngine, SeedReport],
) -> None:
    engine, _ = seeded
    orders = await _fetch(engine, select(Order))
    lines = await _fetch(engine, select(OrderLine))

    sums: dict[int, Decimal] = {}
    quantities: Counter[int] = Counter()
    line_counts: Counter[int] = Counter()
    for line in lines:
        assert line.total == line.quantity * line.unit_price
        sums[line.order_id] = sums.get(line.order_id, Decimal(0)) + line.total
        quantities[line.order_id] += line.quantity
        line_counts[line.order_id] += 1
    assert orders
    for order in orders:
        assert order.grand_total == sums[order.id]
        assert order.item_count == quantities[order.id]
        assert 1 <= line_counts[order.id] <= 5
        assert order.currency == "EUR"


async def test_every_customer_with_addresses_has_one_default_billing_and_one_shipping(
    seeded: tuple[AsyncEngine, SeedReport],
) -> None:
    engine, _ = seeded
    addresses = await _fetch(engine, select(Address))

    per_customer: Counter[int] = Counter()
    billing: Counter[int] = Counter()
    shipping: Counter[int] = Counter()
    for address in addresses:
        per_customer[address.customer_id] += 1
        billing[address.customer_id] += address.is_default_billing
        shipping[address.customer_id] += address.is_default_shipping
        assert len(address.country) == 2 and address.country.isupper()
        assert address.postal_code and address.city and address.line1
    assert per_customer
    for customer_id, count in per_customer.items():
        assert 1 <= count <= 3
        assert billing[customer_id] == 1
        assert shipping[customer_id] == 1
    assert len({address.country for address in addresses}) >= 5


async def test_phones_are_valid_e164_numbers_of_the_customers_country(
    seeded: tuple[AsyncEngine, SeedReport],
) -> None:
    engine, _ = seeded
    customers = await _fetch(
        engine, select(Customer.phone, Customer.locale).where(Customer.phone.is_not(None))
    )
    address_phones = await _fetch(
        engine, select(Address.phone, Address.country).where(Address.phone.is_not(None))
    )

    assert len(customers) > CUSTOMERS // 2
    # The locale's region is the customer's country (`de-AT` lives in Austria).
    checked = [(phone, locale[-2:]) for phone, locale in customers] + [
        (phone, country) for phone, country in address_phones
    ]
    for phone, region in checked:
        number = phonenumbers.parse(phone)
        assert phonenumbers.is_valid_number_for_region(number, region), phone
        assert phone == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


async def test_emails_references_and_referral_codes_are_unique(
    seeded: tuple[AsyncEngine, SeedReport],
) -> None:
    engine, _ = seeded
    rows = await _fetch(
        engine, select(Customer.id, Customer.email, Customer.reference, Customer.referral_code)
    )

    emails = [row.email for row in rows]
    assert all(email == email.lower() and "@" in email for email in emails)
    assert len(set(emails)) == len(rows) == CUSTOMERS
    assert len({row.referral_code for row in rows}) == len(rows)
    assert all(row.reference == f"CUST-{row.id:06d}" for row in rows)


async def test_customer_state_is_plausible_and_consistent(
    seeded: tuple[AsyncEngine, SeedReport],
) -> None:
    engine, _ = seeded
    customers = await _fetch(engine, select(Customer))
    first_orders = dict(
        await _fetch(
            engine, select(Order.customer_id, func.min(Order.placed_at)).group_by(Order.customer_id)
        )
    )

    statuses = Counter(customer.status for customer in customers)
    assert statuses["ACTIVE"] > CUSTOMERS // 2
    assert set(statuses) <= {"ACTIVE", "UNVERIFIED", "BLOCKED", "INACTIVE", "DISABLED"}
    assert {customer.level for customer in customers} <= {"Bronze", "Silver", "Gold", "Platinum"}
    assert any(not customer.tags for customer in customers)
    assert sum(customer.company is not None for customer in customers) > CUSTOMERS * 0.2
    for customer in customers:
        assert customer.email_verified == (customer.status != "UNVERIFIED")
        assert NOW - timedelta(days=5 * 366) <= customer.registered_at <= NOW
        assert customer.registered_at <= customer.updated_at <= NOW
        assert customer.version == 1
        assert customer.registered_at <= first_orders.get(customer.id, NOW)
        assert customer.date_of_birth is None or customer.date_of_birth < NOW.date()
        assert customer.search_text == customer_search_text(
            customer.reference,
            customer.first_name,
            customer.last_name,
            customer.email,
            customer.phone,
        )


async def test_every_customer_has_a_created_event_and_updates_carry_their_changes(
    seeded: tuple[AsyncEngine, SeedReport],
) -> None:
    engine, _ = seeded
    created = await _fetch(
        engine,
        select(CustomerEvent.customer_id).where(CustomerEvent.type == "CUSTOMER_CREATED"),
    )
    updates = await _fetch(
        engine, select(CustomerEvent.changes).where(CustomerEvent.type == "CUSTOMER_UPDATED")
    )

    assert len({row.customer_id for row in created}) == len(created) == CUSTOMERS
    assert updates
    for (changes,) in updates:
        assert changes
        assert all(set(change) == {"field", "old", "new"} for change in changes)


async def test_seeding_twice_adds_new_customers_without_collisions(
    new_database: MakeEngine,
) -> None:
    engine = new_database("twice")

    first = await seed_customers(engine, 60, seed=5, now=NOW)
    second = await seed_customers(engine, 60, seed=5, now=NOW)

    names = await _fetch(
        engine, select(Customer.first_name, Customer.last_name).order_by(Customer.id)
    )
    codes = [row.code for row in await _fetch(engine, select(GiftCard.code))]
    staff = await _fetch(engine, select(StaffUser.email))
    definitions = await _fetch(engine, select(CustomFieldDefinition.key))
    assert len(names) == 120
    assert (first.staff_users, second.staff_users) == (8, 0)
    assert (first.custom_field_definitions, second.custom_field_definitions) == (5, 0)
    assert sorted(row.email for row in staff) == sorted(
        f"rep{n}@custgraph.example" for n in range(1, 9)
    )
    assert len(definitions) == 5
    # Same seed, new starting state: the second run draws other people, not the same again.
    assert names[:60] != names[60:]
    assert len(set(codes)) == len(codes) > 0


async def test_progress_bar_is_written_to_stderr(
    new_database: MakeEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = new_database("progress")

    await seed_customers(engine, 5, seed=1, progress=True, now=NOW)

    assert "5/5" in capsys.readouterr().err
