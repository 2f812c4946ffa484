"""Enumerations of the public schema."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Where a customer account stands in its lifecycle.")
class CustomerStatus(Enum):
    UNVERIFIED = strawberry.enum_value("UNVERIFIED", description="Email not yet verified.")
    ACTIVE = strawberry.enum_value("ACTIVE", description="In good standing; may sign in.")
    BLOCKED = strawberry.enum_value("BLOCKED", description="Blocked by staff; data kept.")
    INACTIVE = strawberry.enum_value("INACTIVE", description="Deactivated; may be reactivated.")
    DISABLED = strawberry.enum_value("DISABLED", description="Disabled for good.")
    MERGED = strawberry.enum_value("MERGED", description="Merged into another customer.")
    ERASED = strawberry.enum_value("ERASED", description="Personal data erased (GDPR).")


@strawberry.enum(description="Gender as the customer states it.")
class Gender(Enum):
    FEMALE = strawberry.enum_value("FEMALE", description="Female.")
    MALE = strawberry.enum_value("MALE", description="Male.")
    OTHER = strawberry.enum_value("OTHER", description="Another gender.")
    UNSPECIFIED = strawberry.enum_value("UNSPECIFIED", description="Not stated.")


@strawberry.enum(description="Where an order stands.")
class OrderState(Enum):
    NEW = strawberry.enum_value("NEW", description="Placed, not yet paid.")
    PAID = strawberry.enum_value("PAID", description="Paid, not yet shipped.")
    SHIPPED = strawberry.enum_value("SHIPPED", description="Handed to the carrier.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="Delivered to the customer.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled before shipping.")
    REFUNDED = strawberry.enum_value("REFUNDED", description="Paid back to the customer.")


@strawberry.enum(description="How a message reaches a customer.")
class NotificationChannel(Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="Email over SMTP.")
    SMS = strawberry.enum_value("SMS", description="Text message to the phone.")
    PUSH = strawberry.enum_value("PUSH", description="Push notification to the mobile app.")


@strawberry.enum(description="Delivery state of a message.")
class DeliveryStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting in the outbox.")
    SENT = strawberry.enum_value("SENT", description="Accepted by the channel.")
    FAILED = strawberry.enum_value("FAILED", description="Given up after retries.")


@strawberry.enum(description="Kind of caller that did something.")
class ActorKind(Enum):
    STAFF = strawberry.enum_value("STAFF", description="A staff user.")
    API_KEY = strawberry.enum_value("API_KEY", description="A partner integration's API key.")
    CUSTOMER = strawberry.enum_value("CUSTOMER", description="The customer themselves.")
    SYSTEM = strawberry.enum_value("SYSTEM", description="The system (imports, jobs).")


@strawberry.enum(description="Type of a custom field's values.")
class CustomFieldType(Enum):
    TEXT = strawberry.enum_value("TEXT", description="Free text.")
    INTEGER = strawberry.enum_value("INTEGER", description="Whole number.")
    DECIMAL = strawberry.enum_value("DECIMAL", description="Decimal number.")
    DATE = strawberry.enum_value("DATE", description="ISO 8601 date.")
    BOOLEAN = strawberry.enum_value("BOOLEAN", description="True or false.")


@strawberry.enum(description="Sort direction.")
class SortDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest first.")
    DESC = strawberry.enum_value("DESC", description="Largest first.")


@strawberry.enum(description="What customer lists can be sorted by.")
class CustomerSortField(Enum):
    REFERENCE = strawberry.enum_value("REFERENCE", description="Customer reference.")
    NAME = strawberry.enum_value("NAME", description="Last name, then first name.")
    EMAIL = strawberry.enum_value("EMAIL", description="Email address.")
    REGISTERED_AT = strawberry.enum_value("REGISTERED_AT", description="Registration time.")
    UPDATED_AT = strawberry.enum_value("UPDATED_AT", description="Last change.")
    TOTAL_REVENUE = strawberry.enum_value("TOTAL_REVENUE", description="Revenue of all orders.")
    POINTS_BALANCE = strawberry.enum_value("POINTS_BALANCE", description="Loyalty points.")
