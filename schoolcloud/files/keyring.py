"""The data keys of encryption at rest: one per school, generated on first use, stored in the database
wrapped (AES-256-GCM) by the master key from ``SCHOOLCLOUD_ENCRYPTION_KEY``.

``storage.encrypted.EncryptedStore`` does the file encryption; this module is its keyring. A wrapped key
is bound to its scope (the scope is the AES-GCM associated data), so swapping rows between schools in
the database makes them fail to unwrap instead of mixing keys up. Unwrapped keys are cached in the
process: a key never changes once its row exists (rotating the master key re-wraps rows, same keys).

Rotating a school's data key (encryption.rotate_school_key) gives the scope a new row and renames the
old one to ``<scope>/retired-<id>`` (re-wrapped for that name), so objects under either key stay
readable by id until the old one is no longer used and deleted. Which key a scope writes with is
therefore looked up again after ``WRITE_KEY_TTL``: every instance writes with the new key within that
time, without a restart.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import School
from schoolcloud.config import PREFIX, ConfigError
from schoolcloud.files.models import DataKey
from storage.encrypted import Keyring, KeyUnavailable, ScopeGone

VARIABLE = PREFIX + "ENCRYPTION_KEY"
INSTANCE_SCOPE = "instance"
WRITE_KEY_TTL = 60.0  # seconds a process keeps writing with the key it looked up for a scope
_SCHOOL_SCOPE = re.compile(r"school:(\d+)(?:/retired-\d+)?")


def school_of(scope: str) -> int | None:
    """The school a data key's scope belongs to (``school:N``, or a key of it retired by a rotation,
    ``school:N/retired-M``); None for the instance's key."""
    found = _SCHOOL_SCOPE.fullmatch(scope)
    return int(found.group(1)) if found else None


def retired_scope(scope: str, key_id: int) -> str:
    """The scope a rotated-out key of ``scope`` is kept under until no object uses it."""
    return f"{scope}/retired-{key_id}"


def rewrap(master: bytes, row: DataKey, scope: str) -> str:
    """The row's key wrapped for another scope (same master key, same data key)."""
    return wrap(master, scope, unwrap(master, row.scope, row.wrapped))


def wrap(master: bytes, scope: str, data_key: bytes) -> str:
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(master).encrypt(nonce, data_key, _aad(scope))).decode()


def unwrap(master: bytes, scope: str, wrapped: str) -> bytes:
    """Raises ``InvalidTag`` when ``master`` is not the key the row was wrapped with."""
    raw = base64.b64decode(wrapped)
    return AESGCM(master).decrypt(raw[:12], raw[12:], _aad(scope))


def _aad(scope: str) -> bytes:
    return b"schoolcloud data key|" + scope.encode()


class SchoolKeyring(Keyring):
    def __init__(self, master: bytes):
        self._master = master
        self._by_id: dict[int, bytes] = {}
        self._by_scope: dict[str, tuple[float, int, bytes]] = {}  # scope: (looked up at, id, key)
        self._lock = asyncio.Lock()  # one first-use key creation at a time in this process

    def _unwrap(self, row: DataKey) -> bytes:
        try:
            key = unwrap(self._master, row.scope, row.wrapped)
        except InvalidTag:
            raise KeyUnavailable(f"data key {row.id} does not unwrap: {VARIABLE} is not the master key "
                                 "it was wrapped with") from None
        self._by_id[row.id] = key
        return key

    async def write_key(self, scope: str | None) -> tuple[int, bytes]:
        scope = scope or INSTANCE_SCOPE
        cached = self._by_scope.get(scope)
        if cached is not None and time.monotonic() - cached[0] < WRITE_KEY_TTL:
            return cached[1], cached[2]
        async with self._lock:
            row = await DataKey.get_or_none(scope=scope)
            if row is None:
                try:
                    row = await self._create(scope)
                except IntegrityError:  # another instance created it at the same moment
                    row = await DataKey.get(scope=scope)
            key = self._by_id.get(row.id) or self._unwrap(row)
            self._by_scope[scope] = (time.monotonic(), row.id, key)
            return row.id, key

    async def _create(self, scope: str) -> DataKey:
        """A new key for the scope; for a school's, only while the school exists (else ``ScopeGone``).

        Inserted first, then the school's row is locked and looked for, in one transaction: a deletion
        of the school (``privacy.school_erasure.delete_school`` removes the school's row, then its keys,
        in one transaction) either committed before (the row is gone: nothing is created) or waits for
        this commit and then removes the new key with the others. Without this, an upload through a file
        drop that had passed its checks just before ``schoolcloud delete-school`` could leave a key of
        the deleted school behind. On SQLite the insert takes the one write lock first, so the check
        sees the latest state."""
        school_id = school_of(scope)
        async with in_transaction() as conn:
            row = await DataKey.create(scope=scope, wrapped=wrap(self._master, scope, os.urandom(32)), using_db=conn)
            if school_id is not None and not await School.filter(id=school_id).using_db(conn).select_for_update():
                raise ScopeGone(f"school {school_id} no longer exists: no data key is made for it")
        return row

    async def read_key(self, key_id: int) -> bytes:
        key = self._by_id.get(key_id)
        if key is not None:
            return key
        row = await DataKey.get_or_none(id=key_id)
        if row is None:
            raise KeyUnavailable(f"no data key with id {key_id} in the database")
        return self._unwrap(row)


async def check_master_key(master: bytes | None) -> None:
    """At start-up: refuse a master key that does not unwrap the stored data keys, and a missing one
    when encrypted files exist (their keys are in the database). Raises ``ConfigError``."""
    try:
        first = await DataKey.all().order_by("id").first()
    except OperationalError:  # not migrated yet: no data key can exist
        return
    if first is None:
        return
    if master is None:
        count = await DataKey.all().count()
        raise ConfigError(f"{VARIABLE} is not set, but files are encrypted ({count} data keys in the database): "
                          "set it to the master key they were written with")
    try:
        unwrap(master, first.scope, first.wrapped)
    except InvalidTag:
        raise ConfigError(f"{VARIABLE} is not the master key the data keys were wrapped with (data key "
                          f"{first.id} does not unwrap); to change the master key use `schoolcloud encryption "
                          "rotate-master-key`") from None
