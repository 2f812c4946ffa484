"""Customers acting for themselves: register, sign in, verify email, reset password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.auth.passwords import hash_password, upgraded_hash, verify_password
from custgraph.auth.tokens import issue_token
from custgraph.db.models import Customer
from custgraph.domain.action_tokens import (
    RESET_PASSWORD,
    SET_PASSWORD,
    VERIFY_EMAIL,
    issue_action_token,
    use_action_token,
)
from custgraph.domain.actors import SYSTEM, Actor
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change, record_event
from custgraph.domain.outbox import enqueue_message
from custgraph.domain.references import assign_reference, placeholder_reference
from custgraph.domain.sign_in_throttle import (
    forget_failures,
    record_failure,
    refuse_when_throttled,
    throttle_keys,
)
from custgraph.domain.staff_accounts import SignedIn
from custgraph.domain.validation import checked_password, normalized_email, person_name
from custgraph.settings import Settings

CUSTOMER_TOKEN_TTL = timedelta(days=30)


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    first_name: str
    last_name: str


async def _customer_by_email(session: AsyncSession, email: str) -> Customer | None:
    customer: Customer | None = await session.scalar(
        select(Customer).where(func.lower(Customer.email) == email.strip().lower())
    )
    return customer


async def _send_link(
    session: AsyncSession,
    settings: Settings,
    customer: Customer,
    *,
    purpose: str,
    path: str,
    kind: str,
    subject: str,
    text: str,
) -> None:
    """Queue an email with a fresh one-time link; earlier unused links of `purpose` stop."""
    assert customer.email is not None
    token = await issue_action_token(session, customer.id, purpose, customer.email)
    link = f"{settings.public_url}{path}?token={token}"
    await enqueue_message(
        session,
        customer_id=customer.id,
        channel="EMAIL",
        kind=kind,
        recipient=customer.email,
        subject=subject,
        body=f"Hello {customer.first_name},\n\n{text.format(link=link)}\n",
    )


async def send_verification(session: AsyncSession, settings: Settings, customer: Customer) -> None:
    """Queue the verify-email message with a fresh link to the customer's current email."""
    await _send_link(
        session,
        settings,
        customer,
        purpose=VERIFY_EMAIL,
        path="/verify-email",
        kind="EMAIL_VERIFICATION",
        subject="Confirm your email address",
        text="confirm your email address here:\n{link}\n\nThe link works for 48 hours.",
    )


async def send_password_reset(
    session: AsyncSession, settings: Settings, customer: Customer
) -> None:
    """Queue a reset-password message with a fresh link; earlier links stop working."""
    await _send_link(
        session,
        settings,
        customer,
        purpose=RESET_PASSWORD,
        path="/reset-password",
        kind="PASSWORD_RESET",
        subject="Reset your password",
        text="choose a new password here:\n{link}\n\nThe link works for one hour. "
        "If you did not ask for it, ignore this message.",
    )


async def send_set_password(session: AsyncSession, settings: Settings, customer: Customer) -> None:
    """Queue the invitation of a customer created by staff to choose a first password."""
    await _send_link(
        session,
        settings,
        customer,
        purpose=SET_PASSWORD,
        path="/reset-password",
        kind="SET_PASSWORD",
        subject="Your new customer account",
        text="an account was opened for you. Choose your password here:\n{link}\n\n"
        "The link works for 7 days.",
    )


async def register_customer(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, registration: Registration
) -> Customer:
    """Create an UNVERIFIED customer who can sign in once the emailed link is used."""
    email = normalized_email(
        registration.email, special_use_domains=settings.email_allow_special_use_domains
    )
    checked_password(registration.password)
    first_name = person_name(registration.first_name, ["firstName"])
    last_name = person_name(registration.last_name, ["lastName"])
    async with sessions.begin() as session:
        if await _customer_by_email(session, email) is not None:
            raise DomainError("TAKEN", "An account with this email exists.", ["email"])
        customer = Customer(
            reference=placeholder_reference(),
            email=email,
            first_name=first_name,
            last_name=last_name,
            status="UNVERIFIED",
            password_hash=await hash_password(registration.password),
        )
        session.add(customer)
        await assign_reference(session, customer)
        actor = Actor("CUSTOMER", customer.id, f"{first_name} {last_name}".strip())
        record_event(session, customer.id, "CUSTOMER_REGISTERED", actor, "Registered")
        await send_verification(session, settings, customer)
    return customer


async def customer_login(
    sessions: async_sessionmaker[AsyncSession],
    secret: str,
    *,
    email: str,
    password: str,
    client_address: str | None = None,
) -> SignedIn:
    """A token for an ACTIVE customer's email and password.

    A wrong password and an unknown email answer alike. Only after the password is
    right does the answer say why an account cannot sign in (unverified, blocked…).
    """
    keys = throttle_keys("customer", email, client_address)
    async with sessions.begin() as session:
        await refuse_when_throttled(session, keys)
        customer = await _customer_by_email(session, email)
        valid = await verify_password(customer.password_hash if customer else None, password)
        if customer is not None and valid:
            await forget_failures(session, keys)
            if customer.status == "UNVERIFIED":
                raise DomainError(
                    "NOT_ALLOWED",
                    "Confirm your email address first; we sent you a link.",
                    ["email"],
                )
            if customer.status != "ACTIVE":
                raise DomainError("NOT_ALLOWED", "This account cannot sign in.", ["email"])
            assert customer.password_hash is not None  # it verified
            customer.password_hash = await upgraded_hash(customer.password_hash, password) or (
                customer.password_hash
            )
            token, expires_at = issue_token(
                secret, "customer", customer.id, customer.token_version, CUSTOMER_TOKEN_TTL
            )
            return SignedIn(token=token, expires_at=expires_at, subject_id=customer.id)
    await record_failure(sessions, keys)
    raise DomainError("INVALID_CREDENTIALS", "Email or password is wrong.", ["email"])


async def verify_email(sessions: async_sessionmaker[AsyncSession], token: str) -> Customer:
    """Complete verification from the emailed link: the email is verified, the account ACTIVE."""
    async with sessions.begin() as session:
        action = await use_action_token(session, token, VERIFY_EMAIL)
        customer = await session.get(Customer, action.customer_id, with_for_update=True)
        if (
            customer is None
            or customer.email is None
            or (action.email and action.email.lower() != customer.email.lower())
        ):
            raise DomainError("INVALID_TOKEN", "The link is invalid or has expired.", ["token"])
        changes = [change("emailVerified", customer.email_verified, True)]
        customer.email_verified = True
        if customer.status == "UNVERIFIED":
            changes.append(change("status", customer.status, "ACTIVE"))
            customer.status = "ACTIVE"
        customer.version += 1
        customer.updated_at = datetime.now(UTC)
        actor = Actor("CUSTOMER", customer.id, f"{customer.first_name} {customer.last_name}")
        record_event(session, customer.id, "EMAIL_VERIFIED", actor, "Email verified", changes)
    return customer


async def request_password_reset(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, email: str
) -> None:
    """Email a reset link when the address belongs to an account that may sign in.

    Answers the same whether or not it does, so it tells nobody which emails exist.
    """
    async with sessions.begin() as session:
        customer = await _customer_by_email(session, email)
        if customer is None or customer.status not in ("ACTIVE", "UNVERIFIED"):
            return
        await send_password_reset(session, settings, customer)
        record_event(session, customer.id, "PASSWORD_RESET_REQUESTED", SYSTEM, "Reset link sent")


async def reset_password(
    sessions: async_sessionmaker[AsyncSession], token: str, password: str
) -> Customer:
    """Set a new password from the emailed link; every earlier session ends."""
    checked_password(password)
    async with sessions.begin() as session:
        action = await use_action_token(session, token, RESET_PASSWORD, SET_PASSWORD)
        customer = await session.get(Customer, action.customer_id, with_for_update=True)
        if customer is None or customer.status not in ("ACTIVE", "UNVERIFIED"):
            raise DomainError("INVALID_TOKEN", "The link is invalid or has expired.", ["token"])
        customer.password_hash = await hash_password(password)
        customer.token_version += 1
        # The link reached the mailbox, which proves the address as well.
        if customer.status == "UNVERIFIED":
            customer.status = "ACTIVE"
        customer.email_verified = True
        customer.version += 1
        customer.updated_at = datetime.now(UTC)
        actor = Actor("CUSTOMER", customer.id, f"{customer.first_name} {customer.last_name}")
        record_event(
            session,
            customer.id,
            "PASSWORD_RESET",
            actor,
            "Password reset",
            [change("password", "•••", "•••")],
        )
    return customer
