"""Packaging: what `pip install .` puts on a server, checked as a deployer uses it (issue #15)."""
