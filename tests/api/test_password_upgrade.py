"""Password hashes made with older argon2 parameters are brought up to date at sign-in."""

from __future__ import annotations

import uuid

from argon2 import PasswordHasher
from sqlalchemy import select

from custgraph.auth.passwords import upgraded_hash
from custgraph.db.models import Customer, StaffUser
from custgraph.domain.staff_accounts import create_staff_user
from tests.api.test_identity import CUSTOMER_LOGIN, CUSTOMER_PASSWORD, STAFF_LOGIN
from tests.api.test_identity import _signed_in_customer as signed_in_customer
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient

# What an older release (or a smaller machine's settings) hashed with.
OLD = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
CURRENT = PasswordHasher()
PASSWORD = "a staff password from long ago"


async def test_an_up_to_date_hash_is_left_as_it_is() -> None:
    assert await upgraded_hash(CURRENT.hash(PASSWORD), PASSWORD) is None
    fresh = await upgraded_hash(OLD.hash(PASSWORD), PASSWORD)
    assert fresh is not None and not CURRENT.check_needs_rehash(fresh)
    assert CURRENT.verify(fresh, PASSWORD)


async def _stored(world: SeededWorld, model: type, email: str) -> str:
    async with world.app.state.session_factory() as session:
        row = await session.scalar(select(model).where(model.email == email))
        assert row is not None
        stored: str = row.password_hash
        return stored


async def _store(world: SeededWorld, model: type, email: str, password_hash: str) -> None:
    async with world.app.state.session_factory.begin() as session:
        row = await session.scalar(select(model).where(model.email == email))
        row.password_hash = password_hash


async def test_a_staff_sign_in_upgrades_an_old_hash_and_the_password_still_works(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    email = f"old.hash.{uuid.uuid4().hex[:8]}@staff.example.com"
    await create_staff_user(
        writable.app.state.session_factory, email=email, role="VIEWER", password=PASSWORD
    )
    await _store(writable, StaffUser, email, OLD.hash(PASSWORD))
    assert CURRENT.check_needs_rehash(await _stored(writable, StaffUser, email))
    anonymous = wgql.as_(None)
    first = (await anonymous(STAFF_LOGIN, {"email": email, "password": PASSWORD})).ok()
    assert first["staffLogin"]["token"]
    upgraded = await _stored(writable, StaffUser, email)
    assert not CURRENT.check_needs_rehash(upgraded)
    again = (await anonymous(STAFF_LOGIN, {"email": email, "password": PASSWORD})).ok()
    assert again["staffLogin"]["token"]
    assert await _stored(writable, StaffUser, email) == upgraded  # not hashed again
    wrong = (await anonymous(STAFF_LOGIN, {"email": email, "password": "not it at all"})).ok()
    assert wrong["staffLogin"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_a_customer_sign_in_upgrades_an_old_hash(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    email, _, _ = await signed_in_customer(wgql, writable)
    await _store(writable, Customer, email, OLD.hash(CUSTOMER_PASSWORD))
    done = await wgql.as_(None)(CUSTOMER_LOGIN, {"email": email, "password": CUSTOMER_PASSWORD})
    assert done.ok()["customerLogin"]["token"]
    assert not CURRENT.check_needs_rehash(await _stored(writable, Customer, email))
