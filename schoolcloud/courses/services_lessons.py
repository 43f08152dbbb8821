"""Lessons of a course: list, create, change, publish, reorder, delete; who sees which.

Pupils see a lesson only once it is published (``publish_at`` set and reached); drafts and lessons
published for later exist for them nowhere (404), not on pages, not in the API, not through the files
of its blocks. Changes are checked as a whole before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import Course, Role, User
from schoolcloud.courses import ordering
from schoolcloud.courses import validation as check
from schoolcloud.courses.models import Lesson
from schoolcloud.courses.services import CourseView, editable_course, get_course, may_edit_course, school_of
from schoolcloud.privacy import audit
from schoolcloud.web.errors import AppError, Forbidden, NotFound
from schoolcloud.web.i18n import N_


def now() -> datetime:
    return datetime.now(timezone.utc)


def published_q(moment: datetime | None = None) -> Q:
    """Lessons pupils may see at ``moment``: published and not scheduled for later."""
    return Q(publish_at__lte=moment or now())


def is_visible(lesson: Lesson, moment: datetime | None = None) -> bool:
    return lesson.publish_at is not None and lesson.publish_at <= (moment or now())


@dataclass
class LessonView:
    lesson: Lesson
    course: Course
    may_edit: bool  # teachers of the course, the school's administrators
    colleague: bool = False  # a teacher of the school viewing a shared or library lesson (to copy it)


async def list_lessons(user: User, course_id) -> tuple[CourseView, list[Lesson]]:
    """The course's lessons in their order; for pupils only the published ones (one query)."""
    view = await get_course(user, course_id)
    query = Lesson.filter(course_id=view.course.id)
    if not view.may_edit:
        query = query.filter(published_q())
    return view, await query.order_by("position", "id")


async def get_lesson(user: User, lesson_id, *, course_id=None) -> LessonView:
    """A lesson the user may see: editors any, pupils published ones, colleagues shared ones (to copy).

    ``course_id`` (from the URL) must match the lesson's course."""
    school_id = school_of(user)
    try:
        lesson_id = int(lesson_id)
    except (TypeError, ValueError):
        raise NotFound("lesson") from None
    lesson = await Lesson.get_or_none(id=lesson_id, school_id=school_id).select_related("course")
    if lesson is None or (course_id is not None and str(lesson.course_id) != str(course_id)):
        raise NotFound("lesson")
    course = lesson.course
    if await may_edit_course(user, course):
        return LessonView(lesson, course, True)
    if user.role == Role.PUPIL:
        view = await get_course(user, course.id)  # 404 unless a pupil of the course
        if not view.may_edit and is_visible(lesson):
            return LessonView(lesson, course, False)
    elif user.role == Role.TEACHER and await colleague_may_view(lesson):
        return LessonView(lesson, course, False, colleague=True)
    raise NotFound("lesson")


async def colleague_may_view(lesson: Lesson) -> bool:
    """Teachers of the same school see lessons shared with colleagues or published to the library."""
    if lesson.shared:
        return True
    from schoolcloud.courses.models import LibraryEntry

    return await LibraryEntry.filter(lesson_id=lesson.id).exists()


async def editable_lesson(user: User, lesson_id, *, course_id=None) -> LessonView:
    view = await get_lesson(user, lesson_id, course_id=course_id)
    if not view.may_edit:
        raise Forbidden()
    return view


def read_lesson(data, *, partial: bool = False) -> dict:
    """Checked lesson fields from a form or JSON body (only the given ones when ``partial``)."""
    errors = check.Errors()
    fields: dict = {}
    if not partial or "title" in data:
        fields["title"] = check.title(data.get("title"), errors)
    if not partial or "description" in data:
        fields["description"] = check.description(data.get("description"), errors)
    if not partial or "date" in data or "week" in data:
        fields["date"], fields["by_week"] = check.schedule(data.get("date"), data.get("week"), errors)
    given, publish_at = check.publication(data.get("publish"), data.get("publish_at"), errors, now())
    if given:
        fields["publish_at"] = publish_at
    errors.raise_if_any()
    return fields


async def create_lesson(user: User, course_id, data) -> Lesson:
    course = await editable_course(user, course_id)
    fields = read_lesson(data)
    async with in_transaction() as conn:
        lesson = await Lesson.create(using_db=conn, school_id=course.school_id, course=course, created_by=user,
                                     position=await ordering.next_position(Lesson, conn, course_id=course.id),
                                     **fields)
    await audit.record("courses.lesson_create", actor=user, school_id=course.school_id, target_type="lesson",
                       target_id=lesson.id, details={"course": course.id})
    return lesson


async def update_lesson(user: User, lesson_id, data, *, course_id=None) -> Lesson:
    view = await editable_lesson(user, lesson_id, course_id=course_id)
    fields = read_lesson(data, partial=True)
    lesson = view.lesson
    for name, value in fields.items():
        setattr(lesson, name, value)
    if fields:
        await lesson.save(update_fields=[*fields, "updated_at"])
    return lesson


async def delete_lesson(user: User, lesson_id, *, course_id=None) -> None:
    """The lesson and its blocks go; the files its blocks showed stay in the course space."""
    view = await editable_lesson(user, lesson_id, course_id=course_id)
    await view.lesson.delete()
    await audit.record("courses.lesson_delete", actor=user, school_id=view.course.school_id,
                       target_type="lesson", target_id=view.lesson.id, details={"course": view.course.id})


def _order_refused() -> AppError:
    return AppError("invalid_order", N_("The order must list every lesson of the course exactly once."), status=422)


async def reorder_lessons(user: User, course_id, ordered_ids) -> list[Lesson]:
    """Put the course's lessons in the given order; the list must name each of them exactly once."""
    course = await editable_course(user, course_id)
    await ordering.reorder(Lesson, ordered_ids, _order_refused(), course_id=course.id)
    return await Lesson.filter(course_id=course.id).order_by("position", "id")


async def move_lesson(user: User, lesson_id, step: int, *, course_id=None) -> None:
    view = await editable_lesson(user, lesson_id, course_id=course_id)
    await ordering.move(Lesson, view.lesson.id, step, _order_refused(), course_id=view.course.id)


async def set_shared(user: User, lesson_id, shared: bool, *, course_id=None) -> Lesson:
    """Share a lesson with the colleagues of the school (they may view and copy it), or stop sharing."""
    view = await editable_lesson(user, lesson_id, course_id=course_id)
    view.lesson.shared = bool(shared)
    await view.lesson.save(update_fields=["shared", "updated_at"])
    await audit.record("courses.lesson_share" if shared else "courses.lesson_unshare", actor=user,
                       school_id=view.course.school_id, target_type="lesson", target_id=view.lesson.id)
    return view.lesson


async def list_shared(user: User, *, offset: int = 0, limit: int = 50) -> tuple[list[Lesson], bool]:
    """Lessons shared with colleagues in the user's school, newest change first (teachers and school
    admins only; one query on the (school, shared) index). Returns (page, has_more)."""
    school_id = school_of(user)
    if user.role not in (Role.TEACHER, Role.SCHOOL_ADMIN):
        raise Forbidden()
    rows = await Lesson.filter(school_id=school_id, shared=True).select_related("course", "created_by") \
        .order_by("-updated_at", "-id").offset(offset).limit(limit + 1)
    return rows[:limit], len(rows) > limit
