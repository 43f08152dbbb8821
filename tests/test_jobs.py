"""Background jobs (schoolcloud/jobs): two runner processes on the test database never run the same job,
a periodic job runs once per due time, a job whose lease ran out is taken over, progress is visible,
failures are recorded; and the app server's own runner purges old trash as its daily job."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.files.models import Node
from schoolcloud.jobs import AlreadyQueued, enqueue, queue
from schoolcloud.jobs.models import Job, JobStatus, PeriodicRun
from tests.support.data import logged_in, make_member, make_school
from tests.support.files import personal_root, upload

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parent.parent


def now() -> datetime:
    return datetime.now(timezone.utc)


async def until(check, timeout: float = 60.0, what: str = "condition"):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


class Workers:
    def __init__(self, app, tmp: Path):
        self.log, self.stop_file, self.tmp = tmp / "jobs.log", tmp / "stop", tmp
        self.procs = [subprocess.Popen([sys.executable, "-m", "tests.support.job_worker", name, str(self.log),
                                        str(self.stop_file)], env=app.env, cwd=ROOT)
                      for name in ("A", "B")]

    def lines(self, prefix: str) -> list[str]:
        text = self.log.read_text() if self.log.exists() else ""
        return [line.split(" ", 1)[1] for line in text.splitlines() if line.startswith(prefix + " ")]

    def close(self) -> None:
        self.stop_file.touch()
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
async def workers(app, tmp_path_factory):
    running = Workers(app, tmp_path_factory.mktemp("jobs"))

    async def both_ready():
        return len(running.lines("ready")) == 2 or any(p.poll() is not None for p in running.procs)

    await until(both_ready, 120, "the workers to start")
    assert all(p.poll() is None for p in running.procs), "a worker process died"
    yield running
    running.close()


async def test_two_workers_never_run_the_same_job(workers):
    jobs = [await enqueue("test.record", {"seconds": 0.25}) for _ in range(24)]
    ids = {job.id for job in jobs}

    async def all_done():
        return await Job.filter(id__in=list(ids), status=JobStatus.DONE).count() == len(ids)

    await until(all_done, 90, "the jobs")
    runs = Counter(int(line.split()[0]) for line in workers.lines("job") if int(line.split()[0]) in ids)
    assert set(runs) == ids and set(runs.values()) == {1}  # each job ran, and ran once
    by = {job_id: name for job_id, name in (line.split() for line in workers.lines("job"))}
    assert {by[str(i)] for i in ids} == {"A", "B"}  # both workers took part
    rows = await Job.filter(id__in=list(ids))
    assert {r.attempts for r in rows} == {1} and all(r.result == {"worker": by[str(r.id)]} for r in rows)
    assert all(r.unique_key is None and r.finished_at >= r.started_at for r in rows)


async def test_progress_is_visible_while_a_job_runs(workers):
    hold = workers.tmp / "release-progress"
    job = await enqueue("test.record", {"hold": str(hold)})

    async def reported():
        row = await Job.get(id=job.id)
        return row if row.progress_done == 1 else None

    row = await until(reported, 60, "progress")
    assert (row.status, row.progress_total) == (JobStatus.RUNNING, 4)
    assert row.lease_until > now() and row.worker and row.token
    hold.touch()
    await until(lambda: Job.filter(id=job.id, status=JobStatus.DONE).exists(), 60, "the job to finish")


async def test_failures_are_recorded_with_their_message(workers):
    refused = await enqueue("test.refuse")
    crashed = await enqueue("test.crash")
    await until(async_equal(Job.filter(id__in=[refused.id, crashed.id], status=JobStatus.FAILED).count, 2), 60)
    assert (await Job.get(id=refused.id)).error == "refused on purpose"
    assert (await Job.get(id=crashed.id)).error == "unexpected error: KeyError: 'missing'"


def async_equal(fn, expected):
    async def check():
        return await fn() == expected
    return check


async def test_a_job_whose_lease_ran_out_is_taken_over(workers):
    hold = workers.tmp / "never"  # the dead instance's job would wait forever
    stale = await Job.create(kind="test.record", payload={}, status=JobStatus.RUNNING, token="dead-instance",
                             worker="gone:1", attempts=1, lease_until=now() - timedelta(seconds=1),
                             created_at=now(), started_at=now() - timedelta(minutes=5))
    await until(lambda: Job.filter(id=stale.id, status=JobStatus.DONE).exists(), 60, "the take-over")
    row = await Job.get(id=stale.id)
    assert row.attempts == 2 and row.worker != "gone:1" and row.token != "dead-instance"
    assert [line for line in workers.lines("job") if line.split()[0] == str(stale.id)]
    # The dead instance coming back changes nothing: its token no longer matches.
    assert not await queue.finish(stale, error="late")
    assert not await queue.heartbeat(stale, done=99)
    assert (await Job.get(id=stale.id)).status == JobStatus.DONE
    # A job whose instances kept dying is given up with a message, not retried for ever.
    doomed = await Job.create(kind="test.record", payload={"hold": str(hold)}, status=JobStatus.RUNNING,
                              token="dead", worker="gone:2", attempts=queue.MAX_ATTEMPTS,
                              lease_until=now() - timedelta(seconds=1), created_at=now())
    await until(lambda: Job.filter(id=doomed.id, status=JobStatus.FAILED).exists(), 60, "giving up")
    assert "never finished" in (await Job.get(id=doomed.id)).error


async def test_a_unique_job_is_refused_while_it_is_queued_or_running(workers):
    hold = workers.tmp / "release-unique"
    first = await enqueue("test.record", {"hold": str(hold)}, unique_key="test:unique")
    with pytest.raises(AlreadyQueued) as refused:
        await enqueue("test.record", unique_key="test:unique")
    assert refused.value.job.id == first.id
    hold.touch()
    await until(lambda: Job.filter(id=first.id, status=JobStatus.DONE).exists(), 60)
    second = await enqueue("test.record", unique_key="test:unique")  # the first has ended: allowed again
    await until(lambda: Job.filter(id=second.id, status=JobStatus.DONE).exists(), 60)


async def test_a_periodic_job_runs_once_per_due_time_with_two_instances(workers):
    row = await until(lambda: PeriodicRun.filter(name="test.tick", runs=1).first(), 60, "the first tick")
    assert row.last_status == "done" and row.last_result["by"] in ("A", "B")
    assert timedelta(minutes=59) < row.next_run_at - row.last_started_at <= timedelta(hours=1)
    for round_ in (2, 3):  # due again now: both instances see it, one runs it
        await PeriodicRun.filter(name="test.tick").update(next_run_at=now() - timedelta(seconds=1))
        await until(lambda: PeriodicRun.filter(name="test.tick", runs=round_).exists(), 60, "the next tick")
    await asyncio.sleep(1.0)  # time for a second run, were there one
    assert len(workers.lines("tick")) == 3
    assert (await PeriodicRun.get(name="test.tick")).runs == 3


async def test_the_running_app_purges_old_trash_daily(app):
    pupil = await make_member(await make_school(), Role.PUPIL)
    async with logged_in(app, pupil) as http:
        http.headers.update(http.csrf)
        old = (await upload(http, await personal_root(http), "alt.txt", b"weg damit")).json()
        assert (await http.delete(f"/api/v1/files/nodes/{old['id']}")).status_code == 200
    await Node.filter(id=old["id"]).update(trashed_at=now() - timedelta(days=31))
    before = await until(lambda: PeriodicRun.get_or_none(name="files.purge_trash"), 60, "the schedule")
    await PeriodicRun.filter(name="files.purge_trash").update(next_run_at=now() - timedelta(seconds=1))
    await until(async_equal(lambda: Node.filter(id=old["id"]).count(), 0), 60, "the purge")
    row = await until(lambda: PeriodicRun.filter(name="files.purge_trash", runs__gt=before.runs).first(), 30)
    assert row.last_status == "done" and row.last_result["purged"] >= 1
    assert row.next_run_at > now() + timedelta(hours=23)


async def test_finished_jobs_are_pruned_after_30_days(app):
    from schoolcloud.jobs.prune import prune_jobs

    old = await Job.create(kind="test.record", status=JobStatus.DONE, created_at=now() - timedelta(days=40),
                           finished_at=now() - timedelta(days=31))
    recent = await Job.create(kind="test.record", status=JobStatus.FAILED, error="x", created_at=now(),
                              finished_at=now() - timedelta(days=29))
    waiting = await Job.create(kind="test.unknown", created_at=now() - timedelta(days=40))
    assert (await prune_jobs(None))["removed"] >= 1
    assert not await Job.filter(id=old.id).exists()
    assert await Job.filter(id__in=[recent.id, waiting.id]).count() == 2
    await Job.filter(id__in=[recent.id, waiting.id]).delete()
