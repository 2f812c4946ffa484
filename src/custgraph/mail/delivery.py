"""One delivery pass over the outbox: claim, send outside any transaction, record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.mail.channels import senders_for
from custgraph.mail.claim import FAILED, Claim, claim_next, give_up_abandoned
from custgraph.mail.log_sender import mask_recipient
from custgraph.mail.policy import DEFAULT_POLICY, DeliveryPolicy
from custgraph.mail.results import record_failure, record_sent
from custgraph.mail.sender import DeliveryFailed, Senders
from custgraph.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery pass did: messages sent, scheduled for a retry, failed for good."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        """Messages this pass settled or rescheduled, whichever way."""
        return self.sent + self.retrying + self.failed

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.sent + other.sent, self.retrying + other.retrying, self.failed + other.failed
        )

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    batch_size: int = 50,
    now: datetime | None = None,
    senders: Senders | None = None,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    stop: asyncio.Event | None = None,
) -> DeliveryReport:
    """Send up to `batch_size` due outbox messages, the longest-waiting first.

    Due means PENDING with `next_attempt_at <= now`, or SENDING with a lapsed claim (a
    crashed worker). Each message is claimed in its own short transaction (see
    `custgraph.mail.claim` for why this is safe with several workers on PostgreSQL and on
    SQLite), sent with no transaction open, and its result recorded in another short
    transaction: SENT, or a retry after exponential backoff, or FAILED after
    `policy.max_attempts`. The linked notification follows.

    `sessions` should come from the write engine (`create_engine(…, for_writes=True)`,
    the app's `session_factory`): every transaction here writes.
    `senders` defaults to what the settings configure (`senders_for`); a channel without
    a sender fails like a refused message. `now` fixes the clock (tests); `stop` ends the
    pass between two messages.
    """
    senders = senders if senders is not None else senders_for(settings)
    clock: Callable[[], datetime] = (lambda: now) if now is not None else _utcnow
    sent = retrying = 0
    failed = await give_up_abandoned(sessions, now=clock(), policy=policy)
    for _ in range(batch_size):
        if stop is not None and stop.is_set():
            break
        claim = await claim_next(sessions, now=clock(), policy=policy)
        if claim is None:
            break
        error = await _attempt(claim, senders, policy)
        if error is None:
            if await record_sent(sessions, claim, now=clock()):
                sent += 1
                logger.debug("outbox %d sent", claim.message.outbox_id)
            else:
                _log_lost(claim)
            continue
        status = await record_failure(
            sessions, claim, str(error), now=clock(), policy=policy, permanent=error.permanent
        )
        if status is None:
            _log_lost(claim)
        elif status == FAILED:
            failed += 1
        else:
            retrying += 1
        if status is not None:
            logger.warning(
                "outbox %d: %s %s to %s, attempt %d failed%s: %s",
                claim.message.outbox_id,
                claim.message.channel,
                claim.message.kind or "message",
                mask_recipient(claim.message.recipient),
                claim.attempts,
                ", giving up" if status == FAILED else ", will retry",
                error,
            )
    return DeliveryReport(sent=sent, retrying=retrying, failed=failed)


async def _attempt(claim: Claim, senders: Senders, policy: DeliveryPolicy) -> DeliveryFailed | None:
    message = claim.message
    sender = senders.get(message.channel)
    if sender is None:
        return DeliveryFailed(f"no sender is configured for channel {message.channel}")
    seconds = policy.send_timeout.total_seconds()
    try:
        # The claim lapses after claim_timeout; bounding the attempt well below that
        # keeps a second worker from sending the same message while this one still is.
        async with asyncio.timeout(seconds) as deadline:
            await sender.send(message)
    except DeliveryFailed as error:
        return error
    except TimeoutError as error:
        if deadline.expired():
            return DeliveryFailed(f"not delivered within {seconds:g} s")
        return DeliveryFailed(f"TimeoutError: {error}")
    except Exception as error:
        # A sender bug, not a delivery problem: keep the stack for whoever fixes it.
        logger.exception("sender for %s raised on outbox %d", message.channel, message.outbox_id)
        return DeliveryFailed(f"{type(error).__name__}: {error}")
    return None


def _log_lost(claim: Claim) -> None:
    logger.warning(
        "outbox %d: attempt %d not recorded: its claim lapsed and was taken over, or the"
        " message was removed meanwhile (customer erased)",
        claim.message.outbox_id,
        claim.attempts,
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)
