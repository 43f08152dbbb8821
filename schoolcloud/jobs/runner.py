"""The workers of one app instance, started in the app's lifespan: one loop claims jobs and runs up to
``CONCURRENCY`` of them at a time, another runs the periodic jobs that are due.

Between claims the job loop waits for a wake-up (a job enqueued on any instance: schoolcloud/wakeup.py,
over Redis when configured) or its next poll. While a job runs, a heartbeat extends its lease; a job
that raises is recorded as failed with its message, never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from schoolcloud.jobs import queue
from schoolcloud.jobs.models import PeriodicRun
from schoolcloud.jobs.queue import INSTANCE, LEASE, now
from schoolcloud.jobs.registry import HANDLERS, PERIODIC, Context, JobError, Periodic, load
from schoolcloud.jobs.run import JobLost, JobRun
from schoolcloud.wakeup import LocalWakeup

log = logging.getLogger(__name__)

CONCURRENCY = 2  # jobs one instance runs at once (exports are mostly waiting on the store)
HEARTBEAT = LEASE / 6
PERIODIC_POLL = 5.0  # seconds; one indexed query on a table with a row per periodic job


def _describe(exc: BaseException) -> str:
    if isinstance(exc, JobError):
        return str(exc)
    return f"unexpected error: {type(exc).__name__}: {exc}"


async def _keep_alive(extend, task: asyncio.Task, what: str) -> None:
    """Extend a lease every HEARTBEAT; cancel ``task`` once the lease is someone else's."""
    while True:
        await asyncio.sleep(HEARTBEAT.total_seconds())
        try:
            still_mine = await extend()
        except Exception as exc:  # noqa: BLE001  (database hiccup: try again at the next beat)
            log.warning("heartbeat of %s failed: %s", what, type(exc).__name__)
            continue
        if not still_mine:
            log.warning("%s was taken over by another instance; stopping it here", what)
            task.cancel()
            return


async def execute(ctx: Context, job) -> None:
    """Run one claimed job to its end and record the outcome."""
    handler = HANDLERS.get(job.kind)
    if handler is None:
        await queue.finish(job, error=f"no handler for job kind {job.kind!r}")
        return
    run = JobRun(ctx, job)
    work = asyncio.create_task(handler(run), name=f"job-{job.id}")
    beat = asyncio.create_task(_keep_alive(lambda: queue.heartbeat(job), work, f"job {job.id}"))
    try:
        result = await asyncio.shield(work)
    except asyncio.CancelledError:
        if not asyncio.current_task().cancelling():
            return  # the heartbeat found the job taken over: the other instance records the outcome
        work.cancel()  # this instance shuts down: hand the job back
        with contextlib.suppress(BaseException):
            await work
        await asyncio.shield(queue.release(job))
        raise
    except JobLost:
        log.warning("job %s was taken over by another instance", job.id)
        return
    except Exception as exc:  # noqa: BLE001  (recorded in the row: a failing handler is never lost)
        if not isinstance(exc, JobError):
            log.exception("job %s (%s) failed", job.id, job.kind)
        await queue.finish(job, error=_describe(exc))
        log.info("job %s (%s) failed on %s: %s", job.id, job.kind, INSTANCE, _describe(exc))
        return
    finally:
        beat.cancel()
    if await queue.finish(job, result=result):
        log.info("job %s (%s) done by %s", job.id, job.kind, INSTANCE)


# -- periodic jobs ------------------------------------------------------------------------------------

async def ensure_schedule(stamp: datetime) -> None:
    """A schedule row for every registered periodic job (first run due now)."""
    have = set(await PeriodicRun.filter(name__in=list(PERIODIC)).values_list("name", flat=True))
    for name in PERIODIC.keys() - have:
        with contextlib.suppress(IntegrityError):  # another instance was quicker
            await PeriodicRun.create(name=name, next_run_at=stamp)


def next_due(due: datetime, interval: timedelta, stamp: datetime) -> datetime:
    """The first due time after ``stamp`` on the grid ``due + k * interval``: runs missed while no
    instance was up are not made up one by one."""
    if due > stamp:
        return due
    missed = (stamp - due) // interval
    return due + (missed + 1) * interval


async def run_periodic(ctx: Context, job: Periodic, row: PeriodicRun) -> bool:
    """Claim the due run of ``job`` and do it; False when another instance has it (or it is not due)."""
    import uuid

    stamp = now()
    token = str(uuid.uuid4())
    claimed = await PeriodicRun.filter(Q(token="") | Q(lease_until__lt=stamp), name=job.name,
                                       next_run_at=row.next_run_at) \
        .update(token=token, worker=INSTANCE, lease_until=stamp + LEASE, last_started_at=stamp)
    if claimed != 1:
        return False
    mine = PeriodicRun.filter(name=job.name, token=token)

    async def extend() -> bool:
        return await mine.update(lease_until=now() + LEASE) == 1

    work = asyncio.create_task(job.run(ctx), name=f"periodic-{job.name}")
    beat = asyncio.create_task(_keep_alive(extend, work, f"periodic job {job.name}"))
    result, error = None, ""
    try:
        result = await asyncio.shield(work)
    except asyncio.CancelledError:
        if not asyncio.current_task().cancelling():
            return True  # taken over after the lease ran out
        work.cancel()  # shutting down: let another instance run it at once
        with contextlib.suppress(BaseException):
            await work
        await asyncio.shield(mine.update(token="", lease_until=None))
        raise
    except Exception as exc:  # noqa: BLE001  (recorded in the schedule row)
        log.exception("periodic job %s failed", job.name)
        error = _describe(exc)
    finally:
        beat.cancel()
    done_at = now()
    await mine.update(token="", worker=INSTANCE, lease_until=None, runs=F("runs") + 1,
                      next_run_at=next_due(row.next_run_at, job.interval, done_at), last_finished_at=done_at,
                      last_status="failed" if error else "done", last_result=None if error else result,
                      last_error=error)
    log.info("periodic job %s %s on %s", job.name, "failed" if error else "done", INSTANCE)
    return True


async def periodic_step(ctx: Context) -> int:
    """Run every periodic job that is due and that this instance claims; how many it ran."""
    stamp = now()
    await ensure_schedule(stamp)
    due = await PeriodicRun.filter(Q(token="") | Q(lease_until__lt=stamp), name__in=list(PERIODIC),
                                   next_run_at__lte=stamp).order_by("next_run_at")
    ran = 0
    for row in due:
        ran += await run_periodic(ctx, PERIODIC[row.name], row)
    return ran


# -- the loops ---------------------------------------------------------------------------------------

class Runner:
    def __init__(self, ctx: Context, wakeup: LocalWakeup | None = None, *, concurrency: int = CONCURRENCY):
        self.ctx = ctx
        self.wakeup = wakeup or LocalWakeup()
        self.slots = asyncio.Semaphore(concurrency)
        self.running: set[asyncio.Task] = set()

    async def job_loop(self) -> None:
        while True:
            await self.slots.acquire()
            try:
                job = await queue.claim(HANDLERS)
            except asyncio.CancelledError:
                self.slots.release()
                raise
            except Exception:  # noqa: BLE001  (database hiccup: log, wait, go on)
                log.exception("claiming a job failed")
                job = None
            if job is None:
                self.slots.release()
                await self.wakeup.wait(self.wakeup.poll_seconds)
                continue
            task = asyncio.create_task(execute(self.ctx, job), name=f"job-runner-{job.id}")
            self.running.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.running.discard(task)
        self.slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("job runner failed", exc_info=task.exception())

    async def periodic_loop(self) -> None:
        while True:
            try:
                await periodic_step(self.ctx)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                log.exception("periodic jobs step failed")
            await asyncio.sleep(PERIODIC_POLL)

    async def stop(self, tasks: list[asyncio.Task]) -> None:
        for task in [*tasks, *self.running]:
            task.cancel()
        for task in [*tasks, *list(self.running)]:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def start(ctx: Context, wakeup: LocalWakeup | None = None, *, periodic: bool = True):
    """Start this instance's workers; returns a handle for ``stop``."""
    load()
    runner = Runner(ctx, wakeup)
    queue.set_notifier(runner.wakeup.notify)
    tasks = [asyncio.create_task(runner.job_loop(), name="schoolcloud-jobs")]
    if periodic:
        tasks.append(asyncio.create_task(runner.periodic_loop(), name="schoolcloud-periodic"))
    return runner, tasks


async def stop(handle) -> None:
    runner, tasks = handle
    await runner.stop(tasks)
    queue.set_notifier(None)
