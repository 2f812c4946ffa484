"""A server killed with SIGKILL in the middle of a burst of money mutations.

Whatever it confirmed is in the ledgers; what it did not confirm is either wholly
there or wholly absent; and once it is back, retrying with the same idempotency keys
applies each adjustment exactly once.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from pathlib import Path

import httpx

from custgraph.db.engine import create_engine
from tests.conftest import settings_for
from tests.faults.ledger_audit import Adjustment, Answer, adjustments, audit, send, versions
from tests.faults.server_process import ServerProcess, server_process
from tests.faults.world import fault_world, quiesced
from tests.support.databases import Databases

BURST = 80
CONCURRENCY = 16
KILL_AFTER = 20  # confirmed adjustments before the kill
REQUEST_SECONDS = 20.0


async def test_sigkill_mid_burst_keeps_confirmed_writes_and_retries_apply_once(
    databases: Databases, tmp_path: Path
) -> None:
    world = await fault_world(databases, "kill", customers=5)
    sent = adjustments("kill", BURST, world.active_customer_ids[:2])
    engine = create_engine(settings_for(world.url), pooled=False)
    try:
        before = await versions(engine, world.active_customer_ids[:2])
        async with server_process(world.url, tmp_path, "killed") as server:
            answers = await _burst_until_killed(server, world.token, sent)

        answered_otherwise = {k: a for k, a in answers.items() if not a.succeeded and a.status}
        assert not answered_otherwise, answered_otherwise
        confirmed = {k: a.entry_id for k, a in answers.items() if a.succeeded}
        unanswered = [a for a in sent if not answers[a.key].succeeded]
        # The kill landed in the middle: some adjustments were confirmed, some were not.
        assert len(confirmed) >= KILL_AFTER and unanswered, (len(confirmed), len(unanswered))

        await quiesced(world.url)
        applied = await audit(engine, sent, before)
        for key, entry_id in confirmed.items():
            assert key in applied and applied[key].entry_id == entry_id, key

        async with server_process(world.url, tmp_path, "restarted") as server:
            # Unanswered keys are retried twice at once (an impatient client); confirmed
            # keys once, to see them replayed.
            retries = [*unanswered, *unanswered, *(a for a in sent if a.key in confirmed)]
            again = await _send_all(server, world.token, retries, attempt=2)
        for adjustment, answer in zip(retries, again, strict=True):
            assert answer.succeeded, (adjustment.key, answer)
            first = applied.get(adjustment.key)
            if first is not None:
                assert answer.entry_id == first.entry_id, adjustment.key

        final = await audit(engine, sent, before)
        assert set(final) == {a.key for a in sent}  # every key applied, none twice
        assert {k: v for k, v in final.items() if k in applied} == applied
        for adjustment, answer in zip(retries, again, strict=True):
            assert final[adjustment.key].entry_id == answer.entry_id, adjustment.key
    finally:
        await engine.dispose()


async def _burst_until_killed(
    server: ServerProcess, token: str, sent: Sequence[Adjustment]
) -> dict[str, Answer]:
    """Send `sent`, CONCURRENCY at a time; SIGKILL the server after KILL_AFTER successes."""
    confirmed = 0
    enough = asyncio.Event()
    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=server.base_url, timeout=REQUEST_SECONDS, limits=limits
    ) as http:

        async def one(adjustment: Adjustment) -> Answer:
            nonlocal confirmed
            async with gate:
                answer = await send(http, token, adjustment, attempt=1)
            if answer.succeeded:
                confirmed += 1
                if confirmed >= KILL_AFTER:
                    enough.set()
            return answer

        tasks = [asyncio.create_task(one(a)) for a in sent]
        try:
            await asyncio.wait_for(enough.wait(), REQUEST_SECONDS)
            server.signal(signal.SIGKILL)
            results = await asyncio.wait_for(asyncio.gather(*tasks), REQUEST_SECONDS)
        finally:
            for task in tasks:
                task.cancel()
    assert await server.wait_exit(5) == -signal.SIGKILL
    return {a.key: answer for a, answer in zip(sent, results, strict=True)}


async def _send_all(
    server: ServerProcess, token: str, sent: Sequence[Adjustment], attempt: int
) -> list[Answer]:
    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(
        base_url=server.base_url, timeout=REQUEST_SECONDS, limits=limits
    ) as http:

        async def one(adjustment: Adjustment) -> Answer:
            async with gate:
                return await send(http, token, adjustment, attempt)

        return list(
            await asyncio.wait_for(asyncio.gather(*(one(a) for a in sent)), REQUEST_SECONDS * 2)
        )
