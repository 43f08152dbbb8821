"""Maintenance of encryption at rest (`schoolcloud encryption ...`): status, encrypting what was stored
before it was enabled, decrypting it all again (to turn encryption off), changing the master key, and
giving a school a new data key (re-encrypting its files).

Rewriting an existing object follows "Data that must not be lost": the rewritten copy goes to a fresh
key first; a conditional UPDATE then points the row at it only if the row still points at the old key;
whichever object lost is deleted afterwards. A concurrent delete or restore is never undone, a crash in
between leaves at worst an orphan for `schoolcloud fsck`, and a second run carries on where the first
stopped (what is done already is skipped). Thumbnails live in their rows (previews.py): they are sealed
or opened in place, by a conditional UPDATE on the ready row.

Parts of unfinished resumable uploads and data export archives are short-lived (they expire) and are
read while a client waits: encrypt-existing and decrypt-existing leave them as they are, except
decrypt-existing's last run with ``forget_keys``, which runs while no instance does and so may rewrite
them too before it deletes the data keys.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from tortoise.models import Model
from tortoise.transactions import in_transaction

from schoolcloud.files.content import FILES_PREFIX, discard
from schoolcloud.files.context import FilesContext, school_scope
from schoolcloud.files.keyring import retired_scope, rewrap, unwrap, wrap
from schoolcloud.files.models import DataKey, FileVersion, Preview, PreviewStatus, TusPart
from schoolcloud.files.previews import open_thumbnail, seal_thumbnail
from schoolcloud.files.tus import TUS_PREFIX
from storage import ObjectNotFound, StorageError, new_key
from storage.encrypted import EncryptedStore, ObjectCorrupted, is_sealed, key_id_of

log = logging.getLogger(__name__)
BATCH = 500
THUMB_BATCH = 100  # thumbnails are read with their data (a few KB each)
_PREFIXES = {"FileVersion": FILES_PREFIX, "TusPart": TUS_PREFIX, "DataExport": "exports/"}  # of fresh keys


@dataclass
class Progress:
    done: int = 0  # encrypted (decrypted) now
    already: int = 0  # were so before
    missing: int = 0  # no object (fsck reports these)
    changed: int = 0  # deleted or replaced meanwhile: left alone
    thumbnails: int = 0  # sealed (opened) now
    thumbnails_already: int = 0
    thumbnails_changed: int = 0

    def line(self, verb: str) -> str:
        return (f"{verb} now: {self.done}, already {verb}: {self.already}, object missing: {self.missing}, "
                f"changed meanwhile: {self.changed}; thumbnails {verb} now: {self.thumbnails}, already "
                f"{verb}: {self.thumbnails_already}, changed meanwhile: {self.thumbnails_changed}")


@dataclass
class Status:
    encrypted: int = 0
    plain: int = 0
    thumbnails_encrypted: int = 0
    thumbnails_plain: int = 0
    others_encrypted: int = 0  # parts of unfinished uploads and data exports

    def lines(self) -> list[str]:
        return [f"file versions: {self.encrypted} encrypted, {self.plain} not encrypted",
                f"thumbnails: {self.thumbnails_encrypted} encrypted, {self.thumbnails_plain} not encrypted",
                f"unfinished uploads' parts and data exports: {self.others_encrypted} encrypted"]


async def _objects(model: type[Model], school: str, school_id: int | None = None):
    """(row id, object key, school id) of every row of ``model`` with an object (of one school), in id
    order, in batches (bounded memory for millions of rows)."""
    query = model.exclude(object_key="")
    if school_id is not None:
        query = query.filter(**{school: school_id})
    last = 0
    while True:
        rows = await query.filter(id__gt=last).order_by("id").limit(BATCH).values_list("id", "object_key", school)
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1][0]


def _versions(school_id: int | None = None):
    return _objects(FileVersion, "node__space__school_id", school_id)


def _short_lived(school_id: int | None = None):
    """(model, rows) of the objects encrypt/decrypt-existing leave alone while instances run."""
    from schoolcloud.privacy.models import DataExport

    return ((TusPart, _objects(TusPart, "upload__school_id", school_id)),
            (DataExport, _objects(DataExport, "school_id", school_id)))


async def _thumbnails(school_id: int | None = None):
    """Ready thumbnails with their data: (preview id, version id, school id, data)."""
    school = "version__node__space__school_id"
    query = Preview.filter(status=PreviewStatus.READY).exclude(data=None)
    if school_id is not None:
        query = query.filter(**{school: school_id})
    last = 0
    while True:
        rows = await query.filter(id__gt=last).order_by("id").limit(THUMB_BATCH) \
            .values_list("id", "version_id", school, "data")
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1][0]


async def count(ctx: FilesContext) -> Status:
    """What is encrypted and what is not; reads each object's header."""
    store = _encrypted_store(ctx)
    status = Status()
    async for _, key, _ in _versions():
        try:
            if await store.is_encrypted(key):
                status.encrypted += 1
            else:
                status.plain += 1
        except ObjectNotFound:
            pass
    async for _, _, _, data in _thumbnails():
        if is_sealed(data):
            status.thumbnails_encrypted += 1
        else:
            status.thumbnails_plain += 1
    for _, rows in _short_lived():
        async for _, key, _ in rows:
            try:
                status.others_encrypted += await store.is_encrypted(key)
            except ObjectNotFound:
                pass
    return status


# What a rewrite wants: given the data key id an object or thumbnail is sealed with (None: plain),
# whether it must be rewritten, and whether it is to be written encrypted (with its school's current key).
Wanted = Callable[[Optional[int]], bool]
ENCRYPT: Wanted = lambda key_id: key_id is None  # noqa: E731
DECRYPT: Wanted = lambda key_id: key_id is not None  # noqa: E731


async def _rewrite(ctx: FilesContext, model: type[Model], row_id: int, key: str, school_id: int | None,
                   wanted: Wanted, encrypt: bool, progress: Progress) -> None:
    """Rewrite one row's object under a fresh key if ``wanted``, then point the row at it."""
    store = _encrypted_store(ctx)
    try:
        if not wanted(await store.key_id(key)):
            progress.already += 1
            return
        fresh = new_key(_PREFIXES.get(model.__name__, ""))
        target = ctx.store_for(school_id) if encrypt else store.inner
        async with await store.open(key) as stream:
            await target.put(fresh, stream)
    except ObjectNotFound:
        progress.missing += 1
        return
    except StorageError:
        log.error("rewriting the object of %s %s failed", model.__name__, row_id, exc_info=True)
        raise
    async with in_transaction() as conn:
        moved = await model.filter(id=row_id, object_key=key).using_db(conn).update(object_key=fresh)
    if moved:
        progress.done += 1
        await discard(ctx, key)
    else:
        progress.changed += 1
        await discard(ctx, fresh)


async def _rewrite_thumbnails(ctx: FilesContext, wanted: Wanted, encrypt: bool, progress: Progress,
                              school_id: int | None = None) -> None:
    async for preview_id, version_id, school, data in _thumbnails(school_id):
        data = bytes(data)
        if not wanted(key_id_of(data) if is_sealed(data) else None):
            progress.thumbnails_already += 1
            continue
        current = Preview.filter(id=preview_id, status=PreviewStatus.READY, data=data)
        try:
            thumb = await open_thumbnail(ctx, version_id, data)
        except ObjectCorrupted:
            # Damaged or not its own: the worker renders it again from the file.
            log.warning("thumbnail of version %s does not open; rendered again", version_id)
            await current.update(status=PreviewStatus.PENDING, attempts=0, data=None)
            progress.thumbnails += 1
            continue
        new = await seal_thumbnail(ctx, school, version_id, thumb) if encrypt else thumb
        # Only while the row still holds what was read (a re-render would have replaced it).
        if await current.update(data=new):
            progress.thumbnails += 1
        else:
            progress.thumbnails_changed += 1


async def encrypt_existing(ctx: FilesContext) -> Progress:
    progress = Progress()
    async for version_id, key, school_id in _versions():
        await _rewrite(ctx, FileVersion, version_id, key, school_id, ENCRYPT, True, progress)
    await _rewrite_thumbnails(ctx, ENCRYPT, True, progress)
    return progress


class StillEncrypted(Exception):
    """decrypt-existing with forget_keys found encrypted content left: the data keys are kept."""


async def decrypt_existing(ctx: FilesContext, *, forget_keys: bool = False) -> Progress:
    """Store every file version and thumbnail unencrypted again (safe while the app runs; new uploads
    are still encrypted as long as instances run with the master key). ``forget_keys``: the last run,
    with every app instance stopped: also parts of unfinished uploads and data exports, then, if
    nothing encrypted is left, delete the data keys, so that the app starts without the master key."""
    progress = Progress()
    async for version_id, key, school_id in _versions():
        await _rewrite(ctx, FileVersion, version_id, key, school_id, DECRYPT, False, progress)
    await _rewrite_thumbnails(ctx, DECRYPT, False, progress)
    if forget_keys:
        for model, rows in _short_lived():
            async for row_id, key, school_id in rows:
                await _rewrite(ctx, model, row_id, key, school_id, DECRYPT, False, progress)
        left = await count(ctx)
        if left.encrypted or left.thumbnails_encrypted or left.others_encrypted:
            raise StillEncrypted("; ".join(left.lines()))
        await DataKey.all().delete()
    return progress


@dataclass
class Rotation(Progress):
    new_key: int = 0
    retired: list[int] = field(default_factory=list)  # ids of the school's old keys
    deleted: list[int] = field(default_factory=list)  # of those, deleted now
    still_used: int = 0  # objects of unfinished uploads and exports under an old key: it is kept
    kept_until: datetime | None = None  # the old key is kept at least until then (grace)


async def rotate_school_key(ctx: FilesContext, master: bytes, school_id: int, *,
                            grace: timedelta = timedelta(hours=6)) -> Rotation:
    """Give a school a new data key and re-encrypt its file versions and thumbnails with it; delete
    the old key once nothing uses it. Resumable: a run that finds an old key of the school retired
    (an earlier run stopped) carries on with it instead of starting another rotation. Every object
    stays readable throughout: both keys are in the database until the old one is unused.

    An upload that began before the rotation writes with the old key (instances look the scope's key
    up again after ``keyring.WRITE_KEY_TTL``) and commits its row only when it ends: so the old key is
    deleted only ``grace`` after the rotation began (fsck's grace, by default: the longest an upload
    may take), and only if then no row of the school points at an object or thumbnail under it."""
    scope = school_scope(school_id)
    rotation = Rotation()
    async with in_transaction() as conn:
        retired = await DataKey.filter(scope__startswith=scope + "/").using_db(conn).order_by("id")
        current = await DataKey.filter(scope=scope).using_db(conn).first()
        if current is None:
            raise LookupError(f"school {school_id} has no data key (nothing of it is encrypted yet)")
        if not retired:
            # Rename first (the scope is unique), then the new key takes the scope.
            name = retired_scope(scope, current.id)
            await DataKey.filter(id=current.id).using_db(conn).update(scope=name, wrapped=rewrap(master, current, name))
            retired = [current]
            current = await DataKey.create(scope=scope, wrapped=wrap(master, scope, os.urandom(32)), using_db=conn)
    rotation.new_key, rotation.retired = current.id, [row.id for row in retired]
    old = set(rotation.retired)
    uses_old: Wanted = lambda key_id: key_id in old  # noqa: E731
    async for version_id, key, school in _versions(school_id):
        await _rewrite(ctx, FileVersion, version_id, key, school, uses_old, True, rotation)
    await _rewrite_thumbnails(ctx, uses_old, True, rotation, school_id)
    # Parts of unfinished uploads and exports are left to expire; objects written by an instance that
    # had not yet looked up the new key are found here too: then the old key stays for the next run.
    store = _encrypted_store(ctx)
    for _, rows in _short_lived(school_id):
        async for _, key, _ in rows:
            try:
                rotation.still_used += await store.key_id(key) in old
            except ObjectNotFound:
                pass
    async for version_id, key, _ in _versions(school_id):
        try:
            rotation.still_used += await store.key_id(key) in old
        except ObjectNotFound:
            pass
    async for _, _, _, data in _thumbnails(school_id):
        rotation.still_used += key_id_of(bytes(data)) in old
    rotation.kept_until = current.created_at + grace  # the new key was made when the old one retired
    if not rotation.still_used and datetime.now(timezone.utc) >= rotation.kept_until:
        rotation.deleted = rotation.retired
        await DataKey.filter(id__in=rotation.retired).delete()
    return rotation


async def rotate_master_key(old: bytes, new: bytes) -> int:
    """Re-wrap every data key from ``old`` to ``new`` in one transaction (the file objects stay as they
    are: they are encrypted with the data keys, which do not change). Raises ``InvalidTag`` when ``old``
    does not unwrap a key; then nothing is changed."""
    async with in_transaction() as conn:
        rows = await DataKey.all().using_db(conn).order_by("id")
        for row in rows:
            data_key = unwrap(old, row.scope, row.wrapped)
            await DataKey.filter(id=row.id).using_db(conn).update(wrapped=wrap(new, row.scope, data_key))
    return len(rows)


def _encrypted_store(ctx: FilesContext) -> EncryptedStore:
    if not isinstance(ctx.store, EncryptedStore):
        raise RuntimeError("SCHOOLCLOUD_ENCRYPTION_KEY is not set: encryption at rest is off")
    return ctx.store
