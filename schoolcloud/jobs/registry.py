"""What background work exists: job kinds with their handler, and periodic jobs with their interval.

Modules register at import time; ``JOB_MODULES`` lists them so that every app instance (and the test
workers) knows the same kinds. Add your module there.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schoolcloud.config import Settings
    from schoolcloud.files.context import FilesContext
    from schoolcloud.jobs.run import JobRun  # noqa: F401  (in the Handler type below)

JOB_MODULES = [
    "schoolcloud.jobs.prune",
    "schoolcloud.files.maintenance",
    "schoolcloud.privacy.retention_job",
    "schoolcloud.privacy.export_jobs",
]


@dataclass
class Context:
    """What handlers and periodic jobs get besides the database: the object store and the settings."""

    files: "FilesContext"
    settings: "Settings"


class JobError(Exception):
    """Raised by a handler to fail its job with this message (recorded in the row, English)."""


Handler = Callable[["JobRun"], Awaitable[Any]]
PeriodicFn = Callable[[Context], Awaitable[Any]]


@dataclass(frozen=True)
class Periodic:
    name: str
    interval: timedelta
    run: PeriodicFn


HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, Periodic] = {}


def register(kind: str, handler: Handler) -> Handler:
    """``handler(run)`` does the job ``run.job`` (payload in ``run.payload``), reports progress with
    ``await run.progress(done, total)`` and returns a JSON-able result (stored in ``Job.result``)."""
    if HANDLERS.get(kind, handler) is not handler:
        raise ValueError(f"job kind {kind!r} is registered twice")
    HANDLERS[kind] = handler
    return handler


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Decorator form of ``register``."""
    return lambda fn: register(kind, fn)


def register_periodic(name: str, interval: timedelta, coroutine: PeriodicFn) -> PeriodicFn:
    """Run ``await coroutine(ctx)`` every ``interval`` on exactly one app instance; its return value
    (JSON-able) or its error is recorded in ``PeriodicRun``. The first run is due at the first start."""
    if interval <= timedelta(0):
        raise ValueError("interval must be positive")
    known = PERIODIC.get(name)
    if known is not None and known.run is not coroutine:
        raise ValueError(f"periodic job {name!r} is registered twice")
    PERIODIC[name] = Periodic(name, interval, coroutine)
    return coroutine


def load() -> None:
    for module in JOB_MODULES:
        importlib.import_module(module)
