"""Who may call: staff sign-in, tokens ending, API keys, customers acting for themselves."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

import httpx
import jwt
import pytest
from sqlalchemy import select

from custgraph.auth.tokens import issue_token
from custgraph.db.models import Customer, Order
from custgraph.global_id import encode_global_id
from tests.conftest import STAFF_PASSWORD, TEST_SECRET, SeededWorld
from tests.support.client import GraphQLClient
from tests.support.outbox import latest_link_token
from tests.support.truth import fetch

STAFF_LOGIN = """mutation($email: String!, $password: String!) {
  staffLogin(input: {email: $email, password: $password}) {
    token expiresAt staffUser { email role } userErrors { field code message } } }"""
CUSTOMER_LOGIN = """mutation($email: String!, $password: String!) {
  customerLogin(input: {email: $email, password: $password}) {
    token customer { id email status } userErrors { field code message } } }"""
REGISTER = """mutation($email: String!, $password: String!) {
  customerRegister(input: {email: $email, password: $password, firstName: "Ada",
                           lastName: "Lovelace"}) {
    customer { id reference email status emailVerified } userErrors { field code } } }"""
VERIFY = """mutation($token: String!) { customerVerifyEmail(input: {token: $token}) {
    customer { status emailVerified } userErrors { code } } }"""
WHO = "{ viewer { kind name role permissions customer { id email } staffUser { email } } }"
CUSTOMERS = "{ customers(first: 1) { totalCount } }"
CUSTOMER_PASSWORD = "a long customer password"


def _unique_email(prefix: str = "user") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@shop.example.com"


async def _signed_in_customer(wgql: GraphQLClient, writable: SeededWorld) -> tuple[str, str, str]:
    """(email, customer id, token) of a freshly registered and verified customer."""
    email = _unique_email("customer")
    anonymous = wgql.as_(None)
    registered = (await anonymous(REGISTER, {"email": email, "password": CUSTOMER_PASSWORD})).ok()
    customer_id = registered["customerRegister"]["customer"]["id"]
    token = await latest_link_token(writable.app.state.engine, email, "confirm")
    assert (await anonymous(VERIFY, {"token": token})).ok()["customerVerifyEmail"][
        "userErrors"
    ] == []
    login = (await anonymous(CUSTOMER_LOGIN, {"email": email, "password": CUSTOMER_PASSWORD})).ok()
    return email, customer_id, login["customerLogin"]["token"]


async def test_staff_login_returns_a_token_that_signs_in(wgql: GraphQLClient) -> None:
    anonymous = wgql.as_(None)
    data = (
        await anonymous(
            STAFF_LOGIN, {"email": "SUPPORT@staff.example.com", "password": STAFF_PASSWORD}
        )
    ).ok()
    payload = data["staffLogin"]
    assert payload["userErrors"] == []
    assert payload["staffUser"] == {"email": "support@staff.example.com", "role": "SUPPORT"}
    viewer = (await wgql.as_(payload["token"])(WHO)).ok()["viewer"]
    assert viewer["kind"] == "STAFF" and viewer["role"] == "SUPPORT"
    assert "customers:read_pii" in viewer["permissions"]
    assert "customers:delete" not in viewer["permissions"]


async def test_wrong_password_and_unknown_email_answer_alike(wgql: GraphQLClient) -> None:
    anonymous = wgql.as_(None)
    wrong = (
        await anonymous(
            STAFF_LOGIN, {"email": "viewer@staff.example.com", "password": "not the password"}
        )
    ).ok()
    unknown = (
        await anonymous(
            STAFF_LOGIN, {"email": "nobody@staff.example.com", "password": "not the password"}
        )
    ).ok()
    assert wrong == unknown
    assert wrong["staffLogin"]["token"] is None
    assert wrong["staffLogin"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_repeated_failures_slow_down_an_account_even_with_the_right_password(
    wgql: GraphQLClient,
) -> None:
    anonymous = wgql.as_(None)
    email = "manager@staff.example.com"
    for _ in range(5):
        await anonymous(STAFF_LOGIN, {"email": email, "password": "guess guess guess"})
    data = (await anonymous(STAFF_LOGIN, {"email": email, "password": STAFF_PASSWORD})).ok()
    assert data["staffLogin"]["token"] is None
    assert data["staffLogin"]["userErrors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    # An unknown email is slowed down the same way: the answer tells nothing.
    for _ in range(5):
        await anonymous(STAFF_LOGIN, {"email": "ghost@staff.example.com", "password": "x" * 12})
    ghost = (
        await anonymous(STAFF_LOGIN, {"email": "ghost@staff.example.com", "password": "x" * 12})
    ).ok()
    assert ghost["staffLogin"]["userErrors"][0]["code"] == "TOO_MANY_ATTEMPTS"


def _forged(claims: dict[str, object], header: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part(header)}.{part(claims)}."


# The HS512 forgery below is made on purpose with a key too short for HS512.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_bad_tokens_are_unauthenticated_never_a_500(
    writable_http: httpx.AsyncClient, writable: SeededWorld
) -> None:
    staff_id = writable.staff_ids["OWNER"]
    expired, _ = issue_token(TEST_SECRET, "staff", staff_id, 1, timedelta(seconds=-10))
    other_key, _ = issue_token(
        "another-secret-of-sufficient-length!", "staff", staff_id, 1, timedelta(hours=1)
    )
    none_alg = _forged(
        {
            "iss": "custgraph",
            "typ": "staff",
            "sub": str(staff_id),
            "ver": 1,
            "iat": 0,
            "exp": 4102444800,
        },
        {"alg": "none", "typ": "JWT"},
    )
    hs512 = jwt.encode(
        {
            "iss": "custgraph",
            "typ": "staff",
            "sub": str(staff_id),
            "ver": 1,
            "iat": 0,
            "exp": 4102444800,
        },
        TEST_SECRET,
        algorithm="HS512",
    )
    for token in [expired, other_key, none_alg, hs512, "a.b.c", "cgk_bad", "x" * 5000]:
        response = await writable_http.post(
            "/graphql", json={"query": CUSTOMERS}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, token[:40]
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_password_change_and_deactivation_end_earlier_sessions(
    wgql: GraphQLClient,
) -> None:
    email = _unique_email("staff")
    created = (
        await wgql(
            """mutation($email: String!) { staffUserCreate(input: {
        email: $email, role: "VIEWER", password: "first password 123"}) {
        staffUser { id } userErrors { code } } }""",
            {"email": email},
        )
    ).ok()
    staff_id = created["staffUserCreate"]["staffUser"]["id"]
    anonymous = wgql.as_(None)
    login = await anonymous(STAFF_LOGIN, {"email": email, "password": "first password 123"})
    token = login.ok()["staffLogin"]["token"]
    assert (await wgql.as_(token)(CUSTOMERS)).ok()

    update = """mutation($id: ID!, $password: String, $active: Boolean) {
        staffUserUpdate(input: {staffUserId: $id, password: $password, isActive: $active}) {
        staffUser { isActive } userErrors { code } } }"""
    (await wgql(update, {"id": staff_id, "password": "second password 456"})).ok()
    assert (await wgql.as_(token)(CUSTOMERS)).status == 401
    token = (
        await anonymous(STAFF_LOGIN, {"email": email, "password": "second password 456"})
    ).ok()["staffLogin"]["token"]
    assert (await wgql.as_(token)(CUSTOMERS)).ok()
    (await wgql(update, {"id": staff_id, "active": False})).ok()
    assert (await wgql.as_(token)(CUSTOMERS)).status == 401
    refused = await anonymous(STAFF_LOGIN, {"email": email, "password": "second password 456"})
    assert refused.ok()["staffLogin"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_only_an_owner_creates_or_changes_owners_and_admins(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    create = """mutation($email: String!, $role: String!) { staffUserCreate(input: {
        email: $email, role: $role}) { staffUser { role } userErrors { code field } } }"""
    as_admin = wgql.as_(writable.tokens["ADMIN"])
    refused = (await as_admin(create, {"email": _unique_email(), "role": "ADMIN"})).ok()
    assert refused["staffUserCreate"]["userErrors"] == [{"code": "NOT_ALLOWED", "field": ["role"]}]
    allowed = (await as_admin(create, {"email": _unique_email(), "role": "SUPPORT"})).ok()
    assert allowed["staffUserCreate"]["staffUser"] == {"role": "SUPPORT"}
    by_owner = (await wgql(create, {"email": _unique_email(), "role": "ADMIN"})).ok()
    assert by_owner["staffUserCreate"]["staffUser"] == {"role": "ADMIN"}
    as_manager = await wgql.as_(writable.tokens["MANAGER"])(
        create, {"email": _unique_email(), "role": "VIEWER"}
    )
    assert as_manager.codes == ["FORBIDDEN"]


async def test_api_key_secret_is_shown_once_works_and_stops_when_revoked(
    wgql: GraphQLClient,
) -> None:
    created = (
        await wgql("""mutation { apiKeyCreate(input: {name: "ERP sync",
        scopes: ["customers:read", "orders:read"]}) {
        apiKey { id name prefix scopes lastUsedAt } secret userErrors { code } } }""")
    ).ok()
    payload = created["apiKeyCreate"]
    secret, key_id = payload["secret"], payload["apiKey"]["id"]
    assert secret.startswith("cgk_") and payload["apiKey"]["lastUsedAt"] is None
    partner = wgql.as_(secret)
    viewer = (await partner(WHO)).ok()["viewer"]
    assert viewer["kind"] == "API_KEY"
    assert viewer["permissions"] == ["customers:read", "orders:read"]
    no_pii = await partner("{ customers(first: 1) { nodes { reference email } } }")
    assert no_pii.codes == ["FORBIDDEN"]
    assert no_pii.data["customers"]["nodes"][0]["email"] is None
    listed = (await wgql("{ apiKeys { id lastUsedAt } }")).ok()["apiKeys"]
    assert next(k for k in listed if k["id"] == key_id)["lastUsedAt"] is not None
    listing = str(listed)
    assert secret not in listing
    revoked = (
        await wgql(
            """mutation($id: ID!) { apiKeyRevoke(input: {apiKeyId: $id}) {
        apiKey { revokedAt } userErrors { code } } }""",
            {"id": key_id},
        )
    ).ok()
    assert revoked["apiKeyRevoke"]["apiKey"]["revokedAt"] is not None
    assert (await partner(CUSTOMERS)).status == 401


async def test_unknown_scopes_are_refused(wgql: GraphQLClient) -> None:
    data = (
        await wgql("""mutation { apiKeyCreate(input: {name: "x", scopes: ["root:all"]}) {
        secret userErrors { code field } } }""")
    ).ok()
    assert data["apiKeyCreate"] == {
        "secret": None,
        "userErrors": [{"code": "INVALID", "field": ["scopes"]}],
    }


async def test_registered_customer_signs_in_only_after_verifying_the_email(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    anonymous = wgql.as_(None)
    email = _unique_email("new")
    registered = (await anonymous(REGISTER, {"email": email, "password": CUSTOMER_PASSWORD})).ok()
    customer = registered["customerRegister"]["customer"]
    assert customer["status"] == "UNVERIFIED" and customer["email"] == email
    assert customer["reference"].startswith("CUST-")
    early = (await anonymous(CUSTOMER_LOGIN, {"email": email, "password": CUSTOMER_PASSWORD})).ok()
    assert early["customerLogin"]["token"] is None
    assert early["customerLogin"]["userErrors"][0]["code"] == "NOT_ALLOWED"
    token = await latest_link_token(writable.app.state.engine, email, "confirm")
    verified = (await anonymous(VERIFY, {"token": token})).ok()["customerVerifyEmail"]
    assert verified["customer"] == {"status": "ACTIVE", "emailVerified": True}
    again = (await anonymous(VERIFY, {"token": token})).ok()["customerVerifyEmail"]
    assert again["userErrors"] == [{"code": "INVALID_TOKEN"}]
    login = (await anonymous(CUSTOMER_LOGIN, {"email": email, "password": CUSTOMER_PASSWORD})).ok()
    assert login["customerLogin"]["customer"]["email"] == email
    duplicate = (
        await anonymous(REGISTER, {"email": email.upper(), "password": CUSTOMER_PASSWORD})
    ).ok()
    assert duplicate["customerRegister"]["userErrors"] == [{"field": ["email"], "code": "TAKEN"}]


async def test_customer_reads_its_own_record_and_nothing_of_anyone_else(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    email, customer_id, token = await _signed_in_customer(wgql, writable)
    me = wgql.as_(token)
    viewer = (await me(WHO)).ok()["viewer"]
    assert viewer["kind"] == "CUSTOMER"
    assert viewer["customer"] == {"id": customer_id, "email": email}
    own = (
        await me(
            "query($id: ID!) { customer(id: $id) { email orders(first: 5) { totalCount }"
            " pointsBalance giftCards { id } } }",
            {"id": customer_id},
        )
    ).ok()
    assert own["customer"]["email"] == email
    notes = await me(
        "query($id: ID!) { customer(id: $id) { notes { totalCount } } }", {"id": customer_id}
    )
    assert notes.codes == ["FORBIDDEN"]

    other = (await fetch(writable.app.state.engine, select(Customer.id).limit(1)))[0].id
    order = await fetch(
        writable.app.state.engine, select(Order.id).where(Order.customer_id == other).limit(1)
    )
    for query, variables in [
        (
            "query($id: ID!) { customer(id: $id) { email } }",
            {"id": encode_global_id("Customer", other)},
        ),
        (
            "query($id: ID!) { customer(id: $id) { email } }",
            {"id": encode_global_id("Customer", 10**9)},
        ),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": encode_global_id("Customer", other)}),
    ] + (
        [
            (
                "query($id: ID!) { node(id: $id) { id } }",
                {"id": encode_global_id("Order", order[0].id)},
            )
        ]
        if order
        else []
    ):
        response = await me(query, variables)
        assert response.codes == ["NOT_FOUND"], query
    listing = await me(CUSTOMERS)
    assert listing.codes == ["FORBIDDEN"]


async def test_password_reset_by_email_link_ends_earlier_sessions(
    wgql: GraphQLClient, writable: SeededWorld
) -> None:
    email, _, old_token = await _signed_in_customer(wgql, writable)
    anonymous = wgql.as_(None)
    request = """mutation($email: String!) { customerRequestPasswordReset(input: {email: $email}) {
        userErrors { code } } }"""
    assert (await anonymous(request, {"email": email})).ok() == (
        await anonymous(request, {"email": _unique_email("unknown")})
    ).ok()
    token = await latest_link_token(writable.app.state.engine, email, "reset")
    reset = """mutation($token: String!, $password: String!) { customerResetPassword(input: {
        token: $token, password: $password}) { customer { status } userErrors { code field } } }"""
    short = (await anonymous(reset, {"token": token, "password": "short"})).ok()
    assert short["customerResetPassword"]["userErrors"] == [
        {"code": "PASSWORD_TOO_SHORT", "field": ["password"]}
    ]
    done = (await anonymous(reset, {"token": token, "password": "a brand new password"})).ok()
    assert done["customerResetPassword"]["userErrors"] == []
    assert (await wgql.as_(old_token)(WHO)).status == 401
    old = (await anonymous(CUSTOMER_LOGIN, {"email": email, "password": CUSTOMER_PASSWORD})).ok()
    assert old["customerLogin"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    new = (
        await anonymous(CUSTOMER_LOGIN, {"email": email, "password": "a brand new password"})
    ).ok()
    assert new["customerLogin"]["token"]


async def test_anonymous_callers_may_only_sign_in(wgql: GraphQLClient) -> None:
    anonymous = wgql.as_(None)
    assert (await anonymous("{ __typename }")).ok() == {"__typename": "Query"}
    for query in [
        CUSTOMERS,
        WHO,
        "{ __schema { types { name } } }",
        "{ __typename ... on Query { viewer { kind } } }",
        "query { ...F } fragment F on Query { staffUsers { id } }",
        """mutation { staffLogin(input: {email: "a@b.co", password: "x"}) { token }
                     apiKeyRevoke(input: {apiKeyId: "x"}) { userErrors { code } } }""",
    ]:
        response = await anonymous(query)
        assert response.codes == ["UNAUTHENTICATED"], query
        assert response.data is None
