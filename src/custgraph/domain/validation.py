"""Input checks shared by domain functions; each raises DomainError with its field."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import email_validator
from email_validator import EmailNotValidError, validate_email

from custgraph.domain.errors import DomainError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


# Special-use names that intranet shops use for their own mail domains (RFC 6762's
# `.local`, RFC 6761's `.test`, ICANN's private-use `.internal`, which not every
# email-validator release lists): refused by default, allowed by the operator's setting.
# `localhost`, `invalid`, `onion` and `arpa` stay refused: no shop receives mail there.
INTRANET_DOMAIN_NAMES = frozenset({"local", "test", "internal"})
# email-validator reads its module-level list on every call, and removing names from it is
# its documented way to allow them; the lock keeps the short removal from being seen by
# a check that must refuse them (another thread's; the event loop runs one at a time).
_SPECIAL_USE_LOCK = threading.Lock()


def normalized_email(
    email: str, field: Sequence[str] = ("email",), *, special_use_domains: bool = False
) -> str:
    """The email in normalised form (domain lower-cased); syntax only, no DNS look-up.

    Special-use domains (`.local`, `.test`, `localhost`, …) are refused unless
    `special_use_domains` (CUSTGRAPH_EMAIL_ALLOW_SPECIAL_USE_DOMAINS) allows the
    intranet ones among them.
    """
    names = email_validator.SPECIAL_USE_DOMAIN_NAMES
    with _SPECIAL_USE_LOCK:
        kept = list(names)
        if special_use_domains:
            names[:] = [n for n in kept if n not in INTRANET_DOMAIN_NAMES]
        else:
            names[:] = [*kept, *sorted(INTRANET_DOMAIN_NAMES.difference(kept))]
        try:
            result = validate_email(email.strip(), check_deliverability=False)
        except EmailNotValidError as error:
            raise DomainError("INVALID", f"Not a valid email address: {error}", field) from None
        finally:
            names[:] = kept
    return result.normalized


def checked_password(password: str, field: Sequence[str] = ("password",)) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "PASSWORD_TOO_SHORT",
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.",
            field,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(
            "TOO_LONG", f"Passwords may have at most {MAX_PASSWORD_LENGTH} characters.", field
        )
    return password


def person_name(value: str, field: Sequence[str], max_length: int = 100) -> str:
    name = value.strip()
    if not name:
        raise DomainError("REQUIRED", "A name is required.", field)
    if len(name) > max_length:
        raise DomainError("TOO_LONG", f"Names have at most {max_length} characters.", field)
    return name
