"""Where webhooks may be sent: http(s) URLs outside the server's own networks.

A subscription's URL is requested by the server, from inside its network: a partner key
naming `http://169.254.169.254/` or `http://10.0.0.7:5432/` would otherwise make the
server probe what only it can reach. Unless `CUSTGRAPH_WEBHOOK_ALLOW_PRIVATE_TARGETS` is
set (an intranet shop whose ERP listens on a private address), URLs naming loopback,
private, link-local or otherwise non-global addresses are refused when subscribing, and
the worker checks what a host name resolves to before each attempt.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from custgraph.domain.errors import DomainError

MAX_URL_LENGTH = 2000
SCHEMES = frozenset({"http", "https"})
ALLOW_SETTING = "CUSTGRAPH_WEBHOOK_ALLOW_PRIVATE_TARGETS"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def checked_target_url(url: str, *, allow_private: bool, field: str = "url") -> str:
    """The URL, trimmed, when webhooks may be POSTed to it; `DomainError` otherwise."""
    url = url.strip()
    if not url:
        raise DomainError("REQUIRED", "Give the URL to POST the webhooks to.", [field])
    if len(url) > MAX_URL_LENGTH:
        raise DomainError("TOO_LONG", f"URLs have at most {MAX_URL_LENGTH} characters.", [field])
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise DomainError("INVALID", "The URL has spaces or control characters.", [field])
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError:
        raise DomainError("INVALID", "The URL is not valid.", [field]) from None
    if parts.scheme.lower() not in SCHEMES:
        raise DomainError("INVALID", "Webhook URLs start with http:// or https://.", [field])
    if not host:
        raise DomainError("INVALID", "The URL has no host.", [field])
    if parts.username is not None or parts.password is not None:
        raise DomainError(
            "INVALID",
            "Put no credentials in the URL: receivers check the signature instead.",
            [field],
        )
    if parts.fragment:
        raise DomainError("INVALID", "The URL takes no #fragment.", [field])
    if not allow_private and not _public_host(host):
        raise DomainError(
            "INVALID",
            "The URL names a loopback, private or link-local host; such targets are "
            f"allowed only with {ALLOW_SETTING}.",
            [field],
        )
    return url


async def private_address_of(host: str, port: int) -> str | None:
    """The first non-global address `host` resolves to, None when all are global.

    Raises OSError when the name does not resolve. Checked before every attempt: the
    name's addresses can change after the subscription was accepted.
    """
    literal = _literal_address(host)
    if literal is not None:
        return None if literal.is_global else str(literal)
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not address.is_global:
            return str(address)
    return None


def _public_host(host: str) -> bool:
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return False
    literal = _literal_address(name)
    return literal is None or literal.is_global


def _literal_address(host: str) -> IPAddress | None:
    """The address a host written as an IP literal stands for, in any form the resolver
    takes (`127.1`, `0x7f.0.0.1` and `2130706433` are all 127.0.0.1); None for names."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None
