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

from redis.asyncio import Redis

from schoolcloud.config import Settings

TIMEOUT = 5.0  # seconds; a hung Redis must fail a request, not hold it


def connect(settings: Settings) -> Redis | None:
    """A client (connections open lazily), or None when no Redis is configured."""
    if not settings.redis_url:
        return None
    return Redis.from_url(settings.redis_url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT,
                          health_check_interval=30)
