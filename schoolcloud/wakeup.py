"""Wake-ups for background workers: a job made on one app instance is picked up at once by the workers of
every instance, instead of at their next poll.

Only a hint: jobs are rows claimed in the database (see files/previews.py), so a lost wake-up delays
work by one poll and loses nothing. With Redis (SCHOOLCLOUD_REDIS_URL) the hint goes to all instances
over a pub/sub channel; without it, to this process's own worker.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by redis_client, only when Redis is configured
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


class LocalWakeup:
    """Within one process."""

    # Workers still poll, for jobs no wake-up named (made by the CLI or another process on the database).
    poll_seconds = 1.0

    def __init__(self):
        self._event = asyncio.Event()

    async def notify(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> None:
        """Return on a notification or after ``timeout`` seconds, whichever comes first."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        self._event.clear()

    async def close(self) -> None:
        pass


class RedisWakeup(LocalWakeup):
    """Across instances: PUBLISH on notify; each waiting worker holds a subscription."""

    poll_seconds = 10.0  # every instance's jobs arrive by wake-up, so polling is only the safety net

    def __init__(self, redis: Redis, channel: str):
        super().__init__()
        self.redis, self.channel = redis, channel
        self._pubsub = None

    async def notify(self) -> None:
        await self.redis.publish(self.channel, b"1")

    async def wait(self, timeout: float) -> None:
        try:
            if self._pubsub is None:
                self._pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                await self._pubsub.subscribe(self.channel)
            message = await self._pubsub.get_message(timeout=timeout)
            while message is not None:  # several wake-ups while busy: one step handles them all
                message = await self._pubsub.get_message(timeout=0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001  (Redis away: poll until it is back)
            log.warning("wake-up channel unavailable (%s); polling", type(exc).__name__)
            await self.close()
            await asyncio.sleep(timeout)

    async def close(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            try:
                await pubsub.aclose()
            except Exception:  # noqa: BLE001  (closing a broken connection)
                pass


def create(redis: Redis | None, channel: str) -> LocalWakeup:
    return LocalWakeup() if redis is None else RedisWakeup(redis, channel)
