"""JSON API: the ZIP of all data about a person (own, or an account of an admin's school)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.api_common import caller
from schoolcloud.privacy import services_export
from schoolcloud.privacy.routes_export import zip_response


async def own_export(request: Request):
    """
    summary: Download all data about the caller as ZIP (data.json and the personal space's files).
    description: Streamed while it is written; schema of data.json in schoolcloud/privacy/EXPORT.md.
    responses:
      200: {description: The archive., content: {application/zip: {}}}
      409: {description: "export_running: another export of this account has not finished."}
    """
    user = await caller(request)
    subject, chunks = await services_export.export_zip(request.app.state.files, user)
    return zip_response(subject, chunks)


async def account_export(request: Request):
    """
    summary: Download all data about an account of the caller's school as ZIP (school admins).
    parameters:
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
    responses:
      200: {description: The archive., content: {application/zip: {}}}
      403: {description: Not a school admin.}
      404: {description: No such account in the caller's school.}
      409: {description: "export_running: another export of this account has not finished."}
    """
    user = await caller(request)
    subject, chunks = await services_export.export_zip(request.app.state.files, user,
                                                       request.path_params["user_id"])
    return zip_response(subject, chunks)


routes = [
    Route("/privacy/export", own_export, methods=["POST"]),
    Route("/privacy/users/{user_id}/export", account_export, methods=["POST"]),
]
