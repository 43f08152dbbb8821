"""The files domain's periodic jobs, run by every app instance's job runner (exactly one instance per
due run): the trash purge (daily, entries older than TRASH_DAYS) and the removal of expired resumable
uploads (hourly, so an upload past UPLOAD_EXPIRY_HOURS does not hold its parts for another day).
`schoolcloud purge-trash` does both by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from schoolcloud.files.trash import purge_old_trash
from schoolcloud.files.tus import expire_uploads
from schoolcloud.jobs.registry import Context, register_periodic


async def purge_trash_daily(ctx: Context) -> dict:
    return {"purged": await purge_old_trash(ctx.files, datetime.now(timezone.utc))}


async def expire_uploads_hourly(ctx: Context) -> dict:
    return {"expired": await expire_uploads(ctx.files, datetime.now(timezone.utc))}


register_periodic("files.purge_trash", timedelta(days=1), purge_trash_daily)
register_periodic("files.expire_uploads", timedelta(hours=1), expire_uploads_hourly)
