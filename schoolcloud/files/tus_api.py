"""tus 1.0 over HTTP at /api/v1/files/tus (core, creation, termination, expiration).

Clients (e.g. tus-js-client) send the session cookie and the X-CSRF-Token header like every API call.
Metadata keys: ``filename``, ``folder`` (the target folder's id), optional ``filetype`` and
``on_conflict`` (fail | rename | overwrite). The logic lives in ``schoolcloud.files.tus``. File drops
answer the same protocol at /s/{token}/tus (``links_api``), through ``capabilities``, ``created`` and
``upload_resource`` here.
"""

from __future__ import annotations

import base64
import binascii
import functools

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schoolcloud.accounts.models import User
from schoolcloud.files import errors, tus
from schoolcloud.files.api import PREFIX, body_chunks, caller, declared_length, files_context
from schoolcloud.files.models import TusUpload
from schoolcloud.files.serving import http_date
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import current_locale

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
OFFSET_TYPE = "application/offset+octet-stream"


def _headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": VERSION, "Cache-Control": "no-store", **extra}


def tus_endpoint(handler):
    """tus needs Tus-Resumable on every answer, errors included, and a body-less answer to HEAD."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            if request.method != "OPTIONS" and request.headers.get("tus-resumable") != VERSION:
                raise errors.tus_version()
            return await handler(request)
        except AppError as exc:
            headers = _headers(**exc.headers)
            if exc.code == "tus_version":
                headers["Tus-Version"] = VERSION
            if request.method == "HEAD":
                return Response(status_code=exc.status_code, headers=headers)
            return JSONResponse(exc.as_json(current_locale.get()), status_code=exc.status_code, headers=headers)

    return wrapper


def parse_metadata(raw: str | None) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in (raw or "").split(","))):
        key, _, value = pair.partition(" ")
        if not key or key in metadata:
            raise errors.tus_metadata()
        try:
            metadata[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise errors.tus_metadata() from None
    return metadata


def _expires(upload: TusUpload) -> dict[str, str]:
    if upload.completed_at is not None:
        return {}
    return {"Upload-Expires": http_date(upload.expires_at)}


@tus_endpoint
async def collection(request: Request) -> Response:
    """
    summary: tus OPTIONS (capabilities) and POST (create an upload; Upload-Length, Upload-Metadata with
      filename and folder).
    responses:
      201: {description: Created; Location names the upload.}
      204: {description: Capabilities (OPTIONS).}
      409: {description: The name is taken in the folder (on_conflict=fail).}
      413: {description: Upload-Length over the upload limit.}
      507: {description: Upload-Length over the free quota.}
    """
    ctx = files_context(request)
    if request.method == "OPTIONS":
        return capabilities(ctx)
    user = await caller(request)
    upload = await tus.create(ctx, user, length=upload_length(request),
                              metadata=parse_metadata(request.headers.get("upload-metadata")))
    return created(upload, f"{PREFIX}/tus/{upload.id}")


def capabilities(ctx) -> Response:
    return Response(status_code=204, headers={
        "Tus-Resumable": VERSION, "Tus-Version": VERSION, "Tus-Extension": EXTENSIONS,
        "Tus-Max-Size": str(ctx.limits.max_upload_bytes)})


def upload_length(request: Request) -> int:
    raw_length = request.headers.get("upload-length", "")
    if not raw_length.isdigit():
        raise errors.tus_length()
    return int(raw_length)


def created(upload: TusUpload, location: str, **extra: str) -> Response:
    return Response(status_code=201, headers=_headers(Location=location, **_expires(upload), **extra))


@tus_endpoint
async def resource(request: Request) -> Response:
    """
    summary: tus HEAD (offset), PATCH (append at Upload-Offset, Content-Type
      application/offset+octet-stream) and DELETE (terminate) of one upload.
    responses:
      200: {description: HEAD with Upload-Offset and Upload-Length.}
      204: {description: PATCH stored the bytes / DELETE terminated.}
      404: {description: No such upload of the caller.}
      409: {description: Upload-Offset does not match.}
      410: {description: The upload expired.}
      415: {description: Wrong Content-Type.}
    """
    ctx = files_context(request)
    if request.method == "OPTIONS":
        return capabilities(ctx)
    return await upload_resource(request, ctx, await caller(request))


async def upload_resource(request: Request, ctx, user: User | tus.Uploader) -> Response:
    """HEAD, PATCH and DELETE of one upload of ``user`` (or of a drop link's uploader)."""
    upload_id = request.path_params["upload_id"]
    if request.method == "HEAD":
        upload = await tus.status(ctx, user, upload_id)
        return Response(status_code=200, headers=_headers(**{
            "Upload-Offset": str(upload.received), "Upload-Length": str(upload.total_size)}, **_expires(upload)))
    if request.method == "DELETE":
        await tus.terminate(ctx, user, upload_id)
        return Response(status_code=204, headers=_headers())
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != OFFSET_TYPE:
        raise errors.tus_content_type()
    raw_offset = request.headers.get("upload-offset", "")
    if not raw_offset.isdigit():
        raise errors.tus_offset()
    declared = declared_length(request)
    upload = await tus.append(ctx, user, upload_id, int(raw_offset),
                              body_chunks(request, declared, keep_partial=True), declared)
    return Response(status_code=204, headers=_headers(**{"Upload-Offset": str(upload.received)},
                                                       **_expires(upload)))


routes = [
    Route("/tus", collection, methods=["OPTIONS", "POST"]),
    Route("/tus/{upload_id}", resource, methods=["OPTIONS", "HEAD", "PATCH", "DELETE"]),
]
