"""A pupil's start page sections and notices, now hand-written SQL (tasks/pupil_rows.py), against each
case the access rules tell apart: courses attended directly or through a class, tasks for the course or
for chosen pupils, not yet available, closed, past due with and without late work, handed in alone or by
the pupil's group, another course, another school; lessons of today and of this week, unpublished,
scheduled for later, of a course the pupil does not attend. And the first page of a login asks for the
missing notices in one statement."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schoolcloud.accounts.models import Course, Role
from schoolcloud.courses.models import Lesson
from schoolcloud.tasks import home, notifications
from schoolcloud.tasks.access import now
from schoolcloud.tasks.models import Notification, Submission, Task, TaskGroup, TaskMember
from tests.support.data import make_class, make_member, make_school, unique
from tests.test_files_perf_queries import counted
from tests.test_tasks_lessons import local_today


async def _scene():
    school, elsewhere = await make_school(), await make_school()
    pupil = await make_member(school, Role.PUPIL)
    classmate = await make_member(school, Role.PUPIL)
    stranger = await make_member(elsewhere, Role.PUPIL)
    direct = await Course.create(school=school, name=unique("A direkt "), school_year="2026/27")
    await direct.pupils.add(pupil, classmate)
    by_class = await Course.create(school=school, name=unique("B Klasse "), school_year="2026/27")
    await by_class.classes.add(await make_class(school, members=[pupil]))
    other = await Course.create(school=school, name=unique("C fremd "), school_year="2026/27")
    await other.pupils.add(classmate)
    foreign = await Course.create(school=elsewhere, name=unique("D Schule "), school_year="2026/27")
    await foreign.pupils.add(stranger)
    at = now()

    async def task(title, course=direct, **fields):
        fields.setdefault("available_from", at - timedelta(hours=1))
        return await Task.create(school_id=course.school_id, course=course, title=title, **fields)

    made = {
        "due soon": await task("due soon", due_at=at + timedelta(hours=12)),
        "no due date, by class": await task("no due date, by class", course=by_class),
        "chosen, me": await task("chosen, me", audience="chosen", due_at=at + timedelta(days=3)),
        "chosen, not me": await task("chosen, not me", audience="chosen"),
        "later": await task("later", available_from=at + timedelta(days=1)),
        "old": await task("old", available_from=at - timedelta(days=20), due_at=at + timedelta(days=5)),
        "closed": await task("closed", closed_at=at, due_at=at + timedelta(hours=2)),
        "past due, late allowed": await task("past due, late allowed", due_at=at - timedelta(days=1),
                                             late_allowed=True),
        "past due": await task("past due", due_at=at - timedelta(days=1)),
        "group, handed in": await task("group, handed in", audience="chosen", group_submission=True,
                                       due_at=at + timedelta(hours=3)),
        "handed in, feedback": await task("handed in, feedback", due_at=at + timedelta(hours=5)),
        "other course": await task("other course", course=other),
        "other school": await task("other school", course=foreign),
    }
    await TaskMember.create(task=made["chosen, me"], pupil=pupil)
    await TaskMember.create(task=made["chosen, not me"], pupil=classmate)
    group = await TaskGroup.create(task=made["group, handed in"], name="Gruppe 1")
    for member in (pupil, classmate):
        await TaskMember.create(task=made["group, handed in"], pupil=member, group=group)
    await Submission.create(task=made["group, handed in"], group=group, submitted_at=at)
    await Submission.create(task=made["handed in, feedback"], pupil=pupil, submitted_at=at, graded_at=at,
                            grade="2", feedback_released_at=at - timedelta(days=1))
    await Submission.create(task=made["past due"], pupil=classmate, submitted_at=at, graded_at=at, grade="1",
                            feedback_released_at=at)  # another pupil's feedback

    today = local_today()
    monday = today - timedelta(days=today.weekday())
    published = at - timedelta(hours=1)
    for title, course, fields in [
        ("today", direct, {"date": today, "publish_at": published}),
        ("this week, by class", by_class, {"date": monday, "by_week": True, "publish_at": published}),
        ("today, draft", direct, {"date": today}),
        ("today, published later", direct, {"date": today, "publish_at": at + timedelta(hours=2)}),
        ("yesterday", direct, {"date": today - timedelta(days=1), "publish_at": published}),
        ("today, other course", other, {"date": today, "publish_at": published}),
    ]:
        await Lesson.create(school_id=course.school_id, course=course, title=title, **fields)
    return pupil, made


@pytest.mark.postgres
async def test_sections_and_notices_follow_the_access_rules(app):
    pupil, made = await _scene()

    open_tasks = await home.open_tasks(pupil)
    assert [t.title for t in open_tasks] == ["past due, late allowed", "due soon", "chosen, me", "old",
                                             "no due date, by class"]
    assert all(t.course.id == t.course_id for t in open_tasks)  # with their course, no further query

    feedback = await home.new_feedback(pupil)
    assert [(s.task.title, s.grade) for s in feedback] == [("handed in, feedback", "2")]
    assert feedback[0].task.course.id == made["handed in, feedback"].course_id

    lessons = await home.todays_lessons(pupil)
    assert sorted(lesson.title for lesson in lessons) == ["this week, by class", "today"]
    assert [lesson.course.name for lesson in lessons] == sorted(lesson.course.name for lesson in lessons)

    assert await notifications.sync(pupil) == 8 + 1
    notices = await Notification.filter(user_id=pupil.id).select_related("task")
    assert sorted((n.kind, n.task.title) for n in notices) == [
        ("due_soon", "due soon"),  # not the closed one, nor those handed in (alone or by the group)
        ("new_task", "chosen, me"), ("new_task", "closed"), ("new_task", "due soon"),
        ("new_task", "group, handed in"), ("new_task", "handed in, feedback"),
        ("new_task", "no due date, by class"), ("new_task", "past due"), ("new_task", "past due, late allowed"),
    ]  # not "old" (older than two weeks), nor tasks of others, later ones, other courses or schools
    new = {n.task.title: n for n in notices if n.kind == "new_task"}
    assert new["due soon"].created_at == made["due soon"].available_from  # the task's, not the sync's time
    assert await notifications.sync(pupil) == 0  # nothing twice
    assert await notifications.unread_count(pupil) == len(notices)


@pytest.mark.postgres
async def test_first_page_of_a_login_asks_for_missing_notices_in_one_statement(app):
    pupil, _made = await _scene()
    await notifications.sync(pupil)
    session: dict = {}
    with counted() as queries:
        unread = await notifications.nav_count(session, pupil)  # sync (nothing missing), then count
    assert len(queries) == 2, queries
    assert unread == await Notification.filter(user_id=pupil.id, read_at=None).count() > 0
