"""Delivery of what the outbox holds: email over SMTP, other channels to the log for now.

Domain functions only queue messages (`custgraph.domain.outbox.enqueue_message`); the
worker here sends them after the queuing transaction has committed, retries with
backoff, and records the result on the customer's notification.
"""

from custgraph.mail.channels import senders_for
from custgraph.mail.delivery import DeliveryReport, deliver_due
from custgraph.mail.log_sender import LogSender, mask_recipient
from custgraph.mail.message import OutgoingMessage
from custgraph.mail.policy import DEFAULT_POLICY, DeliveryPolicy
from custgraph.mail.sender import DeliveryFailed, Sender, Senders
from custgraph.mail.smtp_sender import SmtpSender, build_email
from custgraph.mail.smtp_url import SmtpConfig, mask_smtp_url, parse_smtp_url
from custgraph.mail.worker import deliver_once, run_delivery_loop, run_delivery_worker

__all__ = [
    "DEFAULT_POLICY",
    "DeliveryFailed",
    "DeliveryPolicy",
    "DeliveryReport",
    "LogSender",
    "OutgoingMessage",
    "Sender",
    "Senders",
    "SmtpConfig",
    "SmtpSender",
    "build_email",
    "deliver_due",
    "deliver_once",
    "mask_recipient",
    "mask_smtp_url",
    "parse_smtp_url",
    "run_delivery_loop",
    "run_delivery_worker",
    "senders_for",
]
