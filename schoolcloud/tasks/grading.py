"""Teachers' side of a task: who handed in, who not, who late; feedback (text and files) and grades on
the task's scale; releasing feedback to the pupils, one by one or all at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import User
from schoolcloud.privacy import audit
from schoolcloud.tasks import access, notifications, services, workfolders
from schoolcloud.tasks.access import TaskView, now
from schoolcloud.courses.richtext import MAX_TEXT as MAX_MARKDOWN, render_markdown
from schoolcloud.tasks.models import FeedbackFile, Submission, TaskGroup, WorkPurpose
from schoolcloud.tasks.validation import check_grade, check_text
from schoolcloud.web.errors import Forbidden


@dataclass
class Row:
    """One line of the overview: a pupil (individual tasks) or a group, and their submission."""

    label: str
    pupils: list[User]
    submission: Submission | None
    group: TaskGroup | None = None

    @property
    def status(self) -> str:
        s = self.submission
        if s is None:
            return "missing"
        if s.feedback_released_at is not None:
            return "released"
        if s.graded_at is not None:
            return "graded"
        return "late" if s.late else "submitted"


@dataclass
class Overview:
    rows: list[Row]
    counts: dict[str, int] = field(default_factory=dict)


async def overview(user: User, task_id) -> tuple[TaskView, Overview]:
    view = await access.teacher_view(user, task_id)
    task = view.task
    who = await services.recipients(view)
    submissions = await Submission.filter(task_id=task.id)
    rows: list[Row] = []
    if task.group_submission:
        by_group = {s.group_id: s for s in submissions}
        members: dict[int, list[User]] = {}
        for pupil in who.pupils:
            members.setdefault(who.group_of[pupil.id].id, []).append(pupil)
        for group in who.groups:
            rows.append(Row(group.name, members.get(group.id, []), by_group.get(group.id), group))
    else:
        by_pupil = {s.pupil_id: s for s in submissions}
        listed = {p.id for p in who.pupils}
        rows = [Row(p.display_name, [p], by_pupil.get(p.id)) for p in who.pupils]
        # Work of pupils who have left the course since stays visible to the teacher.
        gone = [s for s in submissions if s.pupil_id not in listed]
        if gone:
            from schoolcloud.accounts.models import User as UserModel

            people = {u.id: u for u in await UserModel.filter(id__in=[s.pupil_id for s in gone])}
            rows += [Row(people[s.pupil_id].display_name, [people[s.pupil_id]], s) for s in gone if s.pupil_id in people]
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return view, Overview(rows, counts)


async def teacher_submission(user: User, submission_id) -> tuple[TaskView, Submission]:
    view, submission = await access.submission_view(user, submission_id)
    if not view.is_teacher:
        raise Forbidden()
    return view, submission


async def feedback_folder(user: User, view: TaskView, submission: Submission, label: str):
    return await workfolders.work_folder(user, view.task, WorkPurpose.FEEDBACK, submission.id, label)


async def save_feedback(user: User, submission_id, *, grade, feedback, release: bool) -> Submission:
    """Grade and comment a submission; the files in the teacher's feedback folder for it go with it.
    A grade off the task's scale is refused before anything is saved."""
    view, submission = await teacher_submission(user, submission_id)
    grade = check_grade(view.task.grade_scale, grade)
    feedback = check_text(feedback, "feedback", MAX_MARKDOWN)
    folder = await workfolders.existing_work_folder(user, view.task.id,
                                                    workfolders.work_key(WorkPurpose.FEEDBACK, submission.id))
    files = await workfolders.folder_files([folder.id]) if folder is not None else []
    at = now()
    async with in_transaction() as conn:
        await Submission.filter(id=submission.id).using_db(conn).update(
            grade=grade, feedback=feedback, feedback_html=render_markdown(feedback), graded_at=at, graded_by=user,
            **({"feedback_released_at": at} if release else {}))
        if folder is not None:
            await FeedbackFile.filter(submission_id=submission.id).using_db(conn).delete()
            await FeedbackFile.bulk_create([
                FeedbackFile(submission_id=submission.id, node_id=f.node.id, file_version_id=f.version.id,
                             name=f.node.name, size=f.version.size, content_type=f.version.content_type)
                for f in files], using_db=conn)
    await audit.record("tasks.grade", actor=user, school_id=view.task.school_id, target_type="task_submission",
                       target_id=submission.id, details={"released": release})
    submission = await Submission.get(id=submission.id)
    if release:
        await notifications.feedback_released(view.task, [submission])
    return submission


async def reopen(user: User, submission_id) -> Submission:
    """Give the work back for changes: the grade stays, the pupil may hand in a new version."""
    view, submission = await teacher_submission(user, submission_id)
    await Submission.filter(id=submission.id).update(graded_at=None, feedback_released_at=None)
    return await Submission.get(id=submission.id)


async def release_all(user: User, task_id) -> int:
    """Release the feedback of every graded submission of the task that is not released yet."""
    view = await access.teacher_view(user, task_id)
    at = now()
    pending = await Submission.filter(task_id=view.task.id, graded_at__not_isnull=True, feedback_released_at=None)
    if not pending:
        return 0
    await Submission.filter(id__in=[s.id for s in pending], feedback_released_at=None).update(feedback_released_at=at)
    for s in pending:
        s.feedback_released_at = at
    await notifications.feedback_released(view.task, pending)
    await audit.record("tasks.release_feedback", actor=user, school_id=view.task.school_id, target_type="task",
                       target_id=view.task.id, details={"count": len(pending)})
    return len(pending)


async def feedback_files(submission: Submission) -> list[FeedbackFile]:
    return await FeedbackFile.filter(submission_id=submission.id).order_by("name", "id")
