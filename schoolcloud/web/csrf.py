"""CSRF tokens bound to the session cookie: hidden field `csrf_token` in forms,
header `X-CSRF-Token` for the JSON API."""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request

from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_

FIELD = "csrf_token"
HEADER = "x-csrf-token"


def csrf_token(request: Request) -> str:
    if "session" not in request.scope:
        return ""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _matches(request: Request, presented: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and presented and hmac.compare_digest(expected, presented))


class CsrfError(AppError):
    status_code = 403

    def __init__(self):
        super().__init__("csrf", N_("The form has expired. Please reload the page and try again."))


async def checked_form(request: Request, *, max_fields: int = 1000) -> FormData:
    """Parse a submitted form and refuse it unless it carries this session's token. Forms with long
    tables (a plan's measures) raise ``max_fields``; the body size limit still applies."""
    form = await request.form(max_fields=max_fields)
    presented = form.get(FIELD) or request.headers.get(HEADER)
    if not _matches(request, presented if isinstance(presented, str) else None):
        raise CsrfError()
    return form


def check_header(request: Request) -> None:
    if not _matches(request, request.headers.get(HEADER)):
        raise CsrfError()
