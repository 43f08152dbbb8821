"""Helpers for the tasks tests: a course with teachers and pupils, tasks made through the services."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from schoolcloud.accounts.models import Course, Role, School
from schoolcloud.tasks import services
from schoolcloud.tasks.validation import task_input
from tests.support.data import make_member, make_school, unique


def utc_in(**delta) -> datetime:
    return datetime.now(timezone.utc) + timedelta(**delta)


async def course_with(school: School | None = None, *, pupils: int = 2, name: str | None = None):
    """A course with one teacher and ``pupils`` pupils (given names Anna, Ben, ...)."""
    school = school or await make_school()
    teacher = await make_member(school, Role.TEACHER, given_name="Tina", family_name=unique("Lehrer"))
    names = ["Anna", "Ben", "Cem", "Dana", "Emil", "Fiona"]
    members = [await make_member(school, Role.PUPIL, given_name=names[i % len(names)], family_name=unique("Schüler"))
               for i in range(pupils)]
    course = await Course.create(school=school, name=name or unique("Mathe "), subject="Mathematik",
                                 school_year="2026/27")
    await course.teachers.add(teacher)
    if members:
        await course.pupils.add(*members)
    return course, teacher, members


async def make_task(teacher, course, **fields):
    data = {"title": "Aufgabe", "instructions": "Rechne **alles**.", "grade_scale": "grades", **fields}
    return await services.create_task(teacher, course.id, task_input(data))


def as_user(app, user):
    """A logged-in client that sends the CSRF header with every request (API calls and uploads)."""
    from tests.support.files import api_client

    return api_client(app.base_url, user)
