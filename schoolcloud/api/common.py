"""Shared pieces of the JSON API: authentication, CSRF for cookie sessions, JSON bodies."""

from __future__ import annotations

import json

from starlette.requests import Request

from schoolcloud.accounts.models import User
from schoolcloud.auth.current import require_user
from schoolcloud.web.csrf import check_header
from schoolcloud.web.errors import AppError

SAFE = ("GET", "HEAD", "OPTIONS")


async def api_user(request: Request) -> User:
    """The caller, from the session cookie; state changes also need the X-CSRF-Token header."""
    user = await require_user(request)
    if request.method not in SAFE:
        check_header(request)
    return user


async def json_body(request: Request) -> dict:
    if "application/json" not in request.headers.get("content-type", ""):
        raise AppError("unsupported_media_type", "Send the data as JSON (Content-Type: application/json).",
                       status=415)
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise AppError("invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise AppError("invalid_json", "The request body must be a JSON object.")
    return body
