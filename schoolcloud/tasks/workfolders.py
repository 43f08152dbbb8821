"""Work folders: where a user's uploads for a task go, in their own personal space (so the files layer
applies its quota, streaming and resumable uploads, and the files show up under Files > Aufgaben).

Created on first use as ``Aufgaben/<course> – <task>`` (a free name is chosen if that is taken) and
remembered in ``WorkFolder``; if the user deletes or moves it to the trash, the next use makes a new one.
A submission or feedback records the files of the folder as they are at that moment (``snapshot``).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from schoolcloud.accounts.models import User
from schoolcloud.files import spaces, tree
from schoolcloud.files.errors import NameConflict
from schoolcloud.files.models import FileVersion, Node, NodeKind, Space
from schoolcloud.files.names import OnConflict
from schoolcloud.tasks.models import Task, WorkFolder, WorkPurpose
from schoolcloud.web.i18n import gettext_ as _

TOP_FOLDER = "Aufgaben"  # one name in every language: it is a place in the user's files, not a label
MAX_SNAPSHOT_FILES = 100


def _safe(text: str) -> str:
    return " ".join(text.replace("/", "-").replace("\\", "-").split())[:120] or "-"


async def _child_folder(user: User, parent: Node, name: str) -> Node:
    existing = await tree.live_child(parent.id, name)
    if existing is not None and existing.is_folder:
        return existing
    try:
        return await tree.create_folder(user, parent.id, name, on_conflict=OnConflict.FAIL)
    except NameConflict:  # made meanwhile by another request, or a file of that name
        existing = await tree.live_child(parent.id, name)
        if existing is not None and existing.is_folder:
            return existing
        return await tree.create_folder(user, parent.id, name, on_conflict=OnConflict.RENAME)


def work_key(purpose: str, submission_id: int | None = None) -> str:
    return f"{purpose}:{submission_id}" if submission_id else purpose


async def work_folder(user: User, task: Task, purpose: str, submission_id: int | None = None,
                      label: str = "") -> Node:
    """The user's live work folder for the task (made now if missing). ``task.course`` must be fetched."""
    key = work_key(purpose, submission_id)
    row = await WorkFolder.get_or_none(task_id=task.id, user_id=user.id, key=key).select_related("node")
    if row is not None and await _usable(user, row.node):
        return row.node
    root = await spaces.root_of(await spaces.personal_space(user))
    top = await _child_folder(user, root, TOP_FOLDER)
    name = _safe(f"{task.course.name} – {task.title}")
    if purpose == WorkPurpose.ATTACHMENTS:
        name = _safe(f"{name} ({_('material')})")
    elif purpose == WorkPurpose.FEEDBACK:
        name = _safe(f"{name} ({_('feedback')} {label})")
    folder = await tree.create_folder(user, top.id, name, on_conflict=OnConflict.RENAME)
    if row is not None:
        await WorkFolder.filter(id=row.id).update(node_id=folder.id)
        return folder
    try:
        await WorkFolder.create(task_id=task.id, user_id=user.id, key=key, node_id=folder.id)
    except IntegrityError:  # another request made one at the same time: use that, drop ours
        other = await WorkFolder.get(task_id=task.id, user_id=user.id, key=key).select_related("node")
        await Node.filter(id=folder.id).delete()
        return other.node
    return folder


async def _usable(user: User, node: Node) -> bool:
    """Live and still in the user's own space (a folder moved into a group space is no longer private)."""
    return not node.is_trashed and await Space.filter(id=node.space_id, owner_id=user.id).exists()


async def existing_work_folder(user: User, task_id: int, key: str) -> Node | None:
    row = await WorkFolder.get_or_none(task_id=task_id, user_id=user.id, key=key).select_related("node")
    return row.node if row is not None and await _usable(user, row.node) else None


@dataclass
class FileState:
    """A file as it is now: its node and its current version."""

    node: Node
    version: FileVersion


async def folder_files(folder_ids: list[int]) -> list[FileState]:
    """The live files directly in these folders with their current versions (two queries)."""
    if not folder_ids:
        return []
    nodes = await Node.filter(parent_id__in=folder_ids, kind=NodeKind.FILE, trash_key=0) \
        .order_by("name_key", "id").limit(MAX_SNAPSHOT_FILES)
    if not nodes:
        return []
    latest: dict[int, FileVersion] = {}
    for version in await FileVersion.filter(node_id__in=[n.id for n in nodes]).order_by("node_id", "-id"):
        latest.setdefault(version.node_id, version)
    return [FileState(n, latest[n.id]) for n in nodes if n.id in latest]


async def attachment_folder_ids(task_id: int) -> list[int]:
    return await WorkFolder.filter(task_id=task_id, key=WorkPurpose.ATTACHMENTS, node__trash_key=0) \
        .values_list("node_id", flat=True)


async def attachments(task_id: int) -> list[FileState]:
    """The task's material: the files in its teachers' material folders."""
    return await folder_files(await attachment_folder_ids(task_id))
