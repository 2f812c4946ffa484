"""`CUSTGRAPH_SMTP_URL`: how to reach the mail server, and how to show that URL safely."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from custgraph.connection_url import last_option, masked_url, timeout_option

DEFAULT_FROM = "custgraph@localhost"
DEFAULT_TIMEOUT = 10.0
_QUERY_KEYS = frozenset({"starttls", "from", "timeout"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class SmtpConfig:
    """A parsed SMTP URL. The password is left out of `repr` so that it never reaches a log."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    implicit_tls: bool = False
    # True: STARTTLS is required; False: never; None: used when the server offers it.
    starttls: bool | None = None
    from_address: str = DEFAULT_FROM
    timeout: float = DEFAULT_TIMEOUT

    @property
    def envelope_from(self) -> str:
        """The bare address of `from_address` (which may carry a display name)."""
        return parseaddr(self.from_address)[1]


def parse_smtp_url(url: str) -> SmtpConfig:
    """Read `smtp://user:pass@host:port`, `smtps://…` (implicit TLS) and their options.

    Query options: `starttls=true|false` (absent: used when the server offers it),
    `from=Shop <noreply@shop.example>` (URL-encoded; default `custgraph@localhost`) and
    `timeout=10` (seconds per connect or command). Default ports: 465 for `smtps`, 587
    with `starttls=true`, 25 otherwise. User and password must be percent-encoded.

    Raises ValueError with a message that never contains the password.
    """
    shown = mask_smtp_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(f"CUSTGRAPH_SMTP_URL is not a valid URL: {shown}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise ValueError(f"CUSTGRAPH_SMTP_URL must start with smtp:// or smtps://: {shown}")
    if not parts.hostname:
        raise ValueError(f"CUSTGRAPH_SMTP_URL has no host: {shown}")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError(f"CUSTGRAPH_SMTP_URL takes no path or fragment: {shown}")

    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - _QUERY_KEYS)
    if unknown:
        # A misspelt `startls` would otherwise silently send in clear text.
        raise ValueError(f"CUSTGRAPH_SMTP_URL has unknown options {unknown}: {shown}")
    starttls = _flag(query, "starttls", shown)
    implicit_tls = scheme == "smtps"
    if implicit_tls and starttls:
        raise ValueError(f"smtps:// is already encrypted; drop starttls=true: {shown}")
    if implicit_tls:
        starttls = False

    from_address = last_option(query, "from") or DEFAULT_FROM
    if "@" not in parseaddr(from_address)[1]:
        raise ValueError(f"CUSTGRAPH_SMTP_URL has an invalid from address: {shown}")
    timeout = timeout_option(query, "CUSTGRAPH_SMTP_URL", shown, DEFAULT_TIMEOUT)

    if port is None:
        port = 465 if implicit_tls else 587 if starttls else 25
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit_tls,
        starttls=starttls,
        from_address=from_address,
        timeout=timeout,
    )


def mask_smtp_url(url: str) -> str:
    """The URL with its password replaced by `***`, fit for logs and error messages."""
    return masked_url(url)


def _flag(query: dict[str, list[str]], key: str, shown: str) -> bool | None:
    value = last_option(query, key)
    if value is None:
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"CUSTGRAPH_SMTP_URL option {key} must be true or false: {shown}")
