"""Build a store from plain parameters (the web app maps its settings onto these)."""

from __future__ import annotations

from typing import Any

from storage.base import ObjectStore


def create_store(kind: str, **options: Any) -> ObjectStore:
    """``create_store("local", root=...)`` or ``create_store("s3", endpoint=..., access_key=...,
    secret_key=..., bucket=..., region=None, secure=True)``; see ``LocalStore`` and ``S3Store``
    for the optional tuning parameters. For S3 call ``await store.ensure_bucket()`` at start-up.
    """
    # Imported here so that a deployment on local disk never imports the S3 SDK and vice versa.
    if kind == "local":
        from storage.local import LocalStore

        return LocalStore(**options)
    if kind == "s3":
        from storage.s3 import S3Store

        return S3Store(**options)
    raise ValueError(f"unknown object store kind {kind!r} (expected 'local' or 's3')")
