"""File content: uploads (new files and new versions), versions, copies, and what a download reads.

Order of writes ("Data that must not be lost"): the bytes go to the store under a fresh key first; only
then one transaction adds the version row, updates the node and charges the quota. If anything fails
in between, the fresh object is deleted again (and if even that fails, `schoolcloud fsck` finds it as an
orphan). A failing upload therefore leaves neither a row nor an object.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from schoolcloud import group_commit, rows
from schoolcloud.accounts.models import User
from schoolcloud.files import errors
from schoolcloud.files.context import MB, FilesContext
from schoolcloud.files.models import FileVersion, Node, NodeKind, Space
from schoolcloud.files.names import OnConflict, clean_name, name_key
from schoolcloud.files.permissions import require_files_user, require_read
from schoolcloud.files.previews import previewable
from schoolcloud.files.serialize import etag
from schoolcloud.files.spaces import charge, free_bytes, now, release, space_quota
from schoolcloud.files.tree import (
    check_not_inside,
    choose_name,
    ensure_live,
    live_subtree,
    load_node,
    retry_on_collision,
    touch_live_folder,
    writable_folder,
    writable_node,
)
from schoolcloud.privacy import audit
from schoolcloud.web.errors import AppError, NotFound
from storage import ObjectNotFound, ObjectTooLarge, StorageError, StoredObject, new_key
from storage.encrypted import ScopeGone

log = logging.getLogger(__name__)

FILES_PREFIX = "files/"
MAX_COPY_NODES = 10_000
_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_GENERIC = {"application/octet-stream", "application/x-www-form-urlencoded", "multipart/form-data",
            "application/offset+octet-stream", "text/html; charset=utf-8"}


def detect_content_type(name: str, header: str | None) -> str:
    """The type to record: the client's, when it names one; else a guess from the name.

    What is recorded never decides alone how a file is served: see ``serving.disposition``.
    """
    if header:
        main, _, params = header.partition(";")
        main = main.strip().lower()
        if _TYPE.match(main) and main not in _GENERIC:
            charset = re.search(r"charset=\"?([A-Za-z0-9._-]{1,40})", params)
            if main.startswith("text/") and charset:
                return f"{main}; charset={charset.group(1).lower()}"
            return main
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


async def discard(ctx: FilesContext, *keys: str) -> None:
    """Delete objects that no row points to (yet); runs to completion even if the caller is cancelled.
    Failures only log: fsck removes what is left."""

    async def delete_all() -> None:
        for key in keys:
            try:
                await ctx.store.delete(key)
            except Exception:
                log.warning("could not delete object %s; fsck will remove it", key, exc_info=True)

    task = asyncio.ensure_future(delete_all())
    await asyncio.shield(task)


async def upload_limit(ctx: FilesContext, space: Space, *, quota: int | None = None) -> tuple[int, AppError]:
    """The most bytes one upload into ``space`` may bring now, and the error for exceeding it.

    With ``quota`` given, ``space.used_bytes`` as loaded by the caller (in this request) counts instead
    of a fresh read: only an early refusal depends on it; the charge in the transaction decides.
    """
    if quota is None:
        free = await free_bytes(ctx, space)
    else:
        free = max(0, quota - space.used_bytes)
    if ctx.limits.max_upload_bytes <= free:
        return ctx.limits.max_upload_bytes, errors.file_too_large(ctx.limits.max_upload_bytes // MB)
    return free, errors.quota_exceeded()


async def put_bytes(ctx: FilesContext, chunks: AsyncIterator[bytes], limit: int, too_large: AppError,
                    prefix: str = FILES_PREFIX, *, school_id: int) -> StoredObject:
    """Store an upload under a fresh key; ``school_id`` picks the data key under encryption at rest."""
    key = new_key(prefix)
    try:
        return await ctx.store_for(school_id).put(key, chunks, max_bytes=limit)
    except ObjectTooLarge:
        raise too_large from None
    except ScopeGone:  # the school was deleted while the upload began
        raise errors.deleted_meanwhile() from None
    except StorageError as exc:
        log.error("storing an upload failed: %s", exc)
        raise errors.storage_unavailable() from exc


async def add_version(ctx: FilesContext, user: User | None, folder: Node, name: str, obj: StoredObject,
                      content_type: str, *, on_conflict: str = OnConflict.FAIL,
                      node: Node | None = None, expected_sha256: str | None = None,
                      also: Callable[[Any, Node], Awaitable[None]] | None = None,
                      owned: bool = True, space: Space | None = None, quota: int | None = None,
                      name_free: bool = False) -> tuple[Node, bool]:
    """Point a file at the stored object, in one transaction (grouped with concurrent ones, see
    ``schoolcloud.group_commit``): a new file in ``folder`` (by name and
    ``on_conflict``), or a new version of ``node``. ``also(conn, node)`` runs inside the same
    transaction (tus: claim the upload, drop its part rows). If this fails the object is deleted again,
    unless ``owned`` is false (another row still points at it).

    ``space`` and ``quota`` save their queries when the caller has them. ``name_free``: the caller has
    just found ``name`` free in ``folder``, so the first attempt inserts without checking again; if the
    name was taken meanwhile, the unique index refuses the insert and the retry checks as usual.

    Returns the node and whether it was created.
    """
    if space is None:
        space = await Space.get(id=folder.space_id)
    if quota is None:
        quota = await space_quota(ctx, space, user)
    attempts = 0

    async def work(conn) -> tuple[Node, bool]:
        nonlocal attempts
        attempts += 1
        if node is not None:
            existing = await Node.get_or_none(id=node.id, trash_key=0).using_db(conn)
            if existing is None:
                raise NotFound("file")
            if expected_sha256 is not None and existing.sha256 != expected_sha256:
                raise errors.changed_meanwhile()
            chosen = existing.name
        elif name_free and attempts == 1:
            chosen, existing = name, None
        else:
            chosen, existing = await choose_name(folder, name, NodeKind.FILE, on_conflict, conn)
        await charge(conn, space, quota, obj.size)
        stamp = now()
        fields = dict(size=obj.size, content_type=content_type, sha256=obj.sha256, modified_at=stamp)
        creator = user.id if user is not None else None
        if existing is not None:
            await Node.filter(id=existing.id).using_db(conn).update(**fields)
            target = await Node.get(id=existing.id).using_db(conn)
        else:  # the two INSERTs of every upload, by hand (see schoolcloud.rows)
            target = await rows.insert(conn, Node, space_id=folder.space_id, parent_id=folder.id,
                                       kind=NodeKind.FILE, name=chosen, name_key=name_key(chosen),
                                       trash_key=0, trashed_at=None, trashed_by_id=None,
                                       created_by_id=creator, created_at=stamp, **fields)
        await rows.insert(conn, FileVersion, node_id=target.id, object_key=obj.key, size=obj.size,
                          sha256=obj.sha256, content_type=content_type, created_by_id=creator,
                          created_at=stamp, missing_at=None)
        await touch_live_folder(conn, folder.id, stamp)  # rolls all back if the folder was trashed
        if also is not None:
            await also(conn, target)
        return target, existing is None

    try:
        # grouped with the concurrent uploads' transactions of this process (one commit for all)
        result = await retry_on_collision(lambda: group_commit.transaction(work))
    except group_commit.CancelledAfterCommit:
        raise  # the row points at the object: it stays
    except BaseException:
        if owned:
            await discard(ctx, obj.key)
        raise
    if previewable(content_type):
        # Only the preview worker listens; waking it for a type it skips costs each instance a few
        # queries per upload (it still sees such versions on its next poll, and passes them over).
        await ctx.new_version_added()
    return result


@dataclass
class UploadResult:
    node: Node
    created: bool


async def upload(ctx: FilesContext, user: User, folder_id, name, chunks: AsyncIterator[bytes], *,
                 content_type: str | None = None, declared_size: int | None = None,
                 on_conflict: str = OnConflict.FAIL) -> UploadResult:
    """Stream a new file into a folder (or, with ``overwrite``, a new version of the file of that name).

    Refused before a byte is read when the name is taken (``fail``), or when the announced size is over
    the upload limit or the free quota; refused while streaming as soon as the bytes exceed them.
    """
    name = clean_name(name)
    folder = await writable_folder(user, folder_id)
    # early 409, before any byte is read
    chosen, existing = await choose_name(folder, name, NodeKind.FILE, on_conflict)
    space = folder.space  # loaded with the folder just now
    quota = await space_quota(ctx, space, user)
    limit, too_large = await upload_limit(ctx, space, quota=quota)
    if declared_size is not None and declared_size > limit:
        raise too_large
    obj = await put_bytes(ctx, chunks, limit, too_large, school_id=space.school_id)
    node, created = await add_version(ctx, user, folder, name, obj, detect_content_type(name, content_type),
                                      on_conflict=on_conflict, space=space, quota=quota,
                                      name_free=chosen == name and existing is None)
    return UploadResult(node, created)


async def replace_content(ctx: FilesContext, user: User, node_id, chunks: AsyncIterator[bytes], *,
                          content_type: str | None = None, declared_size: int | None = None,
                          if_match: str | None = None) -> Node:
    """A new version of an existing file. ``if_match`` (an ETag) guards against overwriting a change
    made meanwhile by someone else (412)."""
    node = await writable_node(user, node_id)
    if not node.kind == NodeKind.FILE:
        raise errors.not_a_file()
    expected = None
    if if_match is not None and if_match.strip() != "*":
        if if_match.strip() != etag(node.sha256):
            raise errors.changed_meanwhile()
        expected = node.sha256
    limit, too_large = await upload_limit(ctx, node.space)
    if declared_size is not None and declared_size > limit:
        raise too_large
    obj = await put_bytes(ctx, chunks, limit, too_large, school_id=node.space.school_id)
    folder = await Node.get(id=node.parent_id)
    kind = detect_content_type(node.name, content_type) if content_type else node.content_type
    updated, _ = await add_version(ctx, user, folder, node.name, obj, kind, node=node, expected_sha256=expected)
    return updated


# -- reading -----------------------------------------------------------------------------------------

async def _current_version(node_id: int) -> FileVersion | None:
    """The node's newest version with its node and space: one query per download, written by hand for
    speed (see schoolcloud.rows; through the ORM's select_related it was a quarter of a small download's
    CPU)."""
    found = await rows.fetch_one(
        f"SELECT {rows.columns(FileVersion, 'v')}, {rows.columns(Node, 'n')}, {rows.columns(Space, 's')} "
        f"FROM {FileVersion._meta.db_table} v JOIN {Node._meta.db_table} n ON n.id = v.node_id "
        f"JOIN {Space._meta.db_table} s ON s.id = n.space_id WHERE v.node_id = ? ORDER BY v.id DESC LIMIT 1",
        node_id)
    if found is None:
        return None
    version, node = rows.hydrate(FileVersion, found, "v"), rows.hydrate(Node, found, "n")
    rows.attach(node, "space", rows.hydrate(Space, found, "s"))
    rows.attach(version, "node", node)
    return version


async def version_for_download(user: User, node_id, version_id=None) -> tuple[Node, FileVersion]:
    if version_id in (None, "") and isinstance(node_id, (int, str)) \
            and str(node_id).isascii() and str(node_id).isdigit():
        # The common case in one query: the current version with its node and space. Without a row
        # (no such node, a folder, no version) the checks below answer as usual.
        require_files_user(user)
        version = await _current_version(int(node_id))
        if version is not None:
            node = version.node
            if node.is_trashed:
                raise NotFound("file")
            await require_read(user, node)
            if node.kind != NodeKind.FILE:
                raise errors.not_a_file()
            return node, version
    node, _ = await load_node(user, node_id)
    if node.kind != NodeKind.FILE:
        raise errors.not_a_file()
    query = FileVersion.filter(node_id=node.id)
    if version_id not in (None, ""):
        try:
            query = query.filter(id=int(version_id))
        except ValueError:
            raise NotFound("version") from None
    version = await query.order_by("-id").first()
    if version is None:
        raise NotFound("version")
    return node, version


# -- versions ----------------------------------------------------------------------------------------

async def list_versions(user: User, node_id) -> tuple[Node, list[FileVersion]]:
    node, _ = await load_node(user, node_id)
    if node.kind != NodeKind.FILE:
        raise errors.not_a_file()
    return node, await FileVersion.filter(node_id=node.id).order_by("-id")


async def copy_object(ctx: FilesContext, key: str, limit: int | None = None,
                      too_large: AppError | None = None, *, school_id: int) -> StoredObject:
    try:
        stream = await ctx.store.open(key)
    except ObjectNotFound:
        raise errors.content_missing() from None
    except StorageError as exc:
        raise errors.storage_unavailable() from exc
    async with stream:
        return await put_bytes(ctx, stream, limit if limit is not None else ctx.limits.max_upload_bytes,
                               too_large or errors.quota_exceeded(), school_id=school_id)


async def restore_version(ctx: FilesContext, user: User, node_id, version_id) -> Node:
    """Make an old version current again: its bytes are copied into a new version (the history stays)."""
    node = await writable_node(user, node_id)
    old = await FileVersion.get_or_none(id=int(version_id), node_id=node.id) if str(version_id).isdigit() else None
    if old is None:
        raise NotFound("version")
    limit, too_large = await upload_limit(ctx, node.space)
    if old.size > limit:
        raise too_large
    obj = await copy_object(ctx, old.object_key, limit, too_large, school_id=node.space.school_id)
    folder = await Node.get(id=node.parent_id)
    updated, _ = await add_version(ctx, user, folder, node.name, obj, old.content_type, node=node)
    await audit.record("files.version_restore", actor=user, school_id=node.space.school_id,
                       target_type="file_node", target_id=node.id, details={"version": old.id})
    return updated


async def delete_version(ctx: FilesContext, user: User, node_id, version_id) -> None:
    """Remove an old version for good (the current one cannot be deleted: delete the file instead)."""
    node = await writable_node(user, node_id)
    old = await FileVersion.get_or_none(id=int(version_id), node_id=node.id) if str(version_id).isdigit() else None
    if old is None:
        raise NotFound("version")
    async with in_transaction() as conn:
        latest = await FileVersion.filter(node_id=node.id).using_db(conn).order_by("-id").first()
        if latest is not None and latest.id == old.id:
            raise errors.current_version()
        await FileVersion.filter(id=old.id).using_db(conn).delete()
        await release(conn, node.space_id, old.size)
    await audit.record("files.version_delete", actor=user, school_id=node.space.school_id,
                       target_type="file_node", target_id=node.id, details={"version": old.id})
    await discard(ctx, old.object_key)


# -- copy ---------------------------------------------------------------------------------------------

async def copy_node(ctx: FilesContext, user: User, node_id, target_id, *, name=None,
                    on_conflict: str = OnConflict.FAIL) -> Node:
    """Copy a file (its current version) or a folder with everything live in it. Every copied file
    gets its own new object, so deleting the original never touches the copy."""
    source, _ = await load_node(user, node_id)
    if source.parent_id is None:
        raise errors.root_folder()
    target = await writable_folder(user, target_id)
    return await copy_tree(ctx, user, source, target, name=name, on_conflict=on_conflict)


async def copy_tree(ctx: FilesContext, user: User, source: Node, target: Node, *, name=None,
                    on_conflict: str = OnConflict.FAIL) -> Node:
    """``copy_node`` without the permission checks, for services that checked them their own way
    (copying a lesson a colleague shared: the copier reads the file through the lesson, not through
    the files layer). ``target`` (with its space) must be a folder the user may write."""
    if source.parent_id is None:
        raise errors.root_folder()
    if source.is_folder:
        await check_not_inside(source, target)
    new_name = clean_name(name) if name is not None else source.name
    await choose_name(target, new_name, source.kind, on_conflict)  # early 409
    nodes = await live_subtree(source)
    if len(nodes) > MAX_COPY_NODES:
        raise AppError("too_many_entries", "This folder has too many entries to copy at once (at most "
                       "%(count)s).", status=422, count=MAX_COPY_NODES)
    files = [n for n in nodes if n.kind == NodeKind.FILE]
    total = sum(n.size for n in files)
    limit, too_large = await upload_limit(ctx, target.space)
    if total > await free_bytes(ctx, target.space):
        raise errors.quota_exceeded()
    current = {}
    for start in range(0, len(files), 500):
        for version in await FileVersion.filter(node_id__in=[f.id for f in files[start:start + 500]]) \
                .order_by("node_id", "id"):
            current[version.node_id] = version  # the last one per node wins: the current version
    copies: dict[int, StoredObject] = {}
    try:
        for node in files:
            if node.id in current:
                copies[node.id] = await copy_object(ctx, current[node.id].object_key, limit, too_large,
                                                    school_id=target.space.school_id)
        space = await Space.get(id=target.space_id)
        quota = await space_quota(ctx, space)

        async def work() -> Node:
            async with in_transaction() as conn:
                await ensure_live(conn, target.id)
                chosen, _ = await choose_name(target, new_name, source.kind, on_conflict, conn)
                await charge(conn, space, quota, sum(obj.size for obj in copies.values()))
                stamp = now()
                new_ids = {source.parent_id: target.id}
                top = None
                for node in nodes:  # parents come before their children
                    obj = copies.get(node.id)
                    if node.kind == NodeKind.FILE and obj is None:
                        continue  # a file without any version (should not exist): nothing to copy
                    node_name = chosen if node.id == source.id else node.name
                    copy = await Node.create(
                        using_db=conn, space_id=target.space_id, parent_id=new_ids[node.parent_id],
                        kind=node.kind, name=node_name, name_key=name_key(node_name),
                        size=obj.size if obj else 0, content_type=node.content_type,
                        sha256=obj.sha256 if obj else "", created_by=user, modified_at=stamp)
                    new_ids[node.id] = copy.id
                    if obj is not None:
                        await FileVersion.create(using_db=conn, node_id=copy.id, object_key=obj.key,
                                                 size=obj.size, sha256=obj.sha256,
                                                 content_type=current[node.id].content_type, created_by=user)
                    top = top or copy
                await Node.filter(id=target.id).using_db(conn).update(modified_at=stamp)
                return top

        return await retry_on_collision(work)
    except BaseException:
        await discard(ctx, *[obj.key for obj in copies.values()])
        raise
