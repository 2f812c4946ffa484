"""What a change looks like outside: the JSON body of a broker message (and of a webhook).

No personal data: the changed fields by name, and old and new values only of the fields
the feed keeps values of (`domain.change_payloads.VALUE_PERMISSIONS`: statuses, tags, balances…).
Whoever needs a customer's name or email reads it through the API by `customerId`.
"""

from __future__ import annotations

import orjson

from custgraph.db.models import CustomerChange
from custgraph.domain.change_payloads import change_payload


def change_body(change: CustomerChange) -> bytes:
    """The message body: `domain.change_payloads.change_payload` as UTF-8 JSON.

    A consumer that keeps the highest `sequence` it handled and skips any not above it
    handles each change once, in order.
    """
    return orjson.dumps(change_payload(change))
