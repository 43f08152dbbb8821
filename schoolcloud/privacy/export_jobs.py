"""The background side of data exports: the job that writes the ZIP into the object store, and the
hourly removal of expired (and abandoned) archives.

The archive goes to the store under a fresh key first (``store.put`` of the streamed ZIP: memory stays
at about one chunk); only then does one UPDATE point the export row at it, so a crash in between leaves
an object without a row for fsck, never a row without its object. Progress counts the bytes of the
stored files copied so far.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from tortoise.expressions import Q

from storage import new_key
from storage.base import ObjectNotFound

from schoolcloud.accounts.models import User
from schoolcloud.files.content import discard
from schoolcloud.jobs import Context, JobError, handler, register_periodic
from schoolcloud.jobs.run import JobRun
from schoolcloud.privacy.export_archive import KIND, remove
from schoolcloud.privacy.export_content import ArchiveFile
from schoolcloud.privacy.models import DataExport
from schoolcloud.privacy.services_export import gather
from schoolcloud.privacy.zipstream import Entry, stream_zip

log = logging.getLogger(__name__)
ABANDONED_AFTER = timedelta(days=7)  # an export row without an archive (failed job) is kept this long to show why


def now() -> datetime:
    return datetime.now(timezone.utc)


async def _entries(run: JobRun, data: dict, files: list[ArchiveFile], total: int):
    yield Entry("data.json", now(), json.dumps(data, ensure_ascii=False, indent=2).encode())
    done = 0
    for item in files:
        try:
            stream = await run.ctx.files.store.open(item.object_key)
        except ObjectNotFound:  # fsck reports it; the export goes on without it
            log.warning("export: object %s is missing", item.object_key)
            continue

        async def counted(stream=stream):
            nonlocal done
            async for chunk in stream:
                done += len(chunk)
                await run.progress(done, total)
                yield chunk

        async with stream:
            yield Entry(item.path, item.modified, counted(), compress=False)


@handler(KIND)
async def build_export(run: JobRun) -> dict:
    export = await DataExport.get_or_none(id=run.payload.get("export"))
    if export is None:
        raise JobError("the export was removed before it was built")
    subject = await User.get_or_none(id=export.subject_id)
    if subject is None:
        raise JobError("the account no longer exists")
    data, files = await gather(subject)
    total = sum(f.size for f in files)
    await run.progress(0, total, force=True)
    key = new_key("exports/")
    # Under encryption at rest, with the school's data key: deleting the school shreds it too.
    stored = await run.ctx.files.store_for(export.school_id).put(key, stream_zip(_entries(run, data, files, total)))
    stamp = now()
    expires = stamp + timedelta(hours=run.ctx.settings.export_expiry_hours)
    if not await DataExport.filter(id=export.id, object_key="").update(object_key=key, size=stored.size,
                                                                       ready_at=stamp, expires_at=expires):
        await discard(run.ctx.files, key)  # removed meanwhile, or an earlier claim of this job finished it
        raise JobError("the export was removed or finished elsewhere")
    await run.progress(total, total, force=True)
    # The requester's older archives of the same person are superseded.
    await remove(run.ctx.files, DataExport.filter(subject_id=export.subject_id,
                                                  requested_by_id=export.requested_by_id, id__lt=export.id))
    return {"size": stored.size, "files": len(files)}


async def expire_exports(ctx: Context) -> dict:
    stamp = now()
    removed = await remove(ctx.files, DataExport.filter(
        Q(expires_at__lt=stamp) | Q(object_key="", created_at__lt=stamp - ABANDONED_AFTER)))
    return {"removed": removed}


register_periodic("privacy.expire_exports", timedelta(hours=1), expire_exports)
