"""Exporting 100,000 customers in each format: time, and the server process's peak memory.

    .venv/bin/python bench/export.py [--customers 100000] [--formats CSV,XLSX,PDF]
        [--database-url sqlite+aiosqlite:///bench/results/sqlite_100k.db]

For each format a fresh `custgraph serve` (one process, its job worker on) is started on
the database (SQLite seeded once with `custgraph seed`, as bench/sqlite.sh does; or any
--database-url already seeded), so that its peak resident memory (VmHWM) belongs to that
export alone. The export of every customer with every column is asked for through
`customersExport`, polled through `bulkJob` until COMPLETED, then downloaded through its
signed link. Prints and writes bench/results/export.json: seconds to write the file,
peak RSS before and during, file size, and the download's time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from custgraph.auth.tokens import issue_token
from custgraph.db.engine import create_engine, create_session_factory
from custgraph.db.models import StaffUser
from custgraph.domain.staff_accounts import create_staff_user
from custgraph.exports.columns import CATALOG
from custgraph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CLI = [sys.executable, "-m", "custgraph"]
SECRET = "bench-secret-for-loopback-benchmarks-only"
EXPORT = """mutation($input: CustomersExportInput!) { customersExport(input: $input) {
  job { id } userErrors { code message } } }"""
JOB = """query($id: ID!) { bulkJob(id: $id) { state processedCount totalCount failure
  export { byteSize url } } }"""


def _environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTGRAPH_")}
    env.update(
        CUSTGRAPH_DATABASE_URL=url,
        CUSTGRAPH_SECRET_KEY=SECRET,
        CUSTGRAPH_RATE_LIMIT_ENABLED="false",
        CUSTGRAPH_DELIVERY_WORKER="false",
        CUSTGRAPH_WEBHOOK_WORKER="false",
        CUSTGRAPH_LOG_LEVEL="WARNING",
        CUSTGRAPH_JOB_INTERVAL_SECONDS="0.1",
    )
    return env


def _memory_kib(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


async def _token(url: str) -> str:
    settings = Settings(database_url=url, secret_key=SECRET)
    engine = create_engine(settings, pooled=False)
    email = "bench-owner@bench.example"
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(StaffUser.id, StaffUser.token_version).where(StaffUser.email == email)
                )
            ).first()
        if row is None:
            user = await create_staff_user(
                create_session_factory(engine),
                email=email,
                role="OWNER",
                password="bench-owner-password",
                first_name="Bench",
                last_name="Owner",
            )
            ids = (user.id, user.token_version)
        else:
            ids = (row[0], row[1])
    finally:
        await engine.dispose()
    token, _ = issue_token(SECRET, "staff", ids[0], ids[1], timedelta(hours=2))
    return token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _export_once(url: str, token: str, fmt: str) -> dict[str, object]:
    port = _free_port()
    log = (RESULTS / f"export_{fmt.lower()}.log").open("wb")
    server = subprocess.Popen(  # noqa: ASYNC220 - a benchmark driver, nothing else runs
        [*CLI, "serve", "--port", str(port)], env=_environment(url), stdout=log, stderr=log
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
            for _ in range(600):
                try:
                    if (await http.get("/health/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            before = _memory_kib(server.pid)
            columns = [column.name for column in CATALOG]
            started = time.perf_counter()
            answer = await http.post(
                "/graphql",
                json={"query": EXPORT, "variables": {"input": {"format": fmt, "columns": columns}}},
                headers=headers,
            )
            job_id = answer.json()["data"]["customersExport"]["job"]["id"]
            while True:
                job = (
                    await http.post(
                        "/graphql",
                        json={"query": JOB, "variables": {"id": job_id}},
                        headers=headers,
                    )
                ).json()["data"]["bulkJob"]
                if job["state"] not in ("QUEUED", "RUNNING"):
                    break
                await asyncio.sleep(0.2)
            written = time.perf_counter() - started
            during = _memory_kib(server.pid)
            assert job["state"] == "COMPLETED", job
            parts = urlsplit(job["export"]["url"])
            started = time.perf_counter()
            size = 0
            async with http.stream("GET", f"{parts.path}?{parts.query}") as response:
                assert response.status_code == 200
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
            downloaded = time.perf_counter() - started
            after = _memory_kib(server.pid)
            assert size == job["export"]["byteSize"]
            return {
                "format": fmt,
                "rows": job["totalCount"],
                "columns": len(columns),
                "write_seconds": round(written, 1),
                "rss_before_mib": round(before["VmRSS"] / 1024, 1),
                "peak_rss_mib": round(max(during["VmHWM"], after["VmHWM"]) / 1024, 1),
                "file_mib": round(size / 2**20, 1),
                "download_seconds": round(downloaded, 2),
            }
    finally:
        server.terminate()
        server.wait(30)
        log.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--formats", default="CSV,XLSX,PDF")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    url = args.database_url
    if url is None:
        db = RESULTS / (
            "sqlite_100k.db" if args.customers == 100_000 else f"sqlite_{args.customers}.db"
        )
        url = f"sqlite+aiosqlite:///{db}"
        if not db.exists():
            env = _environment(url)
            subprocess.run([*CLI, "migrate"], env=env, check=True)  # noqa: ASYNC221
            subprocess.run(  # noqa: ASYNC221
                [*CLI, "seed", "--customers", str(args.customers), "--seed", "7"],
                env=env,
                check=True,
            )
    subprocess.run([*CLI, "migrate"], env=_environment(url), check=True)  # noqa: ASYNC221
    token = await _token(url)
    results = []
    for fmt in args.formats.split(","):
        result = await _export_once(url, token, fmt.strip().upper())
        print(json.dumps(result), flush=True)
        results.append(result)
    (RESULTS / "export.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
