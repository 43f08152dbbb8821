"""Copying lessons and whole courses: into another course the teacher edits, or into a new course of
the next school year. Content is copied; pupils, classes and their work are not.

Files the blocks show are copied through the files layer (new objects, the target space's quota) into
one new folder of the target course space, named after the lesson or course; blocks of the copy point
at the copies. Order of work, so that nothing is half-written: check everything, copy the files, then
create the lessons and blocks in one transaction; if that fails, the new folder goes to the trash.
Copies start as drafts (hidden from pupils). Task blocks stay only within the same course (a task
belongs to its course).
"""

from __future__ import annotations

import logging

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import Course, Role, User
from schoolcloud.courses import ordering
from schoolcloud.courses.models import BlockKind, Lesson, LessonBlock
from schoolcloud.courses.services import editable_course, school_of
from schoolcloud.courses.services_blocks import course_space_id, list_blocks, node_is_usable
from schoolcloud.courses.services_lessons import get_lesson
from schoolcloud.files import content, spaces, trash, tree
from schoolcloud.files.context import FilesContext
from schoolcloud.files.models import Node
from schoolcloud.files.names import OnConflict
from schoolcloud.privacy import audit
from schoolcloud.web.errors import AppError, Forbidden
from schoolcloud.web.i18n import N_

log = logging.getLogger(__name__)
MAX_COURSE_LESSONS = 500


def next_school_year(year: str) -> str:
    """"2026/27" -> "2027/28"; anything else is refused."""
    try:
        first = int(year.split("/")[0])
    except (ValueError, AttributeError):
        raise AppError("invalid_school_year", N_("The school year of this course cannot be continued."),
                       status=422) from None
    return f"{first + 1}/{(first + 2) % 100:02d}"


def require_teacher(user: User) -> None:
    school_of(user)
    if user.role not in (Role.TEACHER, Role.SCHOOL_ADMIN):
        raise Forbidden()


async def _copy_files(ctx: FilesContext, user: User, sources: list[tuple[Lesson, list[LessonBlock]]],
                      source_course: Course, target: Course, folder_name: str) -> tuple[Node | None, dict[int, Node]]:
    """Copy every usable file and folder of the blocks into a new folder of the target course space.
    Returns (that folder, {source node id: copy})."""
    if source_course.id == target.id:
        return None, {}  # within one course the blocks keep pointing at the same files
    source_space = await course_space_id(source_course)
    nodes: dict[int, Node] = {}
    for _, blocks in sources:
        for block in blocks:
            if block.kind in BlockKind.WITH_NODE and node_is_usable(block, source_space):
                nodes.setdefault(block.node_id, block.node)
    if not nodes:
        return None, {}
    root = await spaces.root_of(await spaces.course_space(target))
    folder = await tree.create_folder(user, root.id, folder_name, on_conflict=OnConflict.RENAME)
    folder = await Node.get(id=folder.id).select_related("space")
    copies: dict[int, Node] = {}
    try:
        for node_id, node in nodes.items():
            copies[node_id] = await content.copy_tree(ctx, user, node, folder, on_conflict=OnConflict.RENAME)
    except BaseException:
        await _discard_folder(ctx, user, folder)
        raise
    return folder, copies


async def _discard_folder(ctx: FilesContext, user: User, folder: Node | None) -> None:
    if folder is None:
        return
    try:
        await trash.trash(ctx, user, folder.id)
    except Exception:  # noqa: BLE001  (the original error matters more; the folder stays visible)
        log.exception("could not move the unfinished copy folder %s to the trash", folder.id)


def _block_copy(block: LessonBlock, lesson: Lesson, copies: dict[int, Node], same_course: bool,
                source_space: int) -> LessonBlock | None:
    node = None
    if block.kind in BlockKind.WITH_NODE:
        if not node_is_usable(block, source_space):
            return None
        node = block.node if same_course else copies.get(block.node_id)
        if node is None:
            return None
    if block.kind == BlockKind.TASK and not same_course:
        return None
    return LessonBlock(lesson=lesson, position=block.position, kind=block.kind, text=block.text, html=block.html,
                       node=node, url=block.url, title=block.title, task_id=block.task_id)


async def _copy_lessons(ctx: FilesContext, user: User, sources: list[Lesson], source_course: Course,
                        target: Course, folder_name: str) -> list[Lesson]:
    with_blocks = [(lesson, await list_blocks(lesson)) for lesson in sources]
    folder, copies = await _copy_files(ctx, user, with_blocks, source_course, target, folder_name)
    same_course = source_course.id == target.id
    same_year = source_course.school_year == target.school_year
    source_space = await course_space_id(source_course)
    try:
        async with in_transaction() as conn:
            position = await ordering.next_position(Lesson, conn, course_id=target.id)
            made = []
            for offset, (lesson, blocks) in enumerate(with_blocks):
                copy = await Lesson.create(
                    using_db=conn, school_id=target.school_id, course=target, position=position + offset,
                    title=lesson.title, description=lesson.description, by_week=lesson.by_week and same_year,
                    date=lesson.date if same_year else None, publish_at=None, shared=False, created_by=user)
                new_blocks = [b for b in (_block_copy(block, copy, copies, same_course, source_space)
                                          for block in blocks) if b is not None]
                if new_blocks:
                    await LessonBlock.bulk_create(new_blocks, using_db=conn)
                made.append(copy)
    except BaseException:
        await _discard_folder(ctx, user, folder)
        raise
    return made


async def copy_lesson(ctx: FilesContext, user: User, lesson_id, target_course_id) -> Lesson:
    """Copy a lesson the user may see as a teacher (their own courses', or shared by a colleague or in
    the library) into a course they edit."""
    require_teacher(user)
    view = await get_lesson(user, lesson_id)
    target = await editable_course(user, target_course_id)
    [copy] = await _copy_lessons(ctx, user, [view.lesson], view.course, target, view.lesson.title)
    await audit.record("courses.lesson_copy", actor=user, school_id=target.school_id, target_type="lesson",
                       target_id=copy.id, details={"from": view.lesson.id, "course": target.id})
    return copy


async def copy_course(ctx: FilesContext, user: User, course_id, *, target_course_id=None,
                      next_year: bool = False) -> tuple[Course, list[Lesson]]:
    """Copy every lesson of a course the user edits into another course they edit, or into a new
    course of the next school year (same name and subject, the user as its teacher)."""
    require_teacher(user)
    source = await editable_course(user, course_id)
    if next_year:
        target = await _next_year_course(user, source)
    elif target_course_id not in (None, ""):
        target = await editable_course(user, target_course_id)
    else:
        raise AppError("missing_target", N_("Please choose the course to copy into."), status=422, field="course_id")
    if target.id == source.id:
        raise AppError("same_course", N_("Please choose another course to copy into."), status=422, field="course_id")
    lessons = await Lesson.filter(course_id=source.id).order_by("position", "id").limit(MAX_COURSE_LESSONS + 1)
    if len(lessons) > MAX_COURSE_LESSONS:
        raise AppError("too_many_lessons", N_("A course with more than %(count)s lessons cannot be copied at once."),
                       status=422, count=MAX_COURSE_LESSONS)
    made = await _copy_lessons(ctx, user, lessons, source, target, f"{source.name} ({source.school_year})".replace("/", "-"))
    await audit.record("courses.course_copy", actor=user, school_id=target.school_id, target_type="course",
                       target_id=target.id, details={"from": source.id, "lessons": len(made)})
    return target, made


async def _next_year_course(user: User, source: Course) -> Course:
    year = next_school_year(source.school_year)
    existing = await Course.get_or_none(school_id=source.school_id, school_year=year, name=source.name)
    if existing is not None:
        return await editable_course(user, existing.id)  # copy into it if the user teaches it
    try:
        async with in_transaction():
            course = await Course.create(school_id=source.school_id, name=source.name, subject=source.subject,
                                         school_year=year)
            if user.role == Role.TEACHER:
                await course.teachers.add(user)
    except IntegrityError:  # made by someone else just now
        existing = await Course.get(school_id=source.school_id, school_year=year, name=source.name)
        return await editable_course(user, existing.id)
    await audit.record("course.created", actor=user, school_id=course.school_id, target_type="course",
                       target_id=course.id, details={"copied_from": source.id})
    return course


async def copy_targets(user: User) -> list[Course]:
    """Courses the user may copy into: those they teach (school admins: all of the school)."""
    from schoolcloud.courses.services import my_courses

    if user.role not in (Role.TEACHER, Role.SCHOOL_ADMIN):
        return []
    return await my_courses(user)
