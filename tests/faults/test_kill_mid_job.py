"""A server killed with SIGKILL in the middle of a bulk job over 1,000 customers.

What the job marked done was applied once and what it did not mark was not applied at
all; once a server is back, the job is taken up where it stopped (its lease lapsed)
and every customer ends with exactly one application of the action.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select

from custgraph.db.engine import create_engine
from custgraph.db.models import Customer, CustomerEvent, JobItem
from tests.conftest import settings_for
from tests.faults.server_process import server_process
from tests.faults.world import fault_world
from tests.support.databases import Databases
from tests.support.truth import fetch

CUSTOMERS = 1000
LEASE = {"CUSTGRAPH_JOB_LEASE_SECONDS": "2", "CUSTGRAPH_JOB_INTERVAL_SECONDS": "0.1"}
START = """mutation($input: CustomerBulkTagsInput!) { customerBulkTagsAdd(input: $input) {
  job { id state } userErrors { code message } } }"""
JOB = "query($id: ID!) { bulkJob(id: $id) { state processedCount totalCount succeededCount } }"


async def _post(http: httpx.AsyncClient, token: str, query: str, variables: dict) -> dict:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert not body.get("errors"), body
    return dict(body["data"])


async def test_a_job_killed_mid_way_resumes_and_applies_each_action_once(
    databases: Databases, tmp_path: Path
) -> None:
    world = await fault_world(databases, "killjob", customers=CUSTOMERS)
    tag = f"resume-{uuid.uuid4().hex[:8]}"
    engine = create_engine(settings_for(world.url), pooled=False)
    try:
        async with server_process(world.url, tmp_path, "killed", LEASE) as server:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
                started = await _post(
                    http,
                    world.token,
                    START,
                    {"input": {"selection": {"filter": {}}, "tags": [tag]}},
                )
                job_id = started["customerBulkTagsAdd"]["job"]["id"]
                while True:
                    job = (await _post(http, world.token, JOB, {"id": job_id}))["bulkJob"]
                    if job["processedCount"] >= 50:
                        break
                    await asyncio.sleep(0.02)
            server.signal(signal.SIGKILL)
            assert await server.wait_exit(10) is not None

        done = await fetch(
            engine,
            select(func.count()).where(JobItem.state == "SUCCEEDED"),
        )
        tagged = await fetch(
            engine,
            select(func.count(func.distinct(CustomerEvent.customer_id))).where(
                CustomerEvent.type == "TAGS_ADDED", CustomerEvent.message.contains(tag)
            ),
        )
        # Killed in the middle: some customers done, not all; the done ones are exactly
        # those with the action's event.
        assert 0 < done[0][0] < CUSTOMERS, done
        assert tagged[0][0] == done[0][0]

        async with (
            server_process(world.url, tmp_path, "restarted", LEASE) as server,
            httpx.AsyncClient(base_url=server.base_url, timeout=30) as http,
        ):
            for _ in range(1200):
                job = (await _post(http, world.token, JOB, {"id": job_id}))["bulkJob"]
                if job["state"] not in ("RUNNING", "QUEUED"):
                    break
                await asyncio.sleep(0.1)
        assert job["state"] == "COMPLETED", job
        customers = (await fetch(engine, select(func.count()).select_from(Customer)))[0][0]
        assert job["processedCount"] == job["totalCount"] == customers
        per_customer = await fetch(
            engine,
            select(CustomerEvent.customer_id, func.count())
            .where(CustomerEvent.type == "TAGS_ADDED", CustomerEvent.message.contains(tag))
            .group_by(CustomerEvent.customer_id),
        )
        assert len(per_customer) == job["succeededCount"]
        assert {count for _, count in per_customer} == {1}
    finally:
        await engine.dispose()
