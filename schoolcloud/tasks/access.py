"""Who sees which task: the one place the tasks services ask.

- Teachers of the course see and manage its tasks, and all their submissions.
- Pupils of the course (directly or through a class of the course) see a task from ``available_from``
  on, when it is for the whole course or lists them; they see only their own (or their group's)
  submission, and its feedback once it is released.
- Nobody else: not teachers of other courses, not pupils of other courses, not the school's
  administrators (pupils' work is for their teachers), never anyone of another school.

Everything a user may not see answers 404 (no hint that it exists); what they may see but not change
answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.expressions import Q, Subquery

from schoolcloud.accounts.models import Course, Role, User
from schoolcloud.tasks.models import Audience, Submission, Task, TaskMember
from schoolcloud.web.errors import Forbidden, NotFound

TEACHER = "teacher"
PUPIL = "pupil"


def now() -> datetime:
    return datetime.now(timezone.utc)


def as_int(value, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound(what) from None
    if number <= 0 or number > 2**31 - 1:
        raise NotFound(what)
    return number


def _in_school(user: User) -> bool:
    return bool(user.active and user.school_id is not None)


def pupil_courses(user: User) -> Subquery:
    """The ids of the courses a pupil attends, directly or through one of the course's classes."""
    return Subquery(Course.filter(Q(pupils__id=user.id) | Q(classes__members__id=user.id),
                                  school_id=user.school_id).values("id"))


def taught_courses(user: User) -> Subquery:
    return Subquery(Course.filter(teachers__id=user.id, school_id=user.school_id).values("id"))


def visible_to_pupil(user: User, at: datetime | None = None) -> Q:
    """Tasks a pupil sees: of their courses, for the whole course or naming them, available now."""
    return Q(Q(audience=Audience.COURSE) | Q(id__in=Subquery(TaskMember.filter(pupil_id=user.id).values("task_id"))),
             course_id__in=pupil_courses(user), school_id=user.school_id, available_from__lte=at or now())


async def course_role(user: User, course_id) -> tuple[Course, str]:
    """The course and the user's role in it, or 404."""
    course_id = as_int(course_id, "course")
    if not _in_school(user) or user.role not in (Role.TEACHER, Role.PUPIL):
        raise NotFound("course")
    course = await Course.get_or_none(id=course_id, school_id=user.school_id)
    if course is None:
        raise NotFound("course")
    if user.role == Role.TEACHER:
        if await Course.filter(id=course.id, teachers__id=user.id).exists():
            return course, TEACHER
    elif await Course.filter(Q(pupils__id=user.id) | Q(classes__members__id=user.id), id=course.id).exists():
        return course, PUPIL
    raise NotFound("course")


async def require_course_teacher(user: User, course_id) -> Course:
    course, role = await course_role(user, course_id)
    if role != TEACHER:
        raise Forbidden()
    return course


@dataclass
class TaskView:
    """A task as one user may see it: their role, and for pupils their membership (group)."""

    task: Task
    role: str
    member: TaskMember | None = None

    @property
    def is_teacher(self) -> bool:
        return self.role == TEACHER


async def task_view(user: User, task_id) -> TaskView:
    """The task with the user's role in it, or 404. ``task.course`` is fetched."""
    task_id = as_int(task_id, "task")
    if not _in_school(user) or user.role not in (Role.TEACHER, Role.PUPIL):
        raise NotFound("task")
    task = await Task.get_or_none(id=task_id, school_id=user.school_id).select_related("course")
    if task is None:
        raise NotFound("task")
    if user.role == Role.TEACHER:
        if await Course.filter(id=task.course_id, teachers__id=user.id).exists():
            return TaskView(task, TEACHER)
        raise NotFound("task")
    if not await Task.filter(visible_to_pupil(user), id=task.id).exists():
        raise NotFound("task")
    member = await TaskMember.get_or_none(task_id=task.id, pupil_id=user.id)
    if task.group_submission and (member is None or member.group_id is None):
        raise NotFound("task")  # a group task is only for the pupils placed in its groups
    return TaskView(task, PUPIL, member)


async def teacher_view(user: User, task_id) -> TaskView:
    view = await task_view(user, task_id)
    if not view.is_teacher:
        raise Forbidden()
    return view


def own_submission_q(view: TaskView, user: User) -> Q:
    """The submission that belongs to a pupil: their own, or their group's."""
    if view.task.group_submission:
        return Q(task_id=view.task.id, group_id=view.member.group_id if view.member else -1)
    return Q(task_id=view.task.id, pupil_id=user.id)


async def submission_view(user: User, submission_id) -> tuple[TaskView, Submission]:
    """A submission for its task's teachers, or for the pupil (group) it belongs to; else 404."""
    submission_id = as_int(submission_id, "submission")
    submission = await Submission.get_or_none(id=submission_id)
    if submission is None:
        raise NotFound("submission")
    try:
        view = await task_view(user, submission.task_id)
    except NotFound:
        raise NotFound("submission") from None
    if not view.is_teacher and not await Submission.filter(own_submission_q(view, user), id=submission.id).exists():
        raise NotFound("submission")
    return view, submission
