"""Handing in: a pupil's text and the files of their work folder become a new submission version.

Allowed until the due date (after it only when the task takes late work), and only while the
submission is not graded and the task is not closed. Every version is kept; a refused hand-in changes
nothing (the versions before it stay as they were).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import User
from schoolcloud.tasks import access, workfolders
from schoolcloud.tasks.access import TaskView, now
from schoolcloud.tasks.models import Submission, SubmissionVersion, SubmittedFile, TaskMember, WorkPurpose
from schoolcloud.tasks.services import submission_state
from schoolcloud.tasks.validation import check_text
from schoolcloud.web.errors import AppError, Forbidden
from schoolcloud.web.i18n import N_


def closed_error(view: TaskView) -> AppError:
    if view.task.closed_at is not None:
        return AppError("task_closed", N_("This task is closed: nothing can be handed in any more."), status=409)
    return AppError("deadline_passed", N_("The due date has passed and this task does not accept late work."),
                    status=409)


def graded_error() -> AppError:
    return AppError("already_graded", N_("Your work has been graded and can no longer be changed."), status=409)


async def own_submission(view: TaskView, user: User) -> Submission | None:
    return await Submission.filter(access.own_submission_q(view, user)).first()


async def require_can_submit(user: User, task_id) -> TaskView:
    """The pupil's task view, if they may hand in now; else the reason (before any byte is read)."""
    view = await access.task_view(user, task_id)
    if view.is_teacher:
        raise Forbidden()
    if submission_state(view.task) == "closed":
        raise closed_error(view)
    existing = await own_submission(view, user)
    if existing is not None and existing.graded_at is not None:
        raise graded_error()
    return view


async def submission_folder(user: User, task_id):
    """The pupil's work folder for the task, where their files are uploaded before handing in."""
    view = await require_can_submit(user, task_id)
    return view, await workfolders.work_folder(user, view.task, WorkPurpose.SUBMISSION)


async def submit(user: User, task_id, text) -> SubmissionVersion:
    """Hand in the text and the files now in the pupil's work folder as a new version."""
    text = check_text(text).strip()
    view = await require_can_submit(user, task_id)
    task = view.task
    folder = await workfolders.existing_work_folder(user, task.id, WorkPurpose.SUBMISSION)
    files = await workfolders.folder_files([folder.id]) if folder is not None else []
    if not text and not files:
        raise AppError("submission_empty", N_("Please write something or add a file before handing in."),
                       status=422, field="text")
    at = now()
    late = task.due_at is not None and at > task.due_at
    owner = {"group_id": view.member.group_id} if task.group_submission else {"pupil_id": user.id}
    for _attempt in range(3):
        try:
            async with in_transaction() as conn:
                submission = await Submission.filter(task_id=task.id, **owner).using_db(conn).first()
                if submission is None:
                    submission = await Submission.create(using_db=conn, task_id=task.id, submitted_at=at,
                                                         late=late, **owner)
                # Conditional: a grade given meanwhile (or a second hand-in at the same moment) wins.
                advanced = await Submission.filter(id=submission.id, graded_at=None,
                                                   versions_count=submission.versions_count) \
                    .using_db(conn).update(versions_count=F("versions_count") + 1, submitted_at=at, late=late)
                if not advanced:
                    fresh = await Submission.get(id=submission.id).using_db(conn)
                    if fresh.graded_at is not None:
                        raise graded_error()
                    raise IntegrityError("version number taken")
                version = await SubmissionVersion.create(
                    using_db=conn, submission_id=submission.id, number=submission.versions_count + 1, text=text,
                    submitted_by=user, submitted_at=at, late=late)
                await SubmittedFile.bulk_create([
                    SubmittedFile(version_id=version.id, node_id=f.node.id, file_version_id=f.version.id,
                                  name=f.node.name, size=f.version.size, content_type=f.version.content_type)
                    for f in files], using_db=conn)
                return version
        except IntegrityError:
            continue  # another hand-in of the same pupil or group came first: take the next number
    raise AppError("busy", N_("Please try again."), status=409)


@dataclass
class VersionView:
    version: SubmissionVersion
    files: list[SubmittedFile]


async def versions_of(submission: Submission) -> list[VersionView]:
    """Newest first, with their files (two queries)."""
    versions = await SubmissionVersion.filter(submission_id=submission.id).order_by("-number")
    files: dict[int, list[SubmittedFile]] = {}
    for row in await SubmittedFile.filter(version_id__in=[v.id for v in versions]).order_by("name", "id"):
        files.setdefault(row.version_id, []).append(row)
    return [VersionView(v, files.get(v.id, [])) for v in versions]


async def group_names(view: TaskView) -> list[str]:
    """The names of a pupil's own group (the only other pupils a pupil is ever shown)."""
    if not view.task.group_submission or view.member is None or view.member.group_id is None:
        return []
    members = await TaskMember.filter(group_id=view.member.group_id).select_related("pupil") \
        .order_by("pupil__family_name", "pupil__given_name")
    return [m.pupil.display_name for m in members]
