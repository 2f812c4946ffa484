"""`CUSTGRAPH_EVENTS_URL`: the forms it takes, its defaults, and what stops the start."""

from __future__ import annotations

import sys

import pytest

from custgraph.app import create_app
from custgraph.events import JetStreamConfig, RabbitMQConfig, event_relay_for, parse_events_url
from tests.conftest import settings_for


def test_nats_url_defaults_to_stream_custgraph_and_subjects_custgraph_type() -> None:
    config = parse_events_url("nats://127.0.0.1")
    assert config == JetStreamConfig(
        server="nats://127.0.0.1:4222", shown="nats://127.0.0.1:4222", stream="CUSTGRAPH"
    )
    assert config.subject("customer.status_changed") == "custgraph.customer.status_changed"
    assert config.sink_name == "nats:CUSTGRAPH"


def test_nats_url_names_stream_subject_credentials_and_tls() -> None:
    config = parse_events_url(
        "nats+tls://relay:s%40cret@nats.internal:4443?stream=SHOP_EVENTS&subject=shop.crm&timeout=3"
    )
    assert isinstance(config, JetStreamConfig)
    assert config.server == "tls://relay:s%40cret@nats.internal:4443"
    assert (config.stream, config.subject_prefix, config.timeout) == ("SHOP_EVENTS", "shop.crm", 3)
    assert "s%40cret" not in repr(config) and "s%40cret" not in config.shown


def test_amqp_url_defaults_to_exchange_custgraph_on_the_default_vhost() -> None:
    config = parse_events_url("amqp://guest:guest@127.0.0.1")
    assert isinstance(config, RabbitMQConfig)
    assert config.url == "amqp://guest:guest@127.0.0.1:5672/%2F"
    assert (config.vhost, config.exchange, config.sink_name) == ("/", "custgraph", "amqp:custgraph")
    assert "guest:guest" not in repr(config) and config.shown.startswith("amqp://guest:***@")


def test_amqp_url_names_vhost_and_exchange() -> None:
    config = parse_events_url("amqps://shop:pw@mq.internal/prod%2Feu?exchange=crm.events")
    assert isinstance(config, RabbitMQConfig)
    assert config.url == "amqps://shop:pw@mq.internal:5671/prod%2Feu"
    assert (config.vhost, config.exchange) == ("prod/eu", "crm.events")
    assert config.sink_name == "amqp:prod/eu/crm.events"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("kafka://broker:9092", "must start with nats://, nats+tls:// (NATS JetStream), amqp://"),
        ("redis://:hunter2@cache:6379", "must start with"),
        ("nats://127.0.0.1?strem=CUSTGRAPH", "unknown options ['strem']"),
        ("amqp://u:hunter2@mq/?stream=X", "unknown options ['stream']"),
        ("nats://127.0.0.1?stream=a.b", "stream must be letters"),
        ("nats://127.0.0.1?subject=custgraph.>", "no wildcards"),
        ("amqp://mq/?exchange=amq.topic", "not start with amq."),
        ("nats:///?stream=X", "has no host"),
        ("amqp://mq/?timeout=0", "timeout must be 0-300 seconds"),
        ("nats://127.0.0.1?stream=" + "S" * 60, "too long to keep its position"),
    ],
)
def test_a_url_the_relay_cannot_use_is_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(ValueError, match="CUSTGRAPH_EVENTS_URL") as refused:
        parse_events_url(url)
    assert message in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_an_unknown_scheme_stops_the_app_before_it_serves() -> None:
    settings = settings_for("sqlite+aiosqlite:///unused.db", events_url="mqtt://u:pw@broker")
    with pytest.raises(ValueError, match=r"must start with nats://.*mqtt://u:\*\*\*@broker"):
        create_app(settings)


def test_without_a_url_there_is_no_relay() -> None:
    assert event_relay_for(settings_for("sqlite+aiosqlite:///unused.db")) is None
    relay = event_relay_for(
        settings_for(
            "sqlite+aiosqlite:///unused.db",
            events_url="nats://127.0.0.1",
            events_interval_seconds=0.5,
            events_batch_size=50,
        )
    )
    assert relay is not None
    assert (relay.sink, relay.interval, relay.batch_size) == ("nats:CUSTGRAPH", 0.5, 50)


def test_a_missing_client_library_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "custgraph.events.jetstream", raising=False)
    monkeypatch.setitem(sys.modules, "nats", None)  # as if nats-py were not installed
    with pytest.raises(RuntimeError, match=r"\(nats\).*pip install 'custgraph\[events\]'"):
        event_relay_for(settings_for("sqlite+aiosqlite:///unused.db", events_url="nats://h"))
