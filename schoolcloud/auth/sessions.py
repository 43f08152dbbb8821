"""Server-side login sessions behind a signed cookie, with idle and absolute timeouts.

The cookie (Starlette's signed session, HttpOnly, SameSite=Lax) holds only a random session id; the row
holds the tokens, so logout, deactivation and erasure end a session at once on every app instance.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from starlette.requests import Request
from tortoise import connections

from schoolcloud import rows
from schoolcloud.accounts.models import School, User
from schoolcloud.auth.models import LoginSession

TOUCH_EVERY = timedelta(seconds=60)  # bounds the writes that keeping a session alive costs
REFRESH_LEASE = timedelta(seconds=30)  # how long one request may take to refresh the session's tokens


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def start(request: Request, user: User, token: dict) -> None:
    settings = request.app.state.settings
    session_id = secrets.token_urlsafe(32)
    now = _now()
    # By hand (see schoolcloud.rows): every login starts one.
    await rows.insert(
        connections.get("default"), LoginSession,
        id_hash=_hash(session_id), user_id=user.id, created_at=now, last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_max_hours),
        id_token=token.get("id_token", ""), refresh_token=token.get("refresh_token", ""),
        access_token_expires_at=_token_expiry(token),
    )
    # A fresh cookie and CSRF token at login: nothing from before login carries over (session fixation).
    request.session.clear()
    request.session["sid"] = session_id
    request.state.user = user


def _token_expiry(token: dict) -> datetime | None:
    if "expires_at" in token:
        return datetime.fromtimestamp(int(token["expires_at"]), timezone.utc)
    if "expires_in" in token:
        return _now() + timedelta(seconds=int(token["expires_in"]))
    return None


async def _session_with_user(id_hash: str) -> LoginSession | None:
    """One query, run on every request: the session with its user and the user's school (current_user
    needs all three), written by hand for speed (see schoolcloud.rows)."""
    found = await rows.fetch_one(
        f"SELECT {rows.columns(LoginSession, 's')}, {rows.columns(User, 'u')}, {rows.columns(School, 'c')} "
        f"FROM {LoginSession._meta.db_table} s JOIN {User._meta.db_table} u ON u.id = s.user_id "
        f"LEFT JOIN {School._meta.db_table} c ON c.id = u.school_id WHERE s.id_hash = ?", id_hash)
    if found is None:
        return None
    session, user = rows.hydrate(LoginSession, found, "s"), rows.hydrate(User, found, "u")
    rows.attach(user, "school", rows.hydrate(School, found, "c"))
    rows.attach(session, "user", user)
    return session


async def load(request: Request) -> LoginSession | None:
    session_id = request.session.get("sid")
    if not session_id:
        return None
    row = await _session_with_user(_hash(session_id))
    if row is None:
        request.session.clear()
        return None
    now = _now()
    idle = timedelta(minutes=request.app.state.settings.session_idle_minutes)
    if row.expires_at <= now or row.last_seen_at + idle <= now or not row.user.active:
        await row.delete()
        request.session.clear()
        return None
    # A short idle timeout needs more frequent touches, or activity just under TOUCH_EVERY would not count.
    if now - row.last_seen_at >= min(TOUCH_EVERY, idle / 4):
        row.last_seen_at = now
        await LoginSession.filter(id_hash=row.id_hash).update(last_seen_at=now)
    return row


async def claim_refresh(row: LoginSession) -> bool:
    """Whether this request is the one to refresh the session's expired access token.

    A page and its parallel API calls all see the expiry; with rotating refresh tokens only the first
    refresh succeeds, and the others, presenting the spent token, would end the session. So the first
    request takes a lease by moving the expiry a little ahead; the others carry on meanwhile.
    """
    now = _now()
    return bool(await LoginSession.filter(id_hash=row.id_hash, access_token_expires_at__lte=now).update(
        access_token_expires_at=now + REFRESH_LEASE))


async def update_tokens(row: LoginSession, token: dict) -> None:
    row.id_token = token.get("id_token") or row.id_token
    row.refresh_token = token.get("refresh_token") or row.refresh_token
    row.access_token_expires_at = _token_expiry(token)
    await row.save(update_fields=["id_token", "refresh_token", "access_token_expires_at"])


async def end(request: Request) -> LoginSession | None:
    session_id = request.session.get("sid")
    row = None
    if session_id:
        row = await LoginSession.get_or_none(id_hash=_hash(session_id))
        if row is not None:
            await row.delete()
    request.session.clear()
    return row


async def end_all_for(user_id: int) -> int:
    return await LoginSession.filter(user_id=user_id).delete()


async def purge_expired() -> int:
    return await LoginSession.filter(expires_at__lte=_now()).delete()
