"""What a handler gets: the job, its payload, the context, and ``progress``."""

from __future__ import annotations

import time
from typing import Any

from schoolcloud.jobs import queue
from schoolcloud.jobs.models import Job
from schoolcloud.jobs.registry import Context

PROGRESS_EVERY = 1.0  # seconds between progress writes (the page polls every two)


class JobLost(Exception):
    """The job is no longer this worker's (its lease ran out and another instance took it over)."""


class JobRun:
    def __init__(self, ctx: Context, job: Job):
        self.ctx, self.job = ctx, job
        self.done, self.total = job.progress_done, job.progress_total
        self._written = 0.0

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload or {}

    async def progress(self, done: int, total: int | None = None, *, force: bool = False) -> None:
        """Record how far the job is (``done`` of ``total`` units of the handler's choosing); written
        at most once a second unless ``force``. Raises ``JobLost`` when the job was taken over."""
        self.done = done
        if total is not None:
            self.total = total
        if not force and time.monotonic() - self._written < PROGRESS_EVERY:
            return
        self._written = time.monotonic()
        if not await queue.heartbeat(self.job, done=self.done, total=self.total):
            raise JobLost(self.job.id)
