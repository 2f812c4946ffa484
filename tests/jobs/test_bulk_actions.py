"""Bulk actions over HTTP: inline outcomes, background jobs, policies, permissions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from custgraph.auth.tokens import issue_token
from custgraph.db.models import Customer, CustomerEvent
from custgraph.domain.staff_accounts import create_staff_user
from custgraph.global_id import decode_global_id, encode_global_id
from tests.conftest import STAFF_PASSWORD, TEST_SECRET, SeededWorld
from tests.jobs.conftest import BULK_CUSTOMERS, INLINE_MAX
from tests.jobs.jobs_api import DELETE, JOB, SET_STATUS, TAGS_ADD, wait_for_job
from tests.support.client import GraphQLClient

LIST_IDS = "{ customers(first: 100) { nodes { id } } }"


async def _ids(gql: GraphQLClient, count: int) -> list[str]:
    page = (await gql(LIST_IDS)).ok()["customers"]
    return [n["id"] for n in page["nodes"]][:count]


async def _events(world: SeededWorld, event_type: str, message_part: str) -> dict[int, int]:
    async with world.app.state.session_factory() as session:
        rows = await session.execute(
            select(CustomerEvent.customer_id, func.count())
            .where(CustomerEvent.type == event_type, CustomerEvent.message.contains(message_part))
            .group_by(CustomerEvent.customer_id)
        )
        return {customer_id: count for customer_id, count in rows}


async def test_a_small_selection_is_done_in_the_request_with_each_outcome(
    bgql: GraphQLClient, bulk_world: SeededWorld
) -> None:
    tag = f"inline-{uuid.uuid4().hex[:8]}"
    ids = await _ids(bgql, 3)
    unknown = encode_global_id("Customer", 2_000_000_000)
    payload = (
        await bgql(TAGS_ADD, {"input": {"selection": {"ids": [*ids, unknown]}, "tags": [tag]}})
    ).ok()["customerBulkTagsAdd"]
    assert payload["userErrors"] == []
    job = payload["job"]
    assert job["state"] == "COMPLETED" and job["operation"] == "TAGS_ADD"
    assert (job["totalCount"], job["succeededCount"], job["failedCount"]) == (4, 3, 1)
    by_id = {r["customerId"]: r for r in payload["results"]}
    for customer_id in ids:
        assert by_id[customer_id]["outcome"] == "SUCCEEDED"
        assert tag in by_id[customer_id]["customer"]["tags"]
    assert by_id[unknown]["outcome"] == "FAILED"
    assert by_id[unknown]["userErrors"][0]["code"] == "NOT_FOUND"
    events = await _events(bulk_world, "TAGS_ADDED", tag)
    assert sorted(events) == sorted(decode_global_id(i)[1] for i in ids)
    assert set(events.values()) == {1}


async def test_stop_on_error_leaves_the_rest_not_attempted(bgql: GraphQLClient) -> None:
    ids = await _ids(bgql, 3)
    # The first customer (lowest id) is made DISABLED first: it cannot become ACTIVE.
    first = sorted(ids, key=lambda i: decode_global_id(i)[1])[0]
    (await bgql(SET_STATUS, {"input": {"selection": {"ids": [first]}, "status": "DISABLED"}})).ok()
    payload = (
        await bgql(
            SET_STATUS,
            {
                "input": {
                    "selection": {"ids": ids},
                    "status": "BLOCKED",
                    "errorPolicy": "STOP_ON_ERROR",
                }
            },
        )
    ).ok()["customerBulkSetStatus"]
    job = payload["job"]
    assert job["state"] == "STOPPED" and job["failure"]
    outcomes = {r["customerId"]: r["outcome"] for r in payload["results"]}
    assert outcomes[first] == "FAILED"
    assert {o for i, o in outcomes.items() if i != first} == {"NOT_ATTEMPTED"}
    assert job["processedCount"] == 1


async def test_a_large_selection_runs_as_a_job_over_every_customer_once(
    bgql: GraphQLClient, bulk_world: SeededWorld
) -> None:
    tag = f"all-{uuid.uuid4().hex[:8]}"
    payload = (await bgql(TAGS_ADD, {"input": {"selection": {"filter": {}}, "tags": [tag]}})).ok()[
        "customerBulkTagsAdd"
    ]
    assert payload["results"] is None
    assert payload["job"]["state"] in ("QUEUED", "RUNNING")
    assert payload["job"]["selection"] == "all customers"
    job = await wait_for_job(bgql, payload["job"]["id"])
    async with bulk_world.app.state.session_factory() as session:
        customers = await session.scalar(select(func.count()).select_from(Customer))
    assert customers >= BULK_CUSTOMERS
    assert job["state"] == "COMPLETED"
    assert job["processedCount"] == job["totalCount"] == customers
    assert job["succeededCount"] + job["failedCount"] == customers
    assert job["createdBy"]["kind"] == "STAFF"
    events = await _events(bulk_world, "TAGS_ADDED", tag)
    assert len(events) == job["succeededCount"] and set(events.values()) == {1}
    listed = (
        await bgql(
            "query($t: [String!]) { customers(filter: {tags: $t}) { totalCount } }", {"t": [tag]}
        )
    ).ok()["customers"]["totalCount"]
    assert listed == job["succeededCount"]


async def test_delete_refuses_customers_with_orders_per_customer(bgql: GraphQLClient) -> None:
    with_orders = (
        await bgql("{ customers(first: 2, filter: {hasOrders: true}) { nodes { id } } }")
    ).ok()["customers"]["nodes"]
    payload = (
        await bgql(DELETE, {"input": {"selection": {"ids": [n["id"] for n in with_orders]}}})
    ).ok()["customerBulkDelete"]
    assert {r["userErrors"][0]["code"] for r in payload["results"]} == {"HAS_ORDERS"}
    job = (await bgql(JOB, {"id": payload["job"]["id"]})).ok()["bulkJob"]
    assert job["failures"]["totalCount"] == len(with_orders)
    assert {f["userError"]["code"] for f in job["failures"]["nodes"]} == {"HAS_ORDERS"}


async def test_bulk_actions_need_the_single_mutations_permission(
    bgql: GraphQLClient, bulk_world: SeededWorld
) -> None:
    ids = await _ids(bgql, 1)
    viewer = bgql.as_(bulk_world.tokens["VIEWER"])
    refused = await viewer(TAGS_ADD, {"input": {"selection": {"ids": ids}, "tags": ["x"]}})
    assert refused.codes == ["FORBIDDEN"]
    support = bgql.as_(bulk_world.tokens["SUPPORT"])
    refused = await support(DELETE, {"input": {"selection": {"ids": ids}}})
    assert refused.codes == ["FORBIDDEN"]


async def test_a_bad_selection_or_argument_is_refused_before_anything_is_done(
    bgql: GraphQLClient,
) -> None:
    ids = await _ids(bgql, 1)
    both = (
        await bgql(TAGS_ADD, {"input": {"selection": {"ids": ids, "filter": {}}, "tags": ["x"]}})
    ).ok()["customerBulkTagsAdd"]
    assert both["job"] is None and both["userErrors"][0]["field"] == ["selection"]
    neither = (await bgql(TAGS_ADD, {"input": {"selection": {}, "tags": ["x"]}})).ok()
    assert neither["customerBulkTagsAdd"]["userErrors"][0]["code"] == "INVALID"
    long_tag = (
        await bgql(TAGS_ADD, {"input": {"selection": {"ids": ids}, "tags": ["x" * 41]}})
    ).ok()["customerBulkTagsAdd"]
    assert long_tag["job"] is None and long_tag["userErrors"][0]["code"] == "TOO_LONG"


async def test_a_job_is_hidden_from_callers_without_its_permission(
    bgql: GraphQLClient, bulk_world: SeededWorld
) -> None:
    ids = await _ids(bgql, INLINE_MAX + 1)
    payload = (await bgql(DELETE, {"input": {"selection": {"ids": ids[:1]}}})).ok()[
        "customerBulkDelete"
    ]
    viewer = bgql.as_(bulk_world.tokens["VIEWER"])
    assert (await viewer(JOB, {"id": payload["job"]["id"]})).ok()["bulkJob"] is None


CANCEL = """mutation($input: BulkJobCancelInput!) { bulkJobCancel(input: $input) {
  job { state processedCount totalCount } userErrors { field code } } }"""


async def test_a_cancelled_job_stops_and_keeps_what_it_did(
    bgql: GraphQLClient, bulk_world: SeededWorld
) -> None:
    tag = f"cancel-{uuid.uuid4().hex[:8]}"
    started = (await bgql(TAGS_ADD, {"input": {"selection": {"filter": {}}, "tags": [tag]}})).ok()[
        "customerBulkTagsAdd"
    ]["job"]
    cancelled = (await bgql(CANCEL, {"input": {"jobId": started["id"]}})).ok()["bulkJobCancel"]
    assert cancelled["userErrors"] == [] and cancelled["job"]["state"] == "CANCELLED"
    await asyncio.sleep(0.5)  # a worker in the middle of a customer finishes that one only
    job = await wait_for_job(bgql, started["id"])
    assert job["state"] == "CANCELLED" and job["processedCount"] < job["totalCount"]
    assert len(await _events(bulk_world, "TAGS_ADDED", tag)) == job["succeededCount"]
    again = (await bgql(CANCEL, {"input": {"jobId": started["id"]}})).ok()["bulkJobCancel"]
    assert again["userErrors"] == [{"field": ["jobId"], "code": "NOT_ALLOWED"}]


async def test_a_job_fails_when_whoever_started_it_is_deactivated(
    bgql: GraphQLClient, bulk_world: SeededWorld
) -> None:
    user = await create_staff_user(
        bulk_world.app.state.session_factory,
        email=f"leaver.{uuid.uuid4().hex[:8]}@staff.example.com",
        role="MANAGER",
        password=STAFF_PASSWORD,
    )
    token, _ = issue_token(TEST_SECRET, "staff", user.id, user.token_version, timedelta(hours=1))
    leaver = bgql.as_(token)
    tag = f"leaver-{uuid.uuid4().hex[:8]}"
    started = (
        await leaver(TAGS_ADD, {"input": {"selection": {"filter": {}}, "tags": [tag]}})
    ).ok()["customerBulkTagsAdd"]["job"]
    deactivate = """mutation($input: StaffUserUpdateInput!) { staffUserUpdate(input: $input) {
      userErrors { code } } }"""
    staff_id = encode_global_id("StaffUser", user.id)
    (await bgql(deactivate, {"input": {"staffUserId": staff_id, "isActive": False}})).ok()
    job = await wait_for_job(bgql, started["id"])
    assert job["state"] == "FAILED" and "deactivated" in job["failure"]
    assert job["processedCount"] < job["totalCount"]
