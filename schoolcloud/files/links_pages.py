"""Public link pages for people: what a browser gets at /s/{token} (programs get the JSON of
``links_api`` at the same address; the ``Accept`` header decides).

- a file link: name, size, thumbnail (when there is one) and a download button;
- a folder link: the entries, paged, with downloads, and the folders below it;
- a file drop: an upload form (several files, drag-and-drop and progress with static/link-drop.js,
  a plain multipart post without JavaScript); the uploader sees only what they just sent;
- a password first where the link has one. A wrong password and an unknown link get the identical
  page (404); after the right password an HttpOnly cookie, valid for this link's path only, carries the
  ``links.make_ticket`` proof for the following requests (downloads, thumbnails, drop uploads).
- an expired or used-up link gets a page saying so (410 Gone), so that people ask for a new one; one
  with a password only after the right password (the form, or a ticket from before): until then it
  gets the page of an unknown link, so the token alone does not tell that a link existed.
- too many wrong passwords from one address (over all links) get the password form with a 429 and
  Retry-After (``links.ADDRESS_RULE``).

No login and no session: the pages set no cookie of ours except the ticket, show nothing of the owner
beyond the name of the linked file or folder, and work without JavaScript except for upload progress.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from schoolcloud.files import links, tree
from schoolcloud.files.context import client_ip
from schoolcloud.files.models import Node, NodeKind
from schoolcloud.files.previews import ready_previews
from schoolcloud.files.routes import human_size, short_time
from schoolcloud.files.routes_upload import stream_form
from schoolcloud.files.sharing_models import LinkMode, PublicLink
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import LOCALES, N_, current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import env

TICKET_COOKIE = "schoolcloud_link"
PAGE_SIZE = 50
MAX_PASSWORD_FORM = 4096  # the password form's body (the app's body limit leaves /s/ to the routes)
GONE = {
    links.Refusal.EXPIRED: (N_("This link has expired"),
                            N_("Please ask the person who sent it to you for a new link.")),
    links.Refusal.USED_UP: (N_("This link has been used up"),
                            N_("It may only be used a limited number of times, and that number has been "
                               "reached. Please ask the person who sent it to you for a new link.")),
}

GONE_CODES = {"link_expired": links.Refusal.EXPIRED, "link_used_up": links.Refusal.USED_UP}


def wants_html(request: Request) -> bool:
    """Browsers navigating to a link ask for HTML; scripts and API clients get JSON."""
    return "text/html" in request.headers.get("accept", "")


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def ticket_from(request: Request) -> str | None:
    return request.query_params.get("ticket") or request.cookies.get(TICKET_COOKIE)


def has_ticket(request: Request, token: str) -> bool:
    return links.ticket_valid(request.app.state.settings.secret_key, token, ticket_from(request))


def render_public(request: Request, template: str, *, status_code: int = 200, **context) -> HTMLResponse:
    """Like ``templating.render``, but without session or CSRF token: a link's visitor gets no session
    cookie (and is shown as anonymous, even when logged in)."""
    html = env.get_template(template).render(request=request, locale=current_locale.get(), locales=LOCALES,
                                             csrf_token="", user=None, human_size=human_size,
                                             short_time=short_time, token=request.path_params["token"],
                                             **context)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store", "Vary": "Accept"})


def unavailable_page(request: Request) -> HTMLResponse:
    return render_public(request, "files/link_message.html", status_code=404, page_title=_("Link not available"),
                         heading=_("Link not available"),
                         message=_("This link does not exist or is no longer valid."))


def gone_page(request: Request, reason: str) -> HTMLResponse:
    heading, message = GONE[reason]
    return render_public(request, "files/link_message.html", status_code=410, page_title=_(heading),
                         heading=_(heading), message=_(message))


def password_page(request: Request, *, wrong: bool = False, throttled: AppError | None = None) -> HTMLResponse:
    """The password form. After a wrong password - and for any password sent to an unknown, revoked or
    locked link - the same page with the same error and status, so nothing tells them apart.
    ``throttled``: the visitor's address sent too many wrong passwords (429 with Retry-After)."""
    if throttled is not None:
        response = render_public(request, "files/link_password.html", status_code=429,
                                 page_title=_("Password required"), wrong=False,
                                 throttled=throttled.text(current_locale.get()))
        response.headers.update(throttled.headers)
        return response
    return render_public(request, "files/link_password.html", status_code=404 if wrong else 200,
                         page_title=_("Password required"), wrong=wrong, throttled=None)


async def refused_page(request: Request) -> Response:
    """The page for a link request the services refused: expired or used up, the password still to
    give (back to the link's page), or not available."""
    token = request.path_params["token"]
    link = await links.find_link(token)
    reason = links.refusal(link, links.now())
    if reason in GONE and may_learn_gone(request, link):
        return gone_page(request, reason)
    if reason is None and link.password_hash and not has_ticket(request, token):
        return RedirectResponse(f"/s/{token}", status_code=303)
    return unavailable_page(request)


def may_learn_gone(request: Request, link: PublicLink) -> bool:
    """Whether the visitor may be told that the link expired or is used up: for a link with a password
    only after the right one (the ticket); until then it looks like an unknown link."""
    return not link.password_hash or has_ticket(request, link.token)


async def landing(request: Request) -> Response:
    token = request.path_params["token"]
    link = await links.find_link(token)
    reason = links.refusal(link, links.now())
    if reason in GONE and may_learn_gone(request, link):
        return gone_page(request, reason)
    if reason in (links.Refusal.UNAVAILABLE, *GONE):
        return unavailable_page(request)
    if link.password_hash and (reason == links.Refusal.LOCKED or not has_ticket(request, token)):
        return password_page(request)
    link = await links.open_link(token, None, ticket_ok=True)
    if link.mode == LinkMode.DROP:
        return drop_page(request, link)
    if link.node.is_folder:
        return await folder_page(request, link)
    return await file_page(request, link)


async def _small_form(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_PASSWORD_FORM:
            raise AppError("too_large", N_("The request is too large."), status=413)
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


async def password_submit(request: Request) -> Response:
    """
    summary: The password form of a link's page (HTML form field password, no JavaScript needed); the right
      password sets the ticket cookie (HttpOnly, this link's path only, 1 hour) and leads back to the link.
    responses:
      303: {description: "The right password; back to /s/{token} with the ticket cookie."}
      404: {description: The password page again with its error; identical for an unknown or locked link.}
      410: {description: "The link has expired or is used up (a page saying so; after its right password)."}
      429: {description: Too many wrong passwords from this address; the password page with the message, Retry-After.}
    """
    token = request.path_params["token"]
    password = (await _small_form(request)).get("password") or None
    try:
        # Counts wrong passwords (and locks the link after too many); an unknown link costs the same hash.
        # An expired or used-up link answers so only after its right password (or if it has none).
        link = await links.open_link(token, password, throttle=request.app.state.throttle, ip=client_address(request))
    except AppError as exc:
        if exc.code == "link_password_throttled":
            return password_page(request, throttled=exc)
        if exc.code in GONE_CODES:
            return gone_page(request, GONE_CODES[exc.code])
        if exc.code != "link_unavailable":
            raise
        return password_page(request, wrong=True)
    response = RedirectResponse(f"/s/{token}", status_code=303)
    if link.password_hash:
        settings = request.app.state.settings
        response.set_cookie(TICKET_COOKIE, links.make_ticket(settings.secret_key, token),
                            max_age=int(links.TICKET_LIFETIME.total_seconds()), path=f"/s/{token}",
                            httponly=True, samesite="lax", secure=settings.secure_cookies)
    return response


async def file_page(request: Request, link: PublicLink) -> HTMLResponse:
    node = link.node
    preview = (await ready_previews([node.id])).get(node.id, False)
    return render_public(request, "files/link_file.html", page_title=node.name, link=link, node=node,
                         preview=preview, downloads_left=_downloads_left(link))


def _downloads_left(link: PublicLink) -> int | None:
    return None if link.max_downloads is None else link.max_downloads - link.downloads


async def folder_page(request: Request, link: PublicLink) -> HTMLResponse:
    folder = await links.node_below(link, request.query_params.get("folder") or link.node_id)
    if not folder.is_folder:
        raise links.link_unavailable()
    try:
        offset, limit = tree.page_bounds(request.query_params.get("offset"), PAGE_SIZE)
    except AppError:
        offset, limit = 0, PAGE_SIZE
    rows = await tree.children_query(folder.id).offset(offset).limit(limit + 1)
    entries = rows[:limit]
    path = [*await tree.path_of(folder), folder]
    path = path[[n.id for n in path].index(link.node_id):] if link.node_id in [n.id for n in path] else [folder]
    previews = await ready_previews([n.id for n in entries if n.kind == NodeKind.FILE])
    return render_public(request, "files/link_folder.html", page_title=folder.name or _("Shared folder"),
                         link=link, folder=folder, path=path, entries=entries, previews=previews, offset=offset,
                         has_more=len(rows) > limit, page_size=PAGE_SIZE, downloads_left=_downloads_left(link))


def drop_page(request: Request, link: PublicLink, *, sent: list[Node] | None = None,
              error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render_public(request, "files/link_drop.html", status_code=status_code,
                         page_title=link.label or link.node.name or _("File drop"), link=link, sent=sent,
                         error=error)


async def drop_submit(request: Request) -> Response:
    """
    summary: A file drop's upload form without JavaScript (multipart/form-data, field files, streamed file by
      file into links.drop_upload); the answer is the page listing only what this request sent.
    responses:
      200: {description: The drop page listing the files just sent (a taken name is numbered).}
      404: {description: As for the link itself (a page).}
      410: {description: The link has expired (a page).}
      413: {description: A file over the upload limit (the drop page with the error; earlier files are kept).}
      422: {description: No file chosen.}
      507: {description: The folder's space is full (the drop page with the error).}
    """
    client_ip.set(client_address(request))
    token = request.path_params["token"]
    try:
        link = await links.open_link(token, None, ticket_ok=has_ticket(request, token))
        if link.mode != LinkMode.DROP:
            raise links.link_unavailable()
    except AppError:
        return await refused_page(request)
    ctx = request.app.state.files
    sent: list[Node] = []

    async def store(filename: str, content_type: str | None, chunks) -> None:
        sent.append(await links.drop_upload(ctx, link, filename.replace("\\", "/").rsplit("/", 1)[-1], chunks,
                                            content_type=content_type, declared_size=None))

    try:
        await stream_form(request, store, check_csrf=False)
    except ClientDisconnect:
        return Response(status_code=400)
    except AppError as exc:
        return drop_page(request, link, sent=sent, error=exc.text(current_locale.get()), status_code=exc.status_code)
    if not sent:
        return drop_page(request, link, sent=sent, error=_("Please choose at least one file."), status_code=422)
    return drop_page(request, link, sent=sent)


def html_errors(handler):
    """Refusals on these pages become pages too (never a JSON body in a browser tab)."""
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except AppError as exc:
            if exc.code in links.REFUSAL_CODES:
                return await refused_page(request)
            response = render_public(request, "files/link_message.html", status_code=exc.status_code,
                                     page_title=_("That did not work"), heading=_("That did not work"),
                                     message=exc.text(current_locale.get()))
            response.headers.update(exc.headers)
            return response
    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped
