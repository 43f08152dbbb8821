"""Maintenance of encryption at rest (`schoolcloud encryption ...`): status, encrypting the objects written
before it was enabled, and changing the master key.

Encrypting an existing object follows "Data that must not be lost": the encrypted copy goes to a fresh
key first; a conditional UPDATE then points the version at it only if the version still points at the
old key; whichever object lost is deleted afterwards. A concurrent delete or restore is never undone,
and a crash in between leaves at worst an orphan for `schoolcloud fsck`. Parts of unfinished resumable
uploads are left as they are: they expire within ``UPLOAD_EXPIRY_HOURS``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from schoolcloud.files.content import FILES_PREFIX, discard
from schoolcloud.files.context import FilesContext
from schoolcloud.files.keyring import unwrap, wrap
from schoolcloud.files.models import DataKey, FileVersion
from storage import ObjectNotFound, StorageError, new_key
from storage.encrypted import EncryptedStore

log = logging.getLogger(__name__)
BATCH = 500


@dataclass
class Progress:
    encrypted: int = 0  # done now
    already: int = 0  # were encrypted before
    missing: int = 0  # no object (fsck reports these)
    changed: int = 0  # deleted or replaced meanwhile: left alone


async def _versions():
    """Every version with its school, in id order, in batches (bounded memory for millions of rows)."""
    last = 0
    while True:
        rows = await FileVersion.filter(id__gt=last).order_by("id").limit(BATCH) \
            .values_list("id", "object_key", "node__space__school_id")
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1][0]


async def count(ctx: FilesContext) -> tuple[int, int]:
    """(encrypted, plain) objects of file versions; reads each object's header."""
    store = _encrypted_store(ctx)
    encrypted = plain = 0
    async for _, key, _ in _versions():
        try:
            if await store.is_encrypted(key):
                encrypted += 1
            else:
                plain += 1
        except ObjectNotFound:
            pass
    return encrypted, plain


async def encrypt_existing(ctx: FilesContext) -> Progress:
    store = _encrypted_store(ctx)
    progress = Progress()
    async for version_id, key, school_id in _versions():
        try:
            if await store.is_encrypted(key):
                progress.already += 1
                continue
            fresh = new_key(FILES_PREFIX)
            async with await store.open(key) as stream:
                await ctx.store_for(school_id).put(fresh, stream)
        except ObjectNotFound:
            progress.missing += 1
            continue
        except StorageError:
            log.error("encrypting the object of version %s failed", version_id, exc_info=True)
            raise
        async with in_transaction() as conn:
            moved = await FileVersion.filter(id=version_id, object_key=key).using_db(conn) \
                .update(object_key=fresh)
        if moved:
            progress.encrypted += 1
            await discard(ctx, key)
        else:
            progress.changed += 1
            await discard(ctx, fresh)
    return progress


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
