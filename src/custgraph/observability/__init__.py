"""What an operator sees: Prometheus metrics and one log line per GraphQL request."""
