"""`seed_customers`: add N generated customers with their history to a database."""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from tqdm import tqdm

from custgraph.seed.batch import RowBatch
from custgraph.seed.catalog import product_catalog
from custgraph.seed.context import SeedContext
from custgraph.seed.custom_fields import ensure_field_definitions
from custgraph.seed.generate import generate_customer
from custgraph.seed.ids import IdAllocator
from custgraph.seed.phones import mobile_prefixes
from custgraph.seed.pools import country_pools
from custgraph.seed.report import SeedReport
from custgraph.seed.staff import load_or_create_sales_reps
from custgraph.seed.tables import ID_TABLES
from custgraph.seed.writer import advance_sequences, write_batch

BATCH_SIZE = 2000
HISTORY_DAYS = 5 * 365


def _start_of_today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def seed_customers(
    engine: AsyncEngine,
    count: int,
    seed: int = 1,
    *,
    currency: str = "EUR",
    progress: bool = False,
    now: datetime | None = None,
) -> SeedReport:
    """Add `count` realistic customers with addresses, orders, ledgers, notes and messages.

    Adds to whatever the database holds: ids continue after the current maxima, and
    references, emails, referral codes and gift card codes stay unique across runs.
    Nobody else should write to the database meanwhile.

    The result is deterministic for a given `seed`, starting state and `now` (the end of
    the generated history, by default the start of the current UTC day; only timestamps
    depend on it). Registrations spread over the five years before `now`.

    Aggregates on the customer row equal their sources: `order_count` and `total_revenue`
    count every order, cancelled and refunded included; `points_balance`, `credit_balance`
    and each gift card's `balance` equal the newest ledger entry's `balance_after`.

    Rows are inserted in batches of customers, one transaction per batch. On PostgreSQL
    the id sequences are advanced afterwards.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    if not (len(currency) == 3 and currency.isalpha() and currency.isupper()):
        raise ValueError("currency must be an ISO 4217 code such as EUR")
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    started = time.perf_counter()
    anchor = now.astimezone(UTC) if now is not None else _start_of_today()

    async with engine.begin() as connection:
        ids = await IdAllocator.load(connection)
        staff, staff_created = await load_or_create_sales_reps(connection, ids, seed, anchor)
        fields, fields_created = await ensure_field_definitions(connection, ids, anchor)

    # The first customer id is part of the seed: a second run with the same seed continues
    # with new people and new gift card codes instead of repeating the first run.
    rng = random.Random(f"custgraph-seed:{seed}:{ids.peek('customers')}")
    context = SeedContext(
        rng=rng,
        now=anchor,
        currency=currency,
        ids=ids,
        pools=country_pools(seed),
        phone_prefixes=mobile_prefixes(seed),
        products=product_catalog(seed),
        staff=staff,
        custom_fields=fields,
    )
    history_start = anchor - timedelta(days=HISTORY_DAYS)
    # Sorted, so that customer ids follow registration order as in a real shop.
    registrations = sorted(context.moment(history_start) for _ in range(count))

    totals: Counter[str] = Counter()
    with tqdm(
        total=count, unit="customers", file=sys.stderr, disable=not progress, desc="Seeding"
    ) as bar:
        for first in range(0, count, BATCH_SIZE):
            chunk = registrations[first : first + BATCH_SIZE]
            batch = RowBatch()
            for registered_at in chunk:
                generate_customer(context, batch, registered_at)
            async with engine.begin() as connection:
                await write_batch(connection, batch)
            totals.update(batch.counts())
            bar.update(len(chunk))

    async with engine.begin() as connection:
        await advance_sequences(connection, ID_TABLES)

    return SeedReport(
        **totals,
        staff_users=staff_created,
        custom_field_definitions=fields_created,
        elapsed_seconds=time.perf_counter() - started,
    )
