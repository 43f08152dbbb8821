"""Failed-login throttling that stops guessing without locking a whole school out.

Schools sit behind one NAT address, so successful logins never count and the per-address limit is
high; the tight limit is per account *and* address. A looser per-account limit catches guessing that
is spread over many addresses.

The per-address and per-account locks are what others' failures can trigger, so they do not apply
where the account has logged in successfully before (``known`` pairs): a pupil who mistypes on
purpose two hundred times locks out neither the school nor a classmate who logs in there every day,
while guessing from elsewhere stays locked. The per-account-and-address lock applies always.

The client address is what uvicorn reports: behind a reverse proxy, list it in
SCHOOLCLOUD_TRUSTED_PROXIES so that the proxy's X-Forwarded-For is used (see auth/README.md).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tortoise.expressions import F

from schoolcloud.idp.models import LoginThrottle


@dataclass(frozen=True)
class Rule:
    prefix: str
    max_failures: int
    window: timedelta
    lock: timedelta


ACCOUNT_AND_IP = Rule("pair", 5, timedelta(minutes=15), timedelta(minutes=5))
ACCOUNT = Rule("account", 50, timedelta(hours=1), timedelta(minutes=15))
IP = Rule("ip", 200, timedelta(minutes=10), timedelta(minutes=10))
KNOWN_FOR = timedelta(days=30)  # how long a successful login makes an account+address pair known


def _username(username: str) -> str:
    return username.strip().lower()[:150]


def _key_part(username: str) -> str:
    """Long names are hashed so that prefix + name + IPv6 address fit the 200-character key."""
    username = _username(username)
    return username if len(username) <= 100 else hashlib.sha256(username.encode()).hexdigest()


def _keys(username: str, ip: str) -> list[tuple[Rule, str]]:
    username = _key_part(username)
    keys = [(IP, f"ip:{ip}")]
    if username:
        keys += [(ACCOUNT_AND_IP, f"pair:{username}:{ip}"), (ACCOUNT, f"account:{username}")]
    return keys


def _known_key(username: str, ip: str) -> str:
    return f"known:{_key_part(username)}:{ip}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


_locks: dict[str, asyncio.Lock] = {}
_waiting: collections.Counter[str] = collections.Counter()


@contextlib.asynccontextmanager
async def one_at_a_time(username: str):
    """Attempts at one account run one after another (in this process): guesses sent in parallel would
    otherwise all pass the lock check before the first failure is counted."""
    key = _username(username)
    lock = _locks.setdefault(key, asyncio.Lock())
    _waiting[key] += 1
    try:
        async with lock:
            yield
    finally:
        _waiting[key] -= 1
        if not _waiting[key]:
            del _waiting[key], _locks[key]


async def locked_until(username: str, ip: str) -> datetime | None:
    """The latest lock that applies to this attempt, or None."""
    now = _now()
    rows = await LoginThrottle.filter(key__in=[key for _, key in _keys(username, ip)], locked_until__gt=now)
    if any(not row.key.startswith("pair:") for row in rows) and _username(username) and \
            await LoginThrottle.exists(key=_known_key(username, ip), window_start__gt=now - KNOWN_FOR):
        rows = [row for row in rows if row.key.startswith("pair:")]
    return max((row.locked_until for row in rows), default=None)


async def record_failure(username: str, ip: str) -> None:
    now = _now()
    for rule, key in _keys(username, ip):
        await LoginThrottle.get_or_create(key=key, defaults={"failures": 0, "window_start": now})
        await LoginThrottle.filter(key=key, window_start__lt=now - rule.window).update(failures=0, window_start=now)
        # Counted in the database, not in Python: parallel guesses must not overwrite each other's count.
        await LoginThrottle.filter(key=key).update(failures=F("failures") + 1)
        failures = (await LoginThrottle.get(key=key)).failures
        if failures >= rule.max_failures:
            # Each further failure doubles the lock, up to a day.
            extra = failures - rule.max_failures
            until = now + min(rule.lock * (2 ** min(extra, 10)), timedelta(days=1))
            await LoginThrottle.filter(key=key).update(locked_until=until)


async def record_success(username: str, ip: str) -> None:
    await LoginThrottle.filter(key=f"pair:{_key_part(username)}:{ip}").delete()
    now = _now()
    row, created = await LoginThrottle.get_or_create(key=_known_key(username, ip),
                                                     defaults={"failures": 0, "window_start": now})
    if not created:
        await LoginThrottle.filter(key=row.key).update(window_start=now)
