"""What a seeding run wrote."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class SeedReport:
    """Rows added per table by one run, and how long it took."""

    customers: int = 0
    addresses: int = 0
    orders: int = 0
    order_lines: int = 0
    points_entries: int = 0
    credit_entries: int = 0
    gift_cards: int = 0
    gift_card_entries: int = 0
    notes: int = 0
    customer_events: int = 0
    notifications: int = 0
    memberships: int = 0
    custom_field_values: int = 0
    staff_users: int = 0
    custom_field_definitions: int = 0
    elapsed_seconds: float = 0.0

    def row_counts(self) -> dict[str, int]:
        """Rows added per table name, in insert order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "elapsed_seconds"}

    @property
    def total_rows(self) -> int:
        """Rows added over all tables."""
        return sum(self.row_counts().values())
