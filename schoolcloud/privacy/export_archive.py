"""Exports as background jobs (Art. 15/20): request one, follow its progress, download the archive
until its link expires. The archive itself is built by the job in export_jobs.py.

Who: a person for themselves, a school administrator for an account of their school (a parent's request
for a pupil). One export per account is prepared at a time (the job's unique key), whoever asked. The
archive is downloaded only by the person who requested it; its progress is visible to them, to the
subject and to the subject's school administrators. Request and download are audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.expressions import F, Q

from schoolcloud import jobs
from schoolcloud.accounts.models import Role, User
from schoolcloud.accounts.services_base import record
from schoolcloud.accounts.services_users import Conflict
from schoolcloud.files.content import discard
from schoolcloud.files.context import FilesContext
from schoolcloud.jobs.models import Job, JobStatus
from schoolcloud.privacy.models import DataExport
from schoolcloud.privacy.services_export import subject_for
from schoolcloud.web.errors import AppError, NotFound
from schoolcloud.web.i18n import N_

KIND = "privacy.export"
SHOWN = 5  # exports listed per page (the newest)


def now() -> datetime:
    return datetime.now(timezone.utc)


def unique_key(subject_id: int) -> str:
    return f"export:{subject_id}"


class ExportRunning(Conflict):
    def __init__(self, running: "ExportView | None"):
        super().__init__("export_running", N_("An export of this account's data is already being prepared. "
                                              "Its progress is shown on the privacy page; a second one is not "
                                              "started."))
        self.running = running

    def as_json(self, locale: str = "de") -> dict:
        body = super().as_json(locale)
        if self.running is not None:
            body["export"] = self.running.as_json()
        return body


@dataclass
class ExportView:
    export: DataExport
    status: str  # queued | running | ready | failed | expired
    done: int
    total: int
    error: str

    @property
    def percent(self) -> int:
        if self.status == "ready":
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0

    @property
    def id(self) -> str:
        return str(self.export.public_id)

    def as_json(self) -> dict:
        e = self.export
        return {"id": self.id, "status": self.status, "done": self.done, "total": self.total,
                "percent": self.percent, "size": e.size if self.status == "ready" else None,
                "created_at": e.created_at.isoformat(), "expires_at": e.expires_at.isoformat() if e.expires_at else None,
                "download": f"/api/v1/privacy/exports/{self.id}/download" if self.status == "ready" else None,
                "error": self.error or None}


def _view(export: DataExport, job: Job | None, stamp: datetime) -> ExportView:
    if export.object_key:
        status = "ready" if export.expires_at and export.expires_at > stamp else "expired"
        return ExportView(export, status, export.size, export.size, "")
    if job is None or job.status == JobStatus.DONE:  # done without an archive: the subject went away
        return ExportView(export, "failed", 0, 0, job.error if job else "")
    return ExportView(export, job.status, job.progress_done, job.progress_total, job.error)


async def _views(rows: list[DataExport]) -> list[ExportView]:
    job_ids = [r.job_id for r in rows if r.job_id]
    found = {j.id: j for j in await Job.filter(id__in=job_ids)} if job_ids else {}
    stamp = now()
    return [_view(r, found.get(r.job_id), stamp) for r in rows]


async def _running(subject_id: int) -> DataExport | None:
    job = await Job.get_or_none(unique_key=unique_key(subject_id))
    return await DataExport.filter(job_id=job.id).first() if job else None


async def request_export(actor: User, user_id=None) -> ExportView:
    """Queue an export of the actor's own data (``user_id`` None) or, for a school admin, of an account of
    their school. Refuses with ``ExportRunning`` (409) while one of the same account is being prepared."""
    subject = await subject_for(actor, user_id)
    export = await DataExport.create(public_id=uuid.uuid4(), school_id=subject.school_id, subject_id=subject.id,
                                     requested_by_id=actor.id, created_at=now())
    try:
        job = await jobs.enqueue(KIND, {"export": export.id}, school_id=subject.school_id,
                                 requested_by_id=actor.id, unique_key=unique_key(subject.id))
    except jobs.AlreadyQueued:
        await DataExport.filter(id=export.id).delete()
        running = await _running(subject.id)
        raise ExportRunning((await _views([running]))[0] if running else None) from None
    await DataExport.filter(id=export.id).update(job_id=job.id)
    export.job_id = job.id
    await record("privacy.export", actor, school_id=subject.school_id, target_type="user",
                 target_id=subject.public_id,
                 details={"export": str(export.public_id), "by": "self" if actor.id == subject.id else actor.role})
    return (await _views([export]))[0]


async def exports_for(actor: User, user_id=None) -> list[ExportView]:
    """For the privacy pages: the actor's recent exports of the subject, and one being prepared for the
    subject at someone else's request (its progress, not its download)."""
    subject = await subject_for(actor, user_id)
    rows = await DataExport.filter(subject_id=subject.id, requested_by_id=actor.id).order_by("-id").limit(SHOWN)
    running = await _running(subject.id)
    if running is not None and running.id not in {r.id for r in rows}:
        rows.insert(0, running)
    return await _views(rows)


def _parse(export_id) -> uuid.UUID:
    try:
        return uuid.UUID(str(export_id))
    except ValueError:
        raise NotFound("export") from None


async def _visible(actor: User, export_id) -> DataExport:
    """An export the actor may follow: requested by them, about them, or (school admins) about an
    account of their school; else 404."""
    export = await DataExport.get_or_none(public_id=_parse(export_id))
    if export is None:
        raise NotFound("export")
    if actor.id in (export.requested_by_id, export.subject_id):
        return export
    if actor.role == Role.SCHOOL_ADMIN and actor.school_id is not None and export.school_id == actor.school_id:
        return export
    raise NotFound("export")


async def status(actor: User, export_id) -> ExportView:
    return (await _views([await _visible(actor, export_id)]))[0]


class ExportNotReady(AppError):
    status_code = 409

    def __init__(self):
        super().__init__("export_not_ready", N_("This export is not ready yet. Please wait until its progress "
                                                "bar is full."))


class ExportExpired(AppError):
    status_code = 410

    def __init__(self):
        super().__init__("export_expired", N_("This download link has expired and the archive was deleted. "
                                              "Please request a new export."))


async def open_download(ctx: FilesContext, actor: User, export_id):
    """The export row and a stream of its archive, for the person who requested it (others: 404).
    The download is audited."""
    export = await DataExport.get_or_none(public_id=_parse(export_id), requested_by_id=actor.id)
    if export is None:
        raise NotFound("export")
    view = (await _views([export]))[0]
    if view.status == "expired":
        raise ExportExpired()
    if view.status != "ready":
        raise ExportNotReady()
    stream = await ctx.store.open(export.object_key)
    await DataExport.filter(id=export.id).update(downloads=F("downloads") + 1)
    subject = await User.get(id=export.subject_id)
    await record("privacy.export_download", actor, school_id=export.school_id, target_type="user",
                 target_id=subject.public_id, details={"export": str(export.public_id), "size": export.size})
    return export, subject, stream


async def remove(ctx: FilesContext, query) -> int:
    """Delete these exports: rows (and their finished jobs) first, then the archives."""
    rows = await query.values_list("id", "object_key", "job_id")
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    await DataExport.filter(id__in=ids).delete()
    job_ids = [r[2] for r in rows if r[2]]
    if job_ids:
        await Job.filter(id__in=job_ids, status__in=[JobStatus.DONE, JobStatus.FAILED]).delete()
    await discard(ctx, *[r[1] for r in rows if r[1]])
    return len(ids)


async def remove_for_account(ctx: FilesContext, user: User) -> int:
    """Erasure: the archives about the person and those they requested."""
    return await remove(ctx, DataExport.filter(Q(subject_id=user.id) | Q(requested_by_id=user.id)))
