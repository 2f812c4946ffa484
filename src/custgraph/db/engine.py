"""Engine and session factory for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from custgraph.db import json_codec
from custgraph.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # A writer takes SQLite's write lock when it begins, so concurrent writers queue on
    # the busy timeout instead of failing when a read lock cannot be upgraded.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _driver_transactions_off(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own BEGIN would come first; let SQLAlchemy's begin event issue it.
    dbapi_connection.isolation_level = None


def create_engine(
    settings: Settings, *, pooled: bool = True, for_writes: bool = False
) -> AsyncEngine:
    """An engine for reads, or (`for_writes`) for the domain's write transactions.

    The app keeps one of each, so that reads and writes never compete for one pool.
    On SQLite, write transactions also begin IMMEDIATE.
    """
    url = settings.database_url
    kwargs: dict[str, Any] = {"echo": settings.db_echo, "json_deserializer": json_codec.loads}
    if is_sqlite(url):
        if not pooled:
            kwargs["poolclass"] = NullPool
    elif pooled:
        kwargs["pool_timeout"] = settings.db_pool_timeout_seconds
        if for_writes:
            kwargs.update(pool_size=settings.db_write_pool_size, max_overflow=5)
            # A write transaction is not retried blindly: ping before lending.
            kwargs["pool_pre_ping"] = True
        else:
            # Overflow connections are closed as they come back: a process serving more
            # concurrent requests than its pool opens and closes a connection per
            # request. 16 concurrent detail reads on 10 (+5) connections lost a third of
            # their throughput to that and their p99 went from 20 to 60-90 ms
            # (bench/README.md); the pool is sized for the load, the overflow is for
            # the requests that also take a second connection (rate-limit bucket).
            kwargs.update(pool_size=settings.db_pool_size, max_overflow=5)
            # Reads: one round trip per statement and nothing more (no BEGIN, ROLLBACK
            # or ping); the Reader replaces a connection found dead (db/reader.py).
            kwargs["isolation_level"] = "AUTOCOMMIT"
            # Nor a rollback when a connection goes back: in autocommit nothing is ever
            # left open to roll back, and SQLAlchemy's reset was a fiftieth of the CPU
            # of a detail read (py-spy, bench/README.md).
            kwargs["pool_reset_on_return"] = None
            # The connection used last is lent first: a process that served 16 at once
            # and now serves one reuses one connection, its PostgreSQL backend warm,
            # instead of cycling through all 16 (FIFO).
            kwargs["pool_use_lifo"] = True
    else:
        kwargs["poolclass"] = NullPool
    if make_url(url).get_driver_name() == "asyncpg":
        # An unreachable server, or one gone silent mid-statement, fails a request in
        # bounded time instead of hanging it.
        kwargs["connect_args"] = {
            "timeout": settings.db_connect_timeout_seconds,
            "command_timeout": settings.db_statement_timeout_seconds,
        }
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
        if for_writes:
            event.listen(engine.sync_engine, "connect", _driver_transactions_off)
            event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
