"""One connection of a read pool kept out of it between requests, for direct reads.

A process serving one request at a time checked the same connection out of
SQLAlchemy's pool and back in for every request: the pool's queue, its lock and its
bookkeeping cost about 35 µs of the 510 µs of CPU a detail read takes
(bench/README.md). The connection a request gives back is kept here instead, while no
other is, and the next request takes it from here.

It stays counted as checked out, so the pool never opens more than its size and
overflow. Nobody waits on it: the request that gave it back holds nothing (a request
gives its connection back before it takes one of the same pool through SQLAlchemy, see
Reader.release_idle), and while it sits here the pool still has its overflow to lend.
A kept connection the server closed meanwhile fails its first statement, which the
Reader runs again on a fresh one, as it does for a pooled connection. The engine's
dispose closes it.
"""

from __future__ import annotations

import contextlib
import weakref

from sqlalchemy import Engine, PoolProxiedConnection, event
from sqlalchemy.ext.asyncio import AsyncEngine

_KEPT: weakref.WeakKeyDictionary[Engine, PoolProxiedConnection] = weakref.WeakKeyDictionary()
_WATCHED: weakref.WeakSet[Engine] = weakref.WeakSet()


def take(engine: AsyncEngine) -> PoolProxiedConnection | None:
    """The kept connection of `engine`'s pool, no longer kept; None when there is none."""
    return _KEPT.pop(engine.sync_engine, None)


def keep(engine: AsyncEngine, pooled: PoolProxiedConnection) -> bool:
    """Keep `pooled` unless a connection is kept already (then it goes back to the pool)."""
    sync = engine.sync_engine
    if sync in _KEPT:
        return False
    if sync not in _WATCHED:
        event.listen(sync, "engine_disposed", _close_kept)
        _WATCHED.add(sync)
    _KEPT[sync] = pooled
    return True


def count(engine: AsyncEngine) -> int:
    """How many of the pool's checked-out connections are kept here (0 or 1)."""
    return int(engine.sync_engine in _KEPT)


def _close_kept(sync: Engine) -> None:
    # Runs inside the greenlet of AsyncEngine.dispose, after the pool it came from was
    # disposed: closed for good rather than given back to that discarded pool.
    pooled = _KEPT.pop(sync, None)
    if pooled is not None:
        with contextlib.suppress(Exception):
            pooled.invalidate()
