"""Turning GraphQL arguments into loader and domain calls, and results into schema objects."""
