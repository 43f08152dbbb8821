"""The daily retention run of every school, as a periodic job of the app instances' job runner (one
instance per due run). `schoolcloud retention apply` does the same by hand."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from schoolcloud.jobs.registry import Context, register_periodic
from schoolcloud.privacy.services_retention import run


async def apply_retention_daily(ctx: Context) -> dict:
    totals: Counter = Counter()
    schools = 0
    async for _plan, done in run(ctx.files, dry_run=False):
        schools += 1
        totals.update(done or {})
    return {"schools": schools, **totals}


register_periodic("privacy.retention", timedelta(days=1), apply_retention_daily)
