"""The logged-in user of a request, with token refresh at the IdP once the access token has expired.

Refreshing is how a deactivation at an external IdP reaches us during a session.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timezone

import httpx
from authlib.integrations.base_client import OAuthError
from starlette.requests import Request
from starlette.responses import RedirectResponse

from schoolcloud.accounts.models import School, User
from schoolcloud.auth import sessions
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_

log = logging.getLogger(__name__)


class LoginRequired(AppError):
    status_code = 401

    def __init__(self):
        super().__init__("login_required", N_("Please log in."))


async def _refresh(request: Request, row) -> bool:
    if not await sessions.claim_refresh(row):
        return True  # another request of this session is refreshing right now
    client = request.app.state.oauth.idp
    try:
        token = await client.fetch_access_token(grant_type="refresh_token", refresh_token=row.refresh_token)
    except OAuthError as exc:
        log.info("refresh refused by the IdP (%s): ending session", exc.error)
        return False
    except (httpx.HTTPError, OSError) as exc:
        # The IdP is unreachable: keep the user working; the absolute timeout still applies.
        log.warning("token refresh failed, IdP unreachable: %s", exc)
        return True
    await sessions.update_tokens(row, token)
    return True


async def current_user(request: Request) -> User | None:
    if "user" in request.state._state:
        return request.state.user
    row = await sessions.load(request)
    user = row.user if row else None
    if row is not None and row.refresh_token and row.access_token_expires_at is not None \
            and row.access_token_expires_at <= datetime.now(timezone.utc):
        if not await _refresh(request, row):
            await sessions.end(request)
            user = None
    if user is not None:
        if not isinstance(getattr(user, "_school", None), School):
            await user.fetch_related("school")  # not loaded with the session (a user set by login)
        if user.school is not None and not user.school.active:
            user = None
    request.state.user = user
    return user


async def require_user(request: Request) -> User:
    user = await current_user(request)
    if user is None:
        raise LoginRequired()
    return user


def page(handler):
    """A page that needs a login: anonymous visitors are sent to /login and brought back afterwards."""

    @functools.wraps(handler)
    async def wrapper(request: Request):
        user = await current_user(request)
        if user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
        await load_nav_counts(request, user)
        return await handler(request)

    return wrapper


async def load_nav_counts(request: Request, user: User) -> None:
    """The unread notifications shown in the navigation of every page (one COUNT query)."""
    if request.method != "GET" or user.school_id is None:
        return
    from schoolcloud.tasks.notifications import nav_count  # the tasks domain owns notifications

    request.state.nav_unread = await nav_count(request.session, user)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def safe_next(value: str | None) -> str:
    """Only local paths: an open redirect after login would help phishing."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
