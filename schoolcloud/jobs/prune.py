"""Finished jobs are kept for a while (the pages show their outcome, operators read their errors), then
removed by a daily periodic job."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from schoolcloud.jobs.models import Job, JobStatus
from schoolcloud.jobs.registry import Context, register_periodic

KEEP = timedelta(days=30)


async def prune_jobs(ctx: Context) -> dict:
    cutoff = datetime.now(timezone.utc) - KEEP
    removed = await Job.filter(status__in=[JobStatus.DONE, JobStatus.FAILED], finished_at__lt=cutoff).delete()
    return {"removed": removed}


register_periodic("jobs.prune", timedelta(days=1), prune_jobs)
