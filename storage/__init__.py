"""Object storage for schoolcloud's file bytes: one interface, a local-disk and an S3 backend.

This package knows nothing of the web app (it never imports ``schoolcloud``); the app passes plain
parameters to ``create_store``. Backends are imported lazily by the factory, or directly from
``storage.local`` / ``storage.s3``. ``storage.encrypted.EncryptedStore`` wraps either backend with
encryption at rest (chunked AES-256-GCM; the caller supplies the keyring).
"""

from storage.base import (
    InvalidKey,
    InvalidRange,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStream,
    ObjectTooLarge,
    StorageError,
    StoredObject,
    hash_object,
)
from storage.factory import create_store
from storage.keys import check_key, new_key

__all__ = [
    "InvalidKey",
    "InvalidRange",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStream",
    "ObjectTooLarge",
    "StorageError",
    "StoredObject",
    "check_key",
    "create_store",
    "hash_object",
    "new_key",
]
