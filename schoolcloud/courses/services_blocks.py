"""Content blocks of a lesson: Markdown text, files, folders and images of the course space, links,
and a link to a task. Blocks only point at files: the files layer keeps bytes, quota and permissions.

Picking a file checks the files layer (the editor must be able to read it, and it must lie in the
lesson's course space). Serving a block's file checks the lesson first (pupils: published lessons
only), then that the file is still live and still in the course space, then the files layer again for
course members, so a block can never reach further than the lesson and the course space together.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import Course, User
from schoolcloud.courses import ordering
from schoolcloud.courses import validation as check
from schoolcloud.courses.models import BlockKind, Lesson, LessonBlock
from schoolcloud.courses.richtext import MAX_TEXT, render_markdown
from schoolcloud.courses.services_lessons import LessonView, editable_lesson, get_lesson, now
from schoolcloud.files import spaces, tree
from schoolcloud.files.models import FileVersion, Node, NodeKind
from schoolcloud.files.permissions import require_read
from schoolcloud.web.errors import AppError, NotFound
from schoolcloud.web.i18n import N_

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/avif")
PICKER_LIMIT = 2000  # entries of a course space offered in the file picker
MAX_URL = 2000


async def course_space_id(course: Course) -> int:
    return (await spaces.course_space(course)).id


async def list_blocks(lesson: Lesson) -> list[LessonBlock]:
    """The lesson's blocks in order, with their files (one query)."""
    return await LessonBlock.filter(lesson_id=lesson.id).select_related("node").order_by("position", "id")


def node_is_usable(block: LessonBlock, space_id: int) -> bool:
    """The block's file is still there: not deleted, not trashed, not moved out of the course space."""
    node = block.node
    return node is not None and not node.is_trashed and node.space_id == space_id


async def _pick_node(user: User, raw_id, kind: str, space_id: int, errors: check.Errors) -> Node | None:
    try:
        node, _ = await tree.load_node(user, raw_id)
    except (NotFound, AppError):
        node = None
    if node is None or node.space_id != space_id or node.parent_id is None:
        errors.add("node_id", "not_in_course_space", N_("Please choose a file or folder from the course files."))
        return None
    wanted = NodeKind.FOLDER if kind == BlockKind.FOLDER else NodeKind.FILE
    if node.kind != wanted:
        errors.add("node_id", "wrong_kind", N_("Please choose a folder.") if wanted == NodeKind.FOLDER
                   else N_("Please choose a file."))
        return None
    if kind == BlockKind.IMAGE and node.content_type not in IMAGE_TYPES:
        errors.add("node_id", "not_an_image", N_("Please choose an image (PNG, JPEG, GIF, WebP or AVIF)."))
        return None
    return node


async def read_block(user: User, kind: str, data, space_id: int) -> dict:
    """Checked fields of a block of ``kind``; nothing is written when any of them is wrong (422)."""
    errors = check.Errors()
    fields: dict = {"text": "", "html": "", "node": None, "url": "", "title": "", "task_id": None}
    title = check.text(data.get("title"), limit=check.MAX_TITLE)
    if len(title) > check.MAX_TITLE:
        errors.add("title", "too_long", N_("Please shorten the text to at most %(max)s characters."),
                   max=check.MAX_TITLE)
    fields["title"] = title
    if kind == BlockKind.TEXT:
        source = data.get("text") if isinstance(data.get("text"), str) else ""
        if not source.strip():
            errors.add("text", "empty_text", N_("Please enter a text."))
        elif len(source) > MAX_TEXT:
            errors.add("text", "too_long", N_("Please shorten the text to at most %(max)s characters."), max=MAX_TEXT)
        else:
            fields["text"], fields["html"] = source, render_markdown(source)
    elif kind == BlockKind.LINK:
        url = data.get("url").strip() if isinstance(data.get("url"), str) else ""
        if not url.lower().startswith(("https://", "http://")) or len(url) > MAX_URL \
                or any(ord(ch) <= 32 for ch in url):
            errors.add("url", "invalid_url", N_("Please enter a web address starting with https:// or http://."))
        fields["url"] = url
    elif kind in BlockKind.WITH_NODE:
        fields["node"] = await _pick_node(user, data.get("node_id"), kind, space_id, errors)
        if kind == BlockKind.IMAGE and not title:
            errors.add("title", "missing_alt", N_("Please describe the image for people who cannot see it."))
    elif kind == BlockKind.TASK:
        try:
            task_id = int(data.get("task_id"))
        except (TypeError, ValueError):
            task_id = 0
        if task_id <= 0:
            errors.add("task_id", "invalid_task", N_("Please choose a task."))
        fields["task_id"] = task_id
    else:
        errors.add("kind", "invalid_choice", N_("Please choose one of the offered options."))
    errors.raise_if_any()
    return fields


async def add_block(user: User, lesson_id, data, *, course_id=None) -> LessonBlock:
    view = await editable_lesson(user, lesson_id, course_id=course_id)
    kind = data.get("kind")
    fields = await read_block(user, kind, data, await course_space_id(view.course))
    async with in_transaction() as conn:
        position = await ordering.next_position(LessonBlock, conn, lesson_id=view.lesson.id)
        block = await LessonBlock.create(using_db=conn, lesson=view.lesson, kind=kind, position=position, **fields)
        await Lesson.filter(id=view.lesson.id).using_db(conn).update(updated_at=now())
    return block


async def editable_block(user: User, block_id, *, lesson_id=None, course_id=None) -> tuple[LessonView, LessonBlock]:
    try:
        block = await LessonBlock.get_or_none(id=int(block_id))
    except (TypeError, ValueError):
        block = None
    if block is None or (lesson_id is not None and str(block.lesson_id) != str(lesson_id)):
        raise NotFound("block")
    view = await editable_lesson(user, block.lesson_id, course_id=course_id)
    return view, block


async def update_block(user: User, block_id, data, *, lesson_id=None, course_id=None) -> LessonBlock:
    """Change a block's content (its kind stays); a refused change leaves the block as it was."""
    view, block = await editable_block(user, block_id, lesson_id=lesson_id, course_id=course_id)
    fields = await read_block(user, block.kind, data, await course_space_id(view.course))
    for name, value in fields.items():
        setattr(block, name, value)
    await block.save(update_fields=["text", "html", "node_id", "url", "title", "task_id"])
    return block


async def delete_block(user: User, block_id, *, lesson_id=None, course_id=None) -> None:
    _, block = await editable_block(user, block_id, lesson_id=lesson_id, course_id=course_id)
    await block.delete()


def _order_refused() -> AppError:
    return AppError("invalid_order", N_("The order must list every block of the lesson exactly once."), status=422)


async def reorder_blocks(user: User, lesson_id, ordered_ids, *, course_id=None) -> list[LessonBlock]:
    view = await editable_lesson(user, lesson_id, course_id=course_id)
    await ordering.reorder(LessonBlock, ordered_ids, _order_refused(), lesson_id=view.lesson.id)
    return await list_blocks(view.lesson)


async def move_block(user: User, block_id, step: int, *, lesson_id=None, course_id=None) -> None:
    view, block = await editable_block(user, block_id, lesson_id=lesson_id, course_id=course_id)
    await ordering.move(LessonBlock, block.id, step, _order_refused(), lesson_id=view.lesson.id)


async def block_file(user: User, block_id, *, lesson_id, course_id=None) -> tuple[LessonView, Node, FileVersion | None]:
    """The file or folder a block shows, for someone who may see the lesson (404 otherwise, also for
    pupils while the lesson is a draft or scheduled for later). The version is None for folders."""
    view = await get_lesson(user, lesson_id, course_id=course_id)
    try:
        block = await LessonBlock.get_or_none(id=int(block_id), lesson_id=view.lesson.id).select_related("node__space")
    except (TypeError, ValueError):
        block = None
    if block is None or block.kind not in BlockKind.WITH_NODE \
            or not node_is_usable(block, await course_space_id(view.course)):
        raise NotFound("file")
    node = block.node
    if not view.colleague:
        await require_read(user, node)  # course members: the files layer agrees as well
    if node.kind == NodeKind.FOLDER:
        return view, node, None
    version = await FileVersion.filter(node_id=node.id).order_by("-id").first()
    if version is None:
        raise NotFound("file")
    return view, node, version


async def picker_entries(course: Course) -> list[tuple[Node, str]]:
    """Files and folders of the course space with their paths, for choosing a block's file (the editor
    writes the course space, so sees all of it). One query; at most PICKER_LIMIT entries."""
    space_id = await course_space_id(course)
    nodes = await Node.filter(space_id=space_id, trash_key=0).order_by("id").limit(PICKER_LIMIT + 1)
    by_id = {n.id: n for n in nodes}
    paths: dict[int, str] = {}

    def path(node: Node) -> str:
        if node.id not in paths:
            parent = by_id.get(node.parent_id)
            prefix = path(parent) + "/" if parent is not None and parent.parent_id is not None else ""
            paths[node.id] = prefix + node.name
        return paths[node.id]

    entries = [(n, path(n)) for n in nodes if n.parent_id is not None]
    return sorted(entries, key=lambda e: e[1].casefold())[:PICKER_LIMIT]
