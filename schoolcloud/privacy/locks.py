"""Claims that make an export or an erasure of one account run once at a time, on every app instance:
inserting the key is the claim (the primary key refuses a second); a crashed instance's claim expires."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tortoise.exceptions import IntegrityError

from schoolcloud.privacy.models import PrivacyLock


async def claim(key: str, lease: timedelta) -> bool:
    now = datetime.now(timezone.utc)
    await PrivacyLock.filter(key=key, created_at__lt=now - lease).delete()
    try:
        await PrivacyLock.create(key=key, created_at=now)
    except IntegrityError:
        return False
    return True


async def release(key: str) -> None:
    await PrivacyLock.filter(key=key).delete()
