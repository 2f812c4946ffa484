"""The `custgraph` console script, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def _run(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CUSTGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "CUSTGRAPH_SECRET_KEY": TEST_SECRET,
    }
    return subprocess.run(
        [sys.executable, "-m", "custgraph", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        input=stdin,
    )


def test_export_schema_prints_the_checked_in_sdl(tmp_path: Path) -> None:
    result = _run(tmp_path, "export-schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == SCHEMA_FILE.read_text()


def test_migrate_seed_staff_and_apikey_commands(tmp_path: Path) -> None:
    migrated = _run(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "current" in migrated.stdout
    assert _run(tmp_path, "migrate").returncode == 0  # idempotent

    seeded = _run(tmp_path, "seed", "--customers", "7", "--seed", "3")
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.startswith("added 7 customers in ")
    assert "7 customers" in seeded.stdout

    staff = _run(
        tmp_path, "staff", "create", "--email", "first.owner@shop.example.com", "--role", "owner"
    )
    assert staff.returncode == 0, staff.stderr
    assert "with role OWNER" in staff.stdout
    generated = [line for line in staff.stdout.splitlines() if line.startswith("password: ")]
    assert generated and len(generated[0]) > len("password: ") + 16

    duplicate = _run(
        tmp_path,
        "staff",
        "create",
        "--email",
        "FIRST.owner@shop.example.com",
        "--role",
        "VIEWER",
        "--password",
        "a long password here",
    )
    assert duplicate.returncode == 2
    assert "exists" in duplicate.stderr

    key = _run(
        tmp_path, "apikey", "create", "--name", "ERP", "--scopes", "customers:read,orders:read"
    )
    assert key.returncode == 0, key.stderr
    assert key.stdout.strip().splitlines()[-1].startswith("cgk_")

    bad = _run(tmp_path, "apikey", "create", "--name", "ERP", "--scopes", "everything")
    assert bad.returncode == 2
    assert "Unknown scopes" in bad.stderr


@pytest.mark.parametrize("role", ["NOBODY", "superuser"])
def test_staff_create_refuses_unknown_roles(tmp_path: Path, role: str) -> None:
    result = _run(
        tmp_path,
        "staff",
        "create",
        "--email",
        "x@shop.example.com",
        "--role",
        role,
        "--password",
        "a long password here",
    )
    assert result.returncode == 2
    assert "Unknown role" in result.stderr
