"""The access log's batches (observability/access_log.py) without a server."""

from __future__ import annotations

import logging

import pytest

from custgraph.observability.access_log import MAX_PENDING, AccessLine, AccessLog


def _line(n: int) -> AccessLine:
    return AccessLine(1_700_000_000.0 + n, f"line-{n}", "POST", None, "ok", 200, 1.0, 1, None)


async def test_a_full_batch_is_written_at_once_however_long_the_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    access_log = AccessLog(flush_seconds=60)
    with caplog.at_level(logging.INFO, logger="custgraph.requests"):
        for n in range(MAX_PENDING - 1):
            access_log.add(_line(n))
        assert caplog.records == []
        access_log.add(_line(MAX_PENDING - 1))
        written = [r.request_id for r in caplog.records]  # type: ignore[attr-defined]
        assert written == [f"line-{n}" for n in range(MAX_PENDING)]
        # A flush now has nothing left to write.
        access_log.flush()
        assert len(caplog.records) == MAX_PENDING
