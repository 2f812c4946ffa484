"""Input checks shared by domain functions; each raises DomainError with its field."""

from __future__ import annotations

from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email

from custgraph.domain.errors import DomainError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


def normalized_email(email: str, field: Sequence[str] = ("email",)) -> str:
    """The email in normalised form (domain lower-cased); syntax only, no DNS look-up."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise DomainError("INVALID", f"Not a valid email address: {error}", field) from None
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
