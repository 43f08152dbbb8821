"""Signing keys of the embedded IdP, kept in the database so they survive restarts and are shared by
all app instances."""

from __future__ import annotations

import secrets

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from schoolcloud.idp.models import SigningKey

ALGORITHM = "RS256"
_cache: dict[str, RSAKey] = {}


async def active_key() -> RSAKey:
    row = await SigningKey.filter(active=True).order_by("-created_at").first()
    if row is None:
        key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": ALGORITHM}, private=True)
        kid = secrets.token_hex(8)
        row = await SigningKey.create(kid=kid, private_pem=key.as_pem(private=True).decode())
    return _load(row)


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
