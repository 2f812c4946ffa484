"""The publisher for the broker `CUSTGRAPH_EVENTS_URL` names.

The brokers' client libraries are the optional extra `events` (`pip install
'custgraph[events]'`); they are imported only when `CUSTGRAPH_EVENTS_URL` names their
broker, and a missing one stops the start with a message that says what to install.
"""

from __future__ import annotations

from custgraph.events.config import EventsConfig, JetStreamConfig
from custgraph.events.publisher import Publisher


def publisher_for(config: EventsConfig) -> Publisher:
    """A publisher to the broker `config` names (not yet connected)."""
    try:
        if isinstance(config, JetStreamConfig):
            from custgraph.events.jetstream import JetStreamPublisher

            return JetStreamPublisher(config)
        from custgraph.events.rabbitmq import RabbitMQPublisher

        return RabbitMQPublisher(config)
    except ModuleNotFoundError as error:
        raise RuntimeError(
            f"CUSTGRAPH_EVENTS_URL needs the broker's client library ({error.name}): "
            "pip install 'custgraph[events]'"
        ) from error
