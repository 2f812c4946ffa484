"""Request ids: taken from the client when well-formed, otherwise made here."""

from __future__ import annotations

import random
import re

HEADER = "X-Request-Id"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id_from(header_value: str | None) -> str:
    if header_value and _ACCEPTABLE.match(header_value):
        return header_value
    # 128 random bits as 32 hex digits, the form of a uuid4's hex. An id names a request
    # in logs and traces and guards nothing, so it needs no system entropy: `uuid4()`
    # reads the kernel's, a system call per request, about 10 µs of a detail read's CPU
    # in the server (the random module is reseeded in each forked worker).
    return f"{random.getrandbits(128):032x}"
