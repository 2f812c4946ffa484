"""The GraphQL schema: types, inputs, payloads, enums, and each field's permission."""
