"""The sections of the data export that other domains hold: lessons and library entries a person wrote,
tasks they set, their hand-ins (every version with its files) with their feedback and grades,
notifications, teams they made, and their part in media development plans. Schema: EXPORT.md.

Only data about the person: a teacher's export names the tasks they set and how many hand-ins they
graded, never a pupil's work, feedback or grade. A pupil's export holds the feedback and grade also
while the teacher has not released them yet, marked as a draft: they are personal data about the pupil
(privacy/README.md "Drafts of feedback in the export")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.functions import Count

from schoolcloud.accounts.models import User
from schoolcloud.courses.models import LessonBlock, Lesson, LibraryEntry
from schoolcloud.files.models import FileVersion
from schoolcloud.planning.models import CarrierMember, PlanDocument, PlanEditor, PlanRevision, PlanStatusChange
from schoolcloud.tasks.models import (FeedbackFile, Notification, Submission, SubmissionVersion, SubmittedFile,
                                      Task, TaskMember)
from schoolcloud.teams.models import Team


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def safe(name: str) -> str:
    name = name.replace("\\", "_").replace("/", "_")
    return "_" if name in ("", ".", "..") else name


@dataclass
class ArchiveFile:
    """A stored object that goes into the archive at ``path``."""

    path: str
    object_key: str
    size: int
    modified: datetime


class Paths:
    """Archive paths, unique regardless of case."""

    def __init__(self):
        self.used: set[str] = set()

    def take(self, path: str, tiebreak) -> str:
        if path.lower() in self.used:
            stem, dot, ext = path.rpartition(".")
            path = f"{stem} ({tiebreak}).{ext}" if dot and "/" not in ext else f"{path} ({tiebreak})"
        self.used.add(path.lower())
        return path


async def lessons(user: User) -> dict:
    rows = await Lesson.filter(created_by_id=user.id).prefetch_related("course").order_by("id")
    blocks: dict[int, list] = {}
    for start in range(0, len(rows), 500):
        ids = [r.id for r in rows[start:start + 500]]
        for b in await LessonBlock.filter(lesson_id__in=ids).order_by("lesson_id", "position", "id"):
            blocks.setdefault(b.lesson_id, []).append(
                {"kind": b.kind, "text": b.text, "url": b.url or None, "title": b.title or None})
    entries = await LibraryEntry.filter(published_by_id=user.id).order_by("id")
    return {
        "lessons_authored": [{"course": r.course.name, "title": r.title, "date": iso(r.date), "by_week": r.by_week,
                              "description": r.description, "publish_at": iso(r.publish_at), "shared": r.shared,
                              "created_at": iso(r.created_at), "updated_at": iso(r.updated_at),
                              "blocks": blocks.get(r.id, [])} for r in rows],
        "library_entries": [{"kind": e.kind, "title": e.title, "description": e.description, "subject": e.subject,
                             "grade_from": e.grade_from, "grade_to": e.grade_to, "licence": e.licence,
                             "published_at": iso(e.published_at)} for e in entries],
    }


async def tasks_set(user: User) -> dict:
    tasks = await Task.filter(created_by_id=user.id).prefetch_related("course").order_by("id")
    graded = await Submission.filter(graded_by_id=user.id).group_by("task_id").annotate(n=Count("id")) \
        .values_list("task_id", "n")
    titles = dict(await Task.filter(id__in=[t for t, _ in graded]).values_list("id", "title")) if graded else {}
    return {
        "tasks_set": [{"course": t.course.name, "title": t.title, "instructions": t.instructions,
                       "available_from": iso(t.available_from), "due_at": iso(t.due_at),
                       "late_allowed": t.late_allowed, "audience": t.audience, "group_submission": t.group_submission,
                       "grade_scale": t.grade_scale, "closed_at": iso(t.closed_at), "created_at": iso(t.created_at)}
                      for t in tasks],
        "grading_done": [{"task": titles.get(task_id, ""), "submissions_graded": n} for task_id, n in graded],
    }


async def _object_keys(version_ids: list[int]) -> dict[int, str]:
    keys: dict[int, str] = {}
    for start in range(0, len(version_ids), 500):
        keys.update(dict(await FileVersion.filter(id__in=version_ids[start:start + 500], missing_at__isnull=True)
                         .values_list("id", "object_key")))
    return keys


async def submissions(user: User, paths: Paths, files: list[ArchiveFile]) -> list[dict]:
    """The person's hand-ins (their own, and their group's) with every version and its files, and the
    released feedback with its files; the files are added to ``files`` under ``submissions/``."""
    group_ids = [g for g in await TaskMember.filter(pupil_id=user.id, group_id__not_isnull=True)
                 .values_list("group_id", flat=True)]
    rows = await Submission.filter(Q(pupil_id=user.id) | Q(group_id__in=group_ids or [0])) \
        .prefetch_related("task__course", "group").order_by("id")
    if not rows:
        return []
    ids = [s.id for s in rows]
    versions = await SubmissionVersion.filter(submission_id__in=ids).order_by("submission_id", "number")
    version_files = await SubmittedFile.filter(version_id__in=[v.id for v in versions]).order_by("id")
    feedback_files = await FeedbackFile.filter(submission_id__in=ids).order_by("id")
    keys = await _object_keys([f.file_version_id for f in [*version_files, *feedback_files] if f.file_version_id])
    by_version: dict[int, list] = {}
    for f in version_files:
        by_version.setdefault(f.version_id, []).append(f)
    by_submission: dict[int, list] = {}
    for v in versions:
        by_submission.setdefault(v.submission_id, []).append(v)
    feedback_by: dict[int, list] = {}
    for f in feedback_files:
        feedback_by.setdefault(f.submission_id, []).append(f)

    def entry(ref, folder: str, modified: datetime) -> dict:
        key = keys.get(ref.file_version_id)
        path = None
        if key:
            path = paths.take(f"{folder}/{safe(ref.name)}", ref.id)
            files.append(ArchiveFile(path, key, ref.size, modified))
        return {"name": ref.name, "size": ref.size, "content_type": ref.content_type, "path": path}

    out = []
    for s in rows:
        folder = f"submissions/{s.task_id} {safe(s.task.title)}"
        released = s.feedback_released_at is not None
        given = feedback_by.get(s.id, [])
        drafted = not released and bool(s.feedback or s.grade or given or s.graded_at)
        feedback_folder = f"{folder}/feedback" if released else f"{folder}/feedback (draft)"
        stamp = s.feedback_released_at or s.graded_at or s.submitted_at
        out.append({
            "task": {"title": s.task.title, "course": s.task.course.name, "due_at": iso(s.task.due_at)},
            "group": s.group.name if s.group_id else None,
            "submitted_at": iso(s.submitted_at), "late": s.late,
            "versions": [{"number": v.number, "text": v.text, "submitted_at": iso(v.submitted_at), "late": v.late,
                          "submitted_by": "self" if v.submitted_by_id == user.id else "group member",
                          "files": [entry(f, f"{folder}/version {v.number}", v.submitted_at)
                                    for f in by_version.get(v.id, [])]}
                         for v in by_submission.get(s.id, [])],
            "feedback": {"text": s.feedback, "grade": s.grade or None, "grade_scale": s.task.grade_scale,
                         "graded_at": iso(s.graded_at), "released_at": iso(s.feedback_released_at),
                         "draft": not released,
                         "files": [entry(f, feedback_folder, stamp) for f in given]}
            if released or drafted else None,
        })
    return out


async def notifications(user: User) -> list[dict]:
    rows = await Notification.filter(user_id=user.id).prefetch_related("task").order_by("id")
    return [{"kind": n.kind, "task": n.task.title if n.task_id else None, "created_at": iso(n.created_at),
             "read_at": iso(n.read_at)} for n in rows]


async def teams_created(user: User) -> list[dict]:
    return [{"name": t.name, "created_at": iso(t.created_at)}
            for t in await Team.filter(created_by_id=user.id).order_by("id")]


async def planning(user: User) -> dict:
    created = await PlanDocument.filter(created_by_id=user.id).order_by("id")
    revisions = await PlanRevision.filter(author_id=user.id).order_by("id")
    steps = await PlanStatusChange.filter(actor_id=user.id).order_by("id")
    invited = await PlanEditor.filter(user_id=user.id).order_by("id")
    carriers = await CarrierMember.filter(user_id=user.id).prefetch_related("carrier").order_by("id")
    plan_ids = {r.plan_id for r in [*revisions, *steps, *invited]}
    titles = dict(await PlanDocument.filter(id__in=list(plan_ids)).values_list("id", "title")) if plan_ids else {}
    return {
        "plans_created": [{"title": p.title, "programme": p.programme, "status": p.status,
                           "created_at": iso(p.created_at)} for p in created],
        "plan_edits": [{"plan": titles.get(r.plan_id), "revision": r.number, "title": r.title, "note": r.note,
                        "created_at": iso(r.created_at)} for r in revisions],
        "plan_status_changes": [{"plan": titles.get(c.plan_id), "from": c.from_status, "to": c.to_status,
                                 "comment": c.comment, "created_at": iso(c.created_at)} for c in steps],
        "plan_invitations": [{"plan": titles.get(e.plan_id), "since": iso(e.created_at)} for e in invited],
        "carrier_memberships": [{"carrier": m.carrier.name, "since": iso(m.created_at)} for m in carriers],
    }
