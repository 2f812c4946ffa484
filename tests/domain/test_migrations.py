"""The migrations build exactly the schema the models describe, on either database."""

from __future__ import annotations

import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError, SAWarning

from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.migrate import head_revision, upgrade_to_head_async
from custgraph.db.migration_rules import include_object
from custgraph.db.models import Base, Customer
from tests.conftest import settings_for
from tests.support.databases import Databases


async def test_migrated_database_matches_the_models(databases: Databases) -> None:
    url = await databases.create("migrations")
    await upgrade_to_head_async(url)  # a second run is a no-op
    engine = create_engine(settings_for(url), pooled=False)
    try:
        async with engine.connect() as connection:

            def diff(sync_connection):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(
                    sync_connection,
                    opts={"compare_type": True, "include_object": include_object},
                )
                with warnings.catch_warnings():
                    # SQLite cannot reflect expression indexes; they are checked below.
                    warnings.simplefilter("ignore", UserWarning)
                    warnings.simplefilter("ignore", SAWarning)
                    return compare_metadata(context, Base.metadata), context.get_current_revision()

            differences, revision = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []
    assert revision == head_revision()


async def test_emails_are_unique_regardless_of_case(databases: Databases) -> None:
    url = await databases.create("email_case")
    engine = create_engine(settings_for(url), pooled=False)
    sessions = create_session_factory(engine)
    try:
        async with sessions.begin() as session:
            session.add(Customer(reference="CUST-A", email="Ada@Example.com"))
        with pytest.raises(IntegrityError):
            async with sessions.begin() as session:
                session.add(Customer(reference="CUST-B", email="ada@example.COM"))
        async with sessions.begin() as session:  # erased customers have no email
            session.add_all([Customer(reference="CUST-C"), Customer(reference="CUST-D")])
    finally:
        await engine.dispose()
