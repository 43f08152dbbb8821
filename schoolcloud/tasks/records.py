"""Teaching records that outlive the teacher: a task's material and the feedback files pupils were given.

While the teacher's account exists they live in the teacher's personal space (work folders,
workfolders.py), where the teacher manages them like any of their files and their quota counts them.
The school, not the teacher, is the controller of teaching records, so erasing the teacher's account
(Art. 17, privacy/services_erasure.py) must not take them from the course's pupils: ``keep`` moves the
teacher's live material and feedback folders, with every version and trash entry inside them, into the
course's task records space (``SpaceKind.TASK_RECORDS``, one per course, created on first use) before
the personal space is purged. Nodes and versions keep their ids, so ``FeedbackFile`` rows and the
material lists (``WorkFolder`` rows, whose ``user`` becomes NULL) go on pointing at them; their bytes
move from the personal space's usage to the records space's in the same transaction (fsck agrees).

Why not course-owned from the start: the course's own space is readable by all its pupils, and a
feedback file is for one pupil only; a records space written by teachers would need its own rules in the
files layer. Moving at erasure keeps the files layer's rules as they are and the teacher's files theirs
while they teach. Nobody reaches the records space through the files layer (permissions.py gives it no
access); the tasks' rules (access.py, downloads.py) serve its files as before. The records go when
their task is deleted (``kept_folders`` and ``purge``) or with the course, objects included
(``accounts.services_classes.delete_course``), or earlier by the school's retention rule
``task_records_days`` (``due``, counted from ``kept_at``, the day of the erasure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import User
from schoolcloud.files.context import FilesContext
from schoolcloud.files.models import Node, Space, SpaceKind
from schoolcloud.files.names import OnConflict, name_key
from schoolcloud.files.spaces import lock_spaces, now, release, root_of, task_records_space
from schoolcloud.files.trash import purge_subtree
from schoolcloud.files.tree import choose_name, retry_on_collision, subtree_ids, version_bytes
from schoolcloud.tasks.models import FeedbackFile, WorkFolder, WorkPurpose


@dataclass
class Kept:
    folders: int = 0
    files: int = 0  # feedback files kept on their own (not in a feedback folder)
    bytes: int = 0


def _kept_purpose(key: str) -> bool:
    return key == WorkPurpose.ATTACHMENTS or key.startswith(f"{WorkPurpose.FEEDBACK}:")


async def keep(user: User, personal: Space) -> Kept:
    """Move the user's live material and feedback folders from their personal space into the task
    records of each task's course. Call before the personal space is purged."""
    kept = Kept()
    kept_at = now().replace(microsecond=0)
    # Every feedback file in the space is kept (in its folder or on its own): dated before the moves.
    given = await FeedbackFile.filter(node__space_id=personal.id).values_list("id", flat=True)
    await FeedbackFile.filter(id__in=given or [0]).update(kept_at=kept_at)
    rows = await WorkFolder.filter(user_id=user.id, node__space_id=personal.id, node__trash_key=0) \
        .select_related("task", "node").order_by("id")
    for row in rows:
        if not _kept_purpose(row.key):
            continue  # a pupil's hand-in folder is their own (what was handed in stays in the submission)
        target = await task_records_space(row.task.course_id, row.task.school_id)
        kept.bytes += await _move(row.node, personal, target)
        await WorkFolder.filter(id=row.id).update(user_id=None, kept_at=kept_at)  # the row outlives the account
        kept.folders += 1
    # Feedback files given from elsewhere in the space (moved out of their folder after the feedback was
    # saved): the pupil was given them, so they are kept too, one by one.
    for node_id, course_id, school_id in await FeedbackFile.filter(node__space_id=personal.id).values_list(
            "node_id", "submission__task__course_id", "submission__task__school_id"):
        node = await Node.get_or_none(id=node_id, space_id=personal.id)
        if node is not None:  # (two rows may name the same file)
            kept.bytes += await _move(node, personal, await task_records_space(course_id, school_id))
            kept.files += 1
    return kept


async def _move(node: Node, source: Space, target: Space) -> int:
    """Move a folder (with everything below it) or a file from ``source`` into ``target``'s root."""
    root = await root_of(target)
    ids = await subtree_ids(node.id)
    size = await version_bytes(ids)

    async def work() -> None:
        async with in_transaction() as conn:
            await lock_spaces(conn, source.id, target.id)  # in id order, as every move between spaces
            chosen, _ = await choose_name(root, node.name, node.kind, OnConflict.RENAME, conn)
            # Not spaces.charge: the records must not be refused for want of quota while an account is
            # erased; the group quota only stops new uploads, and nobody uploads into this space.
            await Space.filter(id=target.id).using_db(conn).update(used_bytes=F("used_bytes") + size)
            await release(conn, source.id, size)
            for start in range(0, len(ids), 500):
                await Node.filter(id__in=ids[start:start + 500]).using_db(conn).update(space_id=target.id)
            await Node.filter(id=node.id).using_db(conn).update(parent_id=root.id, name=chosen,
                                                                name_key=name_key(chosen))
            await Node.filter(id=root.id).using_db(conn).update(modified_at=now())

    await retry_on_collision(work)
    return size


async def kept_folders(task_id: int) -> list[Node]:
    """The task's kept records: material and feedback folders of erased teachers, and feedback files kept
    on their own (the top-level entries of the records space that belong to this task)."""
    node_ids = [*await WorkFolder.filter(task_id=task_id).values_list("node_id", flat=True),
                *await FeedbackFile.filter(submission__task_id=task_id, node_id__not_isnull=True)
                .values_list("node_id", flat=True)]
    if not node_ids:
        return []
    return await Node.filter(id__in=node_ids, space__kind=SpaceKind.TASK_RECORDS, parent__parent_id__isnull=True)


async def purge(ctx: FilesContext, folders: list[Node]) -> int:
    """Remove kept records for good (their task was deleted); returns the objects removed."""
    removed = 0
    for folder in folders:
        removed += await purge_subtree(ctx, folder)
    return removed


async def due(school_id: int, cutoff: datetime, at: datetime) -> tuple[list[tuple[Node, datetime]], int]:
    """The school's kept records older than ``cutoff`` (top-level entries of its task records spaces with
    the day they were kept), oldest first, and how many of those are held back because their task still
    accepts work (due in the future, not closed): pupils may be working with the material right now."""
    dated: dict[int, tuple[datetime, bool]] = {}
    rows = [*await WorkFolder.filter(task__school_id=school_id, kept_at__lt=cutoff)
            .values_list("node_id", "kept_at", "task__due_at", "task__closed_at"),
            *await FeedbackFile.filter(submission__task__school_id=school_id, kept_at__lt=cutoff,
                                       node_id__not_isnull=True)
            .values_list("node_id", "kept_at", "submission__task__due_at", "submission__task__closed_at")]
    for node_id, kept_at, due_at, closed_at in rows:
        running = closed_at is None and due_at is not None and due_at > at
        dated[node_id] = (kept_at, running or dated.get(node_id, (kept_at, False))[1])
    if not dated:
        return [], 0
    nodes = await Node.filter(id__in=list(dated), space__kind=SpaceKind.TASK_RECORDS,
                              parent__parent_id__isnull=True)
    held = sum(1 for node in nodes if dated[node.id][1])
    listed = sorted(((node, dated[node.id][0]) for node in nodes if not dated[node.id][1]),
                    key=lambda pair: (pair[1], pair[0].id))
    return listed, held
