"""JSON shapes of the tasks API (pupils' answers never carry other pupils' names, except their own
group's)."""

from __future__ import annotations

from datetime import datetime

from schoolcloud.tasks.models import FeedbackFile, Notification, Submission, SubmittedFile, Task
from schoolcloud.tasks.services import submission_state
from schoolcloud.tasks.submissions import VersionView
from schoolcloud.tasks.workfolders import FileState


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def task_json(task: Task, role: str | None = None, attachments: list[FileState] | None = None) -> dict:
    body = {
        "id": task.id, "course_id": task.course_id, "lesson_id": task.lesson_id, "title": task.title,
        "instructions_html": task.instructions_html, "available_from": iso(task.available_from),
        "due_at": iso(task.due_at), "late_allowed": task.late_allowed, "group_submission": task.group_submission,
        "grade_scale": task.grade_scale, "closed": task.closed_at is not None, "state": submission_state(task),
    }
    if role is not None:
        body["role"] = role
    if role == "teacher":
        body.update(instructions=task.instructions, audience=task.audience)
    if attachments is not None:
        body["attachments"] = [{"id": a.node.id, "name": a.node.name, "size": a.version.size,
                                "url": f"/api/v1/tasks/{task.id}/attachments/{a.node.id}"} for a in attachments]
    return body


def file_json(row: SubmittedFile | FeedbackFile, kind: str) -> dict:
    return {"id": row.id, "name": row.name, "size": row.size, "content_type": row.content_type,
            "available": row.file_version_id is not None, "url": f"/api/v1/task-files/{kind}/{row.id}"}


def versions_json(versions: list[VersionView]) -> list[dict]:
    return [{"number": v.version.number, "text": v.version.text, "submitted_at": iso(v.version.submitted_at),
             "late": v.version.late, "files": [file_json(f, "submitted") for f in v.files]} for v in versions]


def submission_json(submission: Submission, versions: list[VersionView], feedback_files: list[FeedbackFile],
                    *, teacher: bool) -> dict:
    """For a pupil, grade and feedback appear only once released."""
    released = submission.feedback_released_at is not None
    body = {
        "id": submission.id, "task_id": submission.task_id, "submitted_at": iso(submission.submitted_at),
        "late": submission.late, "graded": submission.graded_at is not None, "released": released,
        "versions": versions_json(versions),
    }
    if teacher or released:
        body.update(grade=submission.grade or None, feedback_html=submission.feedback_html,
                    feedback_files=[file_json(f, "feedback") for f in feedback_files],
                    released_at=iso(submission.feedback_released_at))
    if teacher:
        body.update(feedback=submission.feedback, group_id=submission.group_id)
    return body


def notification_json(row: Notification) -> dict:
    task = row.task
    return {"id": row.id, "kind": row.kind, "created_at": iso(row.created_at), "read": row.read_at is not None,
            "task": {"id": task.id, "title": task.title, "course": task.course.name,
                     "due_at": iso(task.due_at)} if task else None}
