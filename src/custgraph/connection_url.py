"""Connection URLs from the settings (SMTP, the events broker): their options, masked."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

Query = dict[str, list[str]]


def masked_url(url: str) -> str:
    """The URL with its password replaced by `***`, fit for logs and error messages."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 -- raises on a mangled authority, which is masked whole below
    except ValueError:
        return _mask_authority(url)
    if parts.password is None:
        # No password as urlsplit sees it; an `@` left in the netloc-less rest would mean
        # an unencoded secret that urlsplit cut short, so hide everything then.
        rest = url.split("://", 1)[-1].split("?", 1)[0]
        return _mask_authority(url) if "@" in rest and "@" not in parts.netloc else url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _mask_authority(url: str) -> str:
    scheme, separator, _ = url.partition("://")
    return f"{scheme}://***" if separator else "***"


def last_option(query: Query, key: str) -> str | None:
    """The option's value (the last one when given twice), trimmed; None when absent."""
    values = query.get(key)
    return values[-1].strip() if values else None


def timeout_option(query: Query, setting: str, shown: str, default: float) -> float:
    """`timeout=` in seconds, above 0 and at most 300; `default` when absent."""
    value = last_option(query, "timeout")
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 300:
        raise ValueError(f"{setting} timeout must be 0-300 seconds: {shown}")
    return seconds
