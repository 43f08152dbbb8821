"""What the files services need besides the database: the object store and the limits from the settings.

Routes find it at ``request.app.state.files``; the CLI builds its own with ``open_context``. Services
take it as their first argument, so they run the same under HTTP, the CLI and tests.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from schoolcloud.config import Settings
from storage import ObjectStore, create_store
from storage.encrypted import EncryptedStore

def school_scope(school_id: int) -> str:
    """The keyring scope of a school's objects (see ``keyring.py``)."""
    return f"school:{school_id}"


if TYPE_CHECKING:
    from schoolcloud.wakeup import LocalWakeup

log = logging.getLogger(__name__)

MB = 1024 * 1024

# The client address of the current request, for the audit trail (truncated there). Routes set it;
# the CLI leaves it empty.
client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("files_client_ip", default=None)


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int
    quota_pupil_bytes: int
    quota_teacher_bytes: int
    quota_group_bytes: int
    trash_days: int
    upload_expiry: timedelta
    # Objects without a row younger than this are left alone by fsck: an upload may be between
    # "object written" and "row committed".
    fsck_grace: timedelta = timedelta(hours=6)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        return cls(
            max_upload_bytes=settings.max_upload_mb * MB,
            quota_pupil_bytes=settings.quota_pupil_mb * MB,
            quota_teacher_bytes=settings.quota_teacher_mb * MB,
            quota_group_bytes=settings.quota_group_mb * MB,
            trash_days=settings.trash_days,
            upload_expiry=timedelta(hours=settings.upload_expiry_hours),
        )


@dataclass
class FilesContext:
    store: ObjectStore
    limits: Limits
    # Tells the background workers (previews) that a new version is there; None: they find it by polling.
    wakeup: "LocalWakeup | None" = None

    def store_for(self, school_id: int | None) -> ObjectStore:
        """The store to write a school's objects with: under encryption at rest, one that uses that
        school's data key (reading needs no school: an encrypted object names its key)."""
        if isinstance(self.store, EncryptedStore) and school_id is not None:
            return self.store.scoped(school_scope(school_id))
        return self.store

    async def new_version_added(self) -> None:
        if self.wakeup is None:
            return
        try:
            await self.wakeup.notify()
        except Exception as exc:  # noqa: BLE001  (only a hint: the upload has been committed)
            log.warning("could not wake the workers: %s", type(exc).__name__)


def store_from_settings(settings: Settings) -> ObjectStore:
    if settings.storage == "s3":
        store = create_store("s3", endpoint=settings.s3_endpoint, access_key=settings.s3_access_key,
                             secret_key=settings.s3_secret_key, bucket=settings.s3_bucket,
                             region=settings.s3_region or None, secure=settings.s3_secure)
    else:
        store = create_store("local", root=settings.storage_path)
    if settings.encryption_key is not None:
        # Imported here: the keyring needs the models, which the settings module must not pull in.
        from schoolcloud.files.keyring import SchoolKeyring

        return EncryptedStore(store, SchoolKeyring(settings.encryption_key))
    return store


async def prepare_store(store: ObjectStore) -> None:
    """Start-up work of a backend (S3: create the bucket unless it exists)."""
    ensure_bucket = getattr(store, "ensure_bucket", None)
    if ensure_bucket is not None:
        await ensure_bucket()


async def check_encryption(settings: Settings) -> None:
    """Start-up check, once the database is up: the master key fits the stored data keys (ConfigError)."""
    from schoolcloud.files.keyring import check_master_key

    await check_master_key(settings.encryption_key)


@contextlib.asynccontextmanager
async def open_context(settings: Settings):
    """A FilesContext for the CLI: the store is closed (pending cleanups awaited) afterwards."""
    store = store_from_settings(settings)
    try:
        await check_encryption(settings)
        await prepare_store(store)
        yield FilesContext(store, Limits.from_settings(settings))
    finally:
        await store.close()
