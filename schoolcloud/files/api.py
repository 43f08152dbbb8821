"""JSON/HTTP API of the files domain, mounted at /api/v1/files.

Authentication as for the whole API: the session cookie, plus the X-CSRF-Token header on every
state-changing call (see /api/v1/me). Errors: ``{"error": {"code", "message", ...}}``; a name collision
(409) also carries ``"existing"``: the entry in the way. Upload paths (``/upload/``, ``/content/``,
``/tus``) are exempt from the app's body limit: they stream to the store and enforce the upload limit
and the quota while streaming.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schoolcloud.api.common import api_user, json_body
from schoolcloud.files import content, errors, sharing, spaces, trash, tree
from schoolcloud.files.context import FilesContext, client_ip
from schoolcloud.files.names import OnConflict
from schoolcloud.files.serialize import node_json, version_json
from schoolcloud.files.serving import file_response, range_error_headers
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import current_locale

PREFIX = "/api/v1/files"
# Paths the app's BodyLimit middleware leaves alone (they stream and limit themselves).
STREAMING_PREFIXES = (f"{PREFIX}/upload/", f"{PREFIX}/content/", f"{PREFIX}/tus")


def files_context(request: Request) -> FilesContext:
    return request.app.state.files


async def caller(request: Request):
    user = await api_user(request)
    client_ip.set(request.client.host if request.client else None)
    return user


def declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not raw.isdigit():
        raise errors.invalid_parameter("Content-Length")
    return int(raw)


async def body_chunks(request: Request, declared: int | None, *, keep_partial: bool = False):
    """The request body as it arrives. A body shorter than its Content-Length, or a client that goes
    away, fails the upload (so the store keeps nothing) unless ``keep_partial`` (tus: keep what came)."""
    received = 0
    try:
        async for chunk in request.stream():
            if chunk:
                received += len(chunk)
                yield chunk
    except ClientDisconnect:
        if keep_partial:
            return
        raise
    if declared is not None and received < declared and not keep_partial:
        raise errors.upload_incomplete()


def space_json(view: spaces.SpaceView) -> dict:
    space = view.space
    return {
        "id": space.id, "kind": space.kind, "title": view.title, "root_id": view.root_id,
        "class_id": space.school_class_id, "course_id": space.course_id, "team_id": space.team_id,
        "access": view.access.name.lower(), "pupils_may_write": space.pupils_may_write,
        "manageable": view.manageable, "quota_bytes": view.quota, "used_bytes": space.used_bytes,
    }


def paged(items: list[dict], offset: int, limit: int, has_more: bool, **extra) -> dict:
    return {**extra, "items": items, "offset": offset, "limit": limit, "has_more": has_more,
            "next_offset": offset + limit if has_more else None}


# -- spaces -------------------------------------------------------------------------------------------

async def list_spaces(request: Request) -> JSONResponse:
    """
    summary: The spaces the caller can read, with root folder, access, quota and usage.
    responses:
      200: {description: "{items: [space]}: the personal space first, then classes, courses and teams."}
    """
    user = await caller(request)
    views = await spaces.visible_spaces(files_context(request), user)
    return JSONResponse({"items": [space_json(v) for v in views]})


async def space_detail(request: Request) -> JSONResponse:
    """
    summary: 'One space (GET); PATCH {"pupils_may_write": bool} by its teachers or school admins.'
    responses:
      200: {description: The space.}
      403: {description: Not allowed to change the space.}
      404: {description: No such space for the caller.}
    """
    user = await caller(request)
    ctx = files_context(request)
    space_id = request.path_params["space_id"]
    if request.method == "PATCH":
        body = await json_body(request)
        value = body.get("pupils_may_write")
        if not isinstance(value, bool):
            raise errors.invalid_parameter("pupils_may_write")
        view = await spaces.update_space(ctx, user, space_id, pupils_may_write=value)
    else:
        view = await spaces.get_space(ctx, user, space_id)
    return JSONResponse(space_json(view))


# -- nodes --------------------------------------------------------------------------------------------

async def node_detail(request: Request) -> Response:
    """
    summary: A file or folder. GET its details and path; PATCH {"name", "parent_id"} renames and/or
      moves it (?on_conflict=fail|rename); DELETE moves it to the trash.
    responses:
      200: {description: The node.}
      404: {description: No such entry for the caller.}
      409: {description: The name is taken (body.existing is the entry in the way).}
      422: {description: Invalid name, or a folder into itself.}
      507: {description: A move into another space would exceed its quota.}
    """
    user = await caller(request)
    ctx = files_context(request)
    node_id = request.path_params["node_id"]
    if request.method == "PATCH":
        body = await json_body(request)
        node = await tree.update_node(ctx, user, node_id, name=body.get("name"), parent_id=body.get("parent_id"),
                                      on_conflict=tree.parse_on_conflict(request.query_params.get("on_conflict")))
        return JSONResponse(node_json(node))
    if request.method == "DELETE":
        node = await trash.trash(ctx, user, node_id)
        return JSONResponse(node_json(node))
    node, access = await tree.load_node(user, node_id)
    body = node_json(node)
    body["access"] = access.name.lower()
    body["path"] = [node_json(n) for n in await sharing.visible_path(user, node, await tree.path_of(node))]
    return JSONResponse(body)


async def children(request: Request) -> JSONResponse:
    """
    summary: The entries of a folder, folders first, paged (?offset, ?limit up to 500,
      ?sort=name|modified|size, ?order=asc|desc).
    responses:
      200: {description: "{folder, path, access, items, offset, limit, has_more, next_offset}"}
    """
    user = await caller(request)
    query = request.query_params
    listing = await tree.list_children(user, request.path_params["node_id"], offset=query.get("offset"),
                                       limit=query.get("limit"), sort=query.get("sort", "name"),
                                       order=query.get("order", "asc"))
    path = await sharing.visible_path(user, listing.folder, listing.path)
    return JSONResponse(paged([node_json(n) for n in listing.items], listing.offset, listing.limit,
                              listing.has_more, folder=node_json(listing.folder), path=[node_json(n) for n in path],
                              access=listing.access.name.lower()))


async def create_folder(request: Request) -> JSONResponse:
    """
    summary: Create a folder {"name"} in this folder (?on_conflict=fail|rename).
    responses:
      201: {description: The new folder.}
      409: {description: The name is taken.}
    """
    user = await caller(request)
    body = await json_body(request)
    folder = await tree.create_folder(user, request.path_params["node_id"], body.get("name"),
                                      on_conflict=tree.parse_on_conflict(request.query_params.get("on_conflict")))
    return JSONResponse(node_json(folder), status_code=201)


async def copy(request: Request) -> JSONResponse:
    """
    summary: Copy a file or folder {"parent_id", "name"?} (?on_conflict=fail|rename); the bytes are copied.
    responses:
      201: {description: The copy.}
      507: {description: Not enough free quota in the target space.}
    """
    user = await caller(request)
    body = await json_body(request)
    if "parent_id" not in body:
        raise errors.invalid_parameter("parent_id")
    node = await content.copy_node(files_context(request), user, request.path_params["node_id"],
                                   tree.as_id(body["parent_id"], "parent_id"), name=body.get("name"),
                                   on_conflict=tree.parse_on_conflict(request.query_params.get("on_conflict")))
    return JSONResponse(node_json(node), status_code=201)


async def search(request: Request) -> JSONResponse:
    """
    summary: Files and folders whose name contains ?q, in every space the caller can read (paged).
    responses:
      200: {description: "{items, offset, limit, has_more, next_offset}"}
    """
    user = await caller(request)
    query = request.query_params
    result = await tree.search(files_context(request), user, query.get("q"), offset=query.get("offset"),
                               limit=query.get("limit"))
    return JSONResponse(paged([node_json(n) for n in result.items], result.offset, result.limit, result.has_more))


# -- content ------------------------------------------------------------------------------------------

async def upload(request: Request) -> Response:
    """
    summary: Upload a file as the raw request body into this folder (?name required;
      ?on_conflict=fail|rename|overwrite, overwrite adding a version). Content-Type is recorded.
    responses:
      201: {description: A new file.}
      200: {description: A new version of the existing file (on_conflict=overwrite).}
      400: {description: The body was shorter than its Content-Length.}
      409: {description: The name is taken.}
      413: {description: Over the upload limit.}
      507: {description: Over the space's quota.}
    """
    user = await caller(request)
    declared = declared_length(request)
    on_conflict = tree.parse_on_conflict(request.query_params.get("on_conflict"), OnConflict.ALL)
    try:
        result = await content.upload(files_context(request), user, request.path_params["folder_id"],
                                      request.query_params.get("name"), body_chunks(request, declared),
                                      content_type=request.headers.get("content-type"), declared_size=declared,
                                      on_conflict=on_conflict)
    except ClientDisconnect:
        return Response(status_code=400)
    return JSONResponse(node_json(result.node), status_code=201 if result.created else 200,
                        headers={"Location": f"{PREFIX}/nodes/{result.node.id}"})


async def file_content(request: Request) -> Response:
    """
    summary: GET/HEAD the bytes (?version=id for an old one, ?download=1 to force an attachment), with
      Range (one range), ETag and If-None-Match; PUT the raw body as a new version (If-Match optional).
    responses:
      200: {description: The file, or after PUT the node.}
      206: {description: The requested range.}
      304: {description: Unchanged (If-None-Match).}
      412: {description: If-Match did not match the current version.}
      416: {description: The range is outside the file.}
    """
    user = await caller(request)
    ctx = files_context(request)
    node_id = request.path_params["node_id"]
    if request.method == "PUT":
        declared = declared_length(request)
        try:
            node = await content.replace_content(ctx, user, node_id, body_chunks(request, declared),
                                                 content_type=request.headers.get("content-type"),
                                                 declared_size=declared, if_match=request.headers.get("if-match"))
        except ClientDisconnect:
            return Response(status_code=400)
        return JSONResponse(node_json(node))
    node, version = await content.version_for_download(user, node_id, request.query_params.get("version"))
    try:
        return await file_response(request, ctx.store, node, version,
                                   force_download=request.query_params.get("download") in ("1", "true"))
    except AppError as exc:
        if exc.code != "range_not_satisfiable":
            raise
        return JSONResponse(exc.as_json(current_locale.get()), status_code=416,
                            headers=range_error_headers(version.size))


async def versions(request: Request) -> JSONResponse:
    """
    summary: The versions of a file, newest (current) first.
    responses:
      200: {description: "{file, items}"}
    """
    user = await caller(request)
    node, rows = await content.list_versions(user, request.path_params["node_id"])
    return JSONResponse({"file": node_json(node),
                         "items": [version_json(v, current=(i == 0)) for i, v in enumerate(rows)]})


async def restore_version(request: Request) -> JSONResponse:
    """
    summary: Make an old version current again (its bytes become a new version).
    responses:
      200: {description: The file.}
    """
    user = await caller(request)
    node = await content.restore_version(files_context(request), user, request.path_params["node_id"],
                                         request.path_params["version_id"])
    return JSONResponse(node_json(node))


async def delete_version(request: Request) -> Response:
    """
    summary: Delete an old version for good (not the current one).
    responses:
      204: {description: Deleted.}
      409: {description: It is the current version.}
    """
    user = await caller(request)
    await content.delete_version(files_context(request), user, request.path_params["node_id"],
                                 request.path_params["version_id"])
    return Response(status_code=204)


# -- trash --------------------------------------------------------------------------------------------

async def trash_list(request: Request) -> JSONResponse:
    """
    summary: Entries in the trash of the spaces the caller may write (?space=id to pick one), newest first.
    responses:
      200: {description: "{items, offset, limit, has_more, next_offset, trash_days}"}
    """
    user = await caller(request)
    ctx = files_context(request)
    offset, limit = tree.page_bounds(request.query_params.get("offset"), request.query_params.get("limit"))
    page = await trash.list_trash(ctx, user, space_id=request.query_params.get("space"), offset=offset,
                                  limit=limit)
    return JSONResponse(paged([node_json(n) for n in page.items], page.offset, page.limit, page.has_more,
                              trash_days=await trash.trash_days_for(ctx, user.school_id)))


async def trash_restore(request: Request) -> JSONResponse:
    """
    summary: Restore a trash entry to its folder (or the top of its space) (?on_conflict=fail|rename).
    responses:
      200: {description: The restored entry.}
      409: {description: The name is taken there now.}
    """
    user = await caller(request)
    node = await trash.restore(files_context(request), user, request.path_params["node_id"],
                               on_conflict=tree.parse_on_conflict(request.query_params.get("on_conflict")))
    return JSONResponse(node_json(node))


async def trash_purge(request: Request) -> Response:
    """
    summary: Delete a trash entry for good, now.
    responses:
      204: {description: Gone.}
    """
    user = await caller(request)
    await trash.purge(files_context(request), user, request.path_params["node_id"])
    return Response(status_code=204)


def _routes() -> list[Route]:
    from schoolcloud.files.sharing_api import routes as sharing_routes
    from schoolcloud.files.tus_api import routes as tus_routes
    from schoolcloud.teams.api import routes as team_routes

    return [
        Route("/spaces", list_spaces, methods=["GET"]),
        Route("/spaces/{space_id:int}", space_detail, methods=["GET", "PATCH"]),
        Route("/nodes/{node_id:int}", node_detail, methods=["GET", "PATCH", "DELETE"]),
        Route("/nodes/{node_id:int}/children", children, methods=["GET"]),
        Route("/nodes/{node_id:int}/folders", create_folder, methods=["POST"]),
        Route("/nodes/{node_id:int}/copy", copy, methods=["POST"]),
        Route("/nodes/{node_id:int}/versions", versions, methods=["GET"]),
        Route("/nodes/{node_id:int}/versions/{version_id:int}/restore", restore_version, methods=["POST"]),
        Route("/nodes/{node_id:int}/versions/{version_id:int}", delete_version, methods=["DELETE"]),
        Route("/upload/{folder_id:int}", upload, methods=["POST", "PUT"]),
        Route("/content/{node_id:int}", file_content, methods=["GET", "PUT"]),
        Route("/trash", trash_list, methods=["GET"]),
        Route("/trash/{node_id:int}/restore", trash_restore, methods=["POST"]),
        Route("/trash/{node_id:int}", trash_purge, methods=["DELETE"]),
        Route("/search", search, methods=["GET"]),
        *tus_routes,
        *sharing_routes,
        *team_routes,
    ]


routes = _routes()
