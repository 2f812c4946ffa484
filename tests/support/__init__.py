"""Test support: databases, a served app, and a GraphQL client."""
