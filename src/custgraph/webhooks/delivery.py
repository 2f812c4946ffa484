"""One delivery pass: claim what is due, POST it outside any transaction, record."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.webhooks.claim import FAILED, SUCCEEDED, Claim, claim_due, give_up_abandoned
from custgraph.webhooks.results import record_attempt
from custgraph.webhooks.sender import WebhookSender

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookReport:
    """What a pass did: webhooks delivered, scheduled for a retry, failed for good."""

    succeeded: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        """Deliveries this pass settled or rescheduled, whichever way."""
        return self.succeeded + self.retrying + self.failed

    def __add__(self, other: WebhookReport) -> WebhookReport:
        return WebhookReport(
            self.succeeded + other.succeeded,
            self.retrying + other.retrying,
            self.failed + other.failed,
        )

    def __str__(self) -> str:
        return f"{self.succeeded} delivered, {self.retrying} to retry, {self.failed} failed"


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    sender: WebhookSender,
    *,
    batch_size: int = 100,
    now: datetime | None = None,
    stop: asyncio.Event | None = None,
) -> WebhookReport:
    """Attempt up to `batch_size` due deliveries, the longest-waiting first.

    Claims `sender.policy.concurrency` at a time (custgraph/webhooks/claim.py says why
    that is safe with several workers, on PostgreSQL and SQLite) and sends them side by
    side with no transaction open; each result is recorded in a transaction of its own.
    `sessions` should come from the write engine (every transaction here writes); `now`
    fixes the clock (tests); `stop` ends the pass between two groups.
    """
    policy = sender.policy
    clock: Callable[[], datetime] = (lambda: now) if now is not None else _utcnow
    report = WebhookReport(failed=await give_up_abandoned(sessions, now=clock(), policy=policy))
    attempted = 0
    while attempted < batch_size and not (stop is not None and stop.is_set()):
        claims = await claim_due(
            sessions,
            now=clock(),
            policy=policy,
            limit=min(policy.concurrency, batch_size - attempted),
        )
        if not claims:
            break
        attempted += len(claims)
        outcomes = await asyncio.gather(
            *(_attempt(sessions, sender, claim, clock) for claim in claims), return_exceptions=True
        )
        for claim, outcome in zip(claims, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, Exception):
                    raise outcome  # cancellation and the like end the pass
                # The result could not be recorded (database gone): the claim lapses and
                # the delivery is attempted again then.
                logger.error(
                    "webhook delivery %d: attempt %d not recorded: %r",
                    claim.delivery_id,
                    claim.attempts,
                    outcome,
                )
            else:
                report += outcome
    return report


async def _attempt(
    sessions: async_sessionmaker[AsyncSession],
    sender: WebhookSender,
    claim: Claim,
    clock: Callable[[], datetime],
) -> WebhookReport:
    result = await sender.send(claim)
    recorded = await record_attempt(sessions, claim, result, now=clock(), policy=sender.policy)
    if recorded is None:
        logger.warning(
            "webhook delivery %d: attempt %d not recorded: its claim lapsed and was taken"
            " over, or the subscription was deleted meanwhile",
            claim.delivery_id,
            claim.attempts,
        )
        return WebhookReport()
    if recorded.state == SUCCEEDED:
        logger.debug("webhook delivery %d delivered", claim.delivery_id)
        return WebhookReport(succeeded=1)
    logger.warning(
        "webhook delivery %d (%s #%d) to subscription %d, attempt %d failed%s: %s",
        claim.delivery_id,
        claim.event_type,
        claim.change_sequence,
        claim.subscription_id,
        claim.attempts,
        ", giving up" if recorded.state == FAILED else ", will retry",
        result.error,
    )
    if recorded.disabled:
        logger.warning(
            "webhook subscription %d disabled after %d failed attempts in a row",
            claim.subscription_id,
            sender.policy.disable_after_failures,
        )
    if recorded.state == FAILED:
        return WebhookReport(failed=1)
    return WebhookReport(retrying=1)


def _utcnow() -> datetime:
    return datetime.now(UTC)
