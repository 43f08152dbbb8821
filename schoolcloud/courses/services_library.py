"""The school's material library: teachers publish a lesson or a file with subject, grade levels,
keywords and a licence; colleagues (teachers and school admins of the same school) search it and copy
from it into their courses. Pupils do not see the library.

The entry points at the live lesson or file (not a snapshot): withdrawing it, or deleting the lesson
or file, removes it from the library. Colleagues reach the published lesson and file through the
entry, not through the files layer (they are not members of the course).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import Role, User
from schoolcloud.courses import validation as check
from schoolcloud.courses.models import LibraryEntry, LibraryKeyword, Licence
from schoolcloud.courses.services import editable_course, school_of
from schoolcloud.courses.services_lessons import editable_lesson
from schoolcloud.files import content, spaces, tree
from schoolcloud.files.context import FilesContext
from schoolcloud.files.models import FileVersion, Node, NodeKind, Space
from schoolcloud.files.names import OnConflict
from schoolcloud.files.permissions import require_write
from schoolcloud.privacy import audit
from schoolcloud.web.errors import Forbidden, NotFound
from schoolcloud.web.i18n import N_

GRADES = range(1, 14)
MAX_KEYWORDS = 10
MAX_KEYWORD = 50
MAX_SUBJECT = 100


def require_colleague(user: User) -> int:
    """Teachers and school admins of a school; pupils (and operators) have no library."""
    school_id = school_of(user)
    if user.role not in (Role.TEACHER, Role.SCHOOL_ADMIN):
        raise Forbidden()
    return school_id


def keywords_of(raw) -> list[str]:
    """Case-folded, unique keywords from a list or a comma-separated text."""
    items = raw if isinstance(raw, list) else (raw.split(",") if isinstance(raw, str) else [])
    result: list[str] = []
    for item in items:
        word = check.text(item, limit=MAX_KEYWORD).casefold() if isinstance(item, str) else ""
        if word and word not in result:
            result.append(word)
    return result


def _grade(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if value in GRADES else None


def read_entry(data) -> dict:
    errors = check.Errors()
    fields = {"title": check.text(data.get("title"), limit=check.MAX_TITLE),
              "description": check.description(data.get("description"), errors)}
    subject = check.text(data.get("subject"), limit=MAX_SUBJECT)
    if not subject or len(subject) > MAX_SUBJECT:
        errors.add("subject", "invalid_subject", N_("Please enter the subject (at most %(max)s characters)."),
                   max=MAX_SUBJECT)
    fields["subject"], fields["subject_key"] = subject, subject.casefold()
    grade_from, grade_to = _grade(data.get("grade_from")), _grade(data.get("grade_to"))
    if grade_from is None or grade_to is None or grade_from > grade_to:
        errors.add("grade_from", "invalid_grades", N_("Please choose the grade levels between 1 and 13, the first not above the last."))
    fields["grade_from"], fields["grade_to"] = grade_from, grade_to
    if data.get("licence") not in Licence.ALL:
        errors.add("licence", "invalid_licence", N_("Please choose a licence."))
    fields["licence"] = data.get("licence")
    words = keywords_of(data.get("keywords"))
    if len(words) > MAX_KEYWORDS or any(len(w) > MAX_KEYWORD for w in words):
        errors.add("keywords", "too_many_keywords",
                   N_("Please enter at most %(count)s keywords of at most %(max)s characters each."),
                   count=MAX_KEYWORDS, max=MAX_KEYWORD)
    fields["keywords"] = words
    errors.raise_if_any()
    return fields


async def _create(user: User, school_id: int, kind: str, fields: dict, **target) -> LibraryEntry:
    words = fields.pop("keywords")
    async with in_transaction() as conn:
        entry = await LibraryEntry.create(using_db=conn, school_id=school_id, kind=kind, published_by=user,
                                          **target, **fields)
        if words:
            await LibraryKeyword.bulk_create([LibraryKeyword(entry=entry, school_id=school_id, keyword=w)
                                              for w in words], using_db=conn)
    await audit.record("courses.library_publish", actor=user, school_id=school_id, target_type="library_entry",
                       target_id=entry.id, details={"kind": kind})
    return entry


async def publish_lesson(user: User, lesson_id, data) -> LibraryEntry:
    """Editors of the lesson's course publish it (teachers and school admins)."""
    school_id = require_colleague(user)
    view = await editable_lesson(user, lesson_id)
    fields = read_entry(data)
    fields["title"] = fields["title"] or view.lesson.title
    return await _create(user, school_id, "lesson", fields, lesson=view.lesson)


async def publish_file(user: User, node_id, data) -> LibraryEntry:
    """Teachers publish a file they may change in the files layer (their own, or their course's)."""
    school_id = require_colleague(user)
    node, _ = await tree.load_node(user, node_id)
    await require_write(user, node)
    if node.kind != NodeKind.FILE:
        raise NotFound("file")
    fields = read_entry(data)
    fields["title"] = fields["title"] or node.name
    return await _create(user, school_id, "file", fields, node=node)


@dataclass
class SearchPage:
    items: list[LibraryEntry]
    offset: int
    limit: int
    has_more: bool


async def search(user: User, *, subject=None, grade=None, keyword=None, offset: int = 0,
                 limit: int = 20) -> SearchPage:
    """Entries of the user's school by subject, grade level and keyword (each optional), newest first.
    ONE query: the school/subject index narrows it; the keyword joins the (school, keyword) index."""
    school_id = require_colleague(user)
    query = LibraryEntry.filter(school_id=school_id)
    subject_key = check.text(subject, limit=MAX_SUBJECT).casefold() if subject else ""
    if subject_key:
        query = query.filter(subject_key=subject_key)
    grade_level = _grade(grade)
    if grade_level is not None:
        query = query.filter(grade_from__lte=grade_level, grade_to__gte=grade_level)
    words = keywords_of(keyword) if keyword else []
    if words:
        query = query.filter(keywords__keyword=words[0])
    rows = await query.select_related("published_by", "lesson", "node").prefetch_related("keywords") \
        .order_by("-published_at", "-id").offset(offset).limit(limit + 1)
    return SearchPage(rows[:limit], offset, limit, len(rows) > limit)


async def subjects(user: User) -> list[str]:
    school_id = require_colleague(user)
    names = await LibraryEntry.filter(school_id=school_id).order_by("subject").distinct().values_list("subject", flat=True)
    return list(dict.fromkeys(names))


async def get_entry(user: User, entry_id) -> LibraryEntry:
    school_id = require_colleague(user)
    try:
        entry = await LibraryEntry.get_or_none(id=int(entry_id), school_id=school_id) \
            .select_related("lesson", "node__space")
    except (TypeError, ValueError):
        entry = None
    if entry is None or (entry.node is not None and entry.node.is_trashed):
        raise NotFound("library_entry")
    return entry


async def withdraw(user: User, entry_id) -> None:
    """The publisher or a school admin takes an entry out of the library (the lesson or file stays)."""
    entry = await get_entry(user, entry_id)
    if entry.published_by_id != user.id and user.role != Role.SCHOOL_ADMIN:
        raise Forbidden()
    await entry.delete()
    await audit.record("courses.library_withdraw", actor=user, school_id=entry.school_id,
                       target_type="library_entry", target_id=entry.id)


async def entry_file(user: User, entry_id) -> tuple[Node, FileVersion]:
    entry = await get_entry(user, entry_id)
    if entry.node is None:
        raise NotFound("file")
    version = await FileVersion.filter(node_id=entry.node.id).order_by("-id").first()
    if version is None:
        raise NotFound("file")
    return entry.node, version


async def copy_entry(ctx: FilesContext, user: User, entry_id, target_course_id):
    """Copy a library lesson (as a draft, with its files) or file (into the course space's top folder)
    into a course the user edits. Returns the new Lesson or Node."""
    from schoolcloud.courses.services_copy import copy_lesson

    entry = await get_entry(user, entry_id)
    if entry.lesson is not None:
        return await copy_lesson(ctx, user, entry.lesson.id, target_course_id)
    course = await editable_course(user, target_course_id)
    root = await spaces.root_of(await spaces.course_space(course))
    root = await Node.get(id=root.id).select_related("space")
    copy = await content.copy_tree(ctx, user, entry.node, root, on_conflict=OnConflict.RENAME)
    await audit.record("courses.library_copy", actor=user, school_id=course.school_id, target_type="file_node",
                       target_id=copy.id, details={"entry": entry.id, "course": course.id})
    return copy


async def publishable_files(user: User, limit: int = 1000) -> list[tuple[Node, str]]:
    """Files the user may publish: in their own files and the spaces of the courses they edit, each
    with a readable path ("My files/Folder/Name", "Course/Folder/Name"); at most ``limit``."""
    from schoolcloud.courses.services import my_courses

    require_colleague(user)
    own = await spaces.personal_space(user)
    titles = {own.id: ""}
    courses = {c.id: c for c in (await my_courses(user))[:100]}
    # Course spaces not made yet hold no files: no need to create them here.
    for space in await Space.filter(course_id__in=list(courses)):
        titles[space.id] = courses[space.course_id].name
    nodes = await Node.filter(space_id__in=list(titles), trash_key=0).order_by("id").limit(limit * 4)
    by_id = {n.id: n for n in nodes}

    def path(node: Node) -> str:
        parent = by_id.get(node.parent_id)
        if parent is None or parent.parent_id is None:
            return node.name
        return f"{path(parent)}/{node.name}"

    files = [(n, path(n), titles[n.space_id]) for n in nodes if n.kind == NodeKind.FILE]
    files.sort(key=lambda e: (e[2] != "", e[2].casefold(), e[1].casefold()))
    return [(n, f"{title}/{p}" if title else p) for n, p, title in files[:limit]]
