"""The documents the job tests send, and waiting for a job to end."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.client import GraphQLClient

JOB_FIELDS = """id operation state errorPolicy selection totalCount processedCount
  succeededCount failedCount failure createdBy { kind name }
  export { format columns byteSize expiresAt url urlExpiresAt }"""
RESULTS = (
    "results { customerId outcome customer { id tags status } userErrors { field code message } }"
)
TAGS_ADD = (
    "mutation($input: CustomerBulkTagsInput!) { customerBulkTagsAdd(input: $input) { job { "
    + JOB_FIELDS
    + " } "
    + RESULTS
    + " userErrors { field code message } } }"
)
SET_STATUS = (
    "mutation($input: CustomerBulkSetStatusInput!) { customerBulkSetStatus(input: $input) { job { "
    + JOB_FIELDS
    + " } "
    + RESULTS
    + " userErrors { field code message } } }"
)
DELETE = (
    "mutation($input: CustomerBulkInput!) { customerBulkDelete(input: $input) { job { "
    + JOB_FIELDS
    + " } "
    + RESULTS
    + " userErrors { field code message } } }"
)
EXPORT = (
    "mutation($input: CustomersExportInput!) { customersExport(input: $input) { job { "
    + JOB_FIELDS
    + " } userErrors { field code message } } }"
)
JOB = (
    "query($id: ID!) { bulkJob(id: $id) { "
    + JOB_FIELDS
    + """
  failures(first: 100) { totalCount nodes { customerId userError { field code message } } } } }"""
)
ENDED = {"COMPLETED", "STOPPED", "CANCELLED", "FAILED", "EXPIRED"}


async def wait_for_job(gql: GraphQLClient, job_id: str, seconds: float = 120.0) -> Any:
    """The job once it has ended, polled as a console would."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        job = (await gql(JOB, {"id": job_id})).ok()["bulkJob"]
        if job["state"] in ENDED:
            return job
        assert asyncio.get_running_loop().time() < deadline, job
        await asyncio.sleep(0.1)
