"""Tasks: create, change, close, delete, list; who a task is for. Permission checks in ``access``."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import Course, Role, User
from schoolcloud.courses.models import Lesson
from schoolcloud.courses.richtext import render_markdown
from schoolcloud.privacy import audit
from schoolcloud.files.context import FilesContext
from schoolcloud.tasks import access, records
from schoolcloud.tasks.access import TaskView, now
from schoolcloud.tasks.models import Audience, Submission, Task, TaskGroup, TaskMember
from schoolcloud.tasks.validation import TaskInput, invalid_lesson, invalid_pupil
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import N_


async def course_pupils(course: Course) -> list[User]:
    """Active pupils of the course, directly or through its classes, by name."""
    return await User.filter(Q(attended_courses__id=course.id) | Q(classes__courses__id=course.id),
                             role=Role.PUPIL, school_id=course.school_id, active=True) \
        .distinct().order_by("family_name", "given_name", "id")


async def _check_lesson(course: Course, data: TaskInput) -> None:
    if data.lesson_id is not None and not await Lesson.filter(id=data.lesson_id, course_id=course.id).exists():
        raise ValidationError([invalid_lesson()])


async def _resolve_pupils(course: Course, data: TaskInput) -> None:
    """Map the chosen pupils (account ids or public ids) to account ids of the course's pupils, or 422."""
    wanted = [*data.pupil_ids, *[pid for _, ids in data.groups for pid in ids]]
    if not wanted:
        return
    by_key: dict[int | str, int] = {}
    for pupil in await course_pupils(course):
        by_key[pupil.id] = by_key[str(pupil.public_id)] = pupil.id
    if any(key not in by_key for key in wanted):
        raise invalid_pupil()
    data.pupil_ids = list(dict.fromkeys(by_key[k] for k in data.pupil_ids))
    placed: set[int] = set()  # a pupil named twice (by id and public id) stays in the first group
    groups = []
    for name, keys in data.groups:
        members = [i for i in dict.fromkeys(by_key[k] for k in keys) if i not in placed]
        placed.update(members)
        if members:
            groups.append((name, members))
    data.groups = groups


async def _write_members(conn, task: Task, data: TaskInput) -> None:
    await TaskMember.filter(task_id=task.id).using_db(conn).delete()
    await TaskGroup.filter(task_id=task.id).using_db(conn).delete()
    if data.group_submission:
        for name, pupil_ids in data.groups:
            group = await TaskGroup.create(using_db=conn, task_id=task.id, name=name)
            await TaskMember.bulk_create([TaskMember(task_id=task.id, pupil_id=p, group_id=group.id)
                                          for p in pupil_ids], using_db=conn)
    elif data.audience == Audience.CHOSEN:
        await TaskMember.bulk_create([TaskMember(task_id=task.id, pupil_id=p) for p in data.pupil_ids],
                                     using_db=conn)


async def create_task(user: User, course_id, data: TaskInput) -> Task:
    course = await access.require_course_teacher(user, course_id)
    await _check_lesson(course, data)
    await _resolve_pupils(course, data)
    async with in_transaction() as conn:
        task = await Task.create(
            using_db=conn, school_id=course.school_id, course_id=course.id, lesson_id=data.lesson_id, title=data.title,
            instructions=data.instructions, instructions_html=render_markdown(data.instructions),
            available_from=data.available_from or now(), due_at=data.due_at, late_allowed=data.late_allowed,
            audience=data.audience, group_submission=data.group_submission, grade_scale=data.grade_scale,
            created_by=user)
        await _write_members(conn, task, data)
    await audit.record("tasks.create", actor=user, school_id=course.school_id, target_type="task",
                       target_id=task.id, details={"course": course.id})
    task.course = course
    return task


async def update_task(user: User, task_id, data: TaskInput) -> Task:
    view = await access.teacher_view(user, task_id)
    task = view.task
    await _check_lesson(task.course, data)
    await _resolve_pupils(task.course, data)
    handed_in = await Submission.filter(task_id=task.id).exists()
    who_changed = (data.audience, data.group_submission) != (task.audience, task.group_submission) \
        or await _members_differ(task, data)
    if handed_in and data.group_submission != task.group_submission:
        raise AppError("submission_mode_locked", N_("Work has been handed in: individual or group submission can "
                                                    "no longer be changed."), status=409, field="group_submission")
    if handed_in and task.group_submission and who_changed:
        raise AppError("groups_locked", N_("Work has been handed in: the groups can no longer be changed."),
                       status=409, field="groups")
    if data.grade_scale != task.grade_scale and await Submission.filter(task_id=task.id).exclude(grade="").exists():
        raise AppError("scale_locked", N_("Grades have been given: the grading scale can no longer be changed."),
                       status=409, field="grade_scale")
    async with in_transaction() as conn:
        await Task.filter(id=task.id).using_db(conn).update(
            title=data.title, lesson_id=data.lesson_id, instructions=data.instructions,
            instructions_html=render_markdown(data.instructions), available_from=data.available_from or task.available_from, due_at=data.due_at,
            late_allowed=data.late_allowed, audience=data.audience, group_submission=data.group_submission,
            grade_scale=data.grade_scale, updated_at=now())
        if who_changed:
            await _write_members(conn, task, data)
    await audit.record("tasks.update", actor=user, school_id=task.school_id, target_type="task", target_id=task.id)
    return (await access.teacher_view(user, task.id)).task


async def _members_differ(task: Task, data: TaskInput) -> bool:
    """Whether the pupils (and, for group tasks, how they are split into groups) would change; group
    names do not count (they are made in the teacher's language)."""
    rows = await TaskMember.filter(task_id=task.id).values_list("pupil_id", "group_id")
    if data.group_submission:
        current: dict[int, set[int]] = {}
        for pupil_id, group_id in rows:
            current.setdefault(group_id, set()).add(pupil_id)
        return {frozenset(ids) for ids in current.values()} != {frozenset(ids) for _, ids in data.groups}
    return {pid for pid, _ in rows} != set(data.pupil_ids if data.audience == Audience.CHOSEN else [])


async def set_closed(user: User, task_id, closed: bool) -> Task:
    view = await access.teacher_view(user, task_id)
    await Task.filter(id=view.task.id).update(closed_at=now() if closed else None)
    await audit.record("tasks.close" if closed else "tasks.reopen", actor=user, school_id=view.task.school_id,
                       target_type="task", target_id=view.task.id)
    return (await access.teacher_view(user, view.task.id)).task


async def delete_task(ctx: FilesContext, user: User, task_id) -> None:
    """Deletes the task with its submissions' records; the files stay in their owners' spaces, except the
    material and feedback kept from erased teachers (records.py), which nobody else owns."""
    view = await access.teacher_view(user, task_id)
    kept = await records.kept_folders(view.task.id)
    await Task.filter(id=view.task.id).delete()
    await records.purge(ctx, kept)
    await audit.record("tasks.delete", actor=user, school_id=view.task.school_id, target_type="task",
                       target_id=view.task.id, details={"course": view.task.course_id})


async def course_tasks(user: User, course_id) -> tuple[Course, str, list[Task]]:
    """A course's tasks as the user may see them: teachers all, pupils those visible to them."""
    course, role = await access.course_role(user, course_id)
    query = Task.filter(course_id=course.id)
    if role == access.PUPIL:
        query = query.filter(access.visible_to_pupil(user))
    # (group tasks are always for chosen pupils, so pupils outside every group do not see them)
    return course, role, await query.order_by("-available_from", "-id")


@dataclass
class Recipients:
    """Who a task is for: every pupil with their group (None for individual tasks)."""

    pupils: list[User]
    group_of: dict[int, TaskGroup]
    groups: list[TaskGroup]


async def recipients(view: TaskView) -> Recipients:
    """For teachers only: pupils never get lists of other pupils."""
    task = view.task
    if task.audience == Audience.COURSE and not task.group_submission:
        return Recipients(await course_pupils(task.course), {}, [])
    members = await TaskMember.filter(task_id=task.id, pupil__active=True).select_related("pupil", "group") \
        .order_by("pupil__family_name", "pupil__given_name", "pupil_id")
    groups = await TaskGroup.filter(task_id=task.id).order_by("id")
    return Recipients([m.pupil for m in members], {m.pupil_id: m.group for m in members if m.group}, groups)


def submission_state(task: Task, at=None) -> str:
    """``open`` (before the due date), ``late`` (after it, late work allowed) or ``closed``."""
    at = at or now()
    if task.closed_at is not None:
        return "closed"
    if task.due_at is None or at <= task.due_at:
        return "open"
    return "late" if task.late_allowed else "closed"
