"""Identity: principals, tokens and keys, password hashing, permissions and roles."""
