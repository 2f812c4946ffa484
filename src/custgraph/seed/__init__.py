"""Deterministic, realistic demo and load-test data (`custgraph seed`)."""

from custgraph.seed.report import SeedReport
from custgraph.seed.seeder import seed_customers

__all__ = ["SeedReport", "seed_customers"]
