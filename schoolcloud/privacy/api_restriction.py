"""JSON API: freeze and unfreeze an account (restriction of processing, school admins)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.api_common import body_fields, caller, no_content, ok
from schoolcloud.privacy import services_restriction as restriction


async def freeze(request: Request):
    """
    summary: Freeze an account of the caller's school (Art. 18); it cannot log in and is not changed.
    parameters:
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
    requestBody:
      content:
        application/json:
          schema: {type: object, properties: {reason: {type: string, maxLength: 200}}}
    responses:
      201: {description: "Frozen: {frozen_at, reason}."}
      200: {description: Frozen already; nothing changed.}
      404: {description: No such account in the caller's school.}
      409: {description: Own account or the school's last active administrator.}
    """
    user = await caller(request)
    body = await body_fields(request, ("reason",)) if request.headers.get("content-length", "0") != "0" else {}
    row, created = await restriction.freeze(user, request.path_params["user_id"], str(body.get("reason") or ""))
    return ok({"frozen_at": row.frozen_at.isoformat(), "reason": row.reason}, status=201 if created else 200)


async def unfreeze(request: Request):
    """
    summary: Lift the restriction; the account's previous active state returns.
    parameters:
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
    responses:
      204: {description: Lifted.}
      409: {description: "not_frozen: the account is not frozen."}
    """
    user = await caller(request)
    await restriction.unfreeze(user, request.path_params["user_id"])
    return no_content()


routes = [
    Route("/privacy/users/{user_id}/restriction", freeze, methods=["PUT"]),
    Route("/privacy/users/{user_id}/restriction", unfreeze, methods=["DELETE"]),
]
