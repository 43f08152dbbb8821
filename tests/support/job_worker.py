"""A job-runner process for tests/test_jobs.py: the real runner (claims, heartbeats, periodic runs) on
the test database, with test job kinds that write what they do to a log file, one line per action.

    python -m tests.support.job_worker NAME LOGFILE STOPFILE   (environment: the app server's)
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from tortoise import Tortoise

from schoolcloud.config import load_settings
from schoolcloud.db import tortoise_config
from schoolcloud.files.context import open_context
from schoolcloud.jobs import JobError, register, register_periodic, runner
from schoolcloud.jobs.registry import Context

NAME, LOG, STOP = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])


def write(line: str) -> None:
    with LOG.open("a") as out:  # O_APPEND: lines of both workers never mix
        out.write(line + "\n")


async def record(run):
    hold = run.payload.get("hold")
    if hold:
        await run.progress(1, 4, force=True)
        while not Path(hold).exists():
            await asyncio.sleep(0.05)
    await asyncio.sleep(run.payload.get("seconds", 0))
    write(f"job {run.job.id} {NAME}")
    return {"worker": NAME}


async def refuse(run):
    raise JobError("refused on purpose")


async def crash(run):
    return {}["missing"]


async def tick(ctx: Context):
    write(f"tick {NAME}")
    return {"by": NAME}


async def main() -> None:
    settings = load_settings()
    await Tortoise.init(config=tortoise_config(settings))
    register("test.record", record)
    register("test.refuse", refuse)
    register("test.crash", crash)
    register_periodic("test.tick", timedelta(hours=1), tick)
    runner.PERIODIC_POLL = 0.2
    async with open_context(settings) as files:
        the_runner = runner.Runner(Context(files, settings))
        the_runner.wakeup.poll_seconds = 0.2
        tasks = [asyncio.create_task(the_runner.job_loop()), asyncio.create_task(the_runner.periodic_loop())]
        write(f"ready {NAME}")
        while not STOP.exists() and not any(t.done() for t in tasks):
            await asyncio.sleep(0.1)
        await the_runner.stop(tasks)
    await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
