"""Background jobs: a job table claimed safely by any number of app instances, handlers by kind with
progress, and periodic jobs run by exactly one instance per due time. See README.md."""

from schoolcloud.jobs.queue import AlreadyQueued, enqueue
from schoolcloud.jobs.registry import Context, JobError, handler, register, register_periodic
from schoolcloud.jobs.runner import start, stop

__all__ = ["AlreadyQueued", "Context", "JobError", "enqueue", "handler", "register", "register_periodic",
           "start", "stop"]
