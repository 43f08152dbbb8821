"""The job table's operations: enqueue, claim, heartbeat, finish. Workers (runner.py) use them; so can
tests and the CLI.

Claiming is safe with any number of app instances: the oldest claimable row is selected ``FOR UPDATE
SKIP LOCKED`` (PostgreSQL; concurrent claimers skip it instead of waiting) inside a transaction, which
on SQLite is our BEGIN IMMEDIATE one (one writer at a time), and then taken by an UPDATE that checks
the status and token it read. Every later write names the claim's token (fencing): a worker whose job
was taken over after its lease ran out changes nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta, timezone

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from schoolcloud.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)  # a claim lives this long without a heartbeat
MAX_ATTEMPTS = 3  # claims of one job (an instance that dies mid-job uses one up)
INSTANCE = f"{socket.gethostname()}:{os.getpid()}"

_notify = None  # this process's wake-up (set by the runner): a new job is picked up at once


def now() -> datetime:
    return datetime.now(timezone.utc)


def set_notifier(notify) -> None:
    global _notify
    _notify = notify


async def notify() -> None:
    if _notify is None:
        return
    try:
        await _notify()
    except Exception as exc:  # noqa: BLE001  (only a hint: the job is committed and will be polled)
        log.warning("could not wake the job workers: %s", type(exc).__name__)


class AlreadyQueued(Exception):
    """A job with the same ``unique_key`` is queued or running: ``job`` is that one."""

    def __init__(self, job: Job):
        super().__init__(job.kind)
        self.job = job


async def enqueue(kind: str, payload: dict | None = None, *, school_id: int | None = None,
                  requested_by_id: int | None = None, unique_key: str | None = None, total: int = 0,
                  conn=None) -> Job:
    """Add a job. With ``unique_key``, refuses (``AlreadyQueued``) while another job with that key is
    queued or running. Pass ``conn`` to add it inside a transaction (then call ``notify`` after it)."""
    fields = dict(kind=kind, payload=payload or {}, school_id=school_id, requested_by_id=requested_by_id,
                  unique_key=unique_key, progress_total=total, created_at=now())
    try:
        job = await Job.create(**fields, using_db=conn)
    except IntegrityError:
        existing = await Job.get_or_none(unique_key=unique_key) if unique_key else None
        if existing is None:
            raise
        raise AlreadyQueued(existing) from None
    if conn is None:
        await notify()
    return job


def _claimable(kinds: list[str], stamp: datetime):
    return Job.filter(Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, lease_until__lt=stamp), kind__in=kinds)


async def claim(kinds, *, lease: timedelta = LEASE) -> Job | None:
    """The oldest queued job of one of ``kinds`` (or a running one whose lease ran out), now running
    under a fresh token; None when there is none."""
    kinds = list(kinds)
    if not kinds:
        return None
    # Idle workers poll every second: look with a plain read first, so that on SQLite they do not take
    # the database's write lock (BEGIN IMMEDIATE) while there is nothing to do.
    if not await _claimable(kinds, now()).exists():
        return None
    for _ in range(MAX_ATTEMPTS + 2):  # jobs given up on below are skipped, a few per call
        stamp = now()
        async with in_transaction() as conn:
            row = await _claimable(kinds, stamp).using_db(conn).order_by("id").select_for_update(skip_locked=True) \
                .first()
            if row is None:
                return None
            same = Job.filter(id=row.id, status=row.status, token=row.token).using_db(conn)
            if row.attempts >= MAX_ATTEMPTS:
                await same.update(status=JobStatus.FAILED, unique_key=None, lease_until=None, finished_at=stamp,
                                  error=f"gave up: the job was started {row.attempts} times and never finished")
                log.warning("job %s (%s) given up after %s attempts", row.id, row.kind, row.attempts)
                continue
            token = str(uuid.uuid4())
            taken = await same.update(status=JobStatus.RUNNING, token=token, worker=INSTANCE,
                                      lease_until=stamp + lease, attempts=row.attempts + 1,
                                      started_at=stamp, heartbeat_at=stamp)
            if taken != 1:
                return None
        if row.status == JobStatus.RUNNING:
            log.warning("job %s (%s) taken over from %s by %s", row.id, row.kind, row.worker, INSTANCE)
        row.status, row.token, row.worker = JobStatus.RUNNING, token, INSTANCE
        row.lease_until, row.attempts, row.started_at, row.heartbeat_at = stamp + lease, row.attempts + 1, stamp, stamp
        return row
    return None


def _mine(job: Job):
    return Job.filter(id=job.id, token=job.token, status=JobStatus.RUNNING)


async def heartbeat(job: Job, *, lease: timedelta = LEASE, done: int | None = None,
                    total: int | None = None) -> bool:
    """Extend the lease (and record progress); False when the job is no longer this worker's."""
    stamp = now()
    fields = {"lease_until": stamp + lease, "heartbeat_at": stamp}
    if done is not None:
        fields["progress_done"] = done
    if total is not None:
        fields["progress_total"] = total
    return await _mine(job).update(**fields) == 1


async def finish(job: Job, *, result=None, error: str | None = None) -> bool:
    """Done (with ``result``) or failed (with ``error``); False when the job was no longer ours."""
    fields = dict(status=JobStatus.FAILED if error is not None else JobStatus.DONE, unique_key=None,
                  lease_until=None, finished_at=now(), result=result, error=(error or "")[:4000])
    return await _mine(job).update(**fields) == 1


async def release(job: Job) -> bool:
    """Give an unfinished job back to the queue (the instance shuts down): another instance starts it
    at once instead of after the lease, and the attempt does not count."""
    return await _mine(job).update(status=JobStatus.QUEUED, token="", worker="", lease_until=None,
                                   attempts=max(job.attempts - 1, 0)) == 1
