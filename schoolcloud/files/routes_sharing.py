"""Sharing pages: the "Sharing" and "Links" sections of a file's or folder's details page (their form
actions live here; the sections are rendered by ``details_sharing`` for ``routes.details``), and
"Shared with me" (/files/shared). The same services as the JSON API (``sharing``, ``links``); forms
with the CSRF token, Post/Redirect/Get, refusals become an error notice on the details page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.models import User
from schoolcloud.auth.current import page
from schoolcloud.files import links, sharing
from schoolcloud.files.routes import PAGE_SIZE, actor, back, human_size, notify, refused, short_time, take_notice
from schoolcloud.files.sharing_models import LinkMode
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

NEW_LINK = "files_new_link"  # session key: the token of a link just created (its full URL is shown once)


async def details_sharing(request: Request, user: User, node) -> dict:
    """Template values for the sharing sections, or ``{"sharing": None}`` for users who do not manage
    the node's shares (recipients, readers)."""
    try:
        _node, shares = await sharing.list_shares(user, node.id)
        node_links = await links.list_links(user, node.id)
    except AppError:
        return {"sharing": None}
    names = await sharing.recipient_names(shares)
    q = request.query_params.get("q", "").strip()
    found = None
    if q:
        found = await sharing.find_recipients(user, q)
    token = request.session.pop(NEW_LINK, None)
    return {"sharing": {"shares": [(s, names.get((s.recipient_kind, s.recipient_id), "")) for s in shares],
                        "links": node_links, "q": q, "found": found,
                        "new_link": f"{request.base_url}s/{token}" if token else None}}


def _here(node_id) -> str:
    return f"/files/{node_id}/details"


@page
async def add_share(request: Request):
    user = actor(request)
    node_id = request.path_params["node_id"]
    form = await checked_form(request)
    kind, _sep, recipient_id = str(form.get("recipient") or "").partition(":")
    if not recipient_id:
        notify(request, "error", _("Please choose a recipient."))
        return back(_here(node_id))
    try:
        await sharing.create_share(user, node_id, kind, recipient_id, can_write=form.get("access") == "write")
    except AppError as exc:
        return refused(request, exc, _here(node_id))
    notify(request, "ok", _("The share was saved."))
    return back(_here(node_id))


@page
async def revoke_share(request: Request):
    user = actor(request)
    node_id = request.path_params["node_id"]
    await checked_form(request)
    try:
        await sharing.revoke_share(user, request.path_params["share_id"])
    except AppError as exc:
        return refused(request, exc, _here(node_id))
    notify(request, "ok", _("The share was revoked."))
    return back(_here(node_id))


@page
async def add_link(request: Request):
    user = actor(request)
    node_id = request.path_params["node_id"]
    form = await checked_form(request)
    mode = form.get("mode") or LinkMode.DOWNLOAD
    password = form.get("password") or None
    expires = form.get("expires") or None
    limit = (form.get("max_downloads") or "").strip()
    try:
        max_downloads = int(limit) if limit else None
    except ValueError:
        notify(request, "error", _("The download limit must be a whole number."))
        return back(_here(node_id))
    try:
        link = await links.create_link(user, node_id, mode=mode, password=password,
                                       expires_at=f"{expires}T23:59:59" if expires else None,
                                       max_downloads=max_downloads)
    except AppError as exc:
        return refused(request, exc, _here(node_id))
    request.session[NEW_LINK] = link.token
    notify(request, "ok", _("The link was created. Copy it now; it is also shown in the list below."))
    return back(_here(node_id))


@page
async def revoke_link(request: Request):
    user = actor(request)
    node_id = request.path_params["node_id"]
    await checked_form(request)
    try:
        await links.revoke_link(user, request.path_params["link_id"])
    except AppError as exc:
        return refused(request, exc, _here(node_id))
    notify(request, "ok", _("The link was revoked."))
    return back(_here(node_id))


@page
async def shared_page(request: Request):
    user = actor(request)
    shared = await sharing.shared_with_me(user, offset=request.query_params.get("offset") or 0, limit=PAGE_SIZE)
    return render(request, "files/shared.html", page_title=_("Shared with me"), shared=shared,
                  human_size=human_size, short_time=short_time, notice=take_notice(request))


routes = [
    Route("/files/shared", shared_page),
    Route("/files/{node_id:int}/shares", add_share, methods=["POST"]),
    Route("/files/{node_id:int}/shares/{share_id:int}/revoke", revoke_share, methods=["POST"]),
    Route("/files/{node_id:int}/links", add_link, methods=["POST"]),
    Route("/files/{node_id:int}/links/{link_id:int}/revoke", revoke_link, methods=["POST"]),
]
