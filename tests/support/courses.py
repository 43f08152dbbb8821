"""Test data for the courses tests: a school with a course (a teacher, a pupil through a class and one
added directly), a second course of the same school (its own teacher and pupil), and an administrator
of another school. Made through the models, like tests/support/data.py."""

from __future__ import annotations

from dataclasses import dataclass

from schoolcloud.accounts.models import Course, Role, School, User
from tests.support.data import make_class, make_member, make_school, unique


@dataclass
class CourseWorld:
    school: School
    course: Course
    teacher: User
    pupil: User  # in the course through its class
    direct_pupil: User  # added to the course directly
    admin: User
    other_course: Course
    other_teacher: User
    other_pupil: User
    foreign_admin: User  # school admin of another school
    colleague: User  # a teacher of the school who teaches neither course


async def make_course(school: School, *, teachers=(), pupils=(), classes=(), name: str | None = None,
                      subject: str = "Mathematik", school_year: str = "2026/27") -> Course:
    course = await Course.create(school=school, name=name or unique("Kurs "), subject=subject,
                                 school_year=school_year)
    if teachers:
        await course.teachers.add(*teachers)
    if pupils:
        await course.pupils.add(*pupils)
    if classes:
        await course.classes.add(*classes)
    return course


async def course_world() -> CourseWorld:
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER, given_name="Tanja", family_name="Lehmann")
    pupil = await make_member(school, Role.PUPIL, given_name="Ali", family_name="Schulz")
    direct_pupil = await make_member(school, Role.PUPIL, given_name="Bea", family_name="Schulz")
    school_class = await make_class(school, members=[pupil, teacher])
    course = await make_course(school, teachers=[teacher], pupils=[direct_pupil], classes=[school_class],
                               name=unique("Mathematik "))
    other_teacher = await make_member(school, Role.TEACHER)
    other_pupil = await make_member(school, Role.PUPIL)
    other_course = await make_course(school, teachers=[other_teacher], pupils=[other_pupil], subject="Deutsch")
    return CourseWorld(
        school=school, course=course, teacher=teacher, pupil=pupil, direct_pupil=direct_pupil,
        admin=await make_member(school, Role.SCHOOL_ADMIN), other_course=other_course,
        other_teacher=other_teacher, other_pupil=other_pupil,
        foreign_admin=await make_member(await make_school(), Role.SCHOOL_ADMIN),
        colleague=await make_member(school, Role.TEACHER))
