"""The webhook fan-out and worker against a real database and a real HTTP receiver,
driven pass by pass (`deliver_due`) with the clock in hand."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.auth.permissions import BUILTIN_ROLES, Permission
from custgraph.auth.principal import Principal, PrincipalKind
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.models import (
    Customer,
    Role,
    WebhookDelivery,
    WebhookLogEntry,
    WebhookSubscription,
)
from custgraph.domain import webhooks
from custgraph.domain.actors import SYSTEM
from custgraph.domain.api_keys import create_api_key, revoke_api_key
from custgraph.domain.changes import CUSTOMER_CREATED, POINTS_ADJUSTED, note_change
from custgraph.domain.staff_accounts import StaffUserChanges, create_staff_user, update_staff_user
from custgraph.settings import Settings
from custgraph.webhooks import WebhookPolicy, WebhookReport, WebhookSender, deliver_due
from custgraph.webhooks.claim import Claim, claim_due
from custgraph.webhooks.results import AttemptResult, record_attempt
from tests.conftest import TEST_SECRET, settings_for
from tests.support.databases import Databases
from tests.support.webhook_receiver import Reply, WebhookReceiver, webhook_receiver

_numbers = count(1)
NO_WAIT = WebhookPolicy(
    first_retry_delay=timedelta(0), max_retry_delay=timedelta(0), timeout_seconds=2.0
)


@dataclass
class Store:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    owner: webhooks.WebhookOwner
    owner_id: int

    async def subscribe(
        self, url: str, *types: str, owner: webhooks.WebhookOwner | None = None
    ) -> int:
        made = await webhooks.create_subscription(
            self.sessions,
            owner or self.owner,
            url=url,
            event_types=list(types or [CUSTOMER_CREATED]),
            secret_key=TEST_SECRET,
            allow_private_targets=True,
        )
        return made.subscription.id

    async def change(self, type: str = CUSTOMER_CREATED, **details: Any) -> int:
        """A new customer and one change of it, committed; returns the customer id."""
        number = next(_numbers)
        async with self.sessions.begin() as session:
            customer = Customer(reference=f"HOOK-{number:06d}", email=f"h{number}@example.com")
            session.add(customer)
            await session.flush()
            note_change(session, type, customer.id, SYSTEM, fields=list(details), details=details)
        return customer.id

    async def deliveries(self, subscription_id: int) -> list[WebhookDelivery]:
        async with self.sessions() as session:
            found = await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.subscription_id == subscription_id)
                .order_by(WebhookDelivery.id)
            )
            return list(found)

    async def log(self, subscription_id: int) -> list[WebhookLogEntry]:
        async with self.sessions() as session:
            found = await session.scalars(
                select(WebhookLogEntry)
                .where(WebhookLogEntry.subscription_id == subscription_id)
                .order_by(WebhookLogEntry.id)
            )
            return list(found)

    def sender(self, policy: WebhookPolicy = NO_WAIT) -> WebhookSender:
        return WebhookSender(self.settings, policy)


@pytest_asyncio.fixture
async def store(databases: Databases) -> AsyncIterator[Store]:
    url = await databases.create(f"webhooks{next(_numbers)}")
    settings = settings_for(url, webhook_allow_private_targets=True)
    engine = create_engine(settings, for_writes=True)  # as the app passes it
    sessions = create_session_factory(engine)
    user = await create_staff_user(
        sessions, email="hooks@staff.example.com", role="MANAGER", password="x" * 12
    )
    principal = Principal(
        PrincipalKind.STAFF, user.id, "manager", "MANAGER", BUILTIN_ROLES["MANAGER"]
    )
    try:
        yield Store(settings, sessions, webhooks.WebhookOwner.of(principal), user.id)
    finally:
        await engine.dispose()


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver() as endpoint:
        yield endpoint


async def test_migrations_give_the_built_in_roles_their_permissions(store: Store) -> None:
    async with store.sessions() as session:
        roles = {r.name: set(r.permissions) for r in await session.scalars(select(Role))}
    assert roles == {name: {p.value for p in perms} for name, perms in BUILTIN_ROLES.items()}
    assert {n for n, perms in roles.items() if Permission.WEBHOOKS_MANAGE in perms} == {
        "OWNER",
        "ADMIN",
        "MANAGER",
    }


async def test_one_delivery_per_matching_subscription_and_change(
    store: Store, receiver: WebhookReceiver
) -> None:
    created_only = await store.subscribe(receiver.url, CUSTOMER_CREATED)
    both = await store.subscribe(receiver.url, CUSTOMER_CREATED, POINTS_ADJUSTED)
    paused = await store.subscribe(receiver.url, CUSTOMER_CREATED)
    await webhooks.update_subscription(
        store.sessions,
        store.owner,
        paused,
        webhooks.SubscriptionChanges(is_active=False),
        secret_key=TEST_SECRET,
    )
    number = next(_numbers)
    async with store.sessions.begin() as session:  # two changes in one transaction
        customer = Customer(reference=f"HOOK-{number:06d}", email=f"h{number}@example.com")
        session.add(customer)
        await session.flush()
        note_change(session, CUSTOMER_CREATED, customer.id, SYSTEM)
        note_change(
            session,
            POINTS_ADJUSTED,
            customer.id,
            SYSTEM,
            fields=["pointsBalance"],
            details={"pointsBalance": {"old": "0", "new": "5"}},
        )

    assert [d.event_type for d in await store.deliveries(created_only)] == [CUSTOMER_CREATED]
    to_both = await store.deliveries(both)
    assert [d.event_type for d in to_both] == [CUSTOMER_CREATED, POINTS_ADJUSTED]
    assert to_both[0].change_sequence + 1 == to_both[1].change_sequence
    assert await store.deliveries(paused) == []
    payload = json.loads(to_both[1].body)
    assert payload["id"] == to_both[1].uuid
    assert payload["details"] == {"pointsBalance": {"old": "0", "new": "5"}}  # MANAGER reads it


async def test_payloads_follow_the_owners_permissions_at_the_time_of_the_change(
    store: Store, receiver: WebhookReceiver
) -> None:
    subscription = await store.subscribe(receiver.url, POINTS_ADJUSTED)
    details = {"pointsBalance": {"old": "0", "new": "5"}}
    await store.change(POINTS_ADJUSTED, **details)
    await update_staff_user(
        store.sessions,
        actor_role="OWNER",
        actor_id=None,
        staff_user_id=store.owner_id,
        changes=StaffUserChanges(role="VIEWER"),  # customers:read, no loyalty:read
    )
    await store.change(POINTS_ADJUSTED, **details)
    await update_staff_user(
        store.sessions,
        actor_role="OWNER",
        actor_id=None,
        staff_user_id=store.owner_id,
        changes=StaffUserChanges(is_active=False),
    )
    await store.change(POINTS_ADJUSTED, **details)

    first, second = await store.deliveries(subscription)  # nothing for the third
    assert json.loads(first.body)["details"] == details
    assert json.loads(second.body)["details"] == {}
    assert json.loads(second.body)["fields"] == ["pointsBalance"]


async def test_a_revoked_keys_subscriptions_get_nothing_more(
    store: Store, receiver: WebhookReceiver
) -> None:
    key = await create_api_key(
        store.sessions, name="p", scopes=["customers:read", "webhooks:manage"]
    )
    principal = Principal(
        PrincipalKind.API_KEY,
        key.api_key.id,
        "p",
        permissions=frozenset({Permission.CUSTOMERS_READ, Permission.WEBHOOKS_MANAGE}),
    )
    subscription = await store.subscribe(receiver.url, owner=webhooks.WebhookOwner.of(principal))
    await store.change()
    await revoke_api_key(store.sessions, key.api_key.id)
    await store.change()
    [queued] = await store.deliveries(subscription)  # before the revocation, not after
    # Nor is what was queued before sent: a key revoked because it leaked gets nothing.
    async with store.sender() as sender:
        assert await deliver_due(store.sessions, sender) == WebhookReport()
    assert receiver.received == []
    [queued] = await store.deliveries(subscription)
    assert (queued.state, queued.attempts) == ("PENDING", 0)


async def test_delivery_fails_for_good_after_its_last_attempt_and_a_redelivery_is_one_more(
    store: Store, receiver: WebhookReceiver
) -> None:
    receiver.default = Reply(500)
    subscription = await store.subscribe(receiver.url)
    await store.change()
    policy = WebhookPolicy(
        max_attempts=2,
        first_retry_delay=timedelta(0),
        max_retry_delay=timedelta(0),
        disable_after_failures=0,  # never
    )
    async with store.sender(policy) as sender:
        # Retries due at once are made in the same pass.
        assert await deliver_due(store.sessions, sender) == WebhookReport(retrying=1, failed=1)
        assert await deliver_due(store.sessions, sender) == WebhookReport()
        [delivery] = await store.deliveries(subscription)
        assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("FAILED", 2, 500)

        retried = await webhooks.retry_delivery(store.sessions, store.owner, delivery.id)
        assert (retried.state, retried.max_attempts, retried.manual) == ("PENDING", 3, True)
        assert await deliver_due(store.sessions, sender) == WebhookReport(failed=1)
    [delivery] = await store.deliveries(subscription)
    assert (delivery.state, delivery.attempts, delivery.manual) == ("FAILED", 3, False)
    log = await store.log(subscription)
    assert [(e.attempt, e.manual, e.succeeded) for e in log] == [
        (1, False, False),
        (2, False, False),
        (3, True, False),
    ]
    assert len(receiver.received) == 3
    async with store.sessions() as session:
        row = await session.get(WebhookSubscription, subscription)
        assert row is not None and row.is_active and row.consecutive_failures == 3


async def test_a_retry_waits_for_its_backoff(store: Store, receiver: WebhookReceiver) -> None:
    receiver.script(503, 200)
    subscription = await store.subscribe(receiver.url)
    await store.change()
    policy = WebhookPolicy(first_retry_delay=timedelta(minutes=10))
    now = datetime.now(UTC)
    async with store.sender(policy) as sender:
        assert await deliver_due(store.sessions, sender, now=now) == WebhookReport(retrying=1)
        [delivery] = await store.deliveries(subscription)
        wait = delivery.next_attempt_at - now
        assert timedelta(0) <= wait <= timedelta(minutes=10)
        assert await deliver_due(store.sessions, sender, now=now) == WebhookReport()
        later = now + timedelta(minutes=10, seconds=1)
        assert await deliver_due(store.sessions, sender, now=later) == WebhookReport(succeeded=1)
    assert len(receiver.received) == 2


async def test_a_lapsed_claim_is_attempted_again_and_the_stale_result_is_ignored(
    store: Store, receiver: WebhookReceiver
) -> None:
    subscription = await store.subscribe(receiver.url)
    await store.change()
    now = datetime.now(UTC)
    [crashed] = await claim_due(store.sessions, now=now, policy=NO_WAIT, limit=5)
    assert crashed.attempts == 1
    async with store.sender() as sender:
        assert await deliver_due(store.sessions, sender, now=now) == WebhookReport()  # claimed
        later = now + NO_WAIT.claim_timeout + timedelta(seconds=1)
        assert await deliver_due(store.sessions, sender, now=later) == WebhookReport(succeeded=1)
        # The crashed worker's attempt, reported late, changes nothing.
        late = await record_attempt(
            store.sessions, crashed, AttemptResult(500, 1, "HTTP 500"), now=later, policy=NO_WAIT
        )
    assert late is None
    [delivery] = await store.deliveries(subscription)
    assert (delivery.state, delivery.attempts) == ("SUCCEEDED", 2)


async def test_a_worker_stopping_during_the_last_attempt_fails_the_delivery_without_resending(
    store: Store, receiver: WebhookReceiver
) -> None:
    subscription = await store.subscribe(receiver.url)
    await store.change()
    policy = WebhookPolicy(max_attempts=1)
    now = datetime.now(UTC)
    await claim_due(store.sessions, now=now, policy=policy, limit=1)
    later = now + policy.claim_timeout + timedelta(seconds=1)
    async with store.sender(policy) as sender:
        assert await deliver_due(store.sessions, sender, now=later) == WebhookReport(failed=1)
    [delivery] = await store.deliveries(subscription)
    assert delivery.state == "FAILED" and "stopped" in (delivery.last_error or "")
    [entry] = await store.log(subscription)
    assert (entry.kind, entry.attempt, entry.succeeded) == ("ATTEMPT", 1, False)
    assert receiver.received == []


async def test_concurrent_passes_never_send_a_webhook_twice(
    store: Store, receiver: WebhookReceiver
) -> None:
    receiver.default = Reply(200, delay=0.005)
    subscription = await store.subscribe(receiver.url)
    for _ in range(30):
        await store.change()
    senders = [store.sender(WebhookPolicy(concurrency=3)) for _ in range(4)]
    try:
        reports = await asyncio.gather(*(deliver_due(store.sessions, s) for s in senders))
    finally:
        for sender in senders:
            await sender.aclose()
    assert sum(r.succeeded for r in reports) == 30
    assert len(receiver.received) == 30
    assert len({r.delivery for r in receiver.received}) == 30
    assert {(d.state, d.attempts) for d in await store.deliveries(subscription)} == {
        ("SUCCEEDED", 1)
    }


async def test_private_targets_are_refused_before_each_attempt_unless_allowed(
    store: Store, receiver: WebhookReceiver
) -> None:
    claim = Claim(
        delivery_id=1,
        uuid="u",
        subscription_id=1,
        change_sequence=1,
        event_type=CUSTOMER_CREATED,
        body="{}",
        attempts=1,
        final=False,
        manual=False,
        url=receiver.url.replace("127.0.0.1", "localhost"),
        secret_salt="s",
    )
    strict = store.settings.model_copy(update={"webhook_allow_private_targets": False})
    async with WebhookSender(strict, NO_WAIT) as sender:
        refused = await sender.send(claim)
    assert refused.status_code is None
    assert refused.error is not None and "not a public address" in refused.error
    assert receiver.received == []
    async with WebhookSender(store.settings, NO_WAIT) as sender:
        allowed = await sender.send(claim)
    assert (allowed.status_code, allowed.error) == (200, None)
    assert len(receiver.received) == 1
