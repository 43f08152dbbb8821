"""JSON API of the data export: request (own, or an account of an admin's school), status, download."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from schoolcloud.accounts.api_common import caller
from schoolcloud.privacy import export_archive
from schoolcloud.privacy.routes_export import archive_response


async def own_export(request: Request):
    """
    summary: Request a ZIP of all data about the caller; it is built in the background.
    description: Poll GET /privacy/exports/{id} until status is ready, then download it (until expires_at).
      Schema of data.json in schoolcloud/privacy/EXPORT.md.
    responses:
      202: {description: "The export: id, status (queued | running | ready | failed | expired), done, total, percent."}
      409: {description: "export_running: an export of this account is being prepared (its status under export)."}
    """
    view = await export_archive.request_export(await caller(request))
    return JSONResponse(view.as_json(), status_code=202)


async def account_export(request: Request):
    """
    summary: Request a ZIP of all data about an account of the caller's school (school admins).
    parameters:
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
    responses:
      202: {description: The export, as for the own export.}
      403: {description: Not a school admin.}
      404: {description: No such account in the caller's school.}
      409: {description: "export_running: an export of this account is being prepared."}
    """
    view = await export_archive.request_export(await caller(request), request.path_params["user_id"])
    return JSONResponse(view.as_json(), status_code=202)


async def export_status(request: Request):
    """
    summary: Status and progress of an export (requester, subject or the subject's school admins).
    parameters:
      - {name: export_id, in: path, required: true, schema: {type: string, format: uuid}}
    responses:
      200: {description: "id, status, done, total, percent, size, expires_at, download (URL when ready), error."}
      404: {description: No such export for the caller.}
    """
    view = await export_archive.status(await caller(request), request.path_params["export_id"])
    return JSONResponse(view.as_json())


async def download(request: Request):
    """
    summary: Download a finished export (only the person who requested it).
    parameters:
      - {name: export_id, in: path, required: true, schema: {type: string, format: uuid}}
    responses:
      200: {description: The archive., content: {application/zip: {}}}
      404: {description: No such export of the caller.}
      409: {description: "export_not_ready: still being prepared (or failed)."}
      410: {description: "export_expired: the link has expired; request a new export."}
    """
    export, subject, stream = await export_archive.open_download(
        request.app.state.files, await caller(request), request.path_params["export_id"])
    return archive_response(export, subject, stream)


routes = [
    Route("/privacy/export", own_export, methods=["POST"]),
    Route("/privacy/users/{user_id}/export", account_export, methods=["POST"]),
    Route("/privacy/exports/{export_id}", export_status, methods=["GET"]),
    Route("/privacy/exports/{export_id}/download", download, methods=["GET"]),
]
