"""Who reaches which course, and the courses a person sees under "My courses".

Rules: the course's teachers and the school's administrators edit a course's lessons; its pupils
(directly or through one of its classes) see the published ones; nobody reaches another school's
courses; everyone else gets a 404 (no hint that the course exists).
"""

from __future__ import annotations

from dataclasses import dataclass

from schoolcloud.accounts.models import Course, Role, User
from schoolcloud.files.permissions import is_course_pupil
from schoolcloud.web.errors import Forbidden, NotFound


@dataclass
class CourseView:
    course: Course
    may_edit: bool  # teachers of the course and the school's administrators


def _as_id(value) -> int:
    if isinstance(value, bool):
        raise NotFound("course")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound("course") from None


def school_of(user: User) -> int:
    """The school of a course member; accounts without one (operators) reach no course."""
    if not user.active or user.school_id is None or user.role not in (Role.PUPIL, Role.TEACHER, Role.SCHOOL_ADMIN):
        raise NotFound("course")
    return user.school_id


async def may_edit_course(user: User, course: Course) -> bool:
    if not user.active or user.school_id != course.school_id:
        return False
    if user.role == Role.SCHOOL_ADMIN:
        return True
    return user.role == Role.TEACHER and await Course.filter(id=course.id, teachers__id=user.id).exists()


async def get_course(user: User, course_id) -> CourseView:
    """The course if the user may see it (404 otherwise)."""
    school_id = school_of(user)
    course = await Course.get_or_none(id=_as_id(course_id), school_id=school_id)
    if course is None:
        raise NotFound("course")
    if await may_edit_course(user, course):
        return CourseView(course, True)
    if user.role == Role.PUPIL and await is_course_pupil(user, course.id):
        return CourseView(course, False)
    raise NotFound("course")


async def editable_course(user: User, course_id) -> Course:
    """The course if the user may change its lessons: 404 if they cannot see it, 403 if they only see it."""
    view = await get_course(user, course_id)
    if not view.may_edit:
        raise Forbidden()
    return view.course


async def my_courses(user: User) -> list[Course]:
    """Teachers: the courses they teach; pupils: theirs, directly or through a class; school admins:
    every course of the school. Newest school year first, then by name."""
    school_id = school_of(user)
    if user.role == Role.SCHOOL_ADMIN:
        return await Course.filter(school_id=school_id).order_by("-school_year", "name")
    if user.role == Role.TEACHER:
        return await Course.filter(school_id=school_id, teachers__id=user.id).distinct() \
            .order_by("-school_year", "name")
    direct = await Course.filter(school_id=school_id, pupils__id=user.id).distinct()
    via_class = await Course.filter(school_id=school_id, classes__members__id=user.id).distinct()
    courses = sorted({c.id: c for c in [*direct, *via_class]}.values(), key=lambda c: c.name)
    courses.sort(key=lambda c: c.school_year, reverse=True)  # stable: names stay in order within a year
    return courses
