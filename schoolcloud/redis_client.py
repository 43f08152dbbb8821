"""The optional Redis that all app instances share (SCHOOLCLOUD_REDIS_URL).

Only state that is short-lived and written on hot paths goes there: the login-throttle counters
(idp/throttle_redis.py), which would otherwise cost several row writes per login, and wake-ups for the
background workers (wakeup.py). Sessions stay rows in
the database (auth/sessions.py): logout, deactivation and erasure must end them at once and durably, and
Redis here may keep nothing on disk. Background jobs are claimed in the database too (files/previews.py),
so a Redis outage never loses work. Without a URL everything stays in the database: the single-process
set-up needs no Redis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schoolcloud.config import Settings

if TYPE_CHECKING:  # the client library (~7 MB per process) is imported only when a URL is set
    from redis.asyncio import Redis

TIMEOUT = 5.0  # seconds; a hung Redis must fail a request, not hold it


def connect(settings: Settings) -> Redis | None:
    """A client (connections open lazily), or None when no Redis is configured."""
    if not settings.redis_url:
        return None
    from redis.asyncio import Redis

    return Redis.from_url(settings.redis_url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT,
                          health_check_interval=30)
