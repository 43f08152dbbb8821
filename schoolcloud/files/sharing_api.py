"""JSON API for shares, "Shared with me", the recipient search and managing public links; mounted with
the files API at /api/v1/files (see the "Sharing" section of schoolcloud/files/README.md)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schoolcloud.api.common import json_body
from schoolcloud.files import errors, links, sharing
from schoolcloud.files.serialize import node_json
from schoolcloud.files.sharing_models import PublicLink, Share

LINK_PREFIX = "/s/"


def share_json(share: Share, names: dict) -> dict:
    kind = share.recipient_kind
    return {"id": share.id, "node_id": share.node_id, "recipient": {
        "type": kind, "id": share.recipient_id, "name": names.get((kind, share.recipient_id), "")},
        "access": "write" if share.can_write else "read", "created_at": share.created_at.isoformat()}


def link_json(link: PublicLink) -> dict:
    return {"id": link.id, "node_id": link.node_id, "mode": link.mode, "label": link.label, "token": link.token,
            "url": f"{LINK_PREFIX}{link.token}", "password": link.password_hash is not None,
            "expires_at": link.expires_at.isoformat() if link.expires_at else None,
            "max_downloads": link.max_downloads, "downloads": link.downloads, "uploads": link.uploads,
            "created_at": link.created_at.isoformat()}


def _access_flag(body: dict) -> bool:
    access = body.get("access", "read")
    if access not in ("read", "write"):
        raise errors.invalid_parameter("access")
    return access == "write"


async def node_shares(request: Request) -> Response:
    """
    summary: The shares of a file or folder (GET), or share it (POST {"recipient" {"type" user|class|course|team,
      "id"}, "access" read|write}); for the writers of its space. Sharing again with the same recipient
      changes the access.
    responses:
      200: {description: "{node, items: [share]}"}
      201: {description: The share.}
      403: {description: Not allowed to share this entry, or (pupils) a recipient they share no group with.}
      422: {description: "A recipient outside the school (code share_outside_school)."}
    """
    from schoolcloud.files.api import caller

    user = await caller(request)
    node_id = request.path_params["node_id"]
    if request.method == "POST":
        body = await json_body(request)
        recipient = body.get("recipient")
        if not isinstance(recipient, dict):
            raise errors.invalid_parameter("recipient")
        share = await sharing.create_share(user, node_id, recipient.get("type"), recipient.get("id"),
                                           can_write=_access_flag(body))
        return JSONResponse(share_json(share, await sharing.recipient_names([share])), status_code=201)
    node, shares = await sharing.list_shares(user, node_id)
    names = await sharing.recipient_names(shares)
    return JSONResponse({"node": node_json(node), "items": [share_json(s, names) for s in shares]})


async def share_detail(request: Request) -> Response:
    """
    summary: Change a share's access (PATCH {"access" read|write}) or revoke it (DELETE).
    responses:
      200: {description: The share.}
      204: {description: Revoked.}
      404: {description: No such share for the caller.}
    """
    from schoolcloud.files.api import caller

    user = await caller(request)
    share_id = request.path_params["share_id"]
    if request.method == "DELETE":
        await sharing.revoke_share(user, share_id)
        return Response(status_code=204)
    body = await json_body(request)
    share = await sharing.update_share(user, share_id, can_write=_access_flag(body))
    return JSONResponse(share_json(share, await sharing.recipient_names([share])))


async def shared_with_me(request: Request) -> JSONResponse:
    """
    summary: Files and folders others shared with the caller or their classes, courses and teams, paged
      (?offset, ?limit up to 500); folders first, then by name.
    responses:
      200: {description: "{items: [node with access, shared_by, shared_at], offset, limit, has_more, next_offset}"}
    """
    from schoolcloud.files.api import caller, paged

    user = await caller(request)
    page = await sharing.shared_with_me(user, offset=request.query_params.get("offset"),
                                        limit=request.query_params.get("limit"))
    items = [{**node_json(i.node), "access": i.access.name.lower(), "shared_by": i.shared_by,
              "shared_at": i.shared_at.isoformat()} for i in page.items]
    return JSONResponse(paged(items, page.offset, page.limit, page.has_more))


async def recipients(request: Request) -> JSONResponse:
    """
    summary: People, classes, courses and teams to share with whose name contains ?q (at most 20 each);
      pupils only find those they share a class, course or team with.
    responses:
      200: {description: "{users, classes, courses, teams}"}
    """
    from schoolcloud.files.api import caller

    user = await caller(request)
    return JSONResponse(await sharing.find_recipients(user, request.query_params.get("q")))


async def node_links(request: Request) -> Response:
    """
    summary: The public links of a file or folder (GET), or create one (POST {"mode" download|drop,
      "password"?, "expires_at"? ISO 8601, "max_downloads"?, "label"? - the title visitors see}); for the
      writers of its space.
    responses:
      200: {description: "{items: [link]}"}
      201: {description: "The link; its url is /s/{token}."}
      422: {description: A drop link for a file, or an expiry in the past.}
    """
    from schoolcloud.files.api import caller

    user = await caller(request)
    node_id = request.path_params["node_id"]
    if request.method == "POST":
        body = await json_body(request)
        link = await links.create_link(user, node_id, mode=body.get("mode", "download"),
                                       password=body.get("password") or None, expires_at=body.get("expires_at"),
                                       max_downloads=body.get("max_downloads"), label=body.get("label"))
        return JSONResponse(link_json(link), status_code=201)
    return JSONResponse({"items": [link_json(link) for link in await links.list_links(user, node_id)]})


async def link_detail(request: Request) -> Response:
    """
    summary: Revoke a public link.
    responses:
      204: {description: Revoked.}
      404: {description: No such link for the caller.}
    """
    from schoolcloud.files.api import caller

    user = await caller(request)
    await links.revoke_link(request.app.state.files, user, request.path_params["link_id"])
    return Response(status_code=204)


routes = [
    Route("/nodes/{node_id:int}/shares", node_shares, methods=["GET", "POST"]),
    Route("/shares/{share_id:int}", share_detail, methods=["PATCH", "DELETE"]),
    Route("/shared", shared_with_me, methods=["GET"]),
    Route("/recipients", recipients, methods=["GET"]),
    Route("/nodes/{node_id:int}/links", node_links, methods=["GET", "POST"]),
    Route("/links/{link_id:int}", link_detail, methods=["DELETE"]),
]
