"""The start page's sections, one query each however many courses the user has.

Pupil: today's lessons; open tasks (visible, not handed in, still accepting work) by due date; feedback
released in the last two weeks. Teacher: tasks of their courses with submissions waiting for feedback;
upcoming lessons.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tortoise.expressions import Q
from tortoise.functions import Count

from schoolcloud.accounts.models import Role, User
from schoolcloud.courses.models import Lesson
from schoolcloud.tasks import access, pupil_rows
from schoolcloud.tasks.access import now
from schoolcloud.tasks.models import Submission, Task
from schoolcloud.tasks.validation import SCHOOL_TZ

FEEDBACK_DAYS = 14
LIMIT = 20
_FAR = datetime.max.replace(tzinfo=None)


async def open_tasks(user: User) -> list[Task]:
    """A pupil's tasks still to do, the nearest due date first (no due date last)."""
    if user.role != Role.PUPIL or user.school_id is None:
        return []
    tasks = await pupil_rows.open_tasks(user, now(), 5 * LIMIT)
    tasks.sort(key=lambda t: (t.due_at is None, t.due_at.replace(tzinfo=None) if t.due_at else _FAR, t.id))
    return tasks[:LIMIT]


async def new_feedback(user: User) -> list[Submission]:
    """A pupil's (or their groups') submissions whose feedback came in the last two weeks."""
    if user.role != Role.PUPIL or user.school_id is None:
        return []
    return await pupil_rows.new_feedback(user, now() - timedelta(days=FEEDBACK_DAYS), LIMIT)


async def tasks_with_new_work(user: User) -> list[dict]:
    """A teacher's tasks with submissions not graded yet: ``{task_id, title, course, due_at, waiting}``,
    most waiting first."""
    if user.role != Role.TEACHER or user.school_id is None:
        return []
    rows = await Submission.filter(task__course_id__in=access.taught_courses(user), graded_at=None) \
        .annotate(waiting=Count("id")) \
        .group_by("task_id", "task__title", "task__due_at", "task__course__name") \
        .order_by("-waiting", "task_id").limit(LIMIT) \
        .values("task_id", "task__title", "task__due_at", "task__course__name", "waiting")
    return [{"task_id": r["task_id"], "title": r["task__title"], "due_at": r["task__due_at"],
             "course": r["task__course__name"], "waiting": r["waiting"]} for r in rows]


def _today() -> tuple[date, date]:
    """Today in the school's time zone, and the Monday of this week (lessons planned by week)."""
    today = now().astimezone(SCHOOL_TZ).date()
    return today, today - timedelta(days=today.weekday())


async def todays_lessons(user: User) -> list[Lesson]:
    """A pupil's published lessons of today (or of this week, for lessons planned by week)."""
    if user.role != Role.PUPIL or user.school_id is None:
        return []
    today, monday = _today()
    return await pupil_rows.todays_lessons(user, now(), today, monday, LIMIT)


async def upcoming_lessons(user: User) -> list[Lesson]:
    """A teacher's lessons from today on (this week's, for lessons planned by week), drafts included."""
    if user.role != Role.TEACHER or user.school_id is None:
        return []
    today, monday = _today()
    return await Lesson.filter(Q(date__gte=today) | Q(date=monday, by_week=True),
                               course_id__in=access.taught_courses(user)) \
        .select_related("course").order_by("date", "position", "id").limit(LIMIT)
