"""Webhooks end to end: subscribed over GraphQL, changes made over HTTP, delivered by the
served app's worker to a real HTTP receiver, and read back from the delivery log."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.auth.tokens import issue_token
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.models import CustomerChange, Note, WebhookDelivery
from custgraph.domain import customer_action, webhook_outbox
from custgraph.domain.api_keys import create_api_key
from custgraph.domain.errors import DomainError
from custgraph.domain.staff_accounts import create_staff_user
from custgraph.global_id import decode_global_id, encode_global_id
from custgraph.settings import Settings
from custgraph.webhooks.signature import verify
from tests.conftest import STAFF_PASSWORD, TEST_SECRET, settings_for
from tests.support.client import GraphQLClient
from tests.support.databases import Databases
from tests.support.server import ServedApp, served
from tests.support.webhook_receiver import Reply, WebhookReceiver, webhook_receiver

# Fast enough for tests: a retry waits at most 0.05 s, 0.1 s, 0.2 s; an attempt 0.5 s.
DISABLE_AFTER = 3
MAX_ATTEMPTS = 4
TIMEOUT_SECONDS = 0.5

SUBSCRIBE = """
mutation ($input: WebhookSubscriptionCreateInput!) {
  webhookSubscriptionCreate(input: $input) {
    secret
    webhookSubscription { id url eventTypes isActive failureCount owner { kind id name } }
    userErrors { field message code }
  }
}"""
UPDATE = """
mutation ($input: WebhookSubscriptionUpdateInput!) {
  webhookSubscriptionUpdate(input: $input) {
    secret
    webhookSubscription { id url eventTypes isActive failureCount disabledReason disabledAt }
    userErrors { field message code }
  }
}"""
DELETE = """
mutation ($input: WebhookSubscriptionDeleteInput!) {
  webhookSubscriptionDelete(input: $input) { deletedSubscriptionId userErrors { field code } }
}"""
RETRY = """
mutation ($input: WebhookDeliveryRetryInput!) {
  webhookDeliveryRetry(input: $input) {
    delivery { id state attempt nextAttemptAt }
    userErrors { field message code }
  }
}"""
SUBSCRIPTIONS = """
query {
  webhookSubscriptions {
    id url eventTypes isActive failureCount disabledReason disabledAt owner { kind id name }
    deliveries(first: 50) {
      totalCount
      edges { node {
        id uuid eventType changeSequence customerId state attempt statusCode latencyMs error
        payload createdAt lastAttemptAt nextAttemptAt succeededAt
      } }
    }
    log(first: 50) {
      totalCount
      edges { node {
        kind deliveryId eventType changeSequence attempt manual succeeded statusCode
        latencyMs error message createdAt
      } }
    }
  }
}"""
CREATE_CUSTOMER = """
mutation ($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id version } userErrors { code message } }
}"""
UPDATE_CUSTOMER = """
mutation ($input: CustomerUpdateInput!) {
  customerUpdate(input: $input) { customer { id version } userErrors { code message } }
}"""
ADJUST_POINTS = """
mutation ($input: CustomerPointsAdjustInput!) {
  customerPointsAdjust(input: $input) { customer { id version } userErrors { code message } }
}"""
ADD_NOTE = """
mutation ($input: CustomerNoteAddInput!) {
  customerNoteAdd(input: $input) { note { id } userErrors { code message } }
}"""


def stdlib_verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """The README's recipe for receivers, as written there (standard library only)."""
    if abs(time.time() - int(timestamp)) > 300:  # refuse replays of old requests
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    signatures = [s[3:] for s in header.replace(",", " ").split() if s.startswith("v1=")]
    return any(hmac.compare_digest(s.encode(), expected.hexdigest().encode()) for s in signatures)


@dataclass
class Hooks:
    """A database of its own, served with a fast webhook worker, and its OWNER."""

    settings: Settings
    app: ServedApp
    http: httpx.AsyncClient
    owner: GraphQLClient
    owner_id: int
    sessions: async_sessionmaker[AsyncSession]
    made: list[str] = field(default_factory=list)  # subscriptions to delete after a test

    async def subscribe(
        self, client: GraphQLClient, url: str, event_types: list[str], **extra: Any
    ) -> tuple[dict[str, Any], str]:
        """Subscribe as `client`; the subscription and its secret."""
        input = {"url": url, "eventTypes": event_types, **extra}
        payload = (await client(SUBSCRIBE, {"input": input})).ok()["webhookSubscriptionCreate"]
        assert payload["userErrors"] == [], payload
        self.made.append(payload["webhookSubscription"]["id"])
        return payload["webhookSubscription"], payload["secret"]

    async def subscription(self, subscription_id: str, client: GraphQLClient | None = None) -> Any:
        listed = (await (client or self.owner)(SUBSCRIPTIONS)).ok()["webhookSubscriptions"]
        [found] = [s for s in listed if s["id"] == subscription_id]
        return found

    async def until(
        self, subscription_id: str, check: Callable[[Any], bool], within: float = 15.0
    ) -> Any:
        """The subscription as listed, once `check` holds for it."""
        async with asyncio.timeout(within):
            while True:
                found = await self.subscription(subscription_id)
                if check(found):
                    return found
                await asyncio.sleep(0.05)

    async def customer(self, **fields: Any) -> str:
        email = f"hook-{uuid.uuid4().hex[:12]}@example.com"
        input = {"firstName": "Hook", "lastName": "Test", "email": email, **fields}
        input.setdefault("sendVerificationEmail", False)
        created = (await self.owner(CREATE_CUSTOMER, {"input": input})).ok()["customerCreate"]
        assert created["userErrors"] == [], created
        customer_id: str = created["customer"]["id"]
        return customer_id

    async def changes_of(self, customer_id: str) -> list[CustomerChange]:
        _, key = decode_global_id(customer_id)
        async with self.sessions() as session:
            found = await session.scalars(
                select(CustomerChange)
                .where(CustomerChange.customer_id == key)
                .order_by(CustomerChange.sequence)
            )
            return list(found)

    async def deliveries_of(self, customer_id: str) -> int:
        _, key = decode_global_id(customer_id)
        async with self.sessions() as session:
            counted = await session.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.customer_id == key)
            )
            return int(counted or 0)


def hook_settings(url: str) -> Settings:
    return settings_for(
        url,
        delivery_worker=False,
        webhook_allow_private_targets=True,  # the receiver listens on 127.0.0.1
        webhook_interval_seconds=0.05,
        webhook_first_retry_seconds=0.05,
        webhook_max_retry_seconds=0.2,
        webhook_timeout_seconds=TIMEOUT_SECONDS,
        webhook_max_attempts=MAX_ATTEMPTS,
        webhook_disable_after_failures=DISABLE_AFTER,
    )


@pytest_asyncio.fixture(scope="module")
async def world(databases: Databases) -> AsyncIterator[Hooks]:
    url = await databases.create("webhooks")
    settings = hook_settings(url)
    engine = create_engine(settings, pooled=False)
    sessions = create_session_factory(engine)
    owner = await create_staff_user(
        sessions, email="owner@hooks.example.com", role="OWNER", password=STAFF_PASSWORD
    )
    token, _ = issue_token(TEST_SECRET, "staff", owner.id, owner.token_version, timedelta(hours=1))
    try:
        async with (
            served(settings) as app,
            httpx.AsyncClient(base_url=app.base_url, timeout=30) as http,
        ):
            yield Hooks(settings, app, http, GraphQLClient(http, token), owner.id, sessions)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture
async def hooks(world: Hooks) -> AsyncIterator[Hooks]:
    """The world, with the subscriptions a test makes deleted after it."""
    yield world
    for subscription_id in world.made:
        await world.owner(DELETE, {"input": {"subscriptionId": subscription_id}})
    world.made.clear()


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver() as endpoint:
        yield endpoint


async def api_key(hooks: Hooks, *scopes: str) -> GraphQLClient:
    created = await create_api_key(hooks.sessions, name="partner", scopes=list(scopes))
    return GraphQLClient(hooks.http, created.secret)


def edges(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def attempts_in_log(subscription: Any) -> list[dict[str, Any]]:
    return [e for e in edges(subscription["log"]) if e["kind"] == "ATTEMPT"]


# --- subscribing and receiving ---------------------------------------------------------


async def test_owner_subscription_receives_signed_changes_with_type_sequence_and_fields(
    hooks: Hooks, receiver: WebhookReceiver
) -> None:
    subscription, secret = await hooks.subscribe(
        hooks.owner, receiver.url, ["customer.created", "customer.updated"]
    )
    assert secret.startswith("whsec_") and len(secret) > 40
    assert subscription["isActive"] is True
    assert subscription["owner"] == {
        "kind": "STAFF",
        "id": encode_global_id("StaffUser", hooks.owner_id),
        "name": "owner@hooks.example.com",
    }

    customer_id = await hooks.customer()
    updated = (
        await hooks.owner(
            UPDATE_CUSTOMER, {"input": {"customerId": customer_id, "branch": "Hamburg"}}
        )
    ).ok()["customerUpdate"]
    assert updated["userErrors"] == []

    created_hook, updated_hook = await receiver.wait_for(2)
    changes = await hooks.changes_of(customer_id)
    assert [c.type for c in changes] == ["customer.created", "customer.updated"]
    for received, change in zip((created_hook, updated_hook), changes, strict=True):
        headers = received.headers
        assert headers["content-type"] == "application/json"
        assert headers["x-custgraph-event"] == change.type
        assert verify(
            secret,
            headers["x-custgraph-timestamp"],
            received.body,
            headers["x-custgraph-signature"],
        )
        assert stdlib_verify(
            secret,
            headers["x-custgraph-timestamp"],
            received.body,
            headers["x-custgraph-signature"],
        )
        assert not verify(
            "whsec_not-the-secret",
            headers["x-custgraph-timestamp"],
            received.body,
            headers["x-custgraph-signature"],
        )
        assert abs(int(headers["x-custgraph-timestamp"]) - time.time()) < 60
        payload = received.json
        assert payload["id"] == headers["x-custgraph-delivery"]
        assert payload["type"] == change.type
        assert payload["sequence"] == change.sequence
        assert payload["customerId"] == customer_id
        assert payload["customerVersion"] == change.customer_version
        assert payload["fields"] == change.fields
        assert payload["occurredAt"] == change.occurred_at.isoformat()
    assert updated_hook.json["fields"] == ["branch"]
    assert updated_hook.json["details"] == {"branch": {"old": None, "new": "Hamburg"}}
    assert updated_hook.json["customerVersion"] == updated["customer"]["version"]
    # Names, email and the like travel by name only, never by value.
    assert "hook-" not in created_hook.body.decode() and "Hook" not in created_hook.body.decode()

    listed = await hooks.until(
        subscription["id"],
        lambda s: [d["state"] for d in edges(s["deliveries"])] == ["SUCCEEDED", "SUCCEEDED"],
    )
    newest, oldest = edges(listed["deliveries"])
    assert listed["deliveries"]["totalCount"] == 2
    assert (oldest["eventType"], oldest["changeSequence"]) == (
        "customer.created",
        str(changes[0].sequence),
    )
    assert newest["uuid"] == updated_hook.delivery
    assert newest["payload"].encode() == updated_hook.body
    assert (newest["attempt"], newest["statusCode"], newest["error"]) == (1, 200, None)
    assert newest["latencyMs"] >= 0 and newest["succeededAt"] and newest["nextAttemptAt"] is None
    assert newest["customerId"] == customer_id
    log = attempts_in_log(listed)
    assert [(e["attempt"], e["succeeded"], e["statusCode"]) for e in log] == [(1, True, 200)] * 2


async def test_only_subscribed_event_types_are_delivered(
    hooks: Hooks, receiver: WebhookReceiver
) -> None:
    await hooks.subscribe(hooks.owner, receiver.url, ["customer.updated"])
    customer_id = await hooks.customer()  # customer.created: not subscribed
    await hooks.owner(UPDATE_CUSTOMER, {"input": {"customerId": customer_id, "branch": "Kiel"}})

    [only] = await receiver.wait_for(1)
    assert only.json["type"] == "customer.updated"
    await asyncio.sleep(0.3)
    assert len(receiver.received) == 1


async def test_api_key_subscribes_sees_only_its_own_and_gets_no_values_it_may_not_read(
    hooks: Hooks,
) -> None:
    key = await api_key(hooks, "customers:read", "webhooks:manage")
    async with webhook_receiver() as partner, webhook_receiver() as staff:
        mine, key_secret = await hooks.subscribe(key, partner.url, ["points.adjusted"])
        assert mine["owner"]["kind"] == "API_KEY" and mine["owner"]["name"] == "partner"
        theirs, _ = await hooks.subscribe(hooks.owner, staff.url, ["points.adjusted"])

        listed = (await key(SUBSCRIPTIONS)).ok()["webhookSubscriptions"]
        assert [s["id"] for s in listed] == [mine["id"]]
        staff_view = {
            s["id"] for s in (await hooks.owner(SUBSCRIPTIONS)).ok()["webhookSubscriptions"]
        }
        assert {mine["id"], theirs["id"]} <= staff_view
        # Someone else's subscription does not exist for the key.
        refused = (
            await key(UPDATE, {"input": {"subscriptionId": theirs["id"], "isActive": False}})
        ).ok()["webhookSubscriptionUpdate"]
        assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
        refused = (await key(DELETE, {"input": {"subscriptionId": theirs["id"]}})).ok()
        assert [e["code"] for e in refused["webhookSubscriptionDelete"]["userErrors"]] == [
            "NOT_FOUND"
        ]

        customer_id = await hooks.customer()
        adjusted = (
            await hooks.owner(
                ADJUST_POINTS, {"input": {"customerId": customer_id, "delta": 25, "reason": "x"}}
            )
        ).ok()["customerPointsAdjust"]
        assert adjusted["userErrors"] == []

        [to_partner] = await partner.wait_for(1)
        [to_staff] = await staff.wait_for(1)
    assert verify(
        key_secret,
        to_partner.headers["x-custgraph-timestamp"],
        to_partner.body,
        to_partner.headers["x-custgraph-signature"],
    )
    # The same change, told to each as its permissions allow.
    assert to_partner.json["sequence"] == to_staff.json["sequence"]
    assert to_partner.json["fields"] == to_staff.json["fields"] == ["pointsBalance"]
    assert to_partner.json["details"] == {}  # the key has no loyalty:read
    assert to_staff.json["details"] == {"pointsBalance": {"old": "0", "new": "25"}}
    assert to_partner.delivery != to_staff.delivery


async def test_key_without_customers_read_cannot_subscribe(hooks: Hooks) -> None:
    key = await api_key(hooks, "webhooks:manage")
    refused = (
        await key(
            SUBSCRIBE,
            {"input": {"url": "http://127.0.0.1:9/x", "eventTypes": ["customer.created"]}},
        )
    ).ok()["webhookSubscriptionCreate"]
    assert refused["webhookSubscription"] is None and refused["secret"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_ALLOWED"]
    # Without webhooks:manage, webhooks are out of reach altogether.
    reader = await api_key(hooks, "customers:read")
    assert (await reader(SUBSCRIPTIONS)).codes == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("input", "field", "code"),
    [
        (
            {"url": "ftp://hooks.example.com/in", "eventTypes": ["customer.created"]},
            "url",
            "INVALID",
        ),
        ({"url": "file:///etc/passwd", "eventTypes": ["customer.created"]}, "url", "INVALID"),
        (
            {"url": "https://u:p@hooks.example.com/", "eventTypes": ["customer.created"]},
            "url",
            "INVALID",
        ),
        ({"url": " ", "eventTypes": ["customer.created"]}, "url", "REQUIRED"),
        ({"url": "https://hooks.example.com/", "eventTypes": []}, "eventTypes", "REQUIRED"),
        (
            {"url": "https://hooks.example.com/", "eventTypes": ["order.placed"]},
            "eventTypes",
            "INVALID",
        ),
    ],
)
async def test_subscribing_refuses_bad_urls_and_event_types(
    hooks: Hooks, input: dict[str, Any], field: str, code: str
) -> None:
    refused = (await hooks.owner(SUBSCRIBE, {"input": input})).ok()["webhookSubscriptionCreate"]
    assert refused["webhookSubscription"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [([field], code)]


# --- retries, timeouts, disabling -------------------------------------------------------


async def test_failed_attempts_are_retried_until_one_succeeds_each_in_the_log(
    hooks: Hooks, receiver: WebhookReceiver
) -> None:
    receiver.script(Reply(500, body=b"database down"), 503, 200)
    subscription, _ = await hooks.subscribe(hooks.owner, receiver.url, ["customer.created"])
    await hooks.customer()

    first, second, third = await receiver.wait_for(3)
    assert first.body == second.body == third.body
    assert first.delivery == second.delivery == third.delivery
    assert [r.headers["x-custgraph-attempt"] for r in (first, second, third)] == ["1", "2", "3"]

    # The subscription is read before its deliveries (two statements): wait for both.
    listed = await hooks.until(
        subscription["id"],
        lambda s: s["failureCount"] == 0 and edges(s["deliveries"])[0]["state"] == "SUCCEEDED",
    )
    [delivery] = edges(listed["deliveries"])
    assert (delivery["attempt"], delivery["statusCode"], delivery["error"]) == (3, 200, None)
    log = attempts_in_log(listed)
    assert [(e["attempt"], e["succeeded"], e["statusCode"]) for e in log] == [
        (3, True, 200),
        (2, False, 503),
        (1, False, 500),
    ]
    assert log[2]["error"] == "HTTP 500: database down"
    assert all(e["latencyMs"] is not None and e["manual"] is False for e in log)
    assert listed["failureCount"] == 0  # the success ended the run
    assert listed["isActive"] is True
    assert len(receiver.received) == 3


async def test_attempts_that_time_out_are_failures_and_are_retried(
    hooks: Hooks, receiver: WebhookReceiver
) -> None:
    receiver.script(Reply(200, delay=TIMEOUT_SECONDS * 3), 200)
    subscription, _ = await hooks.subscribe(hooks.owner, receiver.url, ["customer.created"])
    await hooks.customer()

    first, second = await receiver.wait_for(2)
    assert first.delivery == second.delivery
    assert second.at - first.at >= TIMEOUT_SECONDS * 0.9  # the first was waited for
    listed = await hooks.until(
        subscription["id"], lambda s: edges(s["deliveries"])[0]["state"] == "SUCCEEDED"
    )
    succeeded, timed_out = attempts_in_log(listed)
    assert (succeeded["attempt"], succeeded["statusCode"]) == (2, 200)
    assert (timed_out["attempt"], timed_out["succeeded"], timed_out["statusCode"]) == (
        1,
        False,
        None,
    )
    assert timed_out["error"] == f"no answer within {TIMEOUT_SECONDS:g} s"
    assert timed_out["latencyMs"] >= TIMEOUT_SECONDS * 1000 * 0.9


async def test_unreachable_receiver_is_retried_as_a_connection_failure(hooks: Hooks) -> None:
    async with webhook_receiver() as gone:
        url = gone.url
    subscription, _ = await hooks.subscribe(hooks.owner, url, ["customer.created"])
    await hooks.customer()
    listed = await hooks.until(subscription["id"], lambda s: len(attempts_in_log(s)) >= 1)
    [entry, *_] = attempts_in_log(listed)
    assert entry["statusCode"] is None and "ConnectError" in entry["error"]


async def test_subscription_failing_too_often_in_a_row_is_disabled_with_the_reason_in_its_log(
    hooks: Hooks, receiver: WebhookReceiver
) -> None:
    receiver.default = Reply(500)
    subscription, _ = await hooks.subscribe(hooks.owner, receiver.url, ["customer.created"])
    customer_id = await hooks.customer()

    listed = await hooks.until(subscription["id"], lambda s: not s["isActive"])
    assert listed["failureCount"] == DISABLE_AFTER
    assert listed["disabledReason"].startswith(
        f"Disabled after {DISABLE_AFTER} failed attempts in a row; the last: HTTP 500"
    )
    assert listed["disabledAt"] is not None
    newest = edges(listed["log"])[0]
    assert newest["kind"] == "DISABLED"
    assert newest["message"] == listed["disabledReason"]
    assert len(attempts_in_log(listed)) == DISABLE_AFTER
    # Nothing more is attempted while it is disabled; the delivery waits, PENDING.
    await asyncio.sleep(0.5)
    assert len(receiver.received) == DISABLE_AFTER
    [delivery] = edges((await hooks.subscription(subscription["id"]))["deliveries"])
    assert (delivery["state"], delivery["attempt"]) == ("PENDING", DISABLE_AFTER)
    # Nor queued: changes made meanwhile are not for a disabled subscription.
    await hooks.owner(UPDATE_CUSTOMER, {"input": {"customerId": customer_id, "branch": "Ulm"}})
    assert await hooks.deliveries_of(customer_id) == 1

    # Activated again, the run starts afresh and the waiting delivery goes out.
    receiver.default = Reply(200)
    activated = (
        await hooks.owner(
            UPDATE, {"input": {"subscriptionId": subscription["id"], "isActive": True}}
        )
    ).ok()["webhookSubscriptionUpdate"]
    assert activated["userErrors"] == []
    assert activated["webhookSubscription"]["isActive"] is True
    assert activated["webhookSubscription"]["failureCount"] == 0
    assert activated["webhookSubscription"]["disabledReason"] is None
    listed = await hooks.until(
        subscription["id"], lambda s: edges(s["deliveries"])[0]["state"] == "SUCCEEDED"
    )
    assert edges(listed["deliveries"])[0]["attempt"] == DISABLE_AFTER + 1


# --- manual redelivery ------------------------------------------------------------------


async def test_manual_redelivery_sends_the_same_payload_again_as_a_new_attempt(
    hooks: Hooks, receiver: WebhookReceiver
) -> None:
    subscription, secret = await hooks.subscribe(hooks.owner, receiver.url, ["customer.created"])
    await hooks.customer()
    [first] = await receiver.wait_for(1)
    listed = await hooks.until(
        subscription["id"], lambda s: edges(s["deliveries"])[0]["state"] == "SUCCEEDED"
    )
    [delivery] = edges(listed["deliveries"])

    retried = (await hooks.owner(RETRY, {"input": {"deliveryId": delivery["id"]}})).ok()
    payload = retried["webhookDeliveryRetry"]
    assert payload["userErrors"] == []
    assert payload["delivery"]["state"] == "PENDING"

    _, again = await receiver.wait_for(2)
    assert again.body == first.body and again.delivery == first.delivery
    assert again.headers["x-custgraph-attempt"] == "2"
    assert verify(
        secret,
        again.headers["x-custgraph-timestamp"],
        again.body,
        again.headers["x-custgraph-signature"],
    )
    listed = await hooks.until(
        subscription["id"],
        lambda s: (
            len(attempts_in_log(s)) == 2 and edges(s["deliveries"])[0]["state"] == "SUCCEEDED"
        ),
    )
    manual, automatic = attempts_in_log(listed)
    assert (manual["attempt"], manual["manual"], manual["succeeded"]) == (2, True, True)
    assert (automatic["attempt"], automatic["manual"]) == (1, False)
    assert edges(listed["deliveries"])[0]["attempt"] == 2


async def test_redelivery_is_refused_while_disabled_and_for_other_owners_deliveries(
    hooks: Hooks, receiver: WebhookReceiver
) -> None:
    receiver.default = Reply(500)
    subscription, _ = await hooks.subscribe(hooks.owner, receiver.url, ["customer.created"])
    await hooks.customer()
    await hooks.until(subscription["id"], lambda s: not s["isActive"])
    [delivery] = edges((await hooks.subscription(subscription["id"]))["deliveries"])

    # A disabled subscription sends nothing, redeliveries neither.
    refused = (await hooks.owner(RETRY, {"input": {"deliveryId": delivery["id"]}})).ok()
    assert [e["code"] for e in refused["webhookDeliveryRetry"]["userErrors"]] == ["NOT_ALLOWED"]
    # An API key's own deliveries only.
    key = await api_key(hooks, "customers:read", "webhooks:manage")
    refused = (await key(RETRY, {"input": {"deliveryId": delivery["id"]}})).ok()
    assert [e["code"] for e in refused["webhookDeliveryRetry"]["userErrors"]] == ["NOT_FOUND"]
    missing = encode_global_id("WebhookDelivery", 10**9)
    refused = (await hooks.owner(RETRY, {"input": {"deliveryId": missing}})).ok()
    assert [e["code"] for e in refused["webhookDeliveryRetry"]["userErrors"]] == ["NOT_FOUND"]


# --- what is never delivered ------------------------------------------------------------


async def test_a_mutation_refused_after_noting_its_change_delivers_nothing(
    hooks: Hooks, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    await hooks.subscribe(hooks.owner, receiver.url, ["customer.updated"])
    customer_id = await hooks.customer()
    # Every action logs its event through the action helper.
    real_record = customer_action.record_event

    def record_then_refuse(*args: Any, **kwargs: Any) -> None:
        real_record(*args, **kwargs)  # the change is noted…
        raise DomainError("NOT_ALLOWED", "refused after noting")  # … and rolled back

    monkeypatch.setattr(customer_action, "record_event", record_then_refuse)
    refused = (
        await hooks.owner(ADD_NOTE, {"input": {"customerId": customer_id, "body": "x"}})
    ).ok()["customerNoteAdd"]
    monkeypatch.undo()
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_ALLOWED"]
    assert await hooks.deliveries_of(customer_id) == 0

    # The pipeline is alive: the next change goes out, and only it.
    await hooks.owner(UPDATE_CUSTOMER, {"input": {"customerId": customer_id, "branch": "Bonn"}})
    [only] = await receiver.wait_for(1)
    assert only.json["fields"] == ["branch"]
    await asyncio.sleep(0.3)
    assert len(receiver.received) == 1


async def test_a_commit_failing_after_the_deliveries_were_queued_delivers_nothing(
    hooks: Hooks, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    await hooks.subscribe(hooks.owner, receiver.url, ["customer.updated"])
    customer_id = await hooks.customer()
    real_enqueue = webhook_outbox.enqueue_deliveries
    queued: list[int] = []

    def enqueue_then_fail(session: Any, rows: Any = None, subscribers: Any = None) -> int:
        queued.append(real_enqueue(session, rows, subscribers))  # the deliveries are inserted…
        # … and the commit's last flush fails: a note of a customer that does not exist.
        session.add(Note(customer_id=10**12, body="x"))
        return queued[-1]

    monkeypatch.setattr(webhook_outbox, "enqueue_deliveries", enqueue_then_fail)
    failed = await hooks.owner(
        UPDATE_CUSTOMER, {"input": {"customerId": customer_id, "branch": "Essen"}}
    )
    monkeypatch.undo()
    assert failed.codes == ["INTERNAL"]
    assert queued and queued[0] == 1
    assert await hooks.deliveries_of(customer_id) == 0
    assert [c.type for c in await hooks.changes_of(customer_id)] == ["customer.created"]
    await asyncio.sleep(0.3)
    assert receiver.received == []


# --- several workers --------------------------------------------------------------------


async def test_two_servers_delivering_at_once_send_each_webhook_once(
    hooks: Hooks, receiver: WebhookReceiver
) -> None:
    receiver.default = Reply(200, delay=0.02)  # lets the two workers' attempts interleave
    subscription, _ = await hooks.subscribe(hooks.owner, receiver.url, ["customer.updated"])
    # Queued while no worker can reach them yet: paused, then activated with both running.
    await hooks.owner(UPDATE, {"input": {"subscriptionId": subscription["id"], "isActive": False}})
    customer_id = await hooks.customer()
    async with served(hooks.settings) as second:
        assert second.state.settings.webhook_worker
        await hooks.owner(
            UPDATE, {"input": {"subscriptionId": subscription["id"], "isActive": True}}
        )
        for number in range(30):
            await hooks.owner(
                UPDATE_CUSTOMER, {"input": {"customerId": customer_id, "branch": f"B{number}"}}
            )
        received = await receiver.wait_for(30, within=30)
        await asyncio.sleep(0.5)  # anything sent twice would have arrived by now
    assert len(receiver.received) == 30
    assert len({r.delivery for r in received}) == 30
    assert {r.headers["x-custgraph-attempt"] for r in received} == {"1"}
    changes = await hooks.changes_of(customer_id)
    assert sorted(r.json["sequence"] for r in received) == [
        c.sequence for c in changes if c.type == "customer.updated"
    ]
    listed = await hooks.until(
        subscription["id"],
        lambda s: (
            s["deliveries"]["totalCount"] == 30
            and {d["state"] for d in edges(s["deliveries"])} == {"SUCCEEDED"}
        ),
    )
    assert len(attempts_in_log(listed)) == 30


async def test_deliveries_and_log_page_newest_first_with_cursors(
    hooks: Hooks, receiver: WebhookReceiver
) -> None:
    subscription, _ = await hooks.subscribe(hooks.owner, receiver.url, ["customer.updated"])
    customer_id = await hooks.customer()
    for number in range(5):
        await hooks.owner(
            UPDATE_CUSTOMER, {"input": {"customerId": customer_id, "branch": f"P{number}"}}
        )
    await receiver.wait_for(5)
    await hooks.until(subscription["id"], lambda s: len(attempts_in_log(s)) == 5)
    query = """
    query ($after: String) { webhookSubscriptions { id
      deliveries(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { changeSequence } }
      }
    } }"""
    seen: list[int] = []
    after = None
    while True:
        listed = (await hooks.owner(query, {"after": after})).ok()["webhookSubscriptions"]
        [mine] = [s for s in listed if s["id"] == subscription["id"]]
        page = mine["deliveries"]
        assert page["totalCount"] == 5
        seen += [int(e["node"]["changeSequence"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == sorted(seen, reverse=True) and len(seen) == 5


async def test_rotated_secret_signs_from_then_on(hooks: Hooks, receiver: WebhookReceiver) -> None:
    subscription, old = await hooks.subscribe(hooks.owner, receiver.url, ["customer.created"])
    rotated = (
        await hooks.owner(
            UPDATE, {"input": {"subscriptionId": subscription["id"], "rotateSecret": True}}
        )
    ).ok()["webhookSubscriptionUpdate"]
    new = rotated["secret"]
    assert new and new != old
    await hooks.customer()
    [received] = await receiver.wait_for(1)
    arguments = (received.headers["x-custgraph-timestamp"], received.body)
    signature = received.headers["x-custgraph-signature"]
    assert verify(new, *arguments, signature)
    assert not verify(old, *arguments, signature)
    # Without rotation, no secret is shown again.
    unchanged = (
        await hooks.owner(
            UPDATE, {"input": {"subscriptionId": subscription["id"], "url": receiver.url}}
        )
    ).ok()["webhookSubscriptionUpdate"]
    assert unchanged["secret"] is None


async def test_deleted_subscription_gets_nothing_more(
    hooks: Hooks, receiver: WebhookReceiver
) -> None:
    subscription, _ = await hooks.subscribe(hooks.owner, receiver.url, ["customer.created"])
    deleted = (await hooks.owner(DELETE, {"input": {"subscriptionId": subscription["id"]}})).ok()
    assert deleted["webhookSubscriptionDelete"] == {
        "deletedSubscriptionId": subscription["id"],
        "userErrors": [],
    }
    customer_id = await hooks.customer()
    assert await hooks.deliveries_of(customer_id) == 0
    await asyncio.sleep(0.2)
    assert receiver.received == []
