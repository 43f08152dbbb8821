"""The start page's task sections take one SQL statement each, however many courses: measured with 30
courses with tasks, hand-ins and feedback (issue 5: "one query each per section, fast with 30 courses")."""

from __future__ import annotations

import time

import pytest

from schoolcloud.accounts.models import Course, Role
from schoolcloud.tasks import home, notifications
from schoolcloud.tasks.access import now
from schoolcloud.tasks.models import Submission, Task
from tests.support.data import make_member, make_school, unique
from tests.test_files_perf_queries import counted

COURSES = 30


@pytest.mark.postgres
async def test_start_page_sections_one_query_each_with_30_courses(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    pupil = await make_member(school, Role.PUPIL)
    classmate = await make_member(school, Role.PUPIL)
    at = now()
    for number in range(COURSES):
        course = await Course.create(school=school, name=unique(f"Kurs {number} "), school_year="2026/27")
        await course.teachers.add(teacher)
        await course.pupils.add(pupil, classmate)
        for n in range(3):
            task = await Task.create(school=school, course=course, title=f"Aufgabe {number}.{n}", available_from=at,
                                     due_at=None if n == 2 else at.replace(year=at.year + 1))
            if n == 0:
                await Submission.create(task=task, pupil=pupil, submitted_at=at)
                await Submission.create(task=task, pupil=classmate, submitted_at=at, graded_at=at, grade="2",
                                        feedback_released_at=at)
            if n == 1:
                await Submission.create(task=task, pupil=pupil, submitted_at=at, graded_at=at, grade="1",
                                        feedback_released_at=at)

    timings = {}
    for name, section, user, expected in [
        ("open tasks", home.open_tasks, pupil, 20), ("new feedback", home.new_feedback, pupil, 20),
        ("waiting work", home.tasks_with_new_work, teacher, 20),
    ]:
        with counted() as queries:
            started = time.perf_counter()
            result = await section(user)
            timings[name] = time.perf_counter() - started
        assert len(queries) == 1, (name, queries)
        assert len(result) == expected, (name, len(result))
    open_tasks = await home.open_tasks(pupil)
    assert all(t.title.endswith(".2") for t in open_tasks)  # handed-in tasks are not open
    waiting = await home.tasks_with_new_work(teacher)
    assert {row["waiting"] for row in waiting} == {1}  # only the ungraded hand-in counts
    assert all(seconds < 0.5 for seconds in timings.values()), timings

    await notifications.sync(pupil)
    session = {}
    with counted() as queries:
        await notifications.nav_count(session, pupil)  # first page of a session: sync, then count
    assert len(queries) <= 4, queries
    with counted() as queries:
        count = await notifications.nav_count(session, pupil)  # every further page: one COUNT
    assert len(queries) == 1 and count == 3 * COURSES, queries
