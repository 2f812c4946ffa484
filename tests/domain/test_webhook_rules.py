"""Webhook signatures, secrets, retry timings and target URLs: the rules on their own."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from custgraph.auth.permissions import Permission
from custgraph.auth.webhook_secrets import new_secret_salt, signing_secret
from custgraph.domain.errors import DomainError
from custgraph.domain.webhook_targets import checked_target_url, private_address_of
from custgraph.domain.webhooks import checked_event_types
from custgraph.schema.webhooks import readable_payload
from custgraph.settings import Settings
from custgraph.webhooks.policy import WebhookPolicy
from custgraph.webhooks.signature import sign, signature_header, verify
from tests.conftest import TEST_SECRET

SECRET = "whsec_test"
BODY = '{"id":"d1","type":"customer.updated","sequence":7}'


def test_a_signed_body_verifies_within_the_window() -> None:
    now = int(time.time())
    header = signature_header(SECRET, now, BODY)
    assert header == f"v1={sign(SECRET, now, BODY)}"
    assert verify(SECRET, str(now), BODY, header)
    assert verify(SECRET, now, BODY.encode(), header)  # bytes as received, int timestamp
    assert verify(SECRET, now - 299, BODY, signature_header(SECRET, now - 299, BODY))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t, b, h: (t, b.replace("7", "8"), h),  # another body
        lambda t, b, h: (str(int(t) + 1), b, h),  # another timestamp
        lambda t, b, h: (t, b, h.replace("v1=", "v0=")),  # another scheme
        lambda t, b, h: (t, b, h[:-1] + ("0" if h[-1] != "0" else "1")),  # one digit off
        lambda t, b, h: (t, b, ""),  # no signature
        lambda t, b, h: ("soon", b, h),  # no number
        lambda t, b, h: (t, b, "v1=é"),  # not even hex
    ],
)
def test_anything_changed_fails_verification(tamper: Callable[[str, str, str], Any]) -> None:
    now = str(int(time.time()))
    header = signature_header(SECRET, int(now), BODY)
    timestamp, body, changed = tamper(now, BODY, header)
    assert not verify(SECRET, timestamp, body, changed)


def test_old_and_far_future_timestamps_are_refused_as_replays() -> None:
    now = time.time()
    old = int(now) - 301
    assert not verify(SECRET, old, BODY, signature_header(SECRET, old, BODY), now=now)
    ahead = int(now) + 301
    assert not verify(SECRET, ahead, BODY, signature_header(SECRET, ahead, BODY), now=now)
    assert verify(SECRET, old, BODY, signature_header(SECRET, old, BODY), 3600, now=now)


def test_a_header_may_list_several_signatures() -> None:
    now = int(time.time())
    good = signature_header(SECRET, now, BODY)
    other = signature_header("whsec_other", now, BODY)
    assert verify(SECRET, now, BODY, f"{other}, {good}")
    assert verify(SECRET, now, BODY, f"{good} {other}")
    assert not verify(SECRET, now, BODY, other)


def test_secrets_are_derived_from_the_secret_key_and_the_salt() -> None:
    salt = new_secret_salt()
    assert len(salt) == 32 and salt != new_secret_salt()
    secret = signing_secret(TEST_SECRET, salt)
    assert secret == signing_secret(TEST_SECRET, salt)
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 43
    assert secret != signing_secret(TEST_SECRET, new_secret_salt())
    assert secret != signing_secret(TEST_SECRET + "-rotated", salt)
    assert salt not in secret


def test_retries_back_off_exponentially_with_full_jitter_up_to_an_hour() -> None:
    policy = WebhookPolicy.from_settings(Settings())
    assert (policy.max_attempts, policy.timeout_seconds, policy.disable_after_failures) == (
        10,
        10.0,
        20,
    )
    ceilings = [policy.retry_ceiling(n).total_seconds() for n in range(1, 12)]
    assert ceilings == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
    assert policy.retry_ceiling(10_000).total_seconds() == 3600
    assert policy.retry_delay(3, draw=0.0).total_seconds() == 0
    assert policy.retry_delay(3, draw=0.5).total_seconds() == 20
    assert policy.retry_delay(3, draw=1.0).total_seconds() == 40
    drawn = {policy.retry_delay(4).total_seconds() for _ in range(200)}
    assert all(0 <= d <= 80 for d in drawn) and len(drawn) > 150
    assert policy.claim_timeout.total_seconds() > policy.timeout_seconds


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/custgraph",
        "http://erp.shop.example:8080/in?token=abc",
        "https://8.8.8.8/hooks",
        "https://[2606:4700:4700::1111]/x",
    ],
)
def test_http_and_https_urls_to_public_hosts_are_accepted(url: str) -> None:
    assert checked_target_url(f"  {url} ", allow_private=False) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/",
        "http://localhost/",
        "http://api.localhost/",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f.1/",
        "http://0.0.0.0/",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(DomainError) as refused:
        checked_target_url(url, allow_private=False)
    assert (refused.value.code, refused.value.field) == ("INVALID", ["url"])
    assert "CUSTGRAPH_WEBHOOK_ALLOW_PRIVATE_TARGETS" in refused.value.message
    assert checked_target_url(url, allow_private=True) == url


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("", "REQUIRED"),
        ("ftp://hooks.example.com/", "INVALID"),
        ("javascript:alert(1)", "INVALID"),
        ("https:///path-only", "INVALID"),
        ("https://user:pw@hooks.example.com/", "INVALID"),
        ("https://hooks.example.com/#part", "INVALID"),
        ("https://hooks.example.com:99999/", "INVALID"),
        ("https://hooks.example.com/a b", "INVALID"),
        ("https://hooks.example.com/" + "a" * 2000, "TOO_LONG"),
    ],
)
def test_malformed_urls_are_refused(url: str, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        checked_target_url(url, allow_private=True)
    assert refused.value.code == code


async def test_names_are_checked_by_what_they_resolve_to() -> None:
    assert await private_address_of("localhost", 80) in {"127.0.0.1", "::1"}
    assert await private_address_of("127.0.0.1", 80) == "127.0.0.1"
    assert await private_address_of("8.8.8.8", 80) is None  # no look-up for literals
    with pytest.raises(OSError):
        await private_address_of("no-such-host.invalid", 80)


def test_event_types_are_a_non_empty_subset_of_the_change_types() -> None:
    assert checked_event_types(["points.adjusted", "customer.created", "points.adjusted"]) == [
        "customer.created",
        "points.adjusted",
    ]
    with pytest.raises(DomainError) as refused:
        checked_event_types([])
    assert refused.value.code == "REQUIRED"
    with pytest.raises(DomainError) as refused:
        checked_event_types(["customer.created", "customer.exploded"])
    assert refused.value.code == "INVALID" and "customer.exploded" in refused.value.message


def test_a_payload_shows_its_reader_only_the_details_the_reader_may_read() -> None:
    body = (
        '{"id":"d","type":"points.adjusted","fields":["pointsBalance","level"],'
        '"details":{"pointsBalance":{"old":"0","new":"5"},"level":{"old":null,"new":"Gold"}}}'
    )
    assert readable_payload(body, lambda p: True) == body  # the very bytes sent
    assert readable_payload(body, lambda p: p is not Permission.LOYALTY_READ) == (
        '{"id":"d","type":"points.adjusted","fields":["pointsBalance","level"],"details":{}}'
    )
    no_details = '{"id":"d","details":{}}'
    assert readable_payload(no_details, lambda p: False) == no_details
