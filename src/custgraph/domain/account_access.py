"""How a customer gets into their account: reset and verification links, password, MFA.

Sending a link changes nothing on the customer's record: it queues a message and logs an
event, but does not bump `version` (and takes no `expectedVersion`). Setting a password
or changing MFA settings is a write to the record and bumps it.
"""

from __future__ import annotations

import phonenumbers
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.auth.passwords import hash_password
from custgraph.db.models import Customer
from custgraph.domain.caller import Caller
from custgraph.domain.customer_accounts import send_password_reset, send_verification
from custgraph.domain.customer_action import (
    Act,
    CustomerAction,
    Outcome,
    act_on_customer,
    act_on_locked_customer,
    changed,
    logged,
    unchanged,
)
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change
from custgraph.domain.idempotency import of_customer_id, once
from custgraph.domain.transaction import in_transaction
from custgraph.domain.validation import checked_password
from custgraph.settings import Settings

# Reset links are honoured only for these (see `reset_password`): sending one to anyone
# else would mail a link that cannot work.
MAY_RESET_PASSWORD = frozenset({"ACTIVE", "UNVERIFIED"})
MASK = "•••"


async def send_password_reset_link(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    caller: Caller,
    customer_id: int,
    *,
    idempotency_key: str | None = None,
) -> int:
    """Email the customer a reset-password link; earlier links stop working.

    NOT_ALLOWED without an email on file or when the account cannot sign in (only ACTIVE
    and UNVERIFIED accounts can). A retry with the same idempotency key sends nothing
    more. Returns the customer's id.
    """

    async def send(session: AsyncSession, customer: Customer) -> Outcome[int]:
        if customer.email is None:
            raise DomainError("NOT_ALLOWED", "The customer has no email.", ["customerId"])
        if customer.status not in MAY_RESET_PASSWORD:
            raise DomainError(
                "NOT_ALLOWED",
                f"The customer is {customer.status} and cannot sign in.",
                ["customerId"],
            )
        await send_password_reset(session, settings, customer)
        return logged(customer.id, "PASSWORD_RESET_SENT", "Reset-password link sent")

    return await _send_once(
        sessions, caller, "customerSendPasswordReset", customer_id, idempotency_key, send
    )


async def resend_verification(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    caller: Caller,
    customer_id: int,
    *,
    idempotency_key: str | None = None,
) -> int:
    """Email the customer a new verify-email link; earlier links stop working.

    NOT_ALLOWED when the email is already verified or there is none. A retry with the
    same idempotency key sends nothing more. Returns the customer's id.
    """

    async def send(session: AsyncSession, customer: Customer) -> Outcome[int]:
        if customer.email is None:
            raise DomainError("NOT_ALLOWED", "The customer has no email.", ["customerId"])
        if customer.email_verified:
            raise DomainError(
                "NOT_ALLOWED", "The customer's email is already verified.", ["customerId"]
            )
        await send_verification(session, settings, customer)
        return logged(customer.id, "VERIFICATION_RESENT", "Verify-email link sent again")

    return await _send_once(
        sessions, caller, "customerResendVerification", customer_id, idempotency_key, send
    )


async def _send_once(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    operation: str,
    customer_id: int,
    idempotency_key: str | None,
    send: Act[int],
) -> int:
    action = CustomerAction(operation, caller, customer_id)

    async def work(session: AsyncSession) -> int:
        return await act_on_locked_customer(session, action, send)

    # Not `act_on_customer`'s key check: keys already stored were fingerprinted as
    # {"customerId": id}, and a retry with one of them must still replay.
    request = {"customerId": customer_id}
    # A retry answers as the first call did, before the lock, even if the customer has
    # changed since.
    return await in_transaction(
        sessions, once(caller, operation, idempotency_key, request, work, of_customer_id())
    )


async def set_password(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    password: str,
    *,
    expected_version: int | None = None,
) -> int:
    """Give the customer a new password; every session they had ends.

    The log records that it changed, never the password. Returns the customer's id.
    """
    checked_password(password)
    # argon2 is slow on purpose: hashed before the transaction, so that the customer's
    # lock does not wait for it.
    password_hash = await hash_password(password)

    async def act(_session: AsyncSession, customer: Customer) -> Outcome[int]:
        had_password = customer.password_hash is not None
        customer.password_hash = password_hash
        # Tokens carry this version: older ones stop working at once.
        customer.token_version += 1
        return changed(
            customer.id,
            "PASSWORD_SET",
            "Password set by staff; sessions ended",
            [change("password", MASK if had_password else None, MASK)],
        )

    action = CustomerAction("customerSetPassword", caller, customer_id, expected_version)
    return await act_on_customer(sessions, action, act)


async def update_mfa(
    sessions: async_sessionmaker[AsyncSession],
    caller: Caller,
    customer_id: int,
    *,
    enabled: bool,
    phone: str | None = None,
    expected_version: int | None = None,
) -> int:
    """Turn multi-factor authentication on (with the phone receiving codes) or off.

    Turning it on needs a valid phone number in international form (REQUIRED or INVALID
    on `phone`), stored as E.164. Turning it off forgets the phone, and a phone sent with
    it is INVALID rather than silently dropped. The same settings again change nothing
    (no version bump, no event). Returns the customer's id.
    """
    mfa_phone = _mfa_phone(enabled, phone)

    async def act(_session: AsyncSession, customer: Customer) -> Outcome[int]:
        changes = []
        if customer.mfa_enabled != enabled:
            changes.append(change("mfaEnabled", customer.mfa_enabled, enabled))
        if customer.mfa_phone != mfa_phone:
            changes.append(change("mfaPhone", customer.mfa_phone, mfa_phone))
        if not changes:
            return unchanged(customer.id)
        customer.mfa_enabled = enabled
        customer.mfa_phone = mfa_phone
        if not enabled:
            message = "MFA turned off"
        elif changes[0]["field"] == "mfaEnabled":
            message = "MFA turned on"
        else:
            message = "MFA phone changed"
        return changed(customer.id, "MFA_UPDATED", message, changes)

    action = CustomerAction("customerUpdateMfa", caller, customer_id, expected_version)
    return await act_on_customer(sessions, action, act)


def _mfa_phone(enabled: bool, phone: str | None) -> str | None:
    if not enabled:
        if phone is not None:
            raise DomainError("INVALID", "Leave the phone out when turning MFA off.", ["phone"])
        return None
    if phone is None or not phone.strip():
        raise DomainError("REQUIRED", "A phone number receives the codes.", ["phone"])
    return e164(phone, ["phone"])


def e164(phone: str, field: list[str]) -> str:
    """A valid phone number in international form, as E.164 (`+4915112345678`)."""
    try:
        number = phonenumbers.parse(phone.strip(), None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(
            "INVALID", "Expected a phone number in international form, e.g. +4915112345678.", field
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
