"""Tasks and lessons together: a task may belong to a lesson of its course, the course page lists the
course's tasks (through courses.hooks), lessons link to tasks only for those who may see them, and the
start page shows today's lessons (pupils) and upcoming lessons (teachers)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.courses import hooks
from schoolcloud.courses.models import Lesson
from schoolcloud.courses.validation import SCHOOL_TZ
from schoolcloud.tasks import home
from schoolcloud.tasks import routes as _registers_the_hooks  # noqa: F401  (as the app does)
from schoolcloud.tasks.access import now
from schoolcloud.tasks.models import Task
from tests.support.data import make_member
from tests.support.tasks import as_user, course_with, make_task
from tests.test_files_perf_queries import counted


def local_today():
    return now().astimezone(SCHOOL_TZ).date()


@pytest.mark.postgres
async def test_task_in_a_lesson_and_on_the_course_page(app):
    course, teacher, (anna,) = await course_with(pupils=1)
    other_course, _other_teacher, _ = await course_with(pupils=0)
    lesson = await Lesson.create(school_id=course.school_id, course=course, title="Optik", position=1,
                                 date=local_today(), publish_at=None)  # a draft
    foreign = await Lesson.create(school_id=course.school_id, course=other_course, title="Fremd", position=1)
    async with as_user(app, teacher) as http:
        refused = await http.post(f"/api/v1/courses/{course.id}/tasks", json={"title": "Linsen", "lesson_id": foreign.id})
        assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["code"] == "invalid_lesson"
        created = await http.post(f"/api/v1/courses/{course.id}/tasks", json={"title": "Linsen", "lesson_id": lesson.id})
        assert created.status_code == 201 and created.json()["lesson_id"] == lesson.id
        task_id = created.json()["id"]
        page = await http.get(f"/tasks/{task_id}")
        assert f'/courses/{course.id}/lessons/{lesson.id}' in page.text
        form = await http.get(f"/tasks/{task_id}/edit")
        assert f'<option value="{lesson.id}" selected>Optik</option>' in form.text
        course_page = await http.get(f"/courses/{course.id}")
        assert course_page.status_code == 200
        assert f'href="/tasks/{task_id}"' in course_page.text and f"/courses/{course.id}/tasks/new" in course_page.text
        start = await http.get("/")
        assert "Optik" in start.text  # upcoming lessons, drafts included for teachers
    async with as_user(app, anna) as http:
        page = await http.get(f"/tasks/{task_id}")
        assert f"/lessons/{lesson.id}" not in page.text  # the lesson is still a draft
        course_page = await http.get(f"/courses/{course.id}")
        assert f'href="/tasks/{task_id}"' in course_page.text and "/tasks/new" not in course_page.text
        assert "Optik" not in (await http.get("/")).text
    await Lesson.filter(id=lesson.id).update(publish_at=now() - timedelta(minutes=1))
    async with as_user(app, anna) as http:
        assert f"/lessons/{lesson.id}" in (await http.get(f"/tasks/{task_id}")).text
        assert "Optik" in (await http.get("/")).text  # today's lessons
    admin = await make_member(await course.school, Role.SCHOOL_ADMIN)
    async with as_user(app, admin) as http:
        course_page = await http.get(f"/courses/{course.id}")
        assert course_page.status_code == 200 and f'href="/tasks/{task_id}"' not in course_page.text
    await Lesson.filter(id=lesson.id).delete()
    assert (await Task.get(id=task_id)).lesson_id is None  # the task stays when its lesson goes


@pytest.mark.postgres
async def test_lessons_link_only_to_tasks_the_user_may_see(app):
    course, teacher, (anna, ben) = await course_with()
    for_anna = await make_task(teacher, course, title="Nur Anna", audience="chosen", pupil_ids=[anna.id])
    later = await make_task(teacher, course, title="Später", available_from=(now() + timedelta(days=3)).isoformat())
    ids = [for_anna.id, later.id, 999999]
    assert await hooks.tasks_named(teacher, course, ids) == {
        for_anna.id: ("Nur Anna", f"/tasks/{for_anna.id}"), later.id: ("Später", f"/tasks/{later.id}")}
    assert await hooks.tasks_named(anna, course, ids) == {for_anna.id: ("Nur Anna", f"/tasks/{for_anna.id}")}
    assert await hooks.tasks_named(ben, course, ids) == {}


@pytest.mark.postgres
async def test_lesson_sections_one_query_each(app):
    course, teacher, (anna,) = await course_with(pupils=1)
    today = local_today()
    for n in range(25):
        await Lesson.create(school_id=course.school_id, course=course, title=f"Stunde {n}", position=n,
                            date=today + timedelta(days=n % 5), publish_at=now() - timedelta(hours=1))
    with counted() as queries:
        todays = await home.todays_lessons(anna)
    assert len(queries) == 1 and len(todays) == 5 and all(lesson.date == today for lesson in todays)
    with counted() as queries:
        upcoming = await home.upcoming_lessons(teacher)
    assert len(queries) == 1 and len(upcoming) == home.LIMIT
    assert [lesson.date for lesson in upcoming] == sorted(lesson.date for lesson in upcoming)
