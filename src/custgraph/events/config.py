"""`CUSTGRAPH_EVENTS_URL`: which broker the change feed is published to, and where in it.

Two brokers, told apart by the scheme:

- NATS JetStream, `nats://[user:pass@]host[:4222]?stream=CUSTGRAPH&subject=custgraph`
  (`nats+tls://` for TLS): each change goes to subject `<subject>.<type>` (for example
  `custgraph.customer.status_changed`) of stream `<stream>`, which is created with
  subjects `<subject>.>` if it does not exist.
- RabbitMQ, `amqp://user:pass@host[:5672]/vhost?exchange=custgraph` (`amqps://` for
  TLS): each change goes to the durable topic exchange `<exchange>` (declared if
  missing) with the change type as routing key.

Both take `timeout=5`: seconds to connect, and to wait for each acknowledgement.
Unknown schemes and options are refused at startup: a misspelt `strem=` would otherwise
publish to a stream nobody reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qs, quote, unquote, urlsplit, urlunsplit

from custgraph.connection_url import last_option, masked_url, timeout_option

DEFAULT_STREAM = "CUSTGRAPH"
DEFAULT_SUBJECT = "custgraph"
DEFAULT_EXCHANGE = "custgraph"
# An ack from a healthy broker takes milliseconds; this bounds a silent one (and the
# relay's part of a shutdown: the publish in flight, then the disconnect).
DEFAULT_TIMEOUT = 5.0
# `change_sink_positions.name` is 64 characters long.
MAX_SINK_NAME = 64

_NATS_SCHEMES = {"nats": "nats", "nats+tls": "tls"}  # ours -> what nats-py takes
_AMQP_SCHEMES = {"amqp": 5672, "amqps": 5671}
_STREAM_NAME = re.compile(r"[A-Za-z0-9_-]+")
_SUBJECT = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
_EXCHANGE_NAME = re.compile(r"[A-Za-z0-9_.:-]+")


@dataclass(frozen=True)
class JetStreamConfig:
    """Where NATS JetStream messages go. The server URL holds the credentials, if any."""

    server: str = field(repr=False)  # as nats-py takes it: nats://… or tls://…
    shown: str  # the server's URL without the password, for logs
    stream: str = DEFAULT_STREAM
    subject_prefix: str = DEFAULT_SUBJECT
    timeout: float = DEFAULT_TIMEOUT

    @property
    def sink_name(self) -> str:
        """The `change_sink_positions` row: one per stream, wherever its server runs."""
        return f"nats:{self.stream}"

    def subject(self, change_type: str) -> str:
        return f"{self.subject_prefix}.{change_type}"


@dataclass(frozen=True)
class RabbitMQConfig:
    """Where RabbitMQ messages go. The URL holds the credentials."""

    url: str = field(repr=False)  # the AMQP URL without this module's options
    shown: str  # that URL without the password, for logs
    vhost: str = "/"
    exchange: str = DEFAULT_EXCHANGE
    timeout: float = DEFAULT_TIMEOUT

    @property
    def sink_name(self) -> str:
        """The `change_sink_positions` row: one per exchange and virtual host."""
        if self.vhost == "/":
            return f"amqp:{self.exchange}"
        return f"amqp:{self.vhost}/{self.exchange}"


EventsConfig = JetStreamConfig | RabbitMQConfig


def parse_events_url(url: str) -> EventsConfig:
    """Read `CUSTGRAPH_EVENTS_URL` (see the module's docstring for the forms it takes).

    Raises ValueError, with a message that never contains the password, for an unknown
    scheme, an unknown option or a name the broker would refuse.
    """
    shown = mask_events_url(url)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"CUSTGRAPH_EVENTS_URL is not a valid URL: {shown}") from None
    scheme = parts.scheme.lower()
    if scheme not in _NATS_SCHEMES and scheme not in _AMQP_SCHEMES:
        raise ValueError(
            "CUSTGRAPH_EVENTS_URL must start with nats://, nats+tls:// (NATS JetStream), "
            f"amqp:// or amqps:// (RabbitMQ): {shown}"
        )
    if not parts.hostname:
        raise ValueError(f"CUSTGRAPH_EVENTS_URL has no host: {shown}")
    if parts.fragment:
        raise ValueError(f"CUSTGRAPH_EVENTS_URL takes no fragment: {shown}")
    query = parse_qs(parts.query, keep_blank_values=True)
    allowed = (
        {"stream", "subject", "timeout"} if scheme in _NATS_SCHEMES else {"exchange", "timeout"}
    )
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise ValueError(f"CUSTGRAPH_EVENTS_URL has unknown options {unknown}: {shown}")
    timeout = timeout_option(query, "CUSTGRAPH_EVENTS_URL", shown, DEFAULT_TIMEOUT)
    if scheme in _NATS_SCHEMES:
        return _jetstream(parts._replace(scheme=_NATS_SCHEMES[scheme]), port, query, shown, timeout)
    return _rabbitmq(parts, port, query, shown, timeout)


def mask_events_url(url: str) -> str:
    """The URL with its password replaced by `***`, fit for logs and error messages."""
    return masked_url(url)


def _jetstream(
    parts: SplitResult, port: int | None, query: dict[str, list[str]], shown: str, timeout: float
) -> JetStreamConfig:
    if parts.path not in ("", "/"):
        raise ValueError(f"CUSTGRAPH_EVENTS_URL (NATS) takes no path: {shown}")
    stream = last_option(query, "stream") or DEFAULT_STREAM
    if not _STREAM_NAME.fullmatch(stream):
        raise ValueError(f"CUSTGRAPH_EVENTS_URL stream must be letters, digits, - and _: {shown}")
    subject = last_option(query, "subject") or DEFAULT_SUBJECT
    if not _SUBJECT.fullmatch(subject):
        raise ValueError(
            "CUSTGRAPH_EVENTS_URL subject must be dot-separated words of letters, digits, "
            f"- and _ (no wildcards): {shown}"
        )
    netloc = parts.netloc if port is not None else f"{parts.netloc}:4222"
    server = urlunsplit((parts.scheme, netloc, "", "", ""))
    config = JetStreamConfig(
        server=server,
        shown=mask_events_url(server),
        stream=stream,
        subject_prefix=subject,
        timeout=timeout,
    )
    _check_sink_name(config.sink_name, shown)
    return config


def _rabbitmq(
    parts: SplitResult, port: int | None, query: dict[str, list[str]], shown: str, timeout: float
) -> RabbitMQConfig:
    exchange = last_option(query, "exchange") or DEFAULT_EXCHANGE
    if not _EXCHANGE_NAME.fullmatch(exchange) or exchange.startswith("amq."):
        raise ValueError(
            "CUSTGRAPH_EVENTS_URL exchange must be letters, digits, -, _, . and : and not "
            f"start with amq.: {shown}"
        )
    # AMQP URLs name the virtual host in the path, percent-encoded; none is "/".
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    scheme = parts.scheme.lower()
    netloc = parts.netloc if port is not None else f"{parts.netloc}:{_AMQP_SCHEMES[scheme]}"
    amqp_url = urlunsplit((scheme, netloc, "/" + quote(vhost, safe=""), "", ""))
    config = RabbitMQConfig(
        url=amqp_url,
        shown=mask_events_url(amqp_url),
        vhost=vhost,
        exchange=exchange,
        timeout=timeout,
    )
    _check_sink_name(config.sink_name, shown)
    return config


def _check_sink_name(name: str, shown: str) -> None:
    if len(name) > MAX_SINK_NAME:
        raise ValueError(
            f"CUSTGRAPH_EVENTS_URL names a destination too long to keep its position "
            f"({name!r} is over {MAX_SINK_NAME} characters): {shown}"
        )
