"""Relay global ids: base64 of `TypeName:databaseId`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from custgraph.api_errors import bad_request

# Database ids are 64-bit; larger numbers cannot name a row and would fail in the driver.
MAX_DATABASE_ID = 2**63 - 1


def encode_global_id(type_name: str, db_id: int) -> str:
    return base64.b64encode(f"{type_name}:{db_id}".encode()).decode()


def global_id_encoder(type_name: str) -> Callable[[int], str]:
    """`encode_global_id` of one type, for a list page's hundreds of ids. Where
    `TypeName:` is a whole number of base64's 3-byte groups (`Customer:`, `Order:`), its
    encoding is a fixed head and only the digits are encoded per id."""
    prefix = f"{type_name}:".encode()
    b64encode = base64.b64encode
    if len(prefix) % 3:

        def encode(db_id: int) -> str:
            return b64encode(prefix + str(db_id).encode()).decode()

        return encode
    head = b64encode(prefix).decode()

    def encode_digits(db_id: int) -> str:
        return head + b64encode(str(db_id).encode()).decode()

    return encode_digits


def decode_global_id(global_id: str) -> tuple[str, int]:
    """(type name, database id) of a well-formed id; BAD_REQUEST otherwise."""
    try:
        raw = base64.b64decode(global_id.encode(), validate=True).decode()
        type_name, _, db_id = raw.partition(":")
        value = int(db_id)
    except (binascii.Error, UnicodeError, ValueError):
        raise bad_request(f"'{global_id[:64]}' is not a valid id.") from None
    if not type_name or value <= 0 or value > MAX_DATABASE_ID or str(value) != db_id:
        raise bad_request(f"'{global_id[:64]}' is not a valid id.")
    return type_name, value


def decode_id_of(type_name: str, global_id: str, argument: str = "id") -> int:
    """The database id of a global id that must name a `type_name`."""
    actual, db_id = decode_global_id(global_id)
    if actual != type_name:
        raise bad_request(f"`{argument}` must be a {type_name} id, not a {actual} id.")
    return db_id
