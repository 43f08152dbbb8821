"""Failed-login throttling that stops guessing without locking a whole school out.

Schools sit behind one NAT address, so successful logins never count and the per-address limit is
high; the tight limit is per account *and* address. A looser per-account limit catches guessing that
is spread over many addresses.

The per-address and per-account locks are what others' failures can trigger, so they do not apply
where the account has logged in successfully before (``known`` pairs): a pupil who mistypes on
purpose two hundred times locks out neither the school nor a classmate who logs in there every day,
while guessing from elsewhere stays locked. The per-account-and-address lock applies always.

The counts live in the database (``DatabaseThrottle``) or, with SCHOOLCLOUD_REDIS_URL, in Redis
(``RedisThrottle`` in idp/throttle_redis.py); ``create`` picks one.

No login name is stored: the keys hold a keyed hash of it (``name_key``: HMAC-SHA256 with a key derived
from SCHOOLCLOUD_SECRET_KEY, which every instance shares), so the counters work the same on every
instance while a copy of the database or of Redis does not list who tried to log in. ``create`` (at the
app's start) sets the secret; elsewhere (the command line) it is taken from the settings on first use.

The client address is what uvicorn reports: behind a reverse proxy, list it in
SCHOOLCLOUD_TRUSTED_PROXIES so that the proxy's X-Forwarded-For is used (see auth/README.md).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tortoise import connections
from tortoise.expressions import F, Q

from schoolcloud import rows
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
MAX_LOCK = timedelta(days=1)


def _username(username: str) -> str:
    return username.strip().lower()[:150]


_secret: bytes | None = None


def configure(secret_key: str) -> None:
    """Set the key of the login names' hashes (from SCHOOLCLOUD_SECRET_KEY)."""
    global _secret
    _secret = _derive(secret_key)


def _derive(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"schoolcloud login throttle", hashlib.sha256).digest()


def name_key(secret_key: str | bytes, username: str) -> str:
    """The keyed hash that stands for a login name in the throttle's keys (40 hex digits); "" for none.
    ``secret_key``: SCHOOLCLOUD_SECRET_KEY, or the key derived from it (bytes)."""
    username = _username(username)
    if not username:
        return ""
    key = secret_key if isinstance(secret_key, bytes) else _derive(secret_key)
    return hmac.new(key, username.encode(), hashlib.sha256).hexdigest()[:40]


def _key_part(username: str) -> str:
    if _secret is None:
        from schoolcloud.config import load_settings

        configure(load_settings().secret_key)
    return name_key(_secret, username)


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


def lock_length(rule: Rule, failures: int) -> timedelta:
    """Each failure beyond the limit doubles the lock, up to a day."""
    return min(rule.lock * (2 ** min(failures - rule.max_failures, 10)), MAX_LOCK)


class Throttle:
    """The policy above; subclasses keep the counts (the database, or Redis when configured)."""

    def one_at_a_time(self, username: str):
        return one_at_a_time(username)

    async def locked_until(self, username: str, ip: str) -> datetime | None:
        """The latest lock that applies to this attempt, or None."""
        now = _now()
        locks = await self._locks([key for _, key in _keys(username, ip)], now)
        if any(not key.startswith("pair:") for key in locks) and _username(username) and \
                await self._is_known(_known_key(username, ip), now):
            locks = {key: until for key, until in locks.items() if key.startswith("pair:")}
        return max(locks.values(), default=None)

    async def record_failure(self, username: str, ip: str) -> None:
        now = _now()
        for rule, key in _keys(username, ip):
            await self._count_failure(rule, key, now)

    async def record_success(self, username: str, ip: str) -> None:
        await self._forget(f"pair:{_key_part(username)}:{ip}")
        await self._remember(_known_key(username, ip), _now())

    # Other guesses (e.g. public-link passwords per address, files/links.py) use the same counters and
    # locks with a rule and key of their own.

    async def key_locked_until(self, key: str) -> datetime | None:
        return (await self._locks([key], _now())).get(key)

    async def count(self, rule: Rule, key: str) -> None:
        await self._count_failure(rule, key, _now())

    async def _locks(self, keys: list[str], now: datetime) -> dict[str, datetime]:
        raise NotImplementedError

    async def _is_known(self, key: str, now: datetime) -> bool:
        raise NotImplementedError

    async def _count_failure(self, rule: Rule, key: str, now: datetime) -> None:
        raise NotImplementedError

    async def _forget(self, key: str) -> None:
        raise NotImplementedError

    async def _remember(self, key: str, now: datetime) -> None:
        raise NotImplementedError


class DatabaseThrottle(Throttle):
    """Counts in the ``idp_login_throttle`` table: shared by every instance on the same database, but
    attempts are serialised per process only (use Redis with several instances)."""

    async def _locks(self, keys: list[str], now: datetime) -> dict[str, datetime]:
        # By hand (see schoolcloud.rows): every login attempt asks.
        found = await rows.fetch_all(
            f'SELECT "key", locked_until FROM {LoginThrottle._meta.db_table} '
            f'WHERE "key" IN ({", ".join("?" * len(keys))}) AND locked_until > ?',
            *keys, rows.db_value(LoginThrottle, "locked_until", now))
        to_datetime = LoginThrottle._meta.fields_map["locked_until"].to_python_value
        return {row["key"]: to_datetime(row["locked_until"]) for row in found}

    async def _is_known(self, key: str, now: datetime) -> bool:
        return await LoginThrottle.exists(key=key, window_start__gt=now - KNOWN_FOR)

    async def _count_failure(self, rule: Rule, key: str, now: datetime) -> None:
        await LoginThrottle.get_or_create(key=key, defaults={"failures": 0, "window_start": now})
        await LoginThrottle.filter(key=key, window_start__lt=now - rule.window).update(failures=0, window_start=now)
        # Counted in the database, not in Python: parallel guesses must not overwrite each other's count.
        await LoginThrottle.filter(key=key).update(failures=F("failures") + 1)
        failures = (await LoginThrottle.get(key=key)).failures
        if failures >= rule.max_failures:
            await LoginThrottle.filter(key=key).update(locked_until=now + lock_length(rule, failures))

    async def _forget(self, key: str) -> None:
        # By hand (see schoolcloud.rows): every successful login runs it.
        await rows.execute(connections.get("default"),
                           f'DELETE FROM {LoginThrottle._meta.db_table} WHERE "key" = ?', key)

    async def _remember(self, key: str, now: datetime) -> None:
        # One upsert (SQLite and PostgreSQL both have it) instead of a read and a write: every login runs it.
        await rows.execute(
            connections.get("default"),
            f'INSERT INTO {LoginThrottle._meta.db_table} ("key", failures, window_start) VALUES (?, 0, ?) '
            'ON CONFLICT ("key") DO UPDATE SET window_start = excluded.window_start',
            key, rows.db_value(LoginThrottle, "window_start", now))


async def forget_account(username: str) -> int:
    """Erasure of an account: delete the counters and known pairs in the database whose keys hold its
    login name's hash (Redis keys expire by themselves)."""
    part = _key_part(username)
    return await LoginThrottle.filter(Q(key=f"account:{part}") | Q(key__startswith=f"pair:{part}:") |
                                      Q(key__startswith=f"known:{part}:")).delete()


def create(redis=None, prefix: str = "", secret_key: str | None = None) -> Throttle:
    """The app's throttle: in Redis when there is one, else in the database."""
    if secret_key is not None:
        configure(secret_key)
    if redis is None:
        return DatabaseThrottle()
    from schoolcloud.idp.throttle_redis import RedisThrottle

    return RedisThrottle(redis, prefix)
