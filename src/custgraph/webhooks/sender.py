"""POSTing one webhook: signed, bounded in time, its answer measured."""

from __future__ import annotations

import asyncio
import logging
import time
from types import TracebackType

import httpx

from custgraph.auth.webhook_secrets import signing_secret
from custgraph.domain.webhook_targets import ALLOW_SETTING, private_address_of
from custgraph.settings import Settings
from custgraph.webhooks.claim import Claim
from custgraph.webhooks.policy import WebhookPolicy
from custgraph.webhooks.results import AttemptResult
from custgraph.webhooks.signature import signature_header

logger = logging.getLogger(__name__)

USER_AGENT = "custgraph-webhooks/1"
# Of a refusing answer's body, this much is kept as part of the error (it often says why).
ANSWER_EXCERPT_BYTES = 200


class WebhookSender:
    """Sends claimed deliveries over one pooled `httpx.AsyncClient`.

    Redirects are not followed (a 3xx is a failure): the subscription names where
    webhooks go. Unless private targets are allowed, the target's host name is resolved
    before each attempt and refused when it points at a non-global address.
    """

    def __init__(
        self,
        settings: Settings,
        policy: WebhookPolicy,
        *,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.secret_key = settings.secret_key.get_secret_value()
        self.allow_private_targets = settings.webhook_allow_private_targets
        self.policy = policy
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(policy.timeout_seconds),
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=policy.concurrency * 2,
                max_keepalive_connections=policy.concurrency,
            ),
            headers={"User-Agent": USER_AGENT},
        )

    async def __aenter__(self) -> WebhookSender:
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (when this sender made it)."""
        if self._owns_client:
            await self.client.aclose()

    def headers(self, claim: Claim, timestamp: int) -> dict[str, str]:
        """The headers of one attempt, its signature made with the secret as it is now."""
        secret = signing_secret(self.secret_key, claim.secret_salt)
        return {
            "Content-Type": "application/json",
            "X-Custgraph-Event": claim.event_type,
            "X-Custgraph-Delivery": claim.uuid,
            "X-Custgraph-Attempt": str(claim.attempts),
            "X-Custgraph-Timestamp": str(timestamp),
            "X-Custgraph-Signature": signature_header(secret, timestamp, claim.body),
        }

    async def send(self, claim: Claim) -> AttemptResult:
        """POST `claim`'s payload; a 2xx within the timeout succeeds, anything else fails.

        Never raises for delivery problems: they come back as the result's error.
        """
        seconds = self.policy.timeout_seconds
        started = time.perf_counter()
        try:
            # The whole attempt (resolving, connecting, sending, the answer's head) within
            # the timeout: the claim lapses not long after, and another worker would send
            # the webhook again.
            async with asyncio.timeout(seconds):
                refusal = await self._refused_target(claim.url)
                if refusal is not None:
                    return AttemptResult(None, 0, refusal)
                started = time.perf_counter()
                return await self._post(claim, started)
        except TimeoutError:
            return AttemptResult(None, _ms_since(started), f"no answer within {seconds:g} s")
        except httpx.TimeoutException:
            return AttemptResult(None, _ms_since(started), f"no answer within {seconds:g} s")
        except httpx.HTTPError as error:
            return AttemptResult(None, _ms_since(started), f"{type(error).__name__}: {error}")
        except OSError as error:
            return AttemptResult(None, _ms_since(started), f"{type(error).__name__}: {error}")
        except Exception as error:
            # A bug, not a delivery problem: keep the stack for whoever fixes it.
            logger.exception("webhook delivery %d raised", claim.delivery_id)
            return AttemptResult(None, _ms_since(started), f"{type(error).__name__}: {error}")

    async def _post(self, claim: Claim, started: float) -> AttemptResult:
        body = claim.body.encode()
        headers = self.headers(claim, int(time.time()))
        async with self.client.stream("POST", claim.url, content=body, headers=headers) as answer:
            latency = _ms_since(started)
            status = answer.status_code
            if 200 <= status < 300:
                return AttemptResult(status, latency, None)
            excerpt = await _excerpt(answer)
            reason = f"HTTP {status}" + (f": {excerpt}" if excerpt else "")
            return AttemptResult(status, latency, reason)

    async def _refused_target(self, url: str) -> str | None:
        if self.allow_private_targets:
            return None
        target = httpx.URL(url)
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            address = await private_address_of(target.host, port)
        except OSError as error:
            return f"cannot resolve {target.host}: {error}"
        if address is None:
            return None
        return f"{target.host} resolves to {address}, not a public address ({ALLOW_SETTING})"


async def _excerpt(answer: httpx.Response) -> str:
    data = b""
    async for chunk in answer.aiter_bytes():
        data += chunk
        if len(data) >= ANSWER_EXCERPT_BYTES:
            break
    return " ".join(data[:ANSWER_EXCERPT_BYTES].decode(errors="replace").split())


def _ms_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
