"""Every root field and every customer field, as every kind of caller, against one table.

A field added to the schema without an entry in these tables fails the test: each
field needs a permission decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from graphql import GraphQLObjectType, get_named_type

from custgraph.auth.permissions import BUILTIN_ROLES, Permission
from custgraph.auth.principal import CUSTOMER_SELF_PERMISSIONS
from custgraph.global_id import encode_global_id
from custgraph.schema.build import build_schema
from tests.api.test_identity import _signed_in_customer
from tests.conftest import SeededWorld
from tests.support.client import GraphQLClient

P = Permission
ANYONE = "anyone"
SIGNED_IN = "signed-in"

# Root fields: who may call them. `customer`-scoped ones also admit a customer on itself.
ROOT_FIELDS: dict[str, str | Permission] = {
    "customer": P.CUSTOMERS_READ,
    "customers": P.CUSTOMERS_READ,
    "customerChanges": P.CUSTOMERS_READ,
    "node": P.CUSTOMERS_READ,
    "nodes": P.CUSTOMERS_READ,
    "viewer": SIGNED_IN,
    "staffUsers": P.STAFF_MANAGE,
    "apiKeys": P.STAFF_MANAGE,
    "staffLogin": ANYONE,
    "customerLogin": ANYONE,
    "customerRegister": ANYONE,
    "customerVerifyEmail": ANYONE,
    "customerRequestPasswordReset": ANYONE,
    "customerResetPassword": ANYONE,
    "staffUserCreate": P.STAFF_MANAGE,
    "staffUserUpdate": P.STAFF_MANAGE,
    "apiKeyCreate": P.STAFF_MANAGE,
    "apiKeyRevoke": P.STAFF_MANAGE,
    "customerCreate": P.CUSTOMERS_WRITE,
    "customerUpdate": P.CUSTOMERS_WRITE,
    "customerUpsert": P.CUSTOMERS_WRITE,
    "customerAddressCreate": P.CUSTOMERS_WRITE,
    "customerAddressUpdate": P.CUSTOMERS_WRITE,
    "customerAddressDelete": P.CUSTOMERS_WRITE,
    "customerAddressSetDefault": P.CUSTOMERS_WRITE,
    "customerPointsAdjust": P.LOYALTY_WRITE,
    "customerCreditAdjust": P.CREDIT_WRITE,
    "customerLevelChange": P.LOYALTY_WRITE,
    "giftCardIssue": P.GIFTCARDS_WRITE,
    "giftCardDeactivate": P.GIFTCARDS_WRITE,
    "customFieldDefinitions": P.CUSTOMERS_READ,
    "customFieldDefine": P.CUSTOMERS_ADMIN,
    "customerAssignSalesRep": P.CUSTOMERS_ADMIN,
    "customerAssignPriceList": P.CUSTOMERS_ADMIN,
    "customerSetPassword": P.CUSTOMERS_ADMIN,
    "customerTagsAdd": P.CUSTOMERS_WRITE,
    "customerTagsRemove": P.CUSTOMERS_WRITE,
    "customerSetCustomFields": P.CUSTOMERS_WRITE,
    "customerSendPasswordReset": P.CUSTOMERS_WRITE,
    "customerResendVerification": P.CUSTOMERS_WRITE,
    "customerUpdateMfa": P.CUSTOMERS_WRITE,
    "customerNoteAdd": P.NOTES_WRITE,
    "customerNoteUpdate": P.NOTES_WRITE,
    "customerNoteDelete": P.NOTES_WRITE,
    "customerNotify": P.NOTIFICATIONS_SEND,
    "customerSetStatus": P.CUSTOMERS_WRITE,
    "customerChangeEmail": P.CUSTOMERS_WRITE,
    "customerDelete": P.CUSTOMERS_DELETE,
    "customerErase": P.CUSTOMERS_DELETE,
    "customerMerge": P.CUSTOMERS_MERGE,
    "customerMergePreview": P.CUSTOMERS_MERGE,
    "webhookSubscriptions": P.WEBHOOKS_MANAGE,
    "webhookSubscriptionCreate": P.WEBHOOKS_MANAGE,
    "webhookSubscriptionUpdate": P.WEBHOOKS_MANAGE,
    "webhookSubscriptionDelete": P.WEBHOOKS_MANAGE,
    "webhookDeliveryRetry": P.WEBHOOKS_MANAGE,
    "customerBulkSetStatus": P.CUSTOMERS_WRITE,
    "customerBulkTagsAdd": P.CUSTOMERS_WRITE,
    "customerBulkTagsRemove": P.CUSTOMERS_WRITE,
    "customerBulkAssignSalesRep": P.CUSTOMERS_ADMIN,
    "customerBulkAssignPriceList": P.CUSTOMERS_ADMIN,
    "customerBulkDelete": P.CUSTOMERS_DELETE,
    "customerBulkSendPasswordReset": P.CUSTOMERS_WRITE,
    "customersExport": P.CUSTOMERS_READ,
    "bulkJob": P.CUSTOMERS_READ,
    "bulkJobCancel": SIGNED_IN,  # and the permissions the job needed (else NOT_FOUND)
}
# Fields a customer may use on their own record; on anyone else's they answer NOT_FOUND.
SELF_SERVICE_FIELDS = frozenset(
    {
        "customer",
        "node",
        "nodes",
        "customerUpdate",
        "customerAddressCreate",
        "customerUpdateMfa",
        "customerChangeEmail",
    }
)
# Fields naming an address: a customer's request reaches the domain, which answers
# NOT_FOUND as a userError for addresses that are not theirs.
ADDRESS_FIELDS = frozenset(
    {"customerAddressUpdate", "customerAddressDelete", "customerAddressSetDefault"}
)

# An operation per root field that writes nothing even when allowed ({own} is the
# caller-visible customer id).
_NOBODY = '"' + encode_global_id("Customer", 10**9) + '"'
OPERATIONS: dict[str, str] = {
    "customer": 'query { customer(id: "{own}") { id } }',
    "customers": "query { customers(first: 1) { totalCount } }",
    "customerChanges": "query { customerChanges(first: 1) { pageInfo { hasNextPage } } }",
    "node": 'query { node(id: "{own}") { id } }',
    "nodes": 'query { nodes(ids: ["{own}"]) { id } }',
    "viewer": "query { viewer { kind } }",
    "staffUsers": "query { staffUsers { id } }",
    "apiKeys": "query { apiKeys { id } }",
    "staffLogin": 'mutation { staffLogin(input: {email: "matrix@x.example.com", '
    'password: "wrong"}) { token } }',
    "customerLogin": 'mutation { customerLogin(input: {email: "matrix@x.example.com", '
    'password: "wrong"}) { token } }',
    "customerRegister": 'mutation { customerRegister(input: {email: "not an email", '
    'password: "x", firstName: "a", lastName: "b"}) { userErrors { code } } }',
    "customerVerifyEmail": 'mutation { customerVerifyEmail(input: {token: "nope"}) '
    "{ userErrors { code } } }",
    "customerRequestPasswordReset": "mutation { customerRequestPasswordReset(input: "
    '{email: "matrix@x.example.com"}) { userErrors { code } } }',
    "customerResetPassword": 'mutation { customerResetPassword(input: {token: "nope", '
    'password: "long enough password"}) { userErrors { code } } }',
    "staffUserCreate": 'mutation { staffUserCreate(input: {email: "not an email", '
    'role: "VIEWER"}) { userErrors { code } } }',
    "staffUserUpdate": "mutation { staffUserUpdate(input: {staffUserId: "
    f'"{encode_global_id("StaffUser", 10**9)}"}}) {{ userErrors {{ code }} }} }}',
    "apiKeyCreate": 'mutation { apiKeyCreate(input: {name: "m", scopes: ["bogus"]}) '
    "{ userErrors { code } } }",
    "apiKeyRevoke": "mutation { apiKeyRevoke(input: {apiKeyId: "
    f'"{encode_global_id("ApiKey", 10**9)}"}}) {{ userErrors {{ code }} }} }}',
    "customerCreate": 'mutation { customerCreate(input: {firstName: "A", lastName: "B", '
    'email: "no email"}) { userErrors { code } } }',
    "customerUpdate": 'mutation { customerUpdate(input: {customerId: "{own}", phone: "12"}) '
    "{ userErrors { code } } }",
    "customerUpsert": 'mutation { customerUpsert(input: {externalId: " ", firstName: "A"}) '
    "{ userErrors { code } } }",
    "customerAddressCreate": 'mutation { customerAddressCreate(input: {customerId: "{own}", '
    'address: {line1: "x", city: "y", country: "XX"}}) { userErrors { code } } }',
    "customerAddressUpdate": "mutation { customerAddressUpdate(input: {addressId: "
    f'"{encode_global_id("Address", 10**9)}", address: {{line1: "x", city: "y", '
    'country: "DE"}}) { userErrors { code } } }',
    "customerAddressDelete": "mutation { customerAddressDelete(input: {addressId: "
    f'"{encode_global_id("Address", 10**9)}"}}) {{ userErrors {{ code }} }} }}',
    "customerAddressSetDefault": "mutation { customerAddressSetDefault(input: {addressId: "
    f'"{encode_global_id("Address", 10**9)}", kind: BILLING}}) {{ userErrors {{ code }} }} }}',
    "customerPointsAdjust": 'mutation { customerPointsAdjust(input: {customerId: "{own}", '
    'delta: 0, reason: "m"}) { userErrors { code } } }',
    "customerCreditAdjust": 'mutation { customerCreditAdjust(input: {customerId: "{own}", '
    'amount: "abc", reason: "m"}) { userErrors { code } } }',
    "customerLevelChange": 'mutation { customerLevelChange(input: {customerId: "{own}", '
    'level: "Diamond"}) { userErrors { code } } }',
    "giftCardIssue": 'mutation { giftCardIssue(input: {customerId: "{own}", amount: "0"}) '
    "{ userErrors { code } } }",
    "giftCardDeactivate": "mutation { giftCardDeactivate(input: {giftCardId: "
    f'"{encode_global_id("GiftCard", 10**9)}"}}) {{ userErrors {{ code }} }} }}',
    "customFieldDefinitions": "query { customFieldDefinitions { key } }",
    "customFieldDefine": 'mutation { customFieldDefine(input: {key: "Not A Key", label: "x", '
    "type: TEXT}) { userErrors { code } } }",
    "customerAssignSalesRep": 'mutation { customerAssignSalesRep(input: {customerId: "{own}", '
    f'salesRepId: "{encode_global_id("StaffUser", 10**9)}"}}) {{ userErrors {{ code }} }} }}',
    "customerAssignPriceList": 'mutation { customerAssignPriceList(input: {customerId: "{own}", '
    'priceList: " "}) { userErrors { code } } }',
    "customerTagsAdd": 'mutation { customerTagsAdd(input: {customerId: "{own}", tags: [" "]}) '
    "{ userErrors { code } } }",
    "customerTagsRemove": 'mutation { customerTagsRemove(input: {customerId: "{own}", '
    'tags: [" "]}) { userErrors { code } } }',
    "customerSetCustomFields": 'mutation { customerSetCustomFields(input: {customerId: "{own}", '
    'values: [{key: "matrix_no_such_field"}]}) { userErrors { code } } }',
    "customerNoteAdd": 'mutation { customerNoteAdd(input: {customerId: "{own}", body: " "}) '
    "{ userErrors { code } } }",
    "customerNoteUpdate": "mutation { customerNoteUpdate(input: {noteId: "
    f'"{encode_global_id("Note", 10**9)}", body: "x"}}) {{ userErrors {{ code }} }} }}',
    "customerNoteDelete": "mutation { customerNoteDelete(input: {noteId: "
    f'"{encode_global_id("Note", 10**9)}"}}) {{ userErrors {{ code }} }} }}',
    "customerSendPasswordReset": "mutation { customerSendPasswordReset(input: "
    '{customerId: "{own}", idempotencyKey: ""}) { userErrors { code } } }',
    "customerResendVerification": "mutation { customerResendVerification(input: "
    '{customerId: "{own}", idempotencyKey: ""}) { userErrors { code } } }',
    "customerSetPassword": 'mutation { customerSetPassword(input: {customerId: "{own}", '
    'password: "short"}) { userErrors { code } } }',
    "customerUpdateMfa": 'mutation { customerUpdateMfa(input: {customerId: "{own}", '
    "enabled: true}) { userErrors { code } } }",
    "customerNotify": 'mutation { customerNotify(input: {customerId: "{own}", channel: PUSH, '
    'body: " "}) { userErrors { code } } }',
    "customerSetStatus": 'mutation { customerSetStatus(input: {customerId: "{own}", '
    "status: BLOCKED, expectedVersion: -1}) { userErrors { code } } }",
    "customerChangeEmail": 'mutation { customerChangeEmail(input: {customerId: "{own}", '
    'email: "not an email"}) { userErrors { code } } }',
    "customerDelete": 'mutation { customerDelete(input: {customerId: "{own}", '
    "expectedVersion: -1}) { userErrors { code } } }",
    "customerErase": 'mutation { customerErase(input: {customerId: "{own}", '
    "expectedVersion: -1}) { userErrors { code } } }",
    "customerMerge": 'mutation { customerMerge(input: {sourceId: "{own}", targetId: "{own}"}) '
    "{ userErrors { code } } }",
    "customerMergePreview": 'query { customerMergePreview(input: {sourceId: "{own}", '
    'targetId: "{own}"}) { userErrors { code } } }',
    "webhookSubscriptions": "query { webhookSubscriptions { id } }",
    "webhookSubscriptionCreate": 'mutation { webhookSubscriptionCreate(input: {url: "ftp://x", '
    'eventTypes: ["customer.created"]}) { userErrors { code } } }',
    "webhookSubscriptionUpdate": "mutation { webhookSubscriptionUpdate(input: {subscriptionId: "
    f'"{encode_global_id("WebhookSubscription", 10**9)}"}}) {{ userErrors {{ code }} }} }}',
    "webhookSubscriptionDelete": "mutation { webhookSubscriptionDelete(input: {subscriptionId: "
    f'"{encode_global_id("WebhookSubscription", 10**9)}"}}) {{ userErrors {{ code }} }} }}',
    "webhookDeliveryRetry": "mutation { webhookDeliveryRetry(input: {deliveryId: "
    f'"{encode_global_id("WebhookDelivery", 10**9)}"}}) {{ userErrors {{ code }} }} }}',
    # Bulk actions on a customer that does not exist: allowed, they answer its NOT_FOUND.
    **{
        name: f"mutation {{ {name}(input: {{selection: {{ids: [{_NOBODY}]}}{extra}}}) "
        "{ userErrors { code } } }"
        for name, extra in (
            ("customerBulkSetStatus", ", status: BLOCKED"),
            ("customerBulkTagsAdd", ', tags: ["matrix"]'),
            ("customerBulkTagsRemove", ', tags: ["matrix"]'),
            ("customerBulkAssignSalesRep", ", salesRepId: null"),
            ("customerBulkAssignPriceList", ", priceList: null"),
            ("customerBulkDelete", ""),
            ("customerBulkSendPasswordReset", ""),
        )
    },
    "customersExport": "mutation { customersExport(input: {format: CSV, columns: [REFERENCE]}) "
    "{ userErrors { code } } }",
    "bulkJob": f'query {{ bulkJob(id: "{encode_global_id("BulkJob", 10**9)}") {{ id }} }}',
    "bulkJobCancel": "mutation { bulkJobCancel(input: {jobId: "
    f'"{encode_global_id("BulkJob", 10**9)}"}}) {{ userErrors {{ code }} }} }}',
}

# Customer fields beyond reading the customer itself: None means no further permission.
CUSTOMER_FIELDS: dict[str, Permission | None] = {
    **dict.fromkeys(
        [
            "id",
            "reference",
            "externalId",
            "accountNumber",
            "salutation",
            "firstName",
            "lastName",
            "displayName",
            "emailVerified",
            "company",
            "gender",
            "locale",
            "city",
            "status",
            "registeredAt",
            "updatedAt",
            "version",
            "registrationCode",
            "referralCode",
            "tags",
            "priceList",
            "discountGroup",
            "paymentTerms",
            "branch",
            "department",
            "commissionReducedPercent",
            "addresses",
            "defaultBillingAddress",
            "defaultShippingAddress",
            "customFields",
            "salesRep",
            "mergedInto",
        ]
    ),
    "email": P.CUSTOMERS_READ_PII,
    "phone": P.CUSTOMERS_READ_PII,
    "dateOfBirth": P.CUSTOMERS_READ_PII,
    "idDocument": P.CUSTOMERS_READ_PII,
    "mfa": None,
    "creditLimit": None,
    "level": P.LOYALTY_READ,
    "pointsBalance": P.LOYALTY_READ,
    "pointsHistory": P.LOYALTY_READ,
    "memberships": P.LOYALTY_READ,
    "creditBalance": P.CREDIT_READ,
    "creditHistory": P.CREDIT_READ,
    "totalRevenue": P.ORDERS_READ,
    "orderCount": P.ORDERS_READ,
    "orders": P.ORDERS_READ,
    "giftCards": P.GIFTCARDS_READ,
    "notes": P.NOTES_READ,
    "events": P.AUDIT_READ,
    "notifications": P.AUDIT_READ,
}
# Guarded fields of nested objects, by their path under the customer.
NESTED_FIELDS: dict[tuple[str, str], Permission] = {
    ("mfa", "phone"): P.CUSTOMERS_READ_PII,
    ("addresses", "phone"): P.CUSTOMERS_READ_PII,
}


@dataclass(frozen=True)
class Caller:
    name: str
    token: str | None
    permissions: frozenset[Permission]
    is_customer: bool = False
    own_id: str | None = None  # the customer id this caller asks about

    def may(self, permission: Permission) -> bool:
        if self.is_customer:
            return self.own_id is not None and permission in CUSTOMER_SELF_PERMISSIONS
        return permission in self.permissions


@pytest_asyncio.fixture(scope="module")
async def callers(writable: SeededWorld, writable_http: Any) -> dict[str, Caller]:
    wgql = GraphQLClient(writable_http, writable.tokens["OWNER"])
    staff_customer = encode_global_id("Customer", 1)
    found: dict[str, Caller] = {
        role: Caller(role, writable.tokens[role], BUILTIN_ROLES[role], own_id=staff_customer)
        for role in BUILTIN_ROLES
    }
    key = (
        await wgql(
            'mutation { apiKeyCreate(input: {name: "matrix", '
            'scopes: ["customers:read"]}) { secret } }'
        )
    ).ok()
    found["api-key:customers:read"] = Caller(
        "api-key",
        key["apiKeyCreate"]["secret"],
        frozenset({P.CUSTOMERS_READ}),
        own_id=staff_customer,
    )
    _, own_id, token = await _signed_in_customer(wgql, writable)
    found["customer:own"] = Caller("customer", token, frozenset(), True, own_id)
    found["customer:other"] = Caller("customer", token, frozenset(), True, None)
    found["anonymous"] = Caller("anonymous", None, frozenset(), own_id=staff_customer)
    return found


def _root_fields() -> set[str]:
    schema = build_schema()._schema
    fields = set(schema.query_type.fields) if schema.query_type else set()
    if schema.mutation_type:
        fields |= set(schema.mutation_type.fields)
    return fields


def test_every_root_field_has_a_permission_decision_and_an_operation() -> None:
    assert _root_fields() == set(ROOT_FIELDS) == set(OPERATIONS)


def test_every_customer_field_has_a_permission_decision() -> None:
    customer = build_schema()._schema.type_map["Customer"]
    assert isinstance(customer, GraphQLObjectType)
    assert set(customer.fields) == set(CUSTOMER_FIELDS)


def _expected_root(field: str, caller: Caller) -> str:
    rule = ROOT_FIELDS[field]
    if rule == ANYONE:
        return "ok"
    if caller.token is None:
        return "UNAUTHENTICATED"
    if rule == SIGNED_IN:
        return "ok"
    assert isinstance(rule, Permission)
    if caller.is_customer:
        if field in SELF_SERVICE_FIELDS:
            return "ok" if caller.own_id else "NOT_FOUND"
        if field in ADDRESS_FIELDS:
            return "ok"
        return "FORBIDDEN"
    return "ok" if caller.may(rule) else "FORBIDDEN"


@pytest.mark.parametrize("field", sorted(ROOT_FIELDS))
async def test_root_fields_answer_each_caller_as_the_table_says(
    callers: dict[str, Caller], writable_http: Any, field: str
) -> None:
    for caller in callers.values():
        target = caller.own_id or encode_global_id("Customer", 1)
        query = OPERATIONS[field].replace("{own}", target)
        response = await GraphQLClient(writable_http, caller.token)(query)
        codes = [c for c in response.codes if c != "BAD_REQUEST"]
        got = codes[0] if codes else "ok"
        assert got == _expected_root(field, caller), (field, caller.name, response.body)


def _customer_selection() -> str:
    schema = build_schema()._schema
    customer = schema.type_map["Customer"]
    assert isinstance(customer, GraphQLObjectType)
    parts = []
    for name, definition in customer.fields.items():
        inner = get_named_type(definition.type)
        if isinstance(inner, GraphQLObjectType):
            if name == "mfa":
                parts.append("mfa { enabled phone }")
            elif name == "addresses":
                parts.append("addresses { id phone }")
            elif "totalCount" in inner.fields:
                parts.append(f"{name}(first: 1) {{ totalCount }}")
            else:
                parts.append(f"{name} {{ __typename }}")
        else:
            parts.append(name)
    return " ".join(parts)


async def test_customer_fields_are_nulled_with_forbidden_exactly_where_the_table_says(
    callers: dict[str, Caller], writable_http: Any
) -> None:
    selection = _customer_selection()
    for caller in callers.values():
        if caller.token is None or caller.own_id is None:
            continue
        query = f'query {{ customer(id: "{caller.own_id}") {{ {selection} }} }}'
        response = await GraphQLClient(writable_http, caller.token)(query)
        customer = response.data["customer"]
        assert customer is not None, (caller.name, response.errors)
        forbidden = {
            tuple(str(p) for p in e["path"][1:])
            for e in response.errors
            if e["extensions"]["code"] == "FORBIDDEN"
        }
        expected = {(f,) for f, p in CUSTOMER_FIELDS.items() if p and not caller.may(p)}
        for (parent, child), permission in NESTED_FIELDS.items():
            if caller.may(permission):
                continue
            value = customer[parent]
            if isinstance(value, list):
                expected |= {(parent, str(i), child) for i in range(len(value))}
            elif value is not None:
                expected.add((parent, child))
        assert forbidden == expected, caller.name
        assert all(customer[f[0]] is None for f in expected if len(f) == 1)
        assert response.codes.count("FORBIDDEN") == len(expected)
