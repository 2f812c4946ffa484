"""HTTP layer: Starlette routes and pages served next to the GraphQL API."""
