"""Sharing pages: the "Sharing" and "Links" sections of a file's or folder's details page (their form
actions live here; the sections are rendered by ``details_sharing`` for ``routes.details``), and
"Shared with me" (/files/shared). The same services as the JSON API (``sharing``, ``links``); forms
with the CSRF token, Post/Redirect/Get. A refused share or link form comes back on the details page
with each message next to its field (aria-invalid, aria-describedby) and a summary at the top; other
refusals become an error notice."""

from __future__ import annotations

from datetime import date, datetime, timezone

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.models import User
from schoolcloud.accounts.passwords import MAX_LENGTH
from schoolcloud.auth.current import page
from schoolcloud.files import links, sharing
from schoolcloud.files.routes import PAGE_SIZE, actor, back, human_size, notify, refused, short_time, take_notice
from schoolcloud.files.sharing_models import LinkMode
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

NEW_LINK = "files_new_link"  # session key: the token of a link just created (its full URL is shown once)
FORM_ERRORS = "files_form_errors"  # session key: a refused share or link form, shown again once


async def details_sharing(request: Request, user: User, node) -> dict:
    """Template values for the sharing sections, or ``{"sharing": None}`` for users who do not manage
    the node's shares (recipients, readers); with a refused share or link form (``FORM_ERRORS``:
    its errors by field and its values) when one was just sent."""
    try:
        _node, shares = await sharing.list_shares(user, node.id)
        node_links = await links.list_links(user, node.id)
    except AppError:
        return {"sharing": None}
    names = await sharing.recipient_names(shares)
    form_errors = request.session.pop(FORM_ERRORS, None)
    if not form_errors or form_errors.get("node") != node.id:
        form_errors = {"form": None, "errors": {}, "values": {}}
    q = (form_errors["values"].get("q") or request.query_params.get("q", "")).strip()
    found = None
    if q:
        found = await sharing.find_recipients(user, q)
    token = request.session.pop(NEW_LINK, None)
    return {"sharing": {"shares": [(s, names.get((s.recipient_kind, s.recipient_id), "")) for s in shares],
                        "links": node_links, "q": q, "found": found,
                        "new_link": f"{request.base_url}s/{token}" if token else None,
                        "form": form_errors["form"], "errors": form_errors["errors"],
                        "entered": form_errors["values"]}}


def _here(node_id) -> str:
    return f"/files/{node_id}/details"


# Where a service's refusal belongs in the forms (AppError.field or code -> form field).
SHARE_FIELDS = {"recipient": "recipient", "recipient.type": "recipient", "recipient.id": "recipient"}
LINK_FIELDS = {"expires_at": "expires", "max_downloads": "max_downloads", "password": "password", "mode": "mode",
               "label": "label"}
CODE_FIELDS = {"not_found": "recipient", "not_a_folder": "mode", "expiry_in_past": "expires"}


def _form_refused(request: Request, node_id, form: str, errors: dict, values: dict):
    """Back to the details page, which shows the refused form again with each message next to its
    field and a summary at the top (once, like a notice)."""
    request.session[FORM_ERRORS] = {"node": int(node_id), "form": form, "errors": errors, "values": values}
    return back(_here(node_id))


def _field_of(exc: AppError, fields: dict) -> str:
    name = exc.field or exc.params.get("name")
    if name in fields:
        return fields[name]
    return CODE_FIELDS.get(exc.code, "_form")


@page
async def add_share(request: Request):
    user = actor(request)
    node_id = request.path_params["node_id"]
    form = await checked_form(request)
    values = {"q": str(form.get("q") or ""), "recipient": str(form.get("recipient") or ""),
              "access": "write" if form.get("access") == "write" else "read"}
    kind, _sep, recipient_id = values["recipient"].partition(":")
    if not recipient_id:
        return _form_refused(request, node_id, "share", {"recipient": _("Please choose a recipient.")}, values)
    try:
        await sharing.create_share(user, node_id, kind, recipient_id, can_write=values["access"] == "write")
    except AppError as exc:
        if exc.code == "forbidden":  # not a manager of this entry: nothing to correct in the form
            return refused(request, exc, _here(node_id))
        message = _("This person or group was not found.") if exc.code in ("not_found", "invalid_parameter") \
            else exc.text(current_locale.get())
        return _form_refused(request, node_id, "share", {_field_of(exc, SHARE_FIELDS): message}, values)
    notify(request, "ok", _("The share was saved."))
    return back(_here(node_id))


@page
async def change_share(request: Request):
    """Read-only <-> read-write for one share, from the owner's list on the details page."""
    user = actor(request)
    node_id = request.path_params["node_id"]
    form = await checked_form(request)
    access = form.get("access")
    if access not in ("read", "write"):
        notify(request, "error", _("Please choose read only or read and write."))
        return back(_here(node_id))
    try:
        await sharing.update_share(user, request.path_params["share_id"], can_write=access == "write")
    except AppError as exc:
        return refused(request, exc, _here(node_id))
    notify(request, "ok", _("The access was changed."))
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


def _link_form_errors(form) -> tuple[dict, dict, dict]:
    """(errors, values, service arguments) of the link form; checked here first so that each message
    names what to correct, in the words of the form."""
    values = {"mode": form.get("mode") or LinkMode.DOWNLOAD, "expires": str(form.get("expires") or "").strip(),
              "max_downloads": str(form.get("max_downloads") or "").strip(),
              "label": str(form.get("label") or "").strip()}
    errors = {}
    password = form.get("password") or None
    if password is not None and len(password) > MAX_LENGTH:
        errors["password"] = _("The password may have at most %(count)s characters.", count=MAX_LENGTH)
    expires = None
    if values["expires"]:
        try:
            expires = date.fromisoformat(values["expires"])
        except ValueError:
            errors["expires"] = _("Please enter a date like 2027-07-31.")
        else:
            if expires < datetime.now(timezone.utc).date():
                errors["expires"] = _("The expiry date must be in the future.")
    max_downloads = None
    if values["max_downloads"]:
        try:
            max_downloads = int(values["max_downloads"])
        except ValueError:
            max_downloads = 0
        if max_downloads < 1:
            errors["max_downloads"] = _("The download limit must be a whole number of at least 1.")
    arguments = {"mode": values["mode"], "password": password, "max_downloads": max_downloads, "label": values["label"],
                 "expires_at": f"{expires.isoformat()}T23:59:59" if expires else None}
    return errors, values, arguments


@page
async def add_link(request: Request):
    user = actor(request)
    node_id = request.path_params["node_id"]
    errors, values, arguments = _link_form_errors(await checked_form(request))
    if errors:
        return _form_refused(request, node_id, "link", errors, values)
    try:
        link = await links.create_link(user, node_id, **arguments)
    except AppError as exc:
        if exc.code == "forbidden":
            return refused(request, exc, _here(node_id))
        return _form_refused(request, node_id, "link", {_field_of(exc, LINK_FIELDS): exc.text(
            current_locale.get())}, values)
    request.session[NEW_LINK] = link.token
    notify(request, "ok", _("The link was created. Copy it now; it is also shown in the list below."))
    return back(_here(node_id))


@page
async def revoke_link(request: Request):
    user = actor(request)
    node_id = request.path_params["node_id"]
    await checked_form(request)
    try:
        await links.revoke_link(request.app.state.files, user, request.path_params["link_id"])
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
    Route("/files/{node_id:int}/shares/{share_id:int}/access", change_share, methods=["POST"]),
    Route("/files/{node_id:int}/shares/{share_id:int}/revoke", revoke_share, methods=["POST"]),
    Route("/files/{node_id:int}/links", add_link, methods=["POST"]),
    Route("/files/{node_id:int}/links/{link_id:int}/revoke", revoke_link, methods=["POST"]),
]
