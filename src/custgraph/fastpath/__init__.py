"""The compiled read path: customer queries answered from the loaders' rows without
graphql-core's per-field execution (see plan.py), identical to the general path."""
