"""Batched reads: one statement per relation and level, created per request."""
