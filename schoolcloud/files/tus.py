"""Resumable uploads, tus 1.0 (core, creation, termination, expiration): the logic, without HTTP.

Stateless across app instances: an upload is a ``TusUpload`` row; each PATCH streams its body into a
fresh part object and then, in one transaction, advances ``received`` with a conditional update (the
offset the client named must still be current, else 409) and records a ``TusPart`` row. When the last
byte has arrived the parts are joined into the file's object (a single part is taken over as it is), and
one transaction claims the upload, adds the file or version (name rules, quota, versions as for a plain
upload) and drops the part rows; the part objects are deleted afterwards.

If the connection breaks during a PATCH, what arrived is kept as a part, so the client resumes from
there (tus recommends this). An upload whose completion is refused (name taken, quota, folder gone) is
terminated: nothing of it stays. Unfinished uploads expire ``UPLOAD_EXPIRY_HOURS`` after their last
PATCH; `schoolcloud purge-trash` removes them.

Uploads belong to an ``Uploader``: a logged-in user, or a file-drop link (``links_tus.DropUploader``),
which scopes every lookup and decides whether the finished file may still be added.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from datetime import datetime

from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import User
from schoolcloud.files import errors
from schoolcloud.files.content import FILES_PREFIX, add_version, detect_content_type, discard, upload_limit
from schoolcloud.files.context import FilesContext
from schoolcloud.files.models import Node, NodeKind, TusPart, TusUpload
from schoolcloud.files.names import OnConflict, clean_name
from schoolcloud.files.permissions import require_files_user, require_write
from schoolcloud.files.spaces import now
from schoolcloud.files.tree import as_id, choose_name, node_still_there, parse_on_conflict, writable_folder
from schoolcloud.web.errors import AppError, NotFound
from storage import ObjectTooLarge, StorageError, StoredObject, new_key
from storage.encrypted import ScopeGone

log = logging.getLogger(__name__)

TUS_PREFIX = "tus/"


class Uploader:
    """Whose uploads: a logged-in user (this class), or a file-drop link (``links_tus.DropUploader``)."""

    def __init__(self, user: User | None):
        self.user = user  # who adds the file (None: an anonymous drop)

    def scope(self) -> dict:
        """The filter (and the create fields) that make an upload this uploader's."""
        require_files_user(self.user)
        return {"user_id": self.user.id}

    async def check_folder(self, folder: Node) -> None:
        """Before the finished upload is added: may it still go into ``folder``?"""
        await require_write(self.user, folder)

    async def finished(self, upload: TusUpload, node: Node) -> None:
        """After the file was added."""


def uploader(who: User | Uploader) -> Uploader:
    return who if isinstance(who, Uploader) else Uploader(who)


async def create(ctx: FilesContext, user: User, *, length: int, metadata: dict[str, str]) -> TusUpload:
    """A new upload of ``length`` bytes. Metadata: ``filename`` and ``folder`` (a folder id) are needed;
    ``filetype`` and ``on_conflict`` (fail | rename | overwrite) are optional."""
    require_files_user(user)
    if "filename" not in metadata or "folder" not in metadata:
        raise errors.tus_metadata()
    name = clean_name(metadata["filename"])
    on_conflict = parse_on_conflict(metadata.get("on_conflict"), OnConflict.ALL)
    folder = await writable_folder(user, as_id(metadata["folder"], "folder"))
    return await start(ctx, Uploader(user), folder, name, metadata.get("filetype"), on_conflict, length)


async def start(ctx: FilesContext, owner: Uploader, folder: Node, name: str, filetype: str | None,
                on_conflict: str, length: int) -> TusUpload:
    """The upload row, once the caller has checked the name and that ``owner`` may write into ``folder``
    (with its space): an early 409 for a taken name, 413/507 for a length over the limits."""
    await choose_name(folder, name, NodeKind.FILE, on_conflict)  # early 409
    limit, too_large = await upload_limit(ctx, folder.space)
    if length > limit:
        raise too_large
    async with node_still_there(folder.id):
        upload = await TusUpload.create(
            id=secrets.token_hex(16), school_id=folder.space.school_id, folder=folder, filename=name,
            content_type=detect_content_type(name, filetype), on_conflict=on_conflict,
            total_size=length, expires_at=now() + ctx.limits.upload_expiry, **owner.scope())
    if length == 0:
        await finish(ctx, owner, upload)
    return upload


async def get(user: User | Uploader, upload_id: str) -> TusUpload:
    """The caller's own upload; others' uploads do not exist for them (404); expired ones are gone (410)."""
    scope = uploader(user).scope()
    upload = await TusUpload.get_or_none(id=upload_id, **scope) if len(upload_id) == 32 else None
    if upload is None:
        raise NotFound("upload")
    if upload.completed_at is None and upload.expires_at <= now():
        raise errors.tus_expired()
    return upload


async def status(ctx: FilesContext, user: User | Uploader, upload_id: str) -> TusUpload:
    """For HEAD: an upload with every byte received but not finished (the finishing instance died) is
    finished now, so the client learns the truth from the offset."""
    upload = await get(user, upload_id)
    if upload.completed_at is None and upload.received == upload.total_size:
        await finish(ctx, user, upload)
    return upload


async def append(ctx: FilesContext, user: User | Uploader, upload_id: str, offset: int, chunks: AsyncIterator[bytes],
                 declared_size: int | None = None) -> TusUpload:
    """Store the bytes of one PATCH at ``offset``; finish the upload when it is complete."""
    upload = await get(user, upload_id)
    if upload.completed_at is not None:
        if offset == upload.total_size:
            return upload  # a repeated final PATCH: already done
        raise errors.tus_offset()
    if offset != upload.received:
        raise errors.tus_offset()
    remaining = upload.total_size - upload.received
    if declared_size is not None and declared_size > remaining:
        raise errors.tus_too_much()
    if remaining > 0:
        key = new_key(TUS_PREFIX)
        try:
            part = await ctx.store_for(upload.school_id).put(key, chunks, max_bytes=remaining)
        except ObjectTooLarge:
            raise errors.tus_too_much() from None
        except ScopeGone:  # the school was deleted while the upload went on
            raise errors.deleted_meanwhile() from None
        except StorageError as exc:
            log.error("storing a tus part failed: %s", exc)
            raise errors.storage_unavailable() from exc
        if part.size == 0:
            await discard(ctx, key)
            return upload
        try:
            async with in_transaction() as conn:
                advanced = await TusUpload.filter(id=upload.id, received=offset, completed_at=None) \
                    .using_db(conn).update(received=offset + part.size, expires_at=now() + ctx.limits.upload_expiry)
                if not advanced:  # another PATCH (maybe on another instance) got there first, or it is gone
                    if not await TusUpload.filter(id=upload.id).using_db(conn).exists():
                        raise errors.tus_removed()
                    raise errors.tus_offset()
                await TusPart.create(using_db=conn, upload_id=upload.id, first_byte=offset, size=part.size,
                                     sha256=part.sha256, object_key=key)
        except BaseException:
            await discard(ctx, key)
            raise
        upload.received = offset + part.size
    if upload.received == upload.total_size:
        await finish(ctx, user, upload)
    return upload


async def _joined(ctx: FilesContext, parts: list[TusPart]) -> AsyncIterator[bytes]:
    for part in parts:
        stream = await ctx.store.open(part.object_key)
        async with stream:
            async for chunk in stream:
                yield chunk


async def finish(ctx: FilesContext, user: User | Uploader, upload: TusUpload) -> None:
    owner = uploader(user)
    parts = await TusPart.filter(upload_id=upload.id).order_by("first_byte")
    position = 0
    for part in parts:
        if part.first_byte != position:
            raise AssertionError(f"tus upload {upload.id}: parts are not contiguous")
        position += part.size
    if position != upload.total_size:
        raise AssertionError(f"tus upload {upload.id}: parts hold {position} of {upload.total_size} bytes")
    try:
        folder = await Node.get_or_none(id=upload.folder_id, trash_key=0).select_related("space")
        if folder is None:
            raise NotFound("folder")
        await owner.check_folder(folder)
        limit, too_large = await upload_limit(ctx, folder.space)
        if upload.total_size > limit:
            raise too_large
    except AppError:
        await terminate_upload(ctx, upload, unfinished_only=True)
        raise

    reused = len(parts) == 1
    if reused:
        # One part is the whole file: its object becomes the version's, no copy of the bytes.
        obj = StoredObject(parts[0].object_key, parts[0].size, parts[0].sha256)
    else:
        key = new_key(FILES_PREFIX)
        try:
            obj = await ctx.store_for(upload.school_id).put(key, _joined(ctx, parts), max_bytes=upload.total_size)
        except StorageError as exc:
            if await _finished_elsewhere(upload):
                return  # another instance finished it and removed the parts meanwhile
            if not await TusUpload.filter(id=upload.id).exists():
                raise errors.tus_removed() from None  # expired, cancelled or its folder deleted meanwhile
            log.error("joining the parts of tus upload %s failed: %s", upload.id, exc)
            raise errors.storage_unavailable() from exc

    async def claim(conn, node: Node) -> None:
        # The fence against removal (expiry job, termination, a revoked drop link, a deleted team): this
        # conditional UPDATE and ``terminate_upload`` both take the upload's row first, so exactly one
        # of them wins and the other finds the row finished or gone.
        claimed = await TusUpload.filter(id=upload.id, completed_at=None).using_db(conn).update(
            completed_at=now(), node_id=node.id, expires_at=now() + ctx.limits.upload_expiry)
        if not claimed:
            raise _AlreadyFinished()
        await TusPart.filter(upload_id=upload.id).using_db(conn).delete()

    try:
        node, _ = await add_version(ctx, owner.user, folder, upload.filename, obj, upload.content_type,
                                    on_conflict=upload.on_conflict, also=claim, owned=not reused)
    except _AlreadyFinished:
        if await _finished_elsewhere(upload):
            return  # another instance finished it meanwhile
        raise errors.tus_removed() from None  # removed meanwhile: the version was rolled back with the claim
    except AppError:
        await terminate_upload(ctx, upload, unfinished_only=True)
        raise
    upload.completed_at = now()
    upload.node_id = node.id
    await discard(ctx, *[p.object_key for p in parts if not (reused and p.object_key == obj.key)])
    await owner.finished(upload, node)


class _AlreadyFinished(Exception):
    pass


async def _finished_elsewhere(upload: TusUpload) -> bool:
    return await TusUpload.filter(id=upload.id, completed_at__not_isnull=True).exists()


async def terminate(ctx: FilesContext, user: User | Uploader, upload_id: str) -> None:
    """tus termination: the upload and every byte of it go (a finished file stays)."""
    scope = uploader(user).scope()
    upload = await TusUpload.get_or_none(id=upload_id, **scope) if len(upload_id) == 32 else None
    if upload is None:
        raise NotFound("upload")
    await terminate_upload(ctx, upload)


async def terminate_upload(ctx: FilesContext, upload: TusUpload, *, unfinished_only: bool = False,
                           expired_before: datetime | None = None) -> bool:
    """Remove the upload's row, its parts and their objects; with ``unfinished_only`` / ``expired_before``
    only if it is still unfinished / expired once its row is locked (the caller's view may be stale: the
    expiry job's batch was read before a last PATCH extended the upload or finished it).

    The row is locked before the part keys are read, in the same transaction: a PATCH adding a part and
    a request finishing the upload update that row first, so they wait and then find it gone (and fail
    with ``tus_removed``), or they went first and their part or their claim is seen here. Without the
    lock, keys read before a finishing request committed would delete the object its new version uses.
    Returns whether it was removed."""
    query = TusUpload.filter(id=upload.id)
    if unfinished_only:
        query = query.filter(completed_at=None)
    if expired_before is not None:
        query = query.filter(expires_at__lt=expired_before)
    async with in_transaction() as conn:
        removed, keys = await remove_upload_rows(conn, query)
    await discard(ctx, *keys)
    return bool(removed)


async def remove_upload_rows(conn, query) -> tuple[list[str], list[str]]:
    """Inside the caller's transaction: lock the uploads of ``query`` (a ``TusUpload`` filter; their
    conditions are checked again once locked), then delete their parts and them. Returns the removed
    upload ids and the part objects' keys, which the caller discards after committing."""
    ids = [u.id for u in await query.using_db(conn).select_for_update()]
    keys: list[str] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        keys += await TusPart.filter(upload_id__in=chunk).using_db(conn).values_list("object_key", flat=True)
        await TusPart.filter(upload_id__in=chunk).using_db(conn).delete()
        await TusUpload.filter(id__in=chunk).using_db(conn).delete()
    return ids, keys


async def expire_uploads(ctx: FilesContext, now_: datetime) -> int:
    """Remove uploads past their expiry: unfinished ones with their parts, finished ones' rows. One that
    a request extended or finished since the batch was read stays."""
    count = 0
    while True:
        batch = await TusUpload.filter(expires_at__lt=now_).limit(200)
        if not batch:
            return count
        for upload in batch:
            count += await terminate_upload(ctx, upload, expired_before=now_)
