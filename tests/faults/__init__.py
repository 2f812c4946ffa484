"""Fault tolerance: killed servers, database outages, graceful shutdown (issue #5)."""
