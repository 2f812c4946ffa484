"""Delivery of webhooks: the change feed POSTed to subscribers, signed, with retries.

Domain functions only queue deliveries, in the transaction of the change
(`custgraph.domain.webhook_outbox.enqueue_deliveries`); the worker here sends them after
that transaction has committed, retries with backoff, logs every attempt and disables a
subscription whose endpoint keeps failing. `signature.verify` is the receiving side's
check.
"""

from custgraph.webhooks.delivery import WebhookReport, deliver_due
from custgraph.webhooks.policy import DEFAULT_POLICY, WebhookPolicy
from custgraph.webhooks.results import AttemptResult
from custgraph.webhooks.sender import WebhookSender
from custgraph.webhooks.signature import sign, signature_header, verify
from custgraph.webhooks.worker import (
    deliver_webhooks_once,
    run_webhook_loop,
    run_webhook_worker,
    stop_webhook_loop,
)

__all__ = [
    "DEFAULT_POLICY",
    "AttemptResult",
    "WebhookPolicy",
    "WebhookReport",
    "WebhookSender",
    "deliver_due",
    "deliver_webhooks_once",
    "run_webhook_loop",
    "run_webhook_worker",
    "sign",
    "signature_header",
    "stop_webhook_loop",
    "verify",
]
