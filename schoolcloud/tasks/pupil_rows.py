"""Hand-written SQL for what a pupil's pages ask on every login: the notifications sync and unread count
of the navigation and the start page's sections (see schoolcloud.rows for why).

Building these statements through the ORM (subqueries for the pupil's courses, hand-ins and notices,
`select_related`) cost about half of a whole login's CPU outside the password hash in
bench/login_storm.py; SQLite answers them in a fraction of that. The rules are those of
``access.visible_to_pupil``, ``access.pupil_courses`` and ``notifications._own_submissions``, written
out once here; tests/test_tasks_pupil_rows.py checks them against each case those rules distinguish.
"""

from __future__ import annotations

import functools
from datetime import date, datetime

from schoolcloud import rows
from schoolcloud.accounts.models import Course, User
from schoolcloud.courses.models import Lesson
from schoolcloud.tasks.models import Audience, NotificationKind, Submission, Task

# The courses a pupil attends, directly or through one of the course's classes, in their school.
_COURSES = ("SELECT c.id FROM course c JOIN course_pupil p ON p.course_id = c.id "
            "WHERE p.user_id = ? AND c.school_id = ? "
            "UNION SELECT c.id FROM course c JOIN course_class k ON k.course_id = c.id "
            "JOIN class_member m ON m.school_class_id = k.schoolclass_id WHERE m.user_id = ? AND c.school_id = ?")

# Tasks (alias t) the pupil sees at a moment: of their courses, for the whole course or naming them.
_VISIBLE = (f"t.course_id IN ({_COURSES}) AND t.school_id = ? AND t.available_from <= ? "
            "AND (t.audience = ? OR t.id IN (SELECT task_id FROM task_member WHERE pupil_id = ?))")

# Tasks the pupil (or one of their groups) has handed in work for.
_HANDED_IN = ("SELECT task_id FROM task_submission WHERE pupil_id = ? OR group_id IN "
              "(SELECT group_id FROM task_member WHERE pupil_id = ? AND group_id IS NOT NULL)")

_NOTIFIED = "SELECT task_id FROM notification WHERE user_id = ? AND kind = ? AND task_id IS NOT NULL"


def _courses_params(user: User) -> tuple:
    return user.id, user.school_id, user.id, user.school_id


def _visible_params(user: User, at: datetime) -> tuple:
    return (*_courses_params(user), user.school_id, rows.db_value(Task, "available_from", at), Audience.COURSE,
            user.id)


def _at(field: str, at: datetime):
    return rows.db_value(Task, field, at)


_MISSING_NOTICES = (
    f"SELECT '{NotificationKind.NEW_TASK}' AS kind, t.id AS id, t.available_from AS available_from FROM task t "
    f"WHERE {_VISIBLE} AND t.available_from >= ? AND t.id NOT IN ({_NOTIFIED}) "
    f"UNION ALL SELECT '{NotificationKind.DUE_SOON}', t.id, t.available_from FROM task t "
    f"WHERE {_VISIBLE} AND t.closed_at IS NULL AND t.due_at > ? AND t.due_at <= ? "
    f"AND t.id NOT IN ({_NOTIFIED}) AND t.id NOT IN ({_HANDED_IN})")


async def missing_notices(user: User, at: datetime, new_since: datetime,
                          due_until: datetime) -> tuple[list[tuple[int, datetime]], list[int]]:
    """(new tasks available since ``new_since`` as (id, available_from), tasks due until ``due_until``
    and not handed in) that the pupil has no notice of yet, in one statement."""
    found = await rows.fetch_all(
        _MISSING_NOTICES,
        *_visible_params(user, at), _at("available_from", new_since), user.id, NotificationKind.NEW_TASK,
        *_visible_params(user, at), _at("due_at", at), _at("due_at", due_until), user.id,
        NotificationKind.DUE_SOON, user.id, user.id)
    to_datetime = Task._meta.fields_map["available_from"].to_python_value
    new = [(row["id"], to_datetime(row["available_from"])) for row in found if row["kind"] == NotificationKind.NEW_TASK]
    soon = [row["id"] for row in found if row["kind"] == NotificationKind.DUE_SOON]
    return new, soon


async def unread_count(user_id: int) -> int:
    found = await rows.fetch_one("SELECT COUNT(*) AS unread FROM notification WHERE user_id = ? AND read_at IS NULL",
                                 user_id)
    return int(found["unread"]) if found else 0


@functools.cache  # at the first call: the models' columns are known once Tortoise is initialised
def _open_tasks_sql() -> str:
    return (
        f"SELECT {rows.columns(Task, 't')}, {rows.columns(Course, 'c')} FROM task t "
        f"LEFT JOIN course c ON c.id = t.course_id WHERE {_VISIBLE} AND t.closed_at IS NULL "
        f"AND (t.due_at IS NULL OR t.due_at >= ? OR t.late_allowed = ?) AND t.id NOT IN ({_HANDED_IN}) LIMIT ?")


async def open_tasks(user: User, at: datetime, limit: int) -> list[Task]:
    """Visible tasks not handed in that still accept work (up to ``limit``, in no order), with their course."""
    found = await rows.fetch_all(_open_tasks_sql(), *_visible_params(user, at), _at("due_at", at),
                                 rows.db_value(Task, "late_allowed", True), user.id, user.id, limit)
    return [_with(Task, row, "t", course=(Course, "c")) for row in found]


@functools.cache
def _new_feedback_sql() -> str:
    return (
        f"SELECT {rows.columns(Submission, 's')}, {rows.columns(Task, 't')}, {rows.columns(Course, 'c')} "
        "FROM task_submission s LEFT JOIN task t ON t.id = s.task_id LEFT JOIN course c ON c.id = t.course_id "
        "WHERE (s.pupil_id = ? OR s.group_id IN (SELECT group_id FROM task_member WHERE pupil_id = ? "
        "AND group_id IS NOT NULL)) AND s.feedback_released_at >= ? AND t.school_id = ? "
        "ORDER BY s.feedback_released_at DESC LIMIT ?")


async def new_feedback(user: User, since: datetime, limit: int) -> list[Submission]:
    """The pupil's (or their groups') submissions with feedback released since ``since``, newest first,
    with task and course."""
    found = await rows.fetch_all(_new_feedback_sql(), user.id, user.id,
                                 rows.db_value(Submission, "feedback_released_at", since), user.school_id, limit)
    submissions = []
    for row in found:
        submission = rows.hydrate(Submission, row, "s")
        rows.attach(submission, "task", _with(Task, row, "t", course=(Course, "c")))
        submissions.append(submission)
    return submissions


@functools.cache
def _todays_lessons_sql() -> str:
    return (
        f"SELECT {rows.columns(Lesson, 'l')}, {rows.columns(Course, 'c')} FROM course_lesson l "
        "LEFT JOIN course c ON c.id = l.course_id WHERE l.publish_at <= ? "
        "AND ((l.date = ? AND l.by_week = ?) OR (l.date = ? AND l.by_week = ?)) "
        f"AND l.course_id IN ({_COURSES}) ORDER BY c.name, l.position, l.id LIMIT ?")


async def todays_lessons(user: User, at: datetime, today: date, monday: date, limit: int) -> list[Lesson]:
    """The pupil's lessons published by ``at`` for ``today`` (or, planned by week, for the week of
    ``monday``), with their course, by course name and position."""
    found = await rows.fetch_all(
        _todays_lessons_sql(), rows.db_value(Lesson, "publish_at", at), rows.db_value(Lesson, "date", today),
        rows.db_value(Lesson, "by_week", False), rows.db_value(Lesson, "date", monday),
        rows.db_value(Lesson, "by_week", True), *_courses_params(user), limit)
    return [_with(Lesson, row, "l", course=(Course, "c")) for row in found]


def _with(model, row: dict, alias: str, **related):
    """The instance for ``alias`` with its foreign-key objects (relation=(model, alias)) attached."""
    instance = rows.hydrate(model, row, alias)
    for relation, (related_model, related_alias) in related.items():
        rows.attach(instance, relation, rows.hydrate(related_model, row, related_alias))
    return instance
