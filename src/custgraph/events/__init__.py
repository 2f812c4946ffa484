"""The change feed published to a message broker (NATS JetStream or RabbitMQ).

Domain functions write `customer_changes` rows in their transactions; the relay here
publishes them afterwards, in order and at least once, with the sequence as message id
(`CUSTGRAPH_EVENTS_URL`). Nothing a mutation does waits for the broker.
"""

from custgraph.domain.change_payloads import change_payload
from custgraph.events.brokers import publisher_for
from custgraph.events.config import (
    EventsConfig,
    JetStreamConfig,
    RabbitMQConfig,
    mask_events_url,
    parse_events_url,
)
from custgraph.events.payload import change_body
from custgraph.events.publisher import BrokerError, BrokerMessage, Publisher
from custgraph.events.relay import Backoff, EventRelay, event_relay_for

__all__ = [
    "Backoff",
    "BrokerError",
    "BrokerMessage",
    "EventRelay",
    "EventsConfig",
    "JetStreamConfig",
    "Publisher",
    "RabbitMQConfig",
    "change_body",
    "change_payload",
    "event_relay_for",
    "mask_events_url",
    "parse_events_url",
    "publisher_for",
]
