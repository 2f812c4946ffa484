"""Messages to customers, written in the caller's transaction and delivered later."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from custgraph.db.models import Notification, OutboxMessage


async def enqueue_message(
    session: AsyncSession,
    *,
    customer_id: int,
    channel: str,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
) -> Notification:
    """Record a message in the customer's notifications and queue it in the outbox.

    Nothing is sent here: the delivery worker sends what the outbox holds once the
    transaction that wrote it has committed, so a rolled-back action sends nothing.
    """
    notification = Notification(
        customer_id=customer_id,
        channel=channel,
        kind=kind,
        recipient=recipient,
        subject=subject,
        status="PENDING",
    )
    session.add(notification)
    await session.flush()
    session.add(
        OutboxMessage(
            notification_id=notification.id,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
        )
    )
    return notification
