"""The embedded OpenID Connect provider's logic: authorization requests, codes, tokens.

It exists so that a single machine needs no external IdP, while the app stays a plain relying party.
PKCE with S256 is required of every client, confidential ones included.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from tortoise import connections
from tortoise.transactions import in_transaction

from schoolcloud import rows
from schoolcloud.accounts.models import School, SchoolClass, User
from schoolcloud.config import Settings
from schoolcloud.idp import keys
from schoolcloud.idp.clients import Client, clients
from schoolcloud.idp.models import AuthorizationCode, RefreshToken

CODE_TTL = timedelta(minutes=2)
ACCESS_TTL = timedelta(minutes=5)
ID_TOKEN_TTL = timedelta(minutes=5)
SUPPORTED_SCOPES = ("openid", "profile", "email", "offline_access")


class OAuthError(Exception):
    """An RFC 6749 error: ``error`` is the code sent to the client."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class UntrustedRedirect(Exception):
    """Client or redirect URI unknown: the user must not be sent anywhere."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str
    nonce: str
    code_challenge: str

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def check_client_and_redirect(settings: Settings, params) -> Client:
    client = clients(settings).get(params.get("client_id", ""))
    if client is None or params.get("redirect_uri") not in client.redirect_uris:
        raise UntrustedRedirect()
    return client


def parse_authorization_request(settings: Settings, params) -> AuthorizationRequest:
    client = check_client_and_redirect(settings, params)
    if params.get("response_type") != "code":
        raise OAuthError("unsupported_response_type", "only response_type=code is supported")
    scopes = params.get("scope", "").split()
    if "openid" not in scopes:
        raise OAuthError("invalid_scope", "scope must contain openid")
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        raise OAuthError("invalid_request", "PKCE with code_challenge_method=S256 is required")
    challenge = params["code_challenge"]
    if not 43 <= len(challenge) <= 128:
        raise OAuthError("invalid_request", "code_challenge has the wrong length")
    return AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=params["redirect_uri"],
        scope=" ".join(s for s in scopes if s in SUPPORTED_SCOPES),
        state=params.get("state", "")[:512],
        nonce=params.get("nonce", "")[:255],
        code_challenge=challenge,
    )


async def account_for_login(username: str) -> User | None:
    """The account with its school, in one hand-written query (see schoolcloud.rows): it runs for every
    login attempt."""
    found = await rows.fetch_one(
        f"SELECT {rows.columns(User, 'u')}, {rows.columns(School, 'c')} FROM {User._meta.db_table} u "
        f"LEFT JOIN {School._meta.db_table} c ON c.id = u.school_id WHERE u.username = ?", username)
    if found is None:
        return None
    user = rows.hydrate(User, found, "u")
    rows.attach(user, "school", rows.hydrate(School, found, "c"))
    return user


async def store_rehash(user: User, new_hash: str) -> None:
    """Replace the hash checked at this login by one with the role's parameters, unless the password was
    changed meanwhile (the newer hash wins)."""
    await User.filter(id=user.id, password_hash=user.password_hash).update(password_hash=new_hash)
    user.password_hash = new_hash


async def issue_code(request: AuthorizationRequest, user: User) -> str:
    code = secrets.token_urlsafe(32)
    now = _now()
    # By hand (see schoolcloud.rows): every login issues one.
    await rows.insert(connections.get("default"), AuthorizationCode,
                      code_hash=_digest(code), client_id=request.client_id, user_id=user.id,
                      redirect_uri=request.redirect_uri, scope=request.scope, nonce=request.nonce,
                      code_challenge=request.code_challenge, auth_time=now, expires_at=now + CODE_TTL, used_at=None)
    return code


def authenticate_client(settings: Settings, client_id: str | None, secret: str | None) -> Client:
    client = clients(settings).get(client_id or "")
    if client is None or not client.authenticates(secret):
        raise OAuthError("invalid_client", "client authentication failed", status=401)
    return client


async def _class_names(user: User) -> list[str]:
    found = await rows.fetch_all(
        f"SELECT c.name FROM {SchoolClass._meta.db_table} c JOIN class_member m ON m.school_class_id = c.id "
        "WHERE m.user_id = ?", user.id)
    return sorted(row["name"] for row in found)


async def user_claims(user: User) -> dict:
    claims = {
        "sub": str(user.public_id),
        "preferred_username": user.username,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "name": user.display_name,
        "roles": [user.role],
        "school": str(user.school_id) if user.school_id else "",
        "classes": await _class_names(user),
    }
    if user.email:
        claims["email"] = user.email
    return claims


async def _tokens(settings: Settings, client: Client, user: User, scope: str, auth_time: datetime,
                  nonce: str = "", code_hash: str = "") -> dict:
    now = _now()
    claims = await user_claims(user)
    base = {"iss": settings.issuer, "iat": int(now.timestamp()), "auth_time": int(auth_time.timestamp())}
    id_token = await keys.sign({**base, **claims, "aud": client.client_id, "azp": client.client_id,
                                "exp": int((now + ID_TOKEN_TTL).timestamp()), **({"nonce": nonce} if nonce else {})})
    access_token = await keys.sign({**base, "sub": claims["sub"], "aud": settings.issuer,
                                    "client_id": client.client_id, "scope": scope,
                                    "exp": int((now + ACCESS_TTL).timestamp()), "jti": secrets.token_hex(8)})
    refresh_token = secrets.token_urlsafe(32)
    await rows.insert(connections.get("default"), RefreshToken, token_hash=_digest(refresh_token),
                      client_id=client.client_id, user_id=user.id, scope=scope, auth_time=auth_time,
                      code_hash=code_hash, expires_at=now + timedelta(hours=settings.session_max_hours),
                      revoked_at=None)
    return {"access_token": access_token, "token_type": "Bearer", "expires_in": int(ACCESS_TTL.total_seconds()),
            "id_token": id_token, "refresh_token": refresh_token, "scope": scope}


async def exchange_code(settings: Settings, client: Client, code: str, redirect_uri: str, verifier: str) -> dict:
    """The tokens for a code, claimed and issued in one transaction (one commit per login). A refused
    exchange commits too: the code stays used (and a replay's revocations stay), only then is it refused."""
    refused = None
    async with in_transaction():
        try:
            result = await _exchange_code(settings, client, code, redirect_uri, verifier)
        except OAuthError as exc:
            refused = exc
    if refused is not None:
        raise refused
    return result


async def _exchange_code(settings: Settings, client: Client, code: str, redirect_uri: str, verifier: str) -> dict:
    code_hash = _digest(code or "")
    row = await _claim_code(code_hash, client.client_id)
    if row is None:
        if not await AuthorizationCode.exists(code_hash=code_hash, client_id=client.client_id):
            raise OAuthError("invalid_grant", "unknown authorization code")
        # A replayed code may be stolen: revoke everything issued from it (RFC 6749 4.1.2).
        await RefreshToken.filter(code_hash=code_hash, revoked_at=None).update(revoked_at=_now())
        raise OAuthError("invalid_grant", "authorization code already used")
    if row.expires_at < _now():
        raise OAuthError("invalid_grant", "authorization code expired")
    if row.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match")
    if not verifier or not secrets.compare_digest(create_s256_code_challenge(verifier), row.code_challenge):
        raise OAuthError("invalid_grant", "PKCE verification failed")
    if not row.user.active:
        raise OAuthError("invalid_grant", "account deactivated")
    return await _tokens(settings, client, row.user, row.scope, row.auth_time, row.nonce, code_hash)


async def _claim_code(code_hash: str, client_id: str) -> AuthorizationCode | None:
    """Mark the code used and return it with its user, or None if it is unknown, another client's or used
    already. The UPDATE is the claim (of two parallel exchanges only one changes the row); both statements
    are written by hand, as every login runs them (see schoolcloud.rows)."""
    table = AuthorizationCode._meta.db_table
    claimed = await rows.execute(
        connections.get("default"), f"UPDATE {table} SET used_at = ? WHERE code_hash = ? AND client_id = ? "
        "AND used_at IS NULL", rows.db_value(AuthorizationCode, "used_at", _now()), code_hash, client_id)
    if not claimed:
        return None
    found = await rows.fetch_one(
        f"SELECT {rows.columns(AuthorizationCode, 'a')}, {rows.columns(User, 'u')} FROM {table} a "
        f"JOIN {User._meta.db_table} u ON u.id = a.user_id WHERE a.code_hash = ?", code_hash)
    if found is None:  # the account was deleted in between
        return None
    row = rows.hydrate(AuthorizationCode, found, "a")
    rows.attach(row, "user", rows.hydrate(User, found, "u"))
    return row


async def refresh(settings: Settings, client: Client, token: str) -> dict:
    token_hash = _digest(token or "")
    row = await RefreshToken.get_or_none(token_hash=token_hash).prefetch_related("user")
    if row is None or row.client_id != client.client_id or row.revoked_at or row.expires_at < _now():
        raise OAuthError("invalid_grant", "refresh token invalid or expired")
    # Rotation: each refresh token works once.
    revoked = await RefreshToken.filter(token_hash=token_hash, revoked_at=None).update(revoked_at=_now())
    if not revoked or not row.user.active:
        raise OAuthError("invalid_grant", "refresh token invalid or expired")
    return await _tokens(settings, client, row.user, row.scope, row.auth_time, code_hash=row.code_hash)


async def user_from_access_token(settings: Settings, token: str) -> User:
    try:
        decoded = jwt.decode(token, await keys.public_keyset(), algorithms=[keys.ALGORITHM])
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": settings.issuer},
                              aud={"essential": True, "value": settings.issuer},
                              exp={"essential": True}).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise OAuthError("invalid_token", f"access token rejected: {exc}", status=401) from None
    user = await User.get_or_none(public_id=decoded.claims["sub"], active=True)
    if user is None:
        raise OAuthError("invalid_token", "unknown or deactivated account", status=401)
    return user


async def id_token_subject(settings: Settings, id_token: str) -> str | None:
    """The subject of an id_token_hint we issued (expiry ignored, as OIDC RP-initiated logout allows)."""
    try:
        decoded = jwt.decode(id_token, await keys.public_keyset(), algorithms=[keys.ALGORITHM])
    except (JoseError, ValueError):
        return None
    if decoded.claims.get("iss") != settings.issuer:
        return None
    return decoded.claims.get("sub")


async def revoke_user_tokens(user_id: int, client_id: str) -> None:
    await RefreshToken.filter(user_id=user_id, client_id=client_id, revoked_at=None).update(revoked_at=_now())
