"""Trash: delete (rows marked, bytes kept), list, restore, purge (rows first, then the objects).

Deleting marks the node and its live subtree with ``trash_key`` = the node's id and stamps
``trashed_at`` on the node itself (a "trash root"). Restoring clears the mark of that subtree. Purging
removes the rows of the whole subtree in one transaction, releases its bytes from the space's usage and
only then deletes the objects; an object whose delete fails is an orphan for `schoolcloud fsck`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import User
from schoolcloud.files import errors
from schoolcloud.files.content import discard
from schoolcloud.files.context import FilesContext, client_ip
from schoolcloud.files.models import FileVersion, Node, Space, TusUpload
from schoolcloud.files.names import OnConflict, name_key
from schoolcloud.files.permissions import Access, require_files_user
from schoolcloud.files.spaces import lock_spaces, now, release, visible_spaces
from schoolcloud.files.tree import choose_name, live_subtree, retry_on_collision, subtree_ids, writable_node
from schoolcloud.files.tus import remove_upload_rows
from schoolcloud.privacy import audit
from schoolcloud.web.errors import NotFound

log = logging.getLogger(__name__)


async def trash(ctx: FilesContext, user: User, node_id) -> Node:
    node = await writable_node(user, node_id)
    if node.parent_id is None:
        raise errors.root_folder()
    ids = [n.id for n in await live_subtree(node)]
    async with in_transaction() as conn:
        stamp = now()
        for start in range(0, len(ids), 500):
            await Node.filter(id__in=ids[start:start + 500], trash_key=0).using_db(conn).update(trash_key=node.id)
        await Node.filter(id=node.id).using_db(conn).update(trashed_at=stamp, trashed_by_id=user.id)
        await Node.filter(id=node.parent_id).using_db(conn).update(modified_at=stamp)
    await audit.record("files.trash", actor=user, school_id=node.space.school_id, target_type="file_node",
                       target_id=node.id, details={"space": node.space_id, "entries": len(ids)},
                       ip=client_ip.get())
    return await Node.get(id=node.id)


@dataclass
class TrashPage:
    items: list[Node]
    offset: int
    limit: int
    has_more: bool


async def list_trash(ctx: FilesContext, user: User, *, space_id=None, offset: int = 0, limit: int = 100) -> TrashPage:
    """Trash roots in the spaces the user may write (their own personal space, group spaces they edit),
    newest first."""
    require_files_user(user)
    spaces = [v.space.id for v in await visible_spaces(ctx, user) if v.access >= Access.WRITE]
    if space_id not in (None, ""):
        try:
            wanted = int(space_id)
        except ValueError:
            raise errors.invalid_parameter("space") from None
        if wanted not in spaces:
            raise NotFound("space")
        spaces = [wanted]
    rows = await Node.filter(space_id__in=spaces, trashed_at__not_isnull=True) \
        .order_by("-trashed_at", "-id").offset(offset).limit(limit + 1)
    return TrashPage(rows[:limit], offset, limit, len(rows) > limit)


async def _trash_root(user: User, node_id) -> Node:
    node = await writable_node(user, node_id, trashed=True)
    if node.trashed_at is None:
        raise errors.not_in_trash()
    return node


async def restore(ctx: FilesContext, user: User, node_id, *, on_conflict: str = OnConflict.FAIL) -> Node:
    """Back to its folder, or to the top of the space when that folder is in the trash itself."""
    node = await _trash_root(user, node_id)
    parent = await Node.get_or_none(id=node.parent_id, trash_key=0)
    if parent is None or parent.space_id != node.space_id:
        parent = await Node.get(space_id=node.space_id, parent_id=None)

    async def work() -> Node:
        async with in_transaction() as conn:
            chosen, _ = await choose_name(parent, node.name, node.kind, on_conflict, conn)
            await Node.filter(id=node.id).using_db(conn).update(
                parent_id=parent.id, name=chosen, name_key=name_key(chosen), trashed_at=None, trashed_by_id=None,
                trash_key=0)
            await Node.filter(trash_key=node.id).using_db(conn).update(trash_key=0)
            await Node.filter(id=parent.id).using_db(conn).update(modified_at=now())
            return await Node.get(id=node.id).using_db(conn)

    restored = await retry_on_collision(work)
    await audit.record("files.restore", actor=user, school_id=node.space.school_id, target_type="file_node",
                       target_id=node.id, details={"space": node.space_id}, ip=client_ip.get())
    return restored


async def purge_subtree(ctx: FilesContext, root: Node) -> int:
    """Delete the rows of ``root`` and everything below it, then their objects; returns the number of
    objects removed. Tus uploads into folders of the subtree go with it."""
    ids = await subtree_ids(root.id)
    async with in_transaction() as conn:
        keys = await delete_subtree_rows(conn, root, ids)
    await discard(ctx, *keys)
    return len(keys)


async def delete_subtree_rows(conn, root: Node, ids: list[int] | None = None) -> list[str]:
    """Inside the caller's transaction: delete the rows of ``root`` and everything below it (``ids``,
    found inside the transaction when not given) and release their bytes; returns the object keys,
    which the caller discards after committing."""
    if ids is None:
        ids = await subtree_ids(root.id, conn)
    keys: list[str] = []
    size = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for key, version_size in await FileVersion.filter(node_id__in=chunk).using_db(conn) \
                .values_list("object_key", "size"):
            keys.append(key)
            size += version_size
        # Unfinished uploads into these folders: locked before their parts are read, so a PATCH adding
        # a part or a request finishing one waits, then finds it gone (see ``tus.terminate_upload``).
        keys += (await remove_upload_rows(conn, TusUpload.filter(folder_id__in=chunk)))[1]
    for start in range(0, len(ids), 500):
        await FileVersion.filter(node_id__in=ids[start:start + 500]).using_db(conn).delete()
    # Children before parents (reverse breadth-first order), so no foreign key is ever dangling.
    for start in range(len(ids), 0, -500):
        await Node.filter(id__in=ids[max(0, start - 500):start]).using_db(conn).delete()
    await release(conn, root.space_id, size)
    return keys


async def delete_space_rows(conn, *space_ids: int) -> list[str]:
    """Inside the caller's transaction: lock the spaces' rows (in id order), delete every node in them
    (trash included) with its versions, shares, links and unfinished uploads, then the spaces; returns
    the object keys, which the caller discards after committing (``content.discard``).

    An upload into one of the spaces charges the space's row in its own commit (``spaces.charge``): it
    either committed before the lock (its object is among the keys) or waits and then finds the space
    gone (and leaves nothing)."""
    if not space_ids:
        return []
    await lock_spaces(conn, *space_ids)
    keys: list[str] = []
    for root in await Node.filter(space_id__in=list(space_ids), parent_id__isnull=True).using_db(conn):
        keys += await delete_subtree_rows(conn, root)
    await Space.filter(id__in=list(space_ids)).using_db(conn).delete()
    return keys


async def purge(ctx: FilesContext, user: User, node_id) -> None:
    """Remove one trash entry for good, now."""
    node = await _trash_root(user, node_id)
    count = await purge_subtree(ctx, node)
    await audit.record("files.purge", actor=user, school_id=node.space.school_id, target_type="file_node",
                       target_id=node.id, details={"space": node.space_id, "objects": count}, ip=client_ip.get())


async def trash_days_for(ctx: FilesContext, school_id: int | None) -> int:
    """The school's own trash rule (privacy retention rules) or else TRASH_DAYS."""
    overrides = await _trash_overrides()
    return overrides.get(school_id, ctx.limits.trash_days)


async def _trash_overrides() -> dict[int, int]:
    from schoolcloud.privacy.retention_models import RetentionPolicy

    return dict(await RetentionPolicy.filter(trash_days__not_isnull=True).values_list("school_id", "trash_days"))


async def expired_trash(ctx: FilesContext, now_: datetime, *, school_id: int | None = None, limit: int | None = None):
    """Trash roots older than their school's trash rule (TRASH_DAYS where the school has none), oldest
    first; of one school or of all."""
    if school_id is not None:
        days = await trash_days_for(ctx, school_id)
        query = Node.filter(trashed_at__lt=now_ - timedelta(days=days), space__school_id=school_id)
    else:
        overrides = await _trash_overrides()
        expired = Q(trashed_at__lt=now_ - timedelta(days=ctx.limits.trash_days))
        if overrides:
            expired &= ~Q(space__school_id__in=list(overrides))
        for school, days in overrides.items():
            expired |= Q(trashed_at__lt=now_ - timedelta(days=days), space__school_id=school)
        query = Node.filter(expired)
    query = query.order_by("trashed_at", "id")
    return await (query.limit(limit) if limit else query)


async def purge_expired(ctx: FilesContext, nodes: list[Node], reason: str = "trash_expired") -> int:
    """Purge the given trash roots (audited each); returns how many went. One that was restored or went
    with a parent purged earlier is skipped."""
    purged = 0
    for node in nodes:
        if not await Node.filter(id=node.id, trashed_at__not_isnull=True).exists():
            continue
        count = await purge_subtree(ctx, node)
        school_id = await Space.filter(id=node.space_id).first().values_list("school_id", flat=True)
        await audit.record("files.purge", school_id=school_id, target_type="file_node", target_id=node.id,
                           details={"space": node.space_id, "objects": count, "reason": reason})
        purged += 1
    return purged


async def purge_trash(ctx: FilesContext, now_: datetime) -> int:
    """Purge every trash entry older than its school's trash rule (TRASH_DAYS by default), and expired
    resumable uploads; returns how many trash entries went (`schoolcloud purge-trash`; running instances
    do both as periodic jobs: files/maintenance.py)."""
    from schoolcloud.files.tus import expire_uploads

    purged = await purge_old_trash(ctx, now_)
    await expire_uploads(ctx, now_)
    return purged


async def purge_old_trash(ctx: FilesContext, now_: datetime) -> int:
    """Purge every trash entry older than its school's trash rule (TRASH_DAYS by default); returns how
    many went."""
    purged = 0
    while True:
        batch = await expired_trash(ctx, now_, limit=100)
        if not batch:
            break
        purged += await purge_expired(ctx, batch)
    return purged
