"""Failed-login throttling that stops guessing without locking a whole school out.

Schools sit behind one NAT address, so successful logins never count and the per-address limit is
high; the tight limit is per account *and* address. A looser per-account limit catches guessing that
is spread over many addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

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


def _keys(username: str, ip: str) -> list[tuple[Rule, str]]:
    username = username.strip().lower()[:150]
    keys = [(IP, f"ip:{ip}")]
    if username:
        keys += [(ACCOUNT_AND_IP, f"pair:{username}:{ip}"), (ACCOUNT, f"account:{username}")]
    return keys


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def locked_until(username: str, ip: str) -> datetime | None:
    """The latest lock that applies to this attempt, or None."""
    now = _now()
    keys = [key for _, key in _keys(username, ip)]
    rows = await LoginThrottle.filter(key__in=keys, locked_until__gt=now)
    return max((row.locked_until for row in rows), default=None)


async def record_failure(username: str, ip: str) -> None:
    now = _now()
    for rule, key in _keys(username, ip):
        row, created = await LoginThrottle.get_or_create(key=key, defaults={"failures": 0, "window_start": now})
        if row.window_start + rule.window < now:
            row.failures, row.window_start = 0, now
        row.failures += 1
        if row.failures >= rule.max_failures:
            # Each further failure doubles the lock, up to a day.
            extra = row.failures - rule.max_failures
            row.locked_until = now + min(rule.lock * (2 ** min(extra, 10)), timedelta(days=1))
        await row.save()


async def record_success(username: str, ip: str) -> None:
    await LoginThrottle.filter(key=f"pair:{username.strip().lower()}:{ip}").delete()
