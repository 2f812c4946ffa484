"""The same leaky bucket in Redis, for deployments that have one (`CUSTGRAPH_REDIS_URL`)."""

from __future__ import annotations

import math
from typing import Any
from weakref import WeakKeyDictionary

from redis.asyncio import Redis

from custgraph.ratelimit.bucket import BucketState

# Atomic in Redis; the clock is Redis's own, so every server process leaks alike.
# Numbers go back as strings: Lua numbers come back to the client as integers.
_TAKE = """
local capacity, leak, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'level', 'updated_at')
local level = tonumber(state[1]) or 0
local updated = tonumber(state[2]) or now
level = math.max(level - leak * (now - updated), 0)
if level + cost > capacity then
  return {0, tostring(level)}
end
level = level + cost
redis.call('HSET', KEYS[1], 'level', tostring(level), 'updated_at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / leak) + 1)
return {1, tostring(level)}
"""

_REFUND = """
local leak, points = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'level', 'updated_at')
if not state[1] then
  return false
end
local level = math.max(tonumber(state[1]) - points, 0)
redis.call('HSET', KEYS[1], 'level', tostring(level))
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
return tostring(math.max(level - leak * (now - tonumber(state[2])), 0))
"""

# One client (and its connection pool) per app, found through the app's engine.
_clients: WeakKeyDictionary[Any, Redis] = WeakKeyDictionary()


def client_for(owner: Any, url: str) -> Redis:
    """The Redis client of the app that `owner` (its engine) belongs to."""
    client = _clients.get(owner)
    if client is None:
        client = _clients[owner] = Redis.from_url(url)
    return client


async def take(
    client: Redis, key: str, cost: int, capacity: float, leak_per_second: float
) -> BucketState:
    """Pour `cost` points into `key`'s bucket if they fit; one script call either way."""
    if cost > capacity:
        return BucketState(False, capacity, capacity, leak_per_second, 0)
    accepted, level_text = await client.eval(_TAKE, 1, key, capacity, leak_per_second, cost)
    level = float(level_text)
    if accepted:
        return BucketState(True, capacity, capacity - level, leak_per_second, 0)
    wait = (level + cost - capacity) / leak_per_second
    return BucketState(False, capacity, capacity - level, leak_per_second, max(math.ceil(wait), 1))


async def refund(
    client: Redis, key: str, points: float, capacity: float, leak_per_second: float
) -> float | None:
    """Give `points` back to `key`'s bucket; the room left in it, None without a bucket."""
    level_text = await client.eval(_REFUND, 1, key, leak_per_second, points)
    return None if level_text is None else capacity - float(level_text)
