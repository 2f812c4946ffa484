"""How often and how long webhooks are tried, and when a subscription is disabled."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from custgraph.settings import Settings

# A claim outlives the longest attempt by this much, so that no second worker takes over
# a delivery that is still being sent.
CLAIM_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class WebhookPolicy:
    """Retry, timeout and disabling rules; `from_settings` reads the `CUSTGRAPH_WEBHOOK_*`
    settings, tests shorten them.

    A failed attempt is retried after a delay drawn uniformly between zero and a ceiling
    that doubles from `first_retry_delay` up to `max_retry_delay` (exponential backoff
    with full jitter: receivers coming back after an outage are not hit by every
    retry at once). After `max_attempts` the delivery has FAILED. `disable_after_failures`
    failed attempts in a row across a subscription's deliveries disable it (0: never).
    """

    max_attempts: int = 10
    first_retry_delay: timedelta = timedelta(seconds=10)
    max_retry_delay: timedelta = timedelta(hours=1)
    timeout_seconds: float = 10.0
    disable_after_failures: int = 20
    concurrency: int = 8

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookPolicy:
        """The policy the settings configure."""
        return cls(
            max_attempts=settings.webhook_max_attempts,
            first_retry_delay=timedelta(seconds=settings.webhook_first_retry_seconds),
            max_retry_delay=timedelta(seconds=settings.webhook_max_retry_seconds),
            timeout_seconds=settings.webhook_timeout_seconds,
            disable_after_failures=settings.webhook_disable_after_failures,
            concurrency=settings.webhook_concurrency,
        )

    @property
    def claim_timeout(self) -> timedelta:
        """How long a claimed delivery is left to its worker before another may take it."""
        return timedelta(seconds=self.timeout_seconds) + CLAIM_MARGIN

    def retry_ceiling(self, attempts: int) -> timedelta:
        """The longest wait after the `attempts`-th failure: 10 s, 20 s, 40 s, … 1 h."""
        # Cap the exponent first so that a large count cannot overflow timedelta.
        factor = 1 << min(max(attempts - 1, 0), 32)
        return min(self.first_retry_delay * factor, self.max_retry_delay)

    def retry_delay(self, attempts: int, draw: float | None = None) -> timedelta:
        """The wait after the `attempts`-th failure: uniform in [0, ceiling] (full jitter).

        `draw` (0 to 1) fixes the random part, for tests.
        """
        fraction = random.random() if draw is None else draw
        return self.retry_ceiling(attempts) * fraction


DEFAULT_POLICY = WebhookPolicy()
