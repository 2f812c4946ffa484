"""The outbox delivery worker, against a real database and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.models import Customer, Notification, OutboxMessage
from custgraph.domain.outbox import enqueue_message
from custgraph.mail import (
    DEFAULT_POLICY,
    DeliveryPolicy,
    DeliveryReport,
    OutgoingMessage,
    deliver_due,
    deliver_once,
    mask_smtp_url,
    parse_smtp_url,
    run_delivery_loop,
)
from custgraph.mail.claim import claim_next
from custgraph.mail.results import record_sent
from custgraph.settings import Settings
from tests.conftest import settings_for
from tests.support.databases import Databases

SMTP_PASSWORD = "s3cret-Pa55word"
RESET_BODY = "Choose a new password: https://shop.example/reset?token=tok-4711"
_numbers = count(1)


# --- a real SMTP server --------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it accepts, or refuses when told to."""

    url: str = ""
    port: int = 0
    received: list[Received] = field(default_factory=list)
    refusal: str | None = None
    delay: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusal is not None:
            return self.refusal
        if self.delay:
            await asyncio.sleep(self.delay)  # lets concurrent workers interleave
        message = message_from_bytes(envelope.content, policy=email_policy)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve_mailbox(**smtp_options: Any) -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port())
    mailbox.url = f"smtp://127.0.0.1:{mailbox.port}"
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, **smtp_options)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with serve_mailbox() as box:
        yield box


# --- a migrated database and messages queued through the domain ------------------------


@dataclass
class Store:
    url: str
    sessions: async_sessionmaker[AsyncSession]

    def settings(self, smtp_url: str | None = None) -> Settings:
        return settings_for(self.url).model_copy(update={"smtp_url": smtp_url})

    async def queue(
        self,
        *,
        channel: str = "EMAIL",
        kind: str = "PASSWORD_RESET",
        recipient: str | None = None,
        subject: str = "Reset your password",
        body: str = RESET_BODY,
    ) -> int:
        """A new customer and one message to them, committed; returns the notification id."""
        number = next(_numbers)
        async with self.sessions.begin() as session:
            customer = Customer(reference=f"CUST-{number:06d}", email=f"c{number}@example.com")
            session.add(customer)
            await session.flush()
            notification = await enqueue_message(
                session,
                customer_id=customer.id,
                channel=channel,
                kind=kind,
                recipient=recipient or f"c{number}@example.com",
                subject=subject,
                body=body,
            )
        return notification.id

    async def outbox(self, notification_id: int) -> OutboxMessage:
        async with self.sessions() as session:
            query = select(OutboxMessage).where(OutboxMessage.notification_id == notification_id)
            return (await session.scalars(query)).one()

    async def notification(self, notification_id: int) -> Notification:
        async with self.sessions() as session:
            found = await session.get(Notification, notification_id)
            assert found is not None
            return found

    async def count(self, model: type[OutboxMessage] | type[Notification]) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest_asyncio.fixture
async def store(databases: Databases) -> AsyncIterator[Store]:
    url = await databases.create(f"outbox{next(_numbers)}")
    engine = create_engine(settings_for(url), for_writes=True)  # as the app passes it
    try:
        yield Store(url, create_session_factory(engine))
    finally:
        await engine.dispose()


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait (at most 5 s) until `check` holds."""
    async with asyncio.timeout(5):
        # Polling: the state lives in the database or in another thread, not in an Event.
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


def mail_logs(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        record.getMessage() + (record.exc_text or "")
        for record in caplog.records
        if record.name.startswith("custgraph")
    )


# --- delivery over SMTP ------------------------------------------------------------------


async def test_queued_email_is_delivered_over_smtp_and_its_notification_becomes_sent(
    store: Store, mailbox: Mailbox
) -> None:
    notification_id = await store.queue(recipient="ada@example.com")
    now = datetime.now(UTC)
    smtp_url = f"{mailbox.url}?from=Shop%20%3Cnoreply%40shop.example%3E"

    report = await deliver_due(store.sessions, store.settings(smtp_url), now=now)

    assert report == DeliveryReport(sent=1)
    [received] = mailbox.received
    assert received.mail_from == "noreply@shop.example"
    assert received.rcpt_tos == ["ada@example.com"]
    email = received.message
    assert email["To"] == "ada@example.com"
    assert email["From"] == "Shop <noreply@shop.example>"
    assert email["Subject"] == "Reset your password"
    assert email["Date"] is not None
    assert f"outbox.{(await store.outbox(notification_id)).id}@shop.example>" in email["Message-ID"]
    assert email.get_content_type() == "text/plain"
    assert email.get_content().strip() == RESET_BODY
    outbox = await store.outbox(notification_id)
    assert (outbox.status, outbox.attempts, outbox.sent_at, outbox.last_error) == (
        "SENT",
        1,
        now,
        None,
    )
    notification = await store.notification(notification_id)
    assert (notification.status, notification.attempts, notification.sent_at) == ("SENT", 1, now)
    assert notification.error is None


async def test_rolled_back_transaction_sends_nothing(store: Store, mailbox: Mailbox) -> None:
    class ActionFailed(Exception):
        pass

    with pytest.raises(ActionFailed):
        async with store.sessions.begin() as session:
            customer = Customer(reference="CUST-ROLLBACK", email="rollback@example.com")
            session.add(customer)
            await session.flush()
            await enqueue_message(
                session,
                customer_id=customer.id,
                channel="EMAIL",
                kind="PASSWORD_RESET",
                recipient="rollback@example.com",
                subject="Reset your password",
                body=RESET_BODY,
            )
            raise ActionFailed  # the admin action fails after queuing its message

    report = await deliver_due(store.sessions, store.settings(mailbox.url))

    assert report == DeliveryReport()
    assert mailbox.received == []
    assert await store.count(OutboxMessage) == 0
    assert await store.count(Notification) == 0


async def test_refused_email_stays_pending_and_is_not_retried_before_its_backoff(
    store: Store, mailbox: Mailbox
) -> None:
    notification_id = await store.queue()
    now = datetime.now(UTC)
    settings = store.settings(mailbox.url)
    mailbox.refusal = "550 5.1.1 Mailbox unavailable"

    assert await deliver_due(store.sessions, settings, now=now) == DeliveryReport(retrying=1)

    outbox = await store.outbox(notification_id)
    assert (outbox.status, outbox.attempts) == ("PENDING", 1)
    assert outbox.last_error is not None
    assert "550 5.1.1 Mailbox unavailable" in outbox.last_error
    assert outbox.next_attempt_at == now + timedelta(seconds=30)
    notification = await store.notification(notification_id)
    assert (notification.status, notification.attempts) == ("PENDING", 1)
    assert notification.error == outbox.last_error

    mailbox.refusal = None
    early = await deliver_due(store.sessions, settings, now=now + timedelta(seconds=29))
    assert early == DeliveryReport()
    assert mailbox.received == []

    on_time = await deliver_due(store.sessions, settings, now=now + timedelta(seconds=30))
    assert on_time == DeliveryReport(sent=1)
    assert len(mailbox.received) == 1
    notification = await store.notification(notification_id)
    assert (notification.status, notification.attempts, notification.error) == ("SENT", 2, None)


async def test_unreachable_smtp_server_is_retried_with_doubling_delays(store: Store) -> None:
    notification_id = await store.queue()
    settings = store.settings(f"smtp://127.0.0.1:{free_port()}")  # nobody listens there
    moment = datetime.now(UTC)

    for attempt, delay in [(1, 30), (2, 60), (3, 120)]:
        report = await deliver_due(store.sessions, settings, now=moment)
        assert report == DeliveryReport(retrying=1)
        outbox = await store.outbox(notification_id)
        assert outbox.attempts == attempt
        assert outbox.next_attempt_at == moment + timedelta(seconds=delay)
        assert outbox.last_error is not None
        assert "connect" in outbox.last_error.lower()
        moment = outbox.next_attempt_at


async def test_email_fails_for_good_after_the_last_attempt(store: Store) -> None:
    notification_id = await store.queue()
    settings = store.settings(f"smtp://127.0.0.1:{free_port()}")
    moment = datetime.now(UTC)

    reports = []
    for _ in range(DEFAULT_POLICY.max_attempts):
        reports.append(await deliver_due(store.sessions, settings, now=moment))
        moment = (await store.outbox(notification_id)).next_attempt_at

    assert reports[:-1] == [DeliveryReport(retrying=1)] * (DEFAULT_POLICY.max_attempts - 1)
    assert reports[-1] == DeliveryReport(failed=1)
    outbox = await store.outbox(notification_id)
    assert (outbox.status, outbox.attempts) == ("FAILED", DEFAULT_POLICY.max_attempts)
    notification = await store.notification(notification_id)
    assert (notification.status, notification.attempts) == ("FAILED", 8)
    assert notification.error is not None
    assert "connect" in notification.error.lower()
    much_later = moment + timedelta(days=1)
    assert await deliver_due(store.sessions, settings, now=much_later) == DeliveryReport()


async def test_message_with_a_header_injection_fails_at_once_without_retries(
    store: Store, mailbox: Mailbox
) -> None:
    notification_id = await store.queue(subject="Hello\r\nBcc: victim@example.com")

    report = await deliver_due(store.sessions, store.settings(mailbox.url))

    assert report == DeliveryReport(failed=1)
    assert mailbox.received == []
    notification = await store.notification(notification_id)
    assert (notification.status, notification.attempts) == ("FAILED", 1)
    assert notification.error is not None
    assert notification.error.startswith("malformed message")


# --- claims, crashes and concurrency -------------------------------------------------------


async def test_message_claimed_by_a_crashed_worker_is_sent_again_once_the_claim_lapses(
    store: Store, mailbox: Mailbox
) -> None:
    notification_id = await store.queue()
    now = datetime.now(UTC)
    settings = store.settings(mailbox.url)
    # A worker claims the message and dies before sending or recording anything.
    crashed = await claim_next(store.sessions, now=now, policy=DEFAULT_POLICY)
    assert crashed is not None
    assert (await store.outbox(notification_id)).status == "SENDING"

    still_claimed = now + DEFAULT_POLICY.claim_timeout - timedelta(seconds=1)
    assert await deliver_due(store.sessions, settings, now=still_claimed) == DeliveryReport()
    lapsed = now + DEFAULT_POLICY.claim_timeout
    assert await deliver_due(store.sessions, settings, now=lapsed) == DeliveryReport(sent=1)

    assert len(mailbox.received) == 1
    notification = await store.notification(notification_id)
    assert (notification.status, notification.attempts) == ("SENT", 2)
    # Were the first worker to come back, it could not overwrite the newer attempt's result.
    assert await record_sent(store.sessions, crashed, now=lapsed) is False
    assert (await store.outbox(notification_id)).attempts == 2


async def test_crash_during_the_last_allowed_attempt_fails_the_message_without_resending(
    store: Store, mailbox: Mailbox
) -> None:
    notification_id = await store.queue()
    now = datetime.now(UTC)
    policy = DeliveryPolicy(max_attempts=1)
    assert await claim_next(store.sessions, now=now, policy=policy) is not None

    report = await deliver_due(
        store.sessions,
        store.settings(mailbox.url),
        now=now + policy.claim_timeout,
        policy=policy,
    )

    assert report == DeliveryReport(failed=1)
    assert mailbox.received == []
    notification = await store.notification(notification_id)
    assert (notification.status, notification.attempts) == ("FAILED", 1)
    assert notification.error is not None
    assert "stopped" in notification.error


async def test_concurrent_deliveries_never_send_a_message_twice(
    store: Store, mailbox: Mailbox
) -> None:
    notification_ids = [await store.queue() for _ in range(30)]
    now = datetime.now(UTC)
    settings = store.settings(mailbox.url)
    mailbox.delay = 0.005

    reports = await asyncio.gather(
        *(deliver_due(store.sessions, settings, now=now) for _ in range(4))
    )

    assert sum(report.sent for report in reports) == 30
    recipients = [received.rcpt_tos[0] for received in mailbox.received]
    assert len(recipients) == 30
    assert len(set(recipients)) == 30
    for notification_id in notification_ids:
        outbox = await store.outbox(notification_id)
        assert (outbox.status, outbox.attempts) == ("SENT", 1)


# --- channels without a provider, and pluggable senders ------------------------------------


async def test_without_smtp_an_email_is_logged_with_its_body_and_marked_sent(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="custgraph")
    notification_id = await store.queue(recipient="grace@example.com")

    report = await deliver_due(store.sessions, store.settings(smtp_url=None))

    assert report == DeliveryReport(sent=1)
    logged = mail_logs(caplog)
    assert RESET_BODY in logged  # a demo shows the reset link
    assert "EMAIL PASSWORD_RESET to g***@example.com" in logged
    assert "grace@example.com" not in logged
    assert any(r.levelno == logging.INFO and RESET_BODY in r.getMessage() for r in caplog.records)
    notification = await store.notification(notification_id)
    assert (notification.status, notification.attempts) == ("SENT", 1)


async def test_sms_goes_to_the_log_with_a_masked_number_and_without_its_body(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="custgraph")
    notification_id = await store.queue(
        channel="SMS", kind="LOYALTY_CODE", recipient="+4915112345678", body="Your code: 918273"
    )

    report = await deliver_due(store.sessions, store.settings(smtp_url=None))

    assert report == DeliveryReport(sent=1)
    logged = mail_logs(caplog)
    assert "SMS LOYALTY_CODE to ***678" in logged
    assert "+4915112345678" not in logged
    assert "918273" not in logged
    notification = await store.notification(notification_id)
    assert (notification.status, notification.attempts) == ("SENT", 1)


async def test_a_channel_is_served_by_the_sender_plugged_in_for_it(store: Store) -> None:
    class PushRecorder:
        def __init__(self) -> None:
            self.sent: list[OutgoingMessage] = []

        async def send(self, message: OutgoingMessage) -> None:
            self.sent.append(message)

    push = PushRecorder()
    push_id = await store.queue(
        channel="PUSH",
        kind="ORDER_SHIPPED",
        recipient="device-1",
        subject="Shipped",
        body="On its way",
    )
    email_id = await store.queue()

    report = await deliver_due(store.sessions, store.settings(), senders={"PUSH": push})

    assert report == DeliveryReport(sent=1, retrying=1)
    [message] = push.sent
    assert (message.kind, message.recipient, message.subject, message.body) == (
        "ORDER_SHIPPED",
        "device-1",
        "Shipped",
        "On its way",
    )
    assert (await store.notification(push_id)).status == "SENT"
    email = await store.outbox(email_id)
    assert email.status == "PENDING"
    assert email.last_error == "no sender is configured for channel EMAIL"


# --- secrets -----------------------------------------------------------------------------


def reject_every_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    return AuthResult(success=False, handled=False)


async def test_smtp_password_never_appears_in_logs_or_stored_errors(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custgraph")
    notification_id = await store.queue()
    stop = asyncio.Event()
    with serve_mailbox(auth_require_tls=False, authenticator=reject_every_login) as guarded:
        smtp_url = f"smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:{guarded.port}"
        loop = asyncio.create_task(
            run_delivery_loop(store.sessions, store.settings(smtp_url), stop, interval=0.05)
        )

        async def attempted() -> bool:
            return (await store.outbox(notification_id)).attempts >= 1

        await eventually(attempted)
        stop.set()
        await asyncio.wait_for(loop, timeout=5)

    outbox = await store.outbox(notification_id)
    notification = await store.notification(notification_id)
    assert outbox.last_error is not None
    assert "535" in outbox.last_error  # the server said the credentials are wrong
    logged = mail_logs(caplog)
    assert f"smtp://mailer:***@127.0.0.1:{guarded.port}" in logged  # the startup line
    assert "535" in logged
    for text in (logged, outbox.last_error, notification.error or ""):
        assert SMTP_PASSWORD not in text


# --- the long-running loop and the one-off run ---------------------------------------------


async def test_delivery_loop_delivers_what_is_queued_while_it_runs_until_stopped(
    store: Store, mailbox: Mailbox
) -> None:
    stop = asyncio.Event()
    loop = asyncio.create_task(
        run_delivery_loop(store.sessions, store.settings(mailbox.url), stop, interval=0.05)
    )
    notification_id = await store.queue()

    async def sent() -> bool:
        return (await store.notification(notification_id)).status == "SENT"

    await eventually(sent)
    stop.set()
    await asyncio.wait_for(loop, timeout=5)
    assert len(mailbox.received) == 1


async def test_delivery_loop_survives_failing_passes_and_returns_promptly_when_stopped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="custgraph")
    # A database without tables: every pass fails.
    broken = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", smtp_url=None)
    engine = create_engine(broken, for_writes=True)
    stop = asyncio.Event()
    try:
        loop = asyncio.create_task(
            run_delivery_loop(create_session_factory(engine), broken, stop, interval=0.05)
        )

        async def failed_twice() -> bool:
            return sum("pass failed" in r.getMessage() for r in caplog.records) >= 2

        await eventually(failed_twice)
        assert not loop.done()
        failures = [r for r in caplog.records if "pass failed" in r.getMessage()]
        assert all(r.exc_info is not None for r in failures)  # logged with the stack

        # The loop now sleeps for its interval; stopping must not wait for it.
        stop.set()
        started = asyncio.get_running_loop().time()
        await asyncio.wait_for(loop, timeout=5)
        assert asyncio.get_running_loop().time() - started < 1
    finally:
        await engine.dispose()


async def test_stopped_loop_does_not_wait_out_a_long_interval(store: Store) -> None:
    stop = asyncio.Event()
    loop = asyncio.create_task(
        run_delivery_loop(store.sessions, store.settings(), stop, interval=3600)
    )
    await asyncio.sleep(0.2)  # the first pass has run; the loop is waiting

    stop.set()

    await asyncio.wait_for(loop, timeout=1)


async def test_deliver_once_delivers_everything_due_in_as_many_batches_as_needed(
    store: Store, mailbox: Mailbox
) -> None:
    for _ in range(5):
        await store.queue()

    report = await deliver_once(store.settings(mailbox.url), batch_size=2)

    assert report == DeliveryReport(sent=5)
    assert len(mailbox.received) == 5


# --- configuration -------------------------------------------------------------------------


def test_smtp_url_forms_are_understood() -> None:
    plain = parse_smtp_url("smtp://mail.example")
    assert (plain.host, plain.port, plain.starttls, plain.implicit_tls) == (
        "mail.example",
        25,
        None,
        False,
    )
    assert plain.from_address == "custgraph@localhost"
    implicit = parse_smtp_url("smtps://user%40shop:p%40ss@mail.example")
    assert (implicit.port, implicit.implicit_tls, implicit.starttls) == (465, True, False)
    assert (implicit.username, implicit.password) == ("user@shop", "p@ss")
    starttls = parse_smtp_url("smtp://mail.example?starttls=true&from=noreply%40shop.example")
    assert (starttls.port, starttls.starttls, starttls.envelope_from) == (
        587,
        True,
        "noreply@shop.example",
    )
    assert parse_smtp_url("smtp://mail.example:2525?timeout=3").timeout == 3
    assert "p@ss" not in repr(implicit)


@pytest.mark.parametrize(
    "url",
    [
        f"http://mailer:{SMTP_PASSWORD}@mail.example",
        f"smtp://mailer:{SMTP_PASSWORD}@mail.example?startls=true",
        f"smtps://mailer:{SMTP_PASSWORD}@mail.example?starttls=true",
        f"smtp://mailer:{SMTP_PASSWORD}@mail.example:notaport",
        f"smtp://mailer:{SMTP_PASSWORD}@mail.example?from=nobody",
        "smtp://mailer:pa/ss@mail.example",
    ],
)
def test_malformed_smtp_url_is_rejected_without_showing_the_password(url: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_smtp_url(url)
    assert SMTP_PASSWORD not in str(raised.value)
    assert "pa/ss" not in str(raised.value)


def test_masked_smtp_url_hides_only_the_password() -> None:
    url = f"smtp://mailer:{SMTP_PASSWORD}@mail.example:587?starttls=true&from=a%40b.example"
    assert (
        mask_smtp_url(url) == "smtp://mailer:***@mail.example:587?starttls=true&from=a%40b.example"
    )
    assert mask_smtp_url("smtp://mail.example:25") == "smtp://mail.example:25"


def test_retry_delay_doubles_from_30_seconds_and_stops_at_an_hour() -> None:
    delays = [DEFAULT_POLICY.retry_delay(attempts) for attempts in (1, 2, 3, 7, 8, 500)]
    assert [delay.total_seconds() for delay in delays] == [30, 60, 120, 1920, 3600, 3600]
