"""Data exports in tests: one being prepared by another app instance (a running job with a live lease)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from schoolcloud.jobs.models import Job, JobStatus
from schoolcloud.privacy.models import DataExport


async def running_export(subject, *, done: int = 300, total: int = 1000,
                         lease: timedelta = timedelta(hours=1)) -> tuple[DataExport, Job]:
    stamp = datetime.now(timezone.utc)
    export = await DataExport.create(public_id=uuid.uuid4(), school_id=subject.school_id, subject_id=subject.id,
                                     requested_by_id=subject.id, created_at=stamp)
    job = await Job.create(kind="privacy.export", payload={"export": export.id}, unique_key=f"export:{subject.id}",
                           status=JobStatus.RUNNING, token="elsewhere", worker="other:1", attempts=1,
                           progress_done=done, progress_total=total, lease_until=stamp + lease, created_at=stamp,
                           school_id=subject.school_id, requested_by_id=subject.id)
    await DataExport.filter(id=export.id).update(job_id=job.id)
    export.job_id = job.id
    return export, job
