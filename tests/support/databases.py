"""Throwaway databases for a test run: SQLite files, or PostgreSQL databases when asked for."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from custgraph.db.migrate import upgrade_to_head_async

# Set by .ci/run (and by hand) to run the suite against PostgreSQL, e.g.
# postgresql://postgres@127.0.0.1:5432/postgres (the server to create databases on).
POSTGRES_ENV = "CUSTGRAPH_TEST_POSTGRES"


def postgres_server() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def backend() -> str:
    return "postgresql" if postgres_server() else "sqlite"


def asyncpg_dsn(url: str) -> str:
    """The app's database URL (`postgresql+asyncpg://…`) as asyncpg.connect takes it,
    for a connection of the test's own beside the app's."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Databases:
    """Creates migrated databases and removes them all at the end of the run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.server = postgres_server()
        self.created: list[str] = []

    async def create(self, label: str) -> str:
        if self.server is None:
            url = f"sqlite+aiosqlite:///{self.folder / f'{label}.db'}"
        else:
            name = f"custgraph_test_{label}_{uuid.uuid4().hex[:8]}"
            connection = await asyncpg.connect(self.server)
            try:
                await connection.execute(f'CREATE DATABASE "{name}"')
            finally:
                await connection.close()
            self.created.append(name)
            server_url = make_url(self.server)
            url = server_url.set(drivername="postgresql+asyncpg", database=name).render_as_string(
                hide_password=False
            )
        await upgrade_to_head_async(url)
        return url

    async def drop_all(self) -> None:
        if self.server is None or not self.created:
            return
        connection = await asyncpg.connect(self.server)
        try:
            for name in self.created:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
