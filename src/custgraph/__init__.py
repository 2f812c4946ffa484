"""custgraph: the GraphQL API behind the Customers area of shop and B2B back offices."""

__version__ = "0.1.0"
