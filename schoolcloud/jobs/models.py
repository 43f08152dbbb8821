"""Background jobs and the schedule of periodic jobs (see README.md)."""

from tortoise import fields
from tortoise.models import Model


class JobStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Model):
    """One piece of background work of a registered ``kind``. A worker claims it by setting ``token``
    (a fresh random value) and ``lease_until``; every later write of that worker names the token, so a
    worker whose lease ran out (its instance died or hung) and whose job was taken over changes nothing."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=64)
    payload = fields.JSONField(default=dict)
    school = fields.ForeignKeyField("models.School", related_name="jobs", null=True, on_delete=fields.CASCADE)
    requested_by = fields.ForeignKeyField("models.User", related_name="requested_jobs", null=True,
                                          on_delete=fields.SET_NULL)
    # While queued or running: e.g. "export:<user id>"; the unique index refuses a second such job.
    # Cleared when the job ends (NULLs never collide).
    unique_key = fields.CharField(max_length=120, null=True, unique=True)
    status = fields.CharField(max_length=16, default=JobStatus.QUEUED)
    progress_done = fields.BigIntField(default=0)
    progress_total = fields.BigIntField(default=0)
    result = fields.JSONField(null=True)
    error = fields.TextField(default="")
    attempts = fields.IntField(default=0)
    token = fields.CharField(max_length=36, default="")
    worker = fields.CharField(max_length=120, default="", description="host:pid of the claiming instance")
    lease_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "job"
        indexes = (("status", "id"),)


class PeriodicRun(Model):
    """The schedule and last outcome of one periodic job (``jobs.register_periodic``). An instance runs
    a due job only after claiming the row with a conditional UPDATE; a claim whose lease ran out is
    taken over."""

    name = fields.CharField(max_length=64, primary_key=True)
    next_run_at = fields.DatetimeField()
    token = fields.CharField(max_length=36, default="")
    worker = fields.CharField(max_length=120, default="")
    lease_until = fields.DatetimeField(null=True)
    runs = fields.IntField(default=0)
    last_started_at = fields.DatetimeField(null=True)
    last_finished_at = fields.DatetimeField(null=True)
    last_status = fields.CharField(max_length=16, default="", description="done | failed")
    last_result = fields.JSONField(null=True)
    last_error = fields.TextField(default="")

    class Meta:
        table = "job_periodic"
