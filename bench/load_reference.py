"""Copy the harness's `ref` rows into custgraph's own tables of the same database.

    .venv/bin/python bench/load_reference.py [postgresql://postgres@127.0.0.1:5432/custgraph_bench]

The database must already hold schema `ref` (../shared/bench/ref_schema.sql). This:

1. migrates custgraph's tables into `public` (`upgrade_to_head`);
2. empties custgraph's customer tables (TRUNCATE … RESTART IDENTITY CASCADE), so it can be
   rerun at will; staff users are kept;
3. copies customers, addresses, orders, points entries, gift cards and notes with
   `INSERT … SELECT`, keeping the ids (money x 100 to integer cents, tags text[] → jsonb,
   `search_text` built in SQL, then every row checked against
   `custgraph.domain.search_text.customer_search_text` in Python and fixed where it differs);
4. advances the id sequences and runs VACUUM ANALYZE on the whole database (the `ref` tables too);
5. creates the staff user `bench-owner@bench.example` (role OWNER) if missing and prints a
   bearer token for it, signed with $CUSTGRAPH_SECRET_KEY (default DEFAULT_SECRET below), alone on
   the last line of stdout (progress goes to stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from custgraph.auth.tokens import issue_token
from custgraph.db.engine import create_session_factory
from custgraph.db.migrate import upgrade_to_head
from custgraph.db.models import StaffUser
from custgraph.domain.search_text import customer_search_text
from custgraph.domain.staff_accounts import create_staff_user

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/custgraph_bench"
OWNER_EMAIL = "bench-owner@bench.example"
DEFAULT_SECRET = "bench-secret-for-loopback-benchmarks-only"
TOKEN_TTL = timedelta(hours=6)

# custgraph's tables that hold customer data; emptied before every load.
CUSTOMER_TABLES = (
    "customers",
    "addresses",
    "orders",
    "order_lines",
    "points_entries",
    "credit_entries",
    "gift_cards",
    "gift_card_entries",
    "notes",
    "customer_events",
    "notifications",
    "outbox",
    "memberships",
    "custom_field_values",
    "action_tokens",
)
# Tables whose ids we copy; their sequences are advanced afterwards.
ID_TABLES = ("customers", "addresses", "orders", "points_entries", "gift_cards", "notes")

# The SQL form of customer_search_text (verified row by row in Python afterwards).
SEARCH_TEXT_SQL = """lower(concat_ws(' | ',
    CASE WHEN btrim(r.reference) <> '' THEN r.reference END,
    CASE WHEN btrim(f.first || ' ' || f.last) <> '' THEN f.first || ' ' || f.last END,
    CASE WHEN btrim(f.last || ' ' || f.first) <> '' THEN f.last || ' ' || f.first END,
    CASE WHEN btrim(coalesce(r.email, '')) <> '' THEN r.email END,
    CASE WHEN coalesce(r.phone, '') <> '' AND btrim(r.phone) <> '' THEN r.phone END,
    CASE WHEN coalesce(r.phone, '') <> ''
         THEN nullif(regexp_replace(r.phone, '[^0-9]+', '', 'g'), '') END))"""

COPIES = {
    "customers": f"""
        INSERT INTO customers (id, reference, external_id, account_number, salutation,
            first_name, last_name, email, email_verified, phone, company, gender, date_of_birth,
            locale, city, status, registered_at, updated_at, version, mfa_enabled, token_version,
            tags, level, points_balance, credit_balance, total_revenue, order_count, search_text)
        SELECT r.id, r.reference, r.external_id, NULL, r.salutation,
            r.first_name, r.last_name, r.email, r.email_verified, r.phone, r.company, r.gender,
            r.date_of_birth, r.locale, r.city, r.status, r.registered_at, r.updated_at, r.version,
            false, 1,
            to_jsonb(r.tags), r.level, r.points_balance,
            round(r.credit_balance * 100)::bigint, round(r.total_revenue * 100)::bigint,
            r.order_count, {SEARCH_TEXT_SQL}
        FROM ref.customers r
        CROSS JOIN LATERAL (SELECT btrim(coalesce(r.first_name, '')) AS first,
            btrim(coalesce(r.last_name, '')) AS last) f
        ORDER BY r.id""",
    # The first address of each customer is its default billing and shipping address.
    "addresses": """
        INSERT INTO addresses (id, customer_id, salutation, first_name, last_name, company,
            line1, line2, line3, postal_code, city, region, country, phone,
            is_default_billing, is_default_shipping, created_at, updated_at)
        SELECT a.id, a.customer_id, NULL, a.first_name, a.last_name, a.company,
            a.line1, a.line2, a.line3, a.postal_code, a.city, a.region, btrim(a.country), a.phone,
            a.id = first.id, a.id = first.id, c.registered_at, c.registered_at
        FROM ref.addresses a
        JOIN ref.customers c ON c.id = a.customer_id
        JOIN (SELECT customer_id, min(id) AS id FROM ref.addresses GROUP BY customer_id) first
          ON first.customer_id = a.customer_id
        ORDER BY a.id""",
    "orders": """
        INSERT INTO orders (id, customer_id, reference, state, placed_at, grand_total, currency,
            item_count)
        SELECT o.id, o.customer_id, o.reference, o.state, o.placed_at,
            round(o.grand_total * 100)::bigint, btrim(o.currency), o.item_count
        FROM ref.orders o ORDER BY o.id""",
    "points_entries": """
        INSERT INTO points_entries (id, customer_id, delta, balance_after, reason, source,
            created_at, actor_type, actor_id, actor_label)
        SELECT p.id, p.customer_id, p.delta, p.balance_after, p.reason, 'ORDER', p.created_at,
            'SYSTEM', NULL, 'system'
        FROM ref.points_entries p ORDER BY p.id""",
    # Cards are taken as issued when the customer registered; inactive ones were deactivated
    # at the customer's last update.
    "gift_cards": """
        INSERT INTO gift_cards (id, customer_id, code, initial_balance, balance, currency,
            expires_on, is_active, message, created_at, deactivated_at)
        SELECT g.id, g.customer_id, g.code, round(g.initial_balance * 100)::bigint,
            round(g.balance * 100)::bigint, btrim(g.currency), g.expires_on, g.is_active, NULL,
            c.registered_at, CASE WHEN g.is_active THEN NULL ELSE c.updated_at END
        FROM ref.gift_cards g JOIN ref.customers c ON c.id = g.customer_id ORDER BY g.id""",
    "notes": """
        INSERT INTO notes (id, customer_id, body, created_at, updated_at, actor_type, actor_id,
            actor_label)
        SELECT n.id, n.customer_id, n.body, n.created_at, n.created_at, 'SYSTEM', NULL, 'system'
        FROM ref.notes n ORDER BY n.id""",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def asyncpg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def fix_search_text(connection: AsyncConnection) -> tuple[int, int]:
    """Compare every row's search_text with customer_search_text; rewrite those that differ."""
    rows = (
        await connection.execute(
            text(
                "SELECT id, reference, first_name, last_name, email, phone, search_text"
                " FROM customers"
            )
        )
    ).all()
    wrong = [
        {"id": r.id, "value": expected}
        for r in rows
        if (
            expected := customer_search_text(
                r.reference, r.first_name, r.last_name, r.email, r.phone
            )
        )
        != r.search_text
    ]
    if wrong:
        await connection.execute(
            text("UPDATE customers SET search_text = :value WHERE id = :id"), wrong
        )
    return len(rows), len(wrong)


async def load(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            has_ref = await connection.scalar(
                text("SELECT to_regclass('ref.customers') IS NOT NULL")
            )
            if not has_ref:
                raise SystemExit("schema ref is missing: load ../shared/bench/ref_schema.sql first")
            await connection.execute(
                text(f"TRUNCATE {', '.join(CUSTOMER_TABLES)} RESTART IDENTITY CASCADE")
            )
            for table, statement in COPIES.items():
                started = time.perf_counter()
                result = await connection.execute(text(statement))
                log(f"  {table:<15}{result.rowcount:>8} rows  {time.perf_counter() - started:.1f}s")
            checked, fixed = await fix_search_text(connection)
            log(
                f"  search_text checked on {checked} rows against customer_search_text;"
                f" {fixed} rewritten from Python"
            )
            for table in ID_TABLES:
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id))"
                        f" FROM {table} HAVING max(id) IS NOT NULL"
                    )
                )
        # Sample check after commit: the stored text equals what the domain function gives.
        async with engine.connect() as connection:
            sample = (
                await connection.execute(
                    text(
                        "SELECT reference, first_name, last_name, email, phone, search_text"
                        " FROM customers WHERE id IN (1, 2, 7, 11, 4240, 9999, 10000)"
                    )
                )
            ).all()
            for r in sample:
                expected = customer_search_text(
                    r.reference, r.first_name, r.last_name, r.email, r.phone
                )
                assert r.search_text == expected, (r.reference, r.search_text, expected)
            log(f"  sample of {len(sample)} search_text values verified")
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            # VACUUM too: the copy leaves a dead version of each customer (search_text is
            # fixed after the insert), and where autovacuum is off (as on the benchmark
            # machines) a count would scan the table instead of the index for good. The
            # whole database, so that PostGraphile's and the floor's `ref` tables get the same.
            await autocommit.execute(text("VACUUM ANALYZE"))
        log("  VACUUM ANALYZE done")
    finally:
        await engine.dispose()


async def owner_token(url: str, secret: str) -> str:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        sessions = create_session_factory(engine)
        async with sessions() as session:
            user = await session.scalar(select(StaffUser).where(StaffUser.email == OWNER_EMAIL))
        if user is None:
            user = await create_staff_user(
                sessions,
                email=OWNER_EMAIL,
                role="OWNER",
                password=None,
                first_name="Bench",
                last_name="Owner",
            )
            log(f"  created staff user {OWNER_EMAIL} (OWNER)")
        token, _ = issue_token(secret, "staff", user.id, user.token_version, TOKEN_TTL)
        return token
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default=DEFAULT_URL)
    parser.add_argument(
        "--secret",
        default=os.environ.get("CUSTGRAPH_SECRET_KEY", DEFAULT_SECRET),
        help="the server's CUSTGRAPH_SECRET_KEY (default: $CUSTGRAPH_SECRET_KEY or DEFAULT_SECRET)",
    )
    args = parser.parse_args()
    url = asyncpg_url(args.url)
    started = time.perf_counter()
    log("migrating custgraph's tables into public …")
    upgrade_to_head(url)
    log("copying ref rows …")
    asyncio.run(load(url))
    token = asyncio.run(owner_token(url, args.secret))
    log(f"loaded in {time.perf_counter() - started:.1f}s; bearer token for {OWNER_EMAIL}:")
    print(token)


if __name__ == "__main__":
    main()
