"""Exports over HTTP: each format read back by a real reader and checked row by row
against the API's own list; permissions per column; the signed link."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import openpyxl
import pytest
from sqlalchemy import func, select, update

from custgraph.db.models import ExportChunk, Job
from custgraph.exports.storage import remove_expired_files
from custgraph.global_id import decode_global_id
from tests.conftest import SeededWorld
from tests.jobs.jobs_api import EXPORT, JOB, wait_for_job
from tests.support.client import GraphQLClient

COLUMNS = ["REFERENCE", "FIRST_NAME", "LAST_NAME", "EMAIL", "STATUS", "CREDIT_BALANCE", "TAGS"]
LIST = """query($after: String, $filter: CustomerFilter) {
  customers(first: 100, after: $after, filter: $filter, sort: {field: REFERENCE}) {
    nodes { reference firstName lastName email status creditBalance { amount } tags }
    pageInfo { hasNextPage endCursor } } }"""
FILTER = {"status": ["ACTIVE"]}
HEADINGS = ["Reference", "First name", "Last name", "Email", "Status", "Store credit (EUR)", "Tags"]


async def _listed(gql: GraphQLClient) -> list[list[str]]:
    """The list as the API shows it, in the export's columns, as text."""
    rows: list[list[str]] = []
    after = None
    while True:
        page = (await gql(LIST, {"after": after, "filter": FILTER})).ok()["customers"]
        for n in page["nodes"]:
            rows.append(
                [
                    n["reference"],
                    n["firstName"],
                    n["lastName"],
                    n["email"] or "",
                    n["status"],
                    n["creditBalance"]["amount"],
                    ", ".join(n["tags"]),
                ]
            )
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


async def _export(gql: GraphQLClient, fmt: str, **extra: Any) -> Any:
    payload = (
        await gql(EXPORT, {"input": {"format": fmt, "filter": FILTER, "columns": COLUMNS, **extra}})
    ).ok()["customersExport"]
    assert payload["userErrors"] == [], payload
    job = await wait_for_job(gql, payload["job"]["id"])
    assert job["state"] == "COMPLETED", job
    return job


async def _download(http: httpx.AsyncClient, url: str) -> httpx.Response:
    # The link is made from CUSTGRAPH_PUBLIC_URL; the test server listens elsewhere.
    parts = urlsplit(url)
    return await http.get(f"{parts.path}?{parts.query}")


async def test_csv_export_matches_the_list_row_by_row(
    bgql: GraphQLClient, bulk_http: httpx.AsyncClient
) -> None:
    job = await _export(bgql, "CSV")
    response = await _download(bulk_http, job["export"]["url"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert int(response.headers["content-length"]) == job["export"]["byteSize"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADINGS
    listed = await _listed(bgql)
    assert len(listed) > 100  # more than one batch of the API's pages
    assert rows[1:] == listed
    assert job["totalCount"] == job["processedCount"] == len(listed)


async def test_xlsx_export_opens_in_openpyxl_and_matches_the_list(
    bgql: GraphQLClient, bulk_http: httpx.AsyncClient, tmp_path: Path
) -> None:
    job = await _export(bgql, "XLSX")
    response = await _download(bulk_http, job["export"]["url"])
    assert response.status_code == 200
    path = tmp_path / "customers.xlsx"
    path.write_bytes(response.content)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Customers" and "status ACTIVE" in values[1][0]
    assert list(values[3]) == HEADINGS
    listed = await _listed(bgql)
    read = [
        [
            r[0],
            r[1],
            r[2],
            r[3] or "",
            r[4],
            f"{r[5]:.2f}",
            r[6] or "",
        ]
        for r in values[4:]
    ]
    assert read == listed


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is absent")
async def test_pdf_export_is_a_paginated_table_of_the_list(
    bgql: GraphQLClient, bulk_http: httpx.AsyncClient, tmp_path: Path
) -> None:
    job = await _export(bgql, "PDF")
    response = await _download(bulk_http, job["export"]["url"])
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    path = tmp_path / "customers.pdf"
    path.write_bytes(response.content)
    done = await asyncio.to_thread(
        subprocess.run,
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = done.stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) > 2
    assert "Customers" in pages[0] and "status ACTIVE" in pages[0] and "exported" in pages[0]
    for number, page in enumerate(pages, start=1):
        assert "Reference" in page and f"Page {number}" in page
    references = [row[0] for row in await _listed(bgql)]
    found = [line.split()[0] for line in text.splitlines() if line.strip().startswith("CUST-")]
    assert found == references


async def test_pii_and_guarded_columns_need_their_permissions(
    bgql: GraphQLClient, bulk_world: SeededWorld
) -> None:
    viewer = bgql.as_(bulk_world.tokens["VIEWER"])
    refused = await viewer(EXPORT, {"input": {"format": "CSV", "columns": ["REFERENCE", "EMAIL"]}})
    assert refused.codes == ["FORBIDDEN"] and "customers:read_pii" in refused.errors[0]["message"]
    refused = await viewer(EXPORT, {"input": {"format": "CSV", "columns": ["CREDIT_BALANCE"]}})
    assert refused.codes == ["FORBIDDEN"]
    allowed = (
        await viewer(EXPORT, {"input": {"format": "CSV", "columns": ["REFERENCE", "STATUS"]}})
    ).ok()["customersExport"]
    assert allowed["job"]["export"]["columns"] == ["REFERENCE", "STATUS"]
    # An export with PII is not shown to a caller who may not read PII.
    pii = (
        await bgql(EXPORT, {"input": {"format": "CSV", "columns": ["REFERENCE", "EMAIL"]}})
    ).ok()["customersExport"]["job"]["id"]
    hidden = (await viewer("query($id: ID!) { bulkJob(id: $id) { id } }", {"id": pii})).ok()
    assert hidden["bulkJob"] is None


async def test_the_download_link_is_signed_and_expires(
    bgql: GraphQLClient, bulk_http: httpx.AsyncClient
) -> None:
    job = await _export(bgql, "CSV", columns=["REFERENCE"])
    parts = urlsplit(job["export"]["url"])
    ok = await bulk_http.get(f"{parts.path}?{parts.query}")
    assert ok.status_code == 200
    tampered = parts.query[:-2] + ("AA" if not parts.query.endswith("AA") else "BB")
    assert (await bulk_http.get(f"{parts.path}?{tampered}")).status_code == 403
    other = parts.path.rsplit("/", 1)[0] + "/999999"
    assert (await bulk_http.get(f"{other}?{parts.query}")).status_code == 403
    expires = dict(p.split("=", 1) for p in parts.query.split("&"))
    stale = f"expires={int(expires['expires']) - 10**6}&signature={expires['signature']}"
    assert (await bulk_http.get(f"{parts.path}?{stale}")).status_code == 403
    assert (await bulk_http.get(parts.path)).status_code == 403


async def test_an_expired_file_is_removed_and_its_link_answers_gone(
    bgql: GraphQLClient, bulk_http: httpx.AsyncClient, bulk_world: SeededWorld
) -> None:
    job = await _export(bgql, "CSV", columns=["REFERENCE"])
    job_id = decode_global_id(job["id"])[1]
    sessions = bulk_world.app.state.session_factory
    async with sessions.begin() as session:
        await session.execute(
            update(Job).where(Job.id == job_id).values(expires_at=datetime.now(UTC))
        )
    assert await remove_expired_files(sessions, datetime.now(UTC) + timedelta(seconds=1)) >= 1
    async with sessions() as session:
        chunks = await session.scalar(
            select(func.count()).select_from(ExportChunk).where(ExportChunk.job_id == job_id)
        )
    assert chunks == 0
    after = (await bgql(JOB, {"id": job["id"]})).ok()["bulkJob"]
    assert after["state"] == "EXPIRED" and after["export"]["url"] is None
    assert (await _download(bulk_http, job["export"]["url"])).status_code == 410
