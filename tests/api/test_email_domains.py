"""Emails on special-use domains: refused by default, intranet ones allowed by a setting."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.conftest import SeededWorld, settings_for
from tests.support.client import GraphQLClient
from tests.support.server import served

CREATE = """mutation($email: String!) { customerCreate(input: {firstName: "Ina",
  lastName: "Tranet", email: $email, sendVerificationEmail: false}) {
  customer { email } userErrors { field code } } }"""
REGISTER = """mutation($email: String!) { customerRegister(input: {email: $email,
  password: "a long customer password", firstName: "Ina", lastName: "Tranet"}) {
  customer { email } userErrors { field code } } }"""
STAFF_CREATE = """mutation($email: String!) { staffUserCreate(input: {email: $email,
  role: "VIEWER", firstName: "Ina", lastName: "Tranet"}) {
  staffUser { email } userErrors { field code } } }"""
CHANGE_EMAIL = """mutation($id: ID!, $email: String!) { customerChangeEmail(input: {
  customerId: $id, email: $email}) { customer { email } userErrors { field code } } }"""

INTRANET = ("shop.local", "erp.test", "corp.internal")
NEVER = ("localhost", "shop.invalid", "x.onion")


def _address(domain: str) -> str:
    return f"ina.{uuid.uuid4().hex[:8]}@{domain}"


async def _outcomes(client: GraphQLClient, domain: str) -> dict[str, object]:
    """Each way an email comes in, and what it answered for `domain`."""
    created = (await client(CREATE, {"email": _address(domain)})).ok()["customerCreate"]
    registered = (await client.as_(None)(REGISTER, {"email": _address(domain)})).ok()
    staff = (await client(STAFF_CREATE, {"email": _address(domain)})).ok()["staffUserCreate"]
    plain = (await client(CREATE, {"email": _address("shop.example.com")})).ok()
    customer_id = (
        await client(
            "query($e: String!) { customers(first: 1, search: $e) { nodes { id } } }",
            {"e": plain["customerCreate"]["customer"]["email"]},
        )
    ).ok()["customers"]["nodes"][0]["id"]
    changed = (await client(CHANGE_EMAIL, {"id": customer_id, "email": _address(domain)})).ok()
    return {
        "customerCreate": created["userErrors"],
        "customerRegister": registered["customerRegister"]["userErrors"],
        "staffUserCreate": staff["userErrors"],
        "customerChangeEmail": changed["customerChangeEmail"]["userErrors"],
    }


REFUSED = [{"field": ["email"], "code": "INVALID"}]


@pytest_asyncio.fixture(scope="module")
async def allowing(writable: SeededWorld) -> AsyncIterator[GraphQLClient]:
    """The writable world's database served with special-use domains allowed."""
    settings = settings_for(
        writable.app.state.settings.database_url,
        delivery_worker=False,
        email_allow_special_use_domains=True,
    )
    async with (
        served(settings) as app,
        httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
    ):
        yield GraphQLClient(http, writable.tokens["OWNER"])


@pytest.mark.parametrize("domain", INTRANET)
async def test_intranet_domains_are_refused_by_default(wgql: GraphQLClient, domain: str) -> None:
    outcomes = await _outcomes(wgql, domain)
    assert outcomes == {key: REFUSED for key in outcomes}


@pytest.mark.parametrize("domain", INTRANET)
async def test_the_setting_allows_intranet_domains_everywhere_an_email_comes_in(
    allowing: GraphQLClient, domain: str
) -> None:
    outcomes = await _outcomes(allowing, domain)
    assert outcomes == {key: [] for key in outcomes}


@pytest.mark.parametrize("domain", NEVER)
async def test_domains_no_shop_receives_mail_on_stay_refused_with_the_setting(
    allowing: GraphQLClient, domain: str
) -> None:
    outcomes = await _outcomes(allowing, domain)
    assert outcomes == {key: REFUSED for key in outcomes}


async def test_allowing_them_in_one_app_leaves_the_default_refusal_of_another(
    allowing: GraphQLClient, wgql: GraphQLClient
) -> None:
    assert (await _outcomes(allowing, "shop.local"))["customerCreate"] == []
    assert (await _outcomes(wgql, "shop.local"))["customerCreate"] == REFUSED
