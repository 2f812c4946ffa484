"""Money: a decimal amount in an ISO 4217 currency."""

from __future__ import annotations

from decimal import Decimal

import strawberry


@strawberry.type(description="An amount of money, exact to the cent.")
class Money:
    amount: Decimal = strawberry.field(description="Decimal amount as a string, e.g. `12.50`.")
    currency: str = strawberry.field(description="ISO 4217 currency code.")


def money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(amount=amount, currency=currency)
