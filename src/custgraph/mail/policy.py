"""How often and how long the delivery worker tries, and how long a claim protects a message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class DeliveryPolicy:
    """Retry and claim timings; the defaults suit production, tests may shorten them.

    `send_timeout` bounds one attempt as a whole (every SMTP round trip); the claim must
    outlive it, or a second worker could take over a message that is still being sent.
    """

    max_attempts: int = 8
    first_retry_delay: timedelta = timedelta(seconds=30)
    max_retry_delay: timedelta = timedelta(hours=1)
    send_timeout: timedelta = timedelta(seconds=60)
    claim_timeout: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.claim_timeout <= self.send_timeout:
            raise ValueError("claim_timeout must be longer than send_timeout")

    def retry_delay(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failure: 30 s, 1 min, 2 min, … capped at 1 h."""
        # Cap the exponent first so that a large count cannot overflow timedelta.
        factor = 1 << min(max(attempts - 1, 0), 32)
        return min(self.first_retry_delay * factor, self.max_retry_delay)


DEFAULT_POLICY = DeliveryPolicy()
