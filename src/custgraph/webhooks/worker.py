"""Running webhook delivery: forever in the server process, or as a one-off from the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.engine import create_engine, create_session_factory
from custgraph.settings import Settings
from custgraph.webhooks.delivery import WebhookReport, deliver_due
from custgraph.webhooks.policy import WebhookPolicy
from custgraph.webhooks.sender import WebhookSender

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 100
# At shutdown, attempts in flight get this long before they are cancelled; a cancelled
# attempt's claim lapses and the webhook is sent again later (receivers deduplicate by
# X-Custgraph-Delivery).
STOP_GRACE_SECONDS = 5.0


async def run_webhook_loop(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
    *,
    interval: float | None = None,
    policy: WebhookPolicy | None = None,
    sender: WebhookSender | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> None:
    """Deliver due webhooks every `interval` seconds (the settings' by default) until
    `stop` is set.

    Any error of a pass (database down, a bug) is logged with its stack and the loop
    goes on after the interval. Once `stop` is set it returns after the attempts in
    flight; cancelling it instead is safe too (their claims lapse).
    """
    interval = settings.webhook_interval_seconds if interval is None else interval
    policy = policy or WebhookPolicy.from_settings(settings)
    async with contextlib.AsyncExitStack() as stack:
        if sender is None:
            sender = await stack.enter_async_context(WebhookSender(settings, policy))
        logger.info("webhook delivery started (every %g s)", interval)
        while not stop.is_set():
            report = WebhookReport()
            try:
                report = await deliver_due(sessions, sender, batch_size=batch_size, stop=stop)
            except Exception:
                logger.exception("webhook delivery pass failed; trying again in %g s", interval)
            if report.attempted:
                logger.info("webhook delivery: %s", report)
            if report.attempted >= batch_size:
                continue  # a full batch: more may be waiting, so no pause
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    logger.info("webhook delivery stopped")


async def stop_webhook_loop(task: asyncio.Task[None]) -> None:
    """Wait for a loop whose `stop` is set, cancelling it after `STOP_GRACE_SECONDS`."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(task, STOP_GRACE_SECONDS)


async def deliver_webhooks_once(
    settings: Settings, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> WebhookReport:
    """Attempt every delivery due now and return the totals (`custgraph deliver --once`).

    Opens and closes its own database engine. Failed attempts are scheduled for a retry,
    which a later run makes.
    """
    policy = WebhookPolicy.from_settings(settings)
    engine = create_engine(settings, pooled=False, for_writes=True)
    try:
        sessions = create_session_factory(engine)
        total = WebhookReport()
        async with WebhookSender(settings, policy) as sender:
            while True:
                report = await deliver_due(sessions, sender, batch_size=batch_size)
                total += report
                if report.attempted < batch_size:
                    return total
    finally:
        await engine.dispose()


async def run_webhook_worker(settings: Settings, stop: asyncio.Event) -> None:
    """`run_webhook_loop` with its own database engine (`custgraph deliver`)."""
    engine = create_engine(settings, for_writes=True)
    try:
        await run_webhook_loop(create_session_factory(engine), settings, stop)
    finally:
        await engine.dispose()
