"""Public link endpoints, outside the logged-in API: /s/{token} and below (mounted in app.py).

No session, no CSRF (nothing of an account is touched). The password, when the link has one, comes in
the ``X-Link-Password`` header of every request (or a ticket: ``?ticket=`` or the cookie the HTML
password form sets). Browsers asking for HTML get the pages of ``links_pages`` at the same addresses.
Every refusal answers JSON: an expired or used-up link 410 (``link_expired``, ``link_used_up``; with a
password only after the right one, before that the 404 below), every
other way a link can fail (unknown, revoked, locked, missing or wrong password) the identical 404
``link_unavailable``, and too many wrong passwords from one address 429 with Retry-After.
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schoolcloud.files import links, links_pages, links_tus, tree, tus_api
from schoolcloud.files.context import client_ip
from schoolcloud.files.models import Node
from schoolcloud.files.serving import file_response, range_error_headers
from schoolcloud.files.sharing_models import LinkMode, PublicLink
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import current_locale

PREFIX = "/s"
# The drop uploads stream (plain and tus); the app's BodyLimit leaves everything below /s/ alone (the
# other public routes are GET/HEAD only, or read a small form themselves).
STREAMING_PREFIX = "/s/"
PASSWORD_HEADER = "x-link-password"


def public_node(node: Node) -> dict:
    body = {"id": node.id, "kind": node.kind, "name": node.name, "modified_at": node.modified_at.isoformat()}
    if not node.is_folder:
        body.update(size=node.size, content_type=node.content_type)
    return body


def as_json_errors(handler):
    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        client_ip.set(links_pages.client_address(request))
        try:
            return await handler(request)
        except AppError as exc:
            if exc.code in links.REFUSAL_CODES and links_pages.wants_html(request):
                return await links_pages.refused_page(request)  # a download clicked on a link's page
            headers = {"Cache-Control": "no-store", **exc.headers}
            if exc.code == "range_not_satisfiable":
                headers.update(getattr(exc, "range_headers", {}))
            return JSONResponse(exc.as_json(current_locale.get()), status_code=exc.status_code, headers=headers)
    return wrapped


def _secret(request: Request) -> str:
    return request.app.state.settings.secret_key


async def _open(request: Request, *modes: str) -> PublicLink:
    token = request.path_params["token"]
    link = await links.open_link(token, request.headers.get(PASSWORD_HEADER),
                                 ticket_ok=links_pages.has_ticket(request, token),
                                 throttle=request.app.state.throttle, ip=links_pages.client_address(request))
    if link.mode not in modes:
        raise links.link_unavailable()
    return link


@as_json_errors
async def landing(request: Request) -> Response:
    """
    summary: What a public link offers (no login; X-Link-Password header when it has a password).
    responses:
      200: {description: "{mode, node, expires_at, downloads_left, label?, ticket?}; a drop link shows only the folder's
        name. ticket (links with a password) - append ?ticket= to the other /s/ URLs instead of the header (1 hour)."}
      404: {description: Unknown or revoked link, or a missing or wrong password (all identical).}
      410: {description: The link has expired (link_expired) or its download limit is used up (link_used_up); for a
        link with a password only with the right password (else the 404).}
      429: {description: Too many wrong passwords from this address (link_password_throttled); see Retry-After.}
    """
    if links_pages.wants_html(request):
        return await _landing_page(request)
    link = await _open(request, *LinkMode.ALL)
    node = link.node
    body = {"mode": link.mode, "expires_at": link.expires_at.isoformat() if link.expires_at else None}
    if link.label:
        body["label"] = link.label
    if link.password_hash:
        body["ticket"] = links.make_ticket(_secret(request), link.token)
    if link.mode == LinkMode.DROP:
        body["node"] = {"kind": "folder", "name": node.name}
    else:
        body["node"] = public_node(node)
        body["downloads_left"] = None if link.max_downloads is None else link.max_downloads - link.downloads
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Vary": "Accept"})


_landing_page = links_pages.html_errors(links_pages.landing)


@as_json_errors
async def children(request: Request) -> Response:
    """
    summary: The entries of the linked folder or a folder below it (?folder=id, ?offset, ?limit), folders first.
    responses:
      200: {description: "{folder, items, offset, limit, has_more, next_offset}"}
      404: {description: As for the link itself, or the folder is not below the linked one.}
      410: {description: As for the link itself.}
    """
    from schoolcloud.files.api import paged

    link = await _open(request, LinkMode.DOWNLOAD)
    folder = await links.node_below(link, request.query_params.get("folder", link.node_id))
    if not folder.is_folder:
        raise links.link_unavailable()
    offset, limit = tree.page_bounds(request.query_params.get("offset"), request.query_params.get("limit"))
    rows = await tree.children_query(folder.id).offset(offset).limit(limit + 1)
    return JSONResponse(paged([public_node(n) for n in rows[:limit]], offset, limit, len(rows) > limit,
                              folder=public_node(folder)), headers={"Cache-Control": "no-store"})


@as_json_errors
async def download(request: Request) -> Response:
    """
    summary: The linked file, or (/download/{node_id}) a file below the linked folder; Range, ETag and
      If-None-Match as for logged-in downloads. Each GET from the first byte counts against the download limit.
    responses:
      200: {description: The file.}
      206: {description: The requested range.}
      404: {description: As for the link itself.}
      410: {description: Expired, or the download limit is used up (also by a concurrent download).}
    """
    link = await _open(request, LinkMode.DOWNLOAD)
    node_id = request.path_params.get("node_id", link.node_id)
    node = await links.node_below(link, node_id)
    version = await links.current_version(node)
    requested = (request.headers.get("range") or "").replace(" ", "")
    if request.method == "GET" and (not requested or requested.startswith("bytes=0-")):
        await links.count_download(link, node)
    try:
        return await file_response(request, request.app.state.files.store, node, version,
                                   force_download=request.query_params.get("download") in ("1", "true"),
                                   cache_private=False)
    except AppError as exc:
        if exc.code == "range_not_satisfiable":
            exc.range_headers = range_error_headers(version.size)
        raise


@as_json_errors
async def drop(request: Request) -> Response:
    """
    summary: Upload a file into a file drop (raw body, ?name=); a taken name is numbered. The answer names
      only this upload.
    responses:
      201: {description: "{name, size}: the name it was stored under."}
      404: {description: As for the link itself.}
      410: {description: The link has expired.}
      413: {description: Over the upload limit.}
      507: {description: The folder's space is full.}
    """
    from schoolcloud.files.api import body_chunks, declared_length

    link = await _open(request, LinkMode.DROP)
    declared = declared_length(request)
    try:
        node = await links.drop_upload(request.app.state.files, link, request.query_params.get("name"),
                                       body_chunks(request, declared),
                                       content_type=request.headers.get("content-type"), declared_size=declared)
    except ClientDisconnect:
        return Response(status_code=400)
    return JSONResponse({"name": node.name, "size": node.size}, status_code=201)


@tus_api.tus_endpoint
async def drop_tus(request: Request) -> Response:
    """
    summary: File drop, resumable - tus 1.0 OPTIONS and POST (create; Upload-Length, Upload-Metadata with
      filename and optional filetype; always into the drop folder, a taken name is numbered).
    responses:
      201: {description: "Created; Location names the upload. An empty file is stored at once (Upload-Stored-Name)."}
      204: {description: Capabilities (OPTIONS).}
      404: {description: As for the link itself (also for a download link).}
      410: {description: The link has expired.}
      413: {description: Upload-Length over the upload limit.}
      507: {description: Upload-Length over the free quota of the folder's space.}
    """
    ctx = request.app.state.files
    if request.method == "OPTIONS":
        return tus_api.capabilities(ctx)
    client_ip.set(links_pages.client_address(request))
    link = await _open(request, LinkMode.DROP)
    upload, owner = await links_tus.create(ctx, link, length=tus_api.upload_length(request),
                                           metadata=tus_api.parse_metadata(request.headers.get("upload-metadata")))
    return tus_api.created(upload, f"{PREFIX}/{link.token}/tus/{upload.id}", **_stored_name(owner))


@tus_api.tus_endpoint
async def drop_tus_upload(request: Request) -> Response:
    """
    summary: File drop, resumable - tus 1.0 HEAD (offset), PATCH (append) and DELETE (terminate) of one
      upload made through this link. The PATCH that completes it names the stored file (Upload-Stored-Name,
      percent-encoded UTF-8), nothing else of the folder.
    responses:
      200: {description: HEAD with Upload-Offset and Upload-Length.}
      204: {description: PATCH stored the bytes / DELETE terminated.}
      404: {description: As for the link itself, or no such upload of this link.}
      409: {description: Upload-Offset does not match.}
      410: {description: The link (or the upload) has expired.}
      415: {description: Wrong Content-Type.}
    """
    ctx = request.app.state.files
    if request.method == "OPTIONS":
        return tus_api.capabilities(ctx)
    client_ip.set(links_pages.client_address(request))
    owner = links_tus.DropUploader(await _open(request, LinkMode.DROP))
    response = await tus_api.upload_resource(request, ctx, owner)
    response.headers.update(_stored_name(owner))
    return response


def _stored_name(owner: links_tus.DropUploader) -> dict[str, str]:
    return {"Upload-Stored-Name": quote(owner.stored_name, safe="")} if owner.stored_name else {}


@as_json_errors
async def preview(request: Request) -> Response:
    """
    summary: The thumbnail (WebP) of the linked file, or (/preview/{node_id}) of a file below the linked
      folder; does not count as a download.
    responses:
      200: {description: The thumbnail.}
      404: {description: As for the link itself, or no thumbnail (yet).}
    """
    from schoolcloud.files.previews import thumbnail_response

    link = await _open(request, LinkMode.DOWNLOAD)
    node = await links.node_below(link, request.path_params.get("node_id", link.node_id))
    return await thumbnail_response(request, node)


routes = [
    Route("/{token}", landing, methods=["GET"]),
    Route("/{token}", links_pages.html_errors(links_pages.password_submit), methods=["POST"]),
    Route("/{token}/drop", links_pages.html_errors(links_pages.drop_submit), methods=["POST"]),
    Route("/{token}/preview", preview, methods=["GET", "HEAD"]),
    Route("/{token}/preview/{node_id:int}", preview, methods=["GET", "HEAD"]),
    Route("/{token}/children", children, methods=["GET"]),
    Route("/{token}/download", download, methods=["GET", "HEAD"]),
    Route("/{token}/download/{node_id:int}", download, methods=["GET", "HEAD"]),
    Route("/{token}/upload", drop, methods=["POST"]),
    Route("/{token}/tus", drop_tus, methods=["OPTIONS", "POST"]),
    Route("/{token}/tus/{upload_id}", drop_tus_upload, methods=["OPTIONS", "HEAD", "PATCH", "DELETE"]),
]
