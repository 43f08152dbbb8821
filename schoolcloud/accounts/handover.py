"""Short-lived, single-use, encrypted hand-overs between two requests.

Two things must survive from one request to the next without lying around in plaintext:

* an uploaded class list, between the preview and the admin's "import now" (kind ``import``), and
* freshly generated one-time passwords, between the request that sets them and the one that shows them
  or prints the access letters (kind ``credentials``).

Why a database row and not process memory: the app runs as several stateless replicas (helm:
replicaCount 2+), so the follow-up request may reach another process. Why not the browser alone (a sealed
blob in a hidden field): it could be replayed for as long as it is valid; a row can be deleted exactly
once, which makes the hand-over single-use.

How it is protected: each hand-over gets its own random AES-256-GCM key. The row stores only the
ciphertext; the key travels in the token that the client holds (the page keeps it in the signed session
cookie, the API returns it). A database dump or backup alone therefore reveals neither passwords nor the
class list, and an expired or used row is useless. The associated data binds the ciphertext to its id,
kind and actor, so rows cannot be swapped. Rows expire after minutes; each new hand-over purges expired
ones, and ``take`` deletes a row atomically (DELETE ... WHERE id = ? counts 1 for exactly one caller).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import zlib
from datetime import datetime, timedelta, timezone

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from schoolcloud.accounts.models import Handover, User
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_

IMPORT = "import"
CREDENTIALS = "credentials"
TTL = {IMPORT: timedelta(minutes=30), CREDENTIALS: timedelta(minutes=15)}


class HandoverGone(AppError):
    status_code = 410

    def __init__(self):
        super().__init__("handover_gone", N_("This was already used or has expired. Please start again."))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _aad(handover_id: str, kind: str, actor: User) -> bytes:
    return f"{handover_id}|{kind}|{actor.public_id}".encode()


async def seal(kind: str, actor: User, data: bytes) -> str:
    """Store ``data`` encrypted; returns the token (id and key) that opens it once."""
    now = _now()
    await Handover.filter(expires_at__lte=now).delete()
    handover_id = secrets.token_urlsafe(16)
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    ciphertext = nonce + AESGCM(key).encrypt(nonce, zlib.compress(data), _aad(handover_id, kind, actor))
    await Handover.create(id=handover_id, kind=kind, actor=actor, ciphertext=ciphertext,
                          expires_at=now + TTL[kind])
    return f"{handover_id}.{_b64(key)}"


async def seal_json(kind: str, actor: User, payload: dict) -> str:
    return await seal(kind, actor, json.dumps(payload, ensure_ascii=False).encode())


def _split(token: str | None) -> tuple[str, bytes]:
    if not token or not isinstance(token, str) or token.count(".") != 1:
        raise HandoverGone()
    handover_id, key_text = token.split(".")
    try:
        key = _unb64(key_text)
    except (binascii.Error, ValueError):
        raise HandoverGone() from None
    if len(key) != 32 or not handover_id or len(handover_id) > 32:
        raise HandoverGone()
    return handover_id, key


async def take(token: str | None, kind: str, actor: User, *, consume: bool = True) -> bytes:
    """Open a hand-over of this actor. With ``consume`` (the default) nobody can open it again."""
    handover_id, key = _split(token)
    row = await Handover.get_or_none(id=handover_id, kind=kind, actor_id=actor.id, expires_at__gt=_now())
    if row is None:
        raise HandoverGone()
    try:
        packed = bytes(row.ciphertext)
        data = zlib.decompress(AESGCM(key).decrypt(packed[:12], packed[12:], _aad(handover_id, kind, actor)))
    except (InvalidTag, ValueError, zlib.error):
        raise HandoverGone() from None
    if consume and await Handover.filter(id=handover_id).delete() != 1:
        raise HandoverGone()  # another request took it first
    return data


async def take_json(token: str | None, kind: str, actor: User, *, consume: bool = True) -> dict:
    return json.loads(await take(token, kind, actor, consume=consume))


async def discard(token: str | None) -> None:
    """Drop a hand-over that is no longer wanted (e.g. a new file replaces the previewed one)."""
    try:
        handover_id, _key = _split(token)
    except HandoverGone:
        return
    await Handover.filter(id=handover_id).delete()
