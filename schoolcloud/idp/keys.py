"""Signing keys of the embedded IdP, kept in the database so they survive restarts and are shared by
all app instances."""

from __future__ import annotations

import secrets
import time

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from schoolcloud.idp.models import SigningKey

ALGORITHM = "RS256"
_cache: dict[str, RSAKey] = {}


# Every token request signs twice; the active key is looked up at most this often per process. A key made
# active in the database (by another instance, or by hand) is used from then on within this time; tokens
# signed with the previous one still verify, as public_keyset reads every key.
ACTIVE_KEY_SECONDS = 60.0
_active: tuple[float, RSAKey] | None = None


async def active_key() -> RSAKey:
    global _active
    if _active is not None and time.monotonic() - _active[0] < ACTIVE_KEY_SECONDS:
        return _active[1]
    row = await SigningKey.filter(active=True).order_by("-created_at").first()
    if row is None:
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": ALGORITHM}, private=True)
        kid = secrets.token_hex(8)
        row = await SigningKey.create(kid=kid, private_pem=key.as_pem(private=True).decode())
    _active = (time.monotonic(), _load(row))
    return _active[1]


def _load(row: SigningKey) -> RSAKey:
    if row.kid not in _cache:
        _cache[row.kid] = RSAKey.import_key(row.private_pem, {"kid": row.kid, "use": "sig", "alg": ALGORITHM})
    return _cache[row.kid]


async def public_keyset() -> KeySet:
    rows = await SigningKey.all()
    if not rows:
        await active_key()
        rows = await SigningKey.all()
    return KeySet([_load(row) for row in rows])


async def jwks() -> dict:
    keyset = await public_keyset()
    return {"keys": [key.as_dict(private=False) for key in keyset.keys]}


async def sign(claims: dict) -> str:
    key = await active_key()
    return jwt.encode({"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}, claims, key)
