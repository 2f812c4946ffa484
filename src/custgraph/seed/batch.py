"""Rows generated for a batch of customers, one list per table, ready for `executemany`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

Row = dict[str, Any]


@dataclass(slots=True)
class RowBatch:
    """Field names are the table names; `writer.INSERT_ORDER` inserts parents first."""

    customers: list[Row] = field(default_factory=list)
    addresses: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    order_lines: list[Row] = field(default_factory=list)
    points_entries: list[Row] = field(default_factory=list)
    credit_entries: list[Row] = field(default_factory=list)
    gift_cards: list[Row] = field(default_factory=list)
    gift_card_entries: list[Row] = field(default_factory=list)
    notes: list[Row] = field(default_factory=list)
    customer_events: list[Row] = field(default_factory=list)
    notifications: list[Row] = field(default_factory=list)
    memberships: list[Row] = field(default_factory=list)
    custom_field_values: list[Row] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per table name."""
        return {f.name: len(getattr(self, f.name)) for f in fields(self)}
