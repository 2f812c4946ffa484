"""`custgraph export`: the list on standard output, the progress bar on standard error."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
from sqlalchemy import select

from custgraph.db.engine import create_engine
from custgraph.db.models import Customer
from tests.conftest import TEST_SECRET, settings_for
from tests.support.truth import fetch


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "CUSTGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "CUSTGRAPH_SECRET_KEY": TEST_SECRET,
    }
    return subprocess.run(
        [sys.executable, "-m", "custgraph", *args],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )


def _expected(tmp_path: Path) -> list[list[str]]:
    engine = create_engine(settings_for(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"), pooled=False)

    async def rows() -> list[list[str]]:
        try:
            found = await fetch(
                engine,
                select(Customer.reference, Customer.status, Customer.email)
                .where(Customer.status.in_(["ACTIVE", "BLOCKED"]))
                .order_by(Customer.reference.desc(), Customer.id.desc()),
            )
        finally:
            await engine.dispose()
        return [[r.reference, r.status, r.email or ""] for r in found]

    return asyncio.run(rows())


def test_export_writes_the_filtered_list_with_a_progress_bar(tmp_path: Path) -> None:
    assert _run(tmp_path, "seed", "--customers", "150").returncode == 0
    args = [
        "export",
        "--filter",
        "status=ACTIVE,BLOCKED",
        "--sort",
        "REFERENCE:desc",
        "--columns",
        "REFERENCE,STATUS,EMAIL",
    ]
    result = _run(tmp_path, *args, "--format", "csv")
    assert result.returncode == 0, result.stderr.decode()
    rows = list(csv.reader(io.StringIO(result.stdout.decode("utf-8-sig"), newline="")))
    expected = _expected(tmp_path)
    assert rows[0] == ["Reference", "Status", "Email"]
    assert rows[1:] == expected and len(expected) > 50
    progress = result.stderr.decode()
    assert "exporting" in progress and "100%" in progress
    assert f"exported {len(expected)} customers" in progress

    workbook = _run(tmp_path, *args, "--format", "xlsx")
    assert workbook.returncode == 0, workbook.stderr.decode()
    (tmp_path / "list.xlsx").write_bytes(workbook.stdout)
    sheet = openpyxl.load_workbook(tmp_path / "list.xlsx", read_only=True).active
    read = [[c or "" for c in row] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert read == expected


def test_export_refuses_an_unknown_filter_or_column(tmp_path: Path) -> None:
    unknown = _run(tmp_path, "export", "--format", "csv", "--filter", "colour=red")
    assert unknown.returncode == 2 and b"Unknown filter 'colour'" in unknown.stderr
    column = _run(tmp_path, "export", "--format", "csv", "--columns", "REFERENCE,SHOE_SIZE")
    assert column.returncode == 2 and b"SHOE_SIZE" in column.stderr
