"""Changing the email a customer signs in with."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.models import ActionToken, Customer
from custgraph.domain.caller import Caller
from custgraph.domain.customer_accounts import send_verification
from custgraph.domain.customer_action import (
    CustomerAction,
    Outcome,
    act_on_locked_customer,
    changed,
)
from custgraph.domain.errors import DomainError
from custgraph.domain.events import change
from custgraph.domain.idempotency import of_customer_id, once
from custgraph.domain.outbox import enqueue_message
from custgraph.domain.references import refresh_search_text
from custgraph.domain.transaction import in_transaction
from custgraph.domain.validation import normalized_email
from custgraph.settings import Settings

OPERATION = "customerChangeEmail"


def _taken() -> DomainError:
    return DomainError("TAKEN", "Another customer has this email.", ["email"])


async def _refuse_when_taken(session: AsyncSession, customer: Customer, email: str) -> None:
    if email.lower() == (customer.email or "").lower():
        raise DomainError("INVALID", "This is already the customer's email.", ["email"])
    other = await session.scalar(
        select(Customer.id).where(
            func.lower(Customer.email) == email.lower(), Customer.id != customer.id
        )
    )
    if other is not None:
        raise _taken()


async def _notify_old_address(session: AsyncSession, customer: Customer, old: str) -> None:
    await enqueue_message(
        session,
        customer_id=customer.id,
        channel="EMAIL",
        kind="EMAIL_CHANGED_NOTICE",
        recipient=old,
        subject="Your email address was changed",
        body=f"Hello {customer.first_name},\n\nthe email address of your account was changed "
        "and this address no longer signs in. If you did not ask for this, contact us "
        "at once.\n",
    )


async def change_email(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    caller: Caller,
    customer_id: int,
    email: str,
    *,
    expected_version: int | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Give a customer a new sign-in email (staff, or the customer on themselves).

    The old email stops signing in at once; the new one is unverified until the link
    sent to it is used, and a notice goes to the old address. Links mailed earlier stop
    working, so that a reset link in the old mailbox cannot take the account over.
    Sessions are not ended. TAKEN when another customer has the email (in any case).
    Returns the customer's id.
    """
    new_email = normalized_email(
        email, special_use_domains=settings.email_allow_special_use_domains
    )

    async def act(session: AsyncSession, customer: Customer) -> Outcome[int]:
        await _refuse_when_taken(session, customer, new_email)
        old_email, old_verified = customer.email, customer.email_verified
        customer.email = new_email
        customer.email_verified = False
        refresh_search_text(customer)
        try:
            # Two customers taking one address at the same moment: the unique index decides.
            await session.flush()
        except IntegrityError:
            raise _taken() from None
        await session.execute(
            update(ActionToken)
            .where(ActionToken.customer_id == customer.id, ActionToken.used_at.is_(None))
            .values(used_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        await send_verification(session, settings, customer)
        if old_email is not None:
            await _notify_old_address(session, customer, old_email)
        return changed(
            customer.id,
            "EMAIL_CHANGED",
            "Email changed; verification sent to the new address",
            [change("email", old_email, new_email), change("emailVerified", old_verified, False)],
        )

    action = CustomerAction(OPERATION, caller, customer_id, expected_version)

    async def work(session: AsyncSession) -> int:
        return await act_on_locked_customer(session, action, act)

    # Not `act_on_customer`'s key check: keys already stored were fingerprinted with these
    # camelCase names, and a retry with one of them must still replay.
    request = {"customerId": customer_id, "email": new_email, "expectedVersion": expected_version}
    return await in_transaction(
        sessions, once(caller, OPERATION, idempotency_key, request, work, of_customer_id())
    )
