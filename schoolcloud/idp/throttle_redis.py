"""Login-throttle counts in Redis, shared by all app instances (used when SCHOOLCLOUD_REDIS_URL is set).

A failure is counted, windowed and turned into a lock in one Lua script, so parallel guesses on several
instances can neither overwrite each other's count nor skip the lock. Keys expire by themselves (the
counter with its window, the lock when it ends, a known pair after ``KNOWN_FOR``), so nothing needs
cleaning up. Attempts at one account are serialised across instances by a short lease (SET NX PX), taken
after the in-process queue so that waiters in one process do not all poll Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from datetime import datetime, timezone

from redis.asyncio import Redis

from schoolcloud.idp.throttle import KNOWN_FOR, MAX_LOCK, Rule, Throttle, _key_part, one_at_a_time

# KEYS: counter, lock. ARGV: window ms, max failures, base lock ms, max lock ms, now ms.
COUNT_FAILURE = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local limit = tonumber(ARGV[2])
if n >= limit then
  local lock = math.min(tonumber(ARGV[3]) * 2 ^ math.min(n - limit, 10), tonumber(ARGV[4]))
  lock = math.floor(lock)
  redis.call('SET', KEYS[2], string.format('%d', tonumber(ARGV[5]) + lock), 'PX', lock)
end
return n
"""
# KEYS: lease. ARGV: token. Deletes the lease only if it is still ours (it may have expired and moved on).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# Longer than any one attempt, even when password checks queue up under load; if the instance holding it
# dies, attempts at that account wait this long at most.
LEASE_MS = 30_000
POLL_SECONDS = 0.02


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _millis(delta) -> int:
    return int(delta.total_seconds() * 1000)


class RedisThrottle(Throttle):
    def __init__(self, redis: Redis, prefix: str):
        self.redis = redis
        self.prefix = prefix + "throttle:"
        self._count = redis.register_script(COUNT_FAILURE)
        self._release = redis.register_script(RELEASE)

    def key(self, kind: str, key: str) -> str:
        return f"{self.prefix}{kind}:{key}"

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, username: str):
        async with one_at_a_time(username):
            lease, token = self.key("busy", _key_part(username)), secrets.token_hex(16)
            while not await self.redis.set(lease, token, nx=True, px=LEASE_MS):
                await asyncio.sleep(POLL_SECONDS)  # another instance is checking this account
            try:
                yield
            finally:
                await self._release(keys=[lease], args=[token])

    async def _locks(self, keys: list[str], now: datetime) -> dict[str, datetime]:
        values = await self.redis.mget([self.key("lock", key) for key in keys])
        locks = {}
        for key, value in zip(keys, values):
            if value is not None and int(value) > _ms(now):
                locks[key] = datetime.fromtimestamp(int(value) / 1000, timezone.utc)
        return locks

    async def _is_known(self, key: str, now: datetime) -> bool:
        return bool(await self.redis.exists(self.key("known", key)))

    async def _count_failure(self, rule: Rule, key: str, now: datetime) -> None:
        await self._count(keys=[self.key("count", key), self.key("lock", key)], args=[
            _millis(rule.window), rule.max_failures, _millis(rule.lock), _millis(MAX_LOCK), _ms(now)])

    async def _forget(self, key: str) -> None:
        await self.redis.delete(self.key("count", key), self.key("lock", key))

    async def _remember(self, key: str, now: datetime) -> None:
        await self.redis.set(self.key("known", key), "1", px=_millis(KNOWN_FOR))

