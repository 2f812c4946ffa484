"""Remembered staff sessions, confirmed by the request's own statement (auth/staff_sessions.py).

A staff request whose session this process looked up before runs no look-up of its own:
its first statement also answers whether the user's row still reads the same. These tests
change that row between requests in every way that matters and require the answer the
look-up would have given: never one for who the caller was before.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from custgraph.db.reader import Reader
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient
from tests.support.databases import backend

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="only statements run on asyncpg carry the check"
)

STAFF_LOGIN = """mutation($email: String!, $password: String!) {
  staffLogin(input: {email: $email, password: $password}) { token } }"""
UPDATE = """mutation($id: ID!, $role: String, $firstName: String, $active: Boolean) {
  staffUserUpdate(input: {staffUserId: $id, role: $role, firstName: $firstName,
                          isActive: $active}) { userErrors { code } } }"""
EMAILS = "{ customers(first: 2) { nodes { email } } }"
PASSWORD = "a staff password 123"


async def _staff(wgql: GraphQLClient, role: str) -> tuple[str, GraphQLClient]:
    """(id, client) of a new staff user of `role`, signed in."""
    email = f"staff.{uuid.uuid4().hex[:10]}@staff.example.com"
    created = (
        await wgql(
            """mutation($email: String!, $role: String!, $password: String!) {
            staffUserCreate(input: {email: $email, role: $role, password: $password}) {
            staffUser { id } userErrors { code } } }""",
            {"email": email, "role": role, "password": PASSWORD},
        )
    ).ok()
    login = await wgql.as_(None)(STAFF_LOGIN, {"email": email, "password": PASSWORD})
    return created["staffUserCreate"]["staffUser"]["id"], wgql.as_(
        login.ok()["staffLogin"]["token"]
    )


class Statements:
    """The statements each request ran on its read connection, from the request log."""

    def __init__(self, caplog: pytest.LogCaptureFixture, world: SeededWorld) -> None:
        self.caplog = caplog
        self.access_log = world.app.state.access_log

    async def of(self, call: Any) -> tuple[Any, int]:
        self.caplog.clear()
        with self.caplog.at_level(logging.INFO, logger="custgraph.requests"):
            answer = await call
            self.access_log.flush()
        counts = [r.statements for r in self.caplog.records if hasattr(r, "statements")]
        assert len(counts) == 1
        return answer, counts[0]


async def test_a_remembered_session_costs_no_statement_of_its_own(
    wgql: GraphQLClient, writable: SeededWorld, caplog: pytest.LogCaptureFixture
) -> None:
    _, support = await _staff(wgql, "SUPPORT")
    statements = Statements(caplog, writable)
    first, looked_up = await statements.of(support(EMAILS))
    second, remembered = await statements.of(support(EMAILS))
    assert first.ok() == second.ok()
    assert remembered == looked_up - 1


async def test_a_role_changed_between_requests_answers_for_the_new_role(
    wgql: GraphQLClient, writable: SeededWorld, caplog: pytest.LogCaptureFixture
) -> None:
    staff_id, staff = await _staff(wgql, "SUPPORT")
    assert all(n["email"] for n in (await staff(EMAILS)).ok()["customers"]["nodes"])
    assert (await staff(EMAILS)).errors == []  # remembered now
    (await wgql(UPDATE, {"id": staff_id, "role": "VIEWER"})).ok()
    refused = await staff(EMAILS)
    assert refused.codes == ["FORBIDDEN"] * 2
    assert all(n["email"] is None for n in refused.data["customers"]["nodes"])
    # The new role's session is remembered in turn, and confirmed by one statement.
    statements = Statements(caplog, writable)
    again, count = await statements.of(staff(EMAILS))
    assert again.data == refused.data and again.codes == refused.codes
    assert count == 1


async def test_a_roles_permissions_changed_in_the_database_take_effect_at_once(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    role = f"R{uuid.uuid4().hex[:8]}"
    engine = writable.app.state.engine
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO roles (name, description, permissions, is_builtin) "
                "VALUES (:name, '', CAST(:p AS jsonb), false)"
            ),
            {"name": role, "p": '["customers:read", "customers:read_pii"]'},
        )
    _, staff = await _staff(wgql, role)
    assert (await staff(EMAILS)).errors == []
    assert (await staff(EMAILS)).errors == []  # remembered now
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE roles SET permissions = CAST(:p AS jsonb) WHERE name = :name"),
            {"name": role, "p": '["customers:read"]'},
        )
    refused = await staff(EMAILS)
    assert refused.codes == ["FORBIDDEN"] * 2


@pytest.mark.parametrize("change", ["deactivated", "renamed"])
async def test_a_changed_user_is_looked_up_again(wgql: GraphQLClient, change: str) -> None:
    staff_id, staff = await _staff(wgql, "SUPPORT")
    answer = (await staff(EMAILS)).ok()
    assert (await staff(EMAILS)).ok() == answer  # remembered now
    if change == "deactivated":
        (await wgql(UPDATE, {"id": staff_id, "active": False})).ok()
        assert (await staff(EMAILS)).status == 401
        assert (await staff(EMAILS)).status == 401  # and stays refused
    else:
        (await wgql(UPDATE, {"id": staff_id, "firstName": "Renamed"})).ok()
        assert (await staff(EMAILS)).ok() == answer
        name = (await staff("{ viewer { name } }")).ok()["viewer"]["name"]
        assert name.startswith("Renamed")


async def test_a_statement_carries_the_condition_once_and_only_where_it_can(
    writable: SeededWorld,
) -> None:
    reader = Reader(writable.app.state.engine)
    try:
        assert reader.can_carry
        reader.carry("{0} = {1}", (1, 1))
        # No rows: nothing answered, and the next statement carries it no more.
        assert await reader.driver_rows("SELECT 1 WHERE false", []) == []
        assert reader.carried_answer is None
        assert await reader.driver_rows("SELECT $1::int", [7]) == [(7,)]
        assert reader.carried_answer is None
        reader.carry("{0}::int = {1}::int", (1, 2))
        # DISTINCT must come first in the select list, and a set operation has branches:
        # left to the next statement.
        assert [tuple(r) for r in await reader.driver_rows("SELECT DISTINCT 3", [])] == [(3,)]
        union = await reader.driver_rows("SELECT 4 UNION ALL SELECT 5", [])
        assert sorted(tuple(r) for r in union) == [(4,), (5,)]
        assert reader.carried_answer is None
        rows = await reader.driver_rows(
            "SELECT x FROM generate_series(1, $1) x ORDER BY x DESC", [3]
        )
        assert rows == [(3,), (2,), (1,)]
        assert reader.carried_answer is False
    finally:
        await reader.close()
