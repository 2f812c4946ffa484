"""All tables, importable from one place (Alembic and the loaders use this)."""

from custgraph.db.models.activity import CustomerEvent, Note, Notification, OutboxMessage
from custgraph.db.models.base import Base
from custgraph.db.models.changes import ChangeSequence, ChangeSinkPosition, CustomerChange
from custgraph.db.models.commerce import (
    CreditEntry,
    GiftCard,
    GiftCardEntry,
    Order,
    OrderLine,
    PointsEntry,
)
from custgraph.db.models.customer import (
    Address,
    Customer,
    CustomerCount,
    CustomFieldDefinition,
    CustomFieldValue,
    Membership,
)
from custgraph.db.models.identity import ApiKey, Role, StaffUser
from custgraph.db.models.jobs import ExportChunk, Job, JobItem
from custgraph.db.models.records import ActionToken, IdempotencyRecord, SignInFailure
from custgraph.db.models.webhooks import WebhookDelivery, WebhookLogEntry, WebhookSubscription

__all__ = [
    "ActionToken",
    "Address",
    "ApiKey",
    "Base",
    "ChangeSequence",
    "ChangeSinkPosition",
    "CreditEntry",
    "CustomFieldDefinition",
    "CustomFieldValue",
    "Customer",
    "CustomerChange",
    "CustomerCount",
    "CustomerEvent",
    "ExportChunk",
    "GiftCard",
    "GiftCardEntry",
    "IdempotencyRecord",
    "Job",
    "JobItem",
    "Membership",
    "Note",
    "Notification",
    "Order",
    "OrderLine",
    "OutboxMessage",
    "PointsEntry",
    "Role",
    "SignInFailure",
    "StaffUser",
    "WebhookDelivery",
    "WebhookLogEntry",
    "WebhookSubscription",
]
