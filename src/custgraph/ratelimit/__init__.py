"""Per-caller leaky buckets of query cost points, shared by every server process."""
