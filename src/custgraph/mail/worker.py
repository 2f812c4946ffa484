"""Running delivery: forever in the server process, or as a one-off from the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from custgraph.db.engine import create_engine, create_session_factory
from custgraph.mail.channels import senders_for
from custgraph.mail.delivery import DeliveryReport, deliver_due
from custgraph.mail.policy import DEFAULT_POLICY, DeliveryPolicy
from custgraph.mail.sender import Senders
from custgraph.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 50


async def run_delivery_loop(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
    interval: float = 2.0,
    *,
    senders: Senders | None = None,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> None:
    """Deliver due outbox messages every `interval` seconds until `stop` is set.

    Any error of a pass (database down, a bug) is logged with its stack and the loop goes
    on after the interval. Once `stop` is set it returns after the message in flight, if
    any (at most `policy.send_timeout`); cancelling the task instead is safe too: the
    interrupted message's claim lapses and it is sent again later.

    A malformed `CUSTGRAPH_SMTP_URL` raises ValueError at once, before the loop starts;
    pass `senders=senders_for(settings)` built at startup to fail even earlier.
    """
    senders = senders if senders is not None else senders_for(settings)
    logger.info(
        "outbox delivery started: %s",
        ", ".join(f"{channel} to {sender}" for channel, sender in senders.items()),
    )
    while not stop.is_set():
        report = DeliveryReport()
        try:
            report = await deliver_due(
                sessions, settings, batch_size=batch_size, senders=senders, policy=policy, stop=stop
            )
        except Exception:
            logger.exception("outbox delivery pass failed; trying again in %g s", interval)
        if report.attempted:
            logger.info("outbox delivery: %s", report)
        if report.attempted >= batch_size:
            continue  # a full batch: more may be waiting, so no pause
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
    logger.info("outbox delivery stopped")


async def deliver_once(
    settings: Settings, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> DeliveryReport:
    """Deliver everything due now and return the totals (`custgraph deliver --once`).

    Opens and closes its own database engine. Messages that fail are scheduled for a
    retry, which a later run delivers.
    """
    senders = senders_for(settings)
    engine = create_engine(settings, pooled=False, for_writes=True)
    try:
        sessions = create_session_factory(engine)
        total = DeliveryReport()
        while True:
            report = await deliver_due(sessions, settings, batch_size=batch_size, senders=senders)
            total += report
            if report.attempted < batch_size:
                return total
    finally:
        await engine.dispose()


async def run_delivery_worker(
    settings: Settings, stop: asyncio.Event, *, interval: float = 2.0
) -> None:
    """`run_delivery_loop` with its own database engine (`custgraph deliver`)."""
    senders = senders_for(settings)
    engine = create_engine(settings, for_writes=True)
    try:
        await run_delivery_loop(
            create_session_factory(engine), settings, stop, interval, senders=senders
        )
    finally:
        await engine.dispose()
