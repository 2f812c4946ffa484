"""What schema comparisons (autogenerate, the migration test) must leave alone."""

from __future__ import annotations

# Indexes the models cannot express for both databases (expression and PostgreSQL-only
# indexes); the migration creates them, and comparisons must leave them alone.
MIGRATION_ONLY_INDEXES = frozenset(
    {
        "uq_customers_email_lower",
        "uq_staff_users_email_lower",
        "ix_customers_search_text_trgm",
        "ix_customers_tags_gin",
    }
)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)
