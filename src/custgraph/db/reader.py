"""The read side's database access for one request."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Executable, PoolProxiedConnection, QueuePool, Row, exc, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util.concurrency import greenlet_spawn

from custgraph.db import kept_connection
from custgraph.db.availability import is_database_unavailable
from custgraph.db.direct import Compiled, compiled_for


class Reader:
    """One connection per request, opened on first use and released at the end.

    Loaders of one level fire together; the lock runs their statements one after the
    other on the same connection (a DBAPI connection runs one statement at a time),
    which keeps a request to a single pooled connection. It is given back
    (`release_idle`) before the request takes another connection of the same pool (after
    the caller's look-up: the rate limit's bucket comes next): a burst of requests that
    each hold one while waiting for one would hold the whole pool and wait on each other.

    On PostgreSQL the app's read engine runs in autocommit (see db/engine.py): under
    READ COMMITTED every statement sees its own snapshot anyway, and no BEGIN and
    ROLLBACK round trips are spent per request. Nor is a connection pinged when it
    leaves the pool: a pooled connection that turns out dead on its first statement is
    replaced and the statement retried once (reads change nothing).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        # Or, while only direct statements ran, the pool's connection alone (see
        # `_direct_connection`); never both.
        self._pooled: PoolProxiedConnection | None = None
        self._lock = asyncio.Lock()
        self.dialect = engine.dialect.name
        self.statement_count = 0
        self._custom_plans = False
        self._proven = False  # a statement has succeeded on the current connection
        self._closed = False
        # The asyncpg connection under `_connection`, once a direct read asked for it:
        # asking SQLAlchemy again costs a greenlet switch per statement.
        self._driver: Any = None
        self._direct_allowed = self.dialect == "postgresql" and not bool(
            engine.sync_engine.dispatch.before_cursor_execute
        )
        # A condition the next statement on the driver also answers (see `carry`).
        self._carried: tuple[str, Sequence[Any]] | None = None
        self.carried_answer: bool | None = None

    @property
    def can_carry(self) -> bool:
        """Whether statements can carry a condition here (those run on the driver)."""
        return self._direct_allowed

    def carry(self, condition: str, arguments: Sequence[Any]) -> None:
        """Have the next statement run on the driver also answer `condition` (SQL with
        `{0}`, `{1}`, ... for `arguments`): its answer goes to `carried_answer`, which
        stays None when no statement carried it (none ran there, or it failed)."""
        self._carried = (condition, arguments)
        self.carried_answer = None

    def stop_carrying(self) -> None:
        self._carried = None

    async def _connected(self) -> AsyncConnection:
        if self._closed:
            # A connection opened now would outlive the request and leak from the pool.
            raise RuntimeError("the request's reader is closed")
        if self._connection is None and self._pooled is not None:
            # SQLAlchemy takes over the pool connection the direct statements ran on (a
            # session setting made there must stay with them).
            pooled, self._pooled = self._pooled, None
            try:
                self._connection = await _wrapped(self._engine, pooled)
            except BaseException:
                self._driver = None
                await _drop(pooled)
                raise
        if self._connection is None:
            connection = await self._engine.connect()
            if self._closed:
                # The request ended while this was opening (a loader's batch runs in a
                # task of its own): nobody would give the connection back.
                await _discard(connection)
                raise RuntimeError("the request's reader is closed")
            self._connection = connection
            self._driver = None
            self._proven = False
        self.statement_count += 1
        return self._connection

    async def all(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Row[Any]]:
        async with self._lock:
            compiled = self._direct(statement)
            if compiled is not None:
                return await self._run_direct(
                    compiled.sql,
                    compiled.arguments(parameters),
                    statement,
                    parameters,
                    compiled.rows,
                )
            return await self._run_retried(statement, parameters)

    async def driver_rows(self, sql: str, arguments: Sequence[Any]) -> Sequence[Any]:
        """The rows of SQL text with `$n` parameters (PostgreSQL): on the driver itself
        when nothing listens to statements, else through SQLAlchemy."""
        async with self._lock:
            if self._direct_allowed:
                return await self._run_direct(sql, arguments, sql, arguments, list)
            return await self._run_retried(sql, arguments)

    async def _run_retried(self, statement: Executable | str, parameters: Any) -> Sequence[Any]:
        try:
            return await self._run(statement, parameters)
        except exc.DBAPIError as error:
            if self._proven or not error.connection_invalidated or self._custom_plans:
                raise
            # A connection that died in the pool (database restarted, proxy cut):
            # SQLAlchemy has invalidated the pool's older connections with it.
            return await self._run(statement, parameters)

    async def _run(self, statement: Executable | str, parameters: Any) -> Sequence[Any]:
        connection = await self._connected()
        try:
            if isinstance(statement, str):
                result = await connection.exec_driver_sql(statement, tuple(parameters))
            else:
                result = await connection.execute(statement, parameters)
            rows = result.all()
        except BaseException as error:
            # A failed statement aborts PostgreSQL's transaction (and a cancelled one
            # leaves the connection busy): start over on a fresh connection, so the
            # other fields of the request can still be served.
            self._connection = None
            if is_database_unavailable(error) or self._custom_plans:
                # A rollback would wait on the same dead line, and a session setting
                # must not go back to the pool: drop the connection.
                await _drop(connection)
            else:
                await _discard(connection)
            self._custom_plans = False
            raise
        self._proven = True
        return rows

    def _direct(self, statement: Executable) -> Compiled | None:
        # Listeners on the engine (tracing, a test counting statements) must see every
        # statement: with any of them, everything goes through SQLAlchemy.
        if not self._direct_allowed:
            return None
        return compiled_for(statement, self._engine.dialect)

    async def _run_direct(
        self,
        sql: str,
        arguments: Sequence[Any],
        statement: Executable | str,
        parameters: Any,
        rows: Callable[[Sequence[Any]], Sequence[Any]],
    ) -> Sequence[Any]:
        """`rows` of `sql` run on the asyncpg connection; on a failure, of `statement`
        through SQLAlchemy (whose rows need no processing)."""
        connection, driver = await self._direct_connection()
        carried = self._carried
        if carried is not None and _can_carry(sql):
            self._carried = None
        else:
            carried = None  # left for a statement that can carry it
        try:
            if driver is None:
                assert isinstance(connection, AsyncConnection)
                raw = await connection.get_raw_connection()
                driver = self._driver = raw.driver_connection
            if carried is None:
                records: Sequence[Any] = await driver.fetch(sql, *arguments)
            else:
                records = await self._fetch_carrying(driver, sql, arguments, *carried)
        except TimeoutError:
            # The database went silent: trying again would double the wait.
            self._forget_connection()
            await _drop(connection)
            raise
        except Exception:
            # A failure of any other kind is SQLAlchemy's to report, retry or translate,
            # on a fresh connection: the statement is run again there.
            self._forget_connection()
            self.statement_count -= 1  # counted again by _run
            await _drop(connection)
            return await self._run_retried(statement, parameters)
        self._proven = True
        return rows(records)

    async def _direct_connection(self) -> tuple[AsyncConnection | PoolProxiedConnection, Any]:
        """The connection a direct statement runs on, and its driver connection (None
        when SQLAlchemy must be asked for it)."""
        if self._connection is not None:
            connection = await self._connected()
            return connection, self._driver
        if self._closed:
            raise RuntimeError("the request's reader is closed")
        if self._pooled is None:
            pooled = kept_connection.take(self._engine)
            if pooled is None:
                pooled = await _checkout(self._engine)
                if self._closed:
                    await _checkin(self._engine, pooled)
                    raise RuntimeError("the request's reader is closed")
            self._pooled = pooled
            self._driver = pooled.driver_connection
            self._proven = False
        self.statement_count += 1
        return self._pooled, self._driver

    def _forget_connection(self) -> None:
        self._connection = None
        self._pooled = None
        self._driver = None

    async def _fetch_carrying(
        self,
        driver: Any,
        sql: str,
        arguments: Sequence[Any],
        condition: str,
        extra: Sequence[Any],
    ) -> Sequence[Any]:
        """The records of `sql`, its statement also answering `condition`.

        The condition goes first in the statement's select list, an uncorrelated
        subquery that PostgreSQL evaluates once (inserted there rather than wrapping the
        statement in a subquery: that copies every row once more, measured at twice the
        cost on a page of 100 customers). A statement without rows answers nothing, and
        `carried_answer` stays None."""
        carrying = _carrying(sql, condition, len(arguments), len(extra))
        records = await driver.fetch(carrying, *arguments, *extra)
        if records:
            self.carried_answer = bool(records[0][0])
        return [record[1:] for record in records]

    async def release_idle(self) -> None:
        """Give the connection back to the pool (or keep it as the process's kept
        connection, db/kept_connection.py) while the request waits on something else;
        the next read takes one again. Kept while a session setting is on it."""
        async with self._lock:
            if self._custom_plans:
                return
            await self._release()

    async def prefer_custom_plans(self) -> None:
        """Plan this request's statements for their actual parameters (PostgreSQL).

        A prepared statement switches to a generic plan after a few runs; for a
        contains-search the generic plan cannot use the trigram index and scans the
        sort index instead, which measured 2 to 5 times slower on 100,000 customers.
        Lasts until the request ends (the setting is reset before the connection
        goes back to the pool).
        """
        if self.dialect != "postgresql" or self._custom_plans:
            return
        # A query rather than SET, so that it returns a row like every read.
        await self.all(text("SELECT set_config('plan_cache_mode', 'force_custom_plan', false)"))
        self._custom_plans = True

    async def scalar(self, statement: Executable) -> Any:
        rows = await self.all(statement)
        return rows[0][0] if rows else None

    async def new_snapshot(self) -> None:
        """See what was committed since this request's first read.

        SQLite keeps one snapshot per read transaction; after a mutation commits on
        another connection, the payload must be read from a new one.
        """
        async with self._lock:
            if self._connection is not None and self._connection.in_transaction():
                await self._connection.rollback()

    async def close(self) -> None:
        self._closed = True
        # A loader's batch runs in a task of its own and may still be reading when the
        # request ends: its statement finishes (within the statement timeout) before
        # the connection goes back, or the next request would get it mid-statement.
        async with self._lock:
            await self._release()

    async def _release(self) -> None:
        if self._pooled is not None:
            # Only direct statements ran on it, and nothing was set on it.
            pooled, self._pooled = self._pooled, None
            self._driver = None
            if not kept_connection.keep(self._engine, pooled):
                await _checkin(self._engine, pooled)
        if self._connection is not None:
            connection, self._connection = self._connection, None
            if self._custom_plans:
                self._custom_plans = False
                try:
                    await connection.execute(text("RESET plan_cache_mode"))
                except Exception:
                    await _drop(connection)
                    return
            await _discard(connection)


_SELECT = "SELECT "
# The statements are a plan's or a loader's own strings, few and long-lived: scanning
# and rebuilding one (several kB) for each request cost about 15 µs, and a new string
# is hashed again by asyncpg's statement cache.
_STATEMENTS = 1024


@functools.lru_cache(maxsize=_STATEMENTS)
def _can_carry(sql: str) -> bool:
    """Whether a condition can go first in the statement's select list (one SELECT, not
    DISTINCT: set operations would need it in every branch)."""
    return (
        sql.startswith(_SELECT)
        and not sql.startswith("SELECT DISTINCT")
        and not any(word in sql for word in (" UNION ", " INTERSECT ", " EXCEPT "))
    )


@functools.lru_cache(maxsize=_STATEMENTS)
def _carrying(sql: str, condition: str, arguments: int, extra: int) -> str:
    """`sql` with `condition` (its `{n}` numbered after `arguments`) first in its list."""
    numbers = [f"${arguments + n + 1}" for n in range(extra)]
    return f"SELECT {condition.format(*numbers)}, {sql[len(_SELECT) :]}"


async def _checkout(engine: AsyncEngine) -> PoolProxiedConnection:
    """A connection from the read pool for direct statements, without SQLAlchemy's
    Connection around it: those cost three greenlet switches and a Connection per
    request, about 90 µs of CPU against 10 µs (bench/README.md). Taken synchronously
    when an idle connection is ready (the read pool neither pings nor begins); the pool
    connects or waits inside a greenlet. An idle connection may still need connecting
    again (invalidated after a failure, or the pool after an outage): SQLAlchemy then
    refuses the IO before changing anything, closing the connect coroutine it was
    handed, whose "never awaited" warning means nothing here, and the checkout is made
    again inside a greenlet."""
    pool = engine.sync_engine.pool
    if isinstance(pool, QueuePool) and pool.checkedin() > 0:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return pool.connect()
        except exc.MissingGreenlet:
            pass
    return await greenlet_spawn(pool.connect)


async def _checkin(engine: AsyncEngine, pooled: PoolProxiedConnection) -> None:
    """Give a pool connection back. Synchronously when the pool has room for it (no
    transaction was begun on it, so its reset does no IO); else inside a greenlet, as
    the pool then closes it."""
    pool = engine.sync_engine.pool
    try:
        if isinstance(pool, QueuePool) and pool.checkedin() < pool.size():
            pooled.close()
        else:
            await greenlet_spawn(pooled.close)
    except Exception:
        with contextlib.suppress(Exception):
            await greenlet_spawn(pooled.invalidate)


async def _wrapped(engine: AsyncEngine, pooled: PoolProxiedConnection) -> AsyncConnection:
    """A SQLAlchemy connection over a pool connection already held."""
    sync = await greenlet_spawn(Connection, engine.sync_engine, pooled)
    return AsyncConnection(engine, sync)


async def _discard(connection: AsyncConnection) -> None:
    """Return a connection to the pool, or drop it when it is in no state to return."""
    try:
        await connection.close()
    except Exception:
        # The connection broke under it (reset, timed out): the pool has already let
        # go of it, or lets go of it now; either way nothing more is owed to anyone.
        await _drop(connection)


async def _drop(connection: AsyncConnection | PoolProxiedConnection) -> None:
    """Close a connection for good instead of returning it to the pool; one that has
    already broken has nothing more to say."""
    with contextlib.suppress(Exception):
        if isinstance(connection, AsyncConnection):
            await connection.invalidate()
        else:
            await greenlet_spawn(connection.invalidate)
