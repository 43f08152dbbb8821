"""Pages of the files domain: my spaces (/files), a folder (/files/{id}), a file's or folder's details
with rename, move, delete and versions (/files/{id}/details), the trash (/files/trash) and the plain
form upload (/files/upload/{folder_id}) that works without JavaScript.

Every page calls the same services as the JSON API (``schoolcloud.files.*``); the browser's resumable
upload talks to the tus endpoint of the API directly (static/files-upload.js). Form posts answer with a
redirect back (Post/Redirect/Get) and a notice; a refused action (name taken, quota, ...) becomes an
error notice on the page the form came from.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from schoolcloud.accounts.models import User
from schoolcloud.auth.current import page
from schoolcloud.files import content, sharing, spaces, trash, tree
from schoolcloud.files.context import FilesContext, client_ip
from schoolcloud.files.models import Node, NodeKind, Space
from schoolcloud.files.names import OnConflict
from schoolcloud.files.permissions import Access
from schoolcloud.files.previews import ready_previews
from schoolcloud.files.routes_upload import stream_form
from schoolcloud.web.csrf import CsrfError, checked_form
from schoolcloud.web.errors import AppError, NotFound
from schoolcloud.web.i18n import N_, current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

NOTICE = "files_notice"  # session key: (kind "ok" | "error", message id or translated text, params)
PAGE_SIZE = 50
MOVE_TARGETS = 500  # folders offered as move targets (a select list; more would not be usable anyway)
UPLOAD_PREFIX = "/files/upload/"  # the form upload streams and limits itself (like the API's uploads)
SORT_LABELS = {"name": N_("Name"), "modified": N_("Modified"), "size": N_("Size")}


def files_context(request: Request) -> FilesContext:
    return request.app.state.files


def actor(request: Request) -> User:
    client_ip.set(request.client.host if request.client else None)
    return request.state.user


# -- formatting helpers for the templates --------------------------------------------------------------

def human_size(size: int | None) -> str:
    size = size or 0
    units = ["B", "KB", "MB", "GB", "TB"]
    value = float(size)
    unit = 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    text = f"{int(value)}" if unit == 0 else (f"{value:.1f}" if value < 10 else f"{value:.0f}")
    if current_locale.get() == "de":
        text = text.replace(".", ",")
    return f"{text} {units[unit]}"


def short_time(value) -> str:
    if value is None:
        return ""
    return value.strftime("%d.%m.%Y %H:%M" if current_locale.get() == "de" else "%Y-%m-%d %H:%M")


def space_title(view_or_kind, title: str = "") -> str:
    kind = getattr(getattr(view_or_kind, "space", None), "kind", view_or_kind)
    title = getattr(view_or_kind, "title", title)
    if kind == "personal":
        return _("My files")
    if kind == "class":
        return _("Class %(name)s", name=title)
    if kind == "course":
        return _("Course %(name)s", name=title)
    if kind == "team":
        return _("Team %(name)s", name=title)
    return title


# -- notices (Post/Redirect/Get) ----------------------------------------------------------------------

def notify(request: Request, kind: str, text: str) -> None:
    request.session[NOTICE] = [kind, text]


def take_notice(request: Request) -> tuple[str, str] | None:
    stored = request.session.pop(NOTICE, None)
    return (stored[0], stored[1]) if stored else None


def back(path: str, **query) -> RedirectResponse:
    clean = {k: v for k, v in query.items() if v not in (None, "")}
    return RedirectResponse(f"{path}?{urlencode(clean)}" if clean else path, status_code=303)


def refused(request: Request, exc: AppError, path: str) -> RedirectResponse:
    notify(request, "error", exc.text(current_locale.get()))
    return back(path)


def safe_return(value, default: str) -> str:
    """Only paths of the files pages: the form says where to go back to."""
    if isinstance(value, str) and value.startswith("/files") and "//" not in value and "\\" not in value:
        return value
    return default


# -- pages --------------------------------------------------------------------------------------------

@page
async def my_spaces(request: Request):
    user = actor(request)
    views = await spaces.visible_spaces(files_context(request), user)
    return render(request, "files/spaces.html", page_title=_("Files"), views=views, human_size=human_size,
                  space_title=space_title, notice=take_notice(request))


@page
async def my_files(request: Request):
    """A stable address of the user's own root folder (bookmarks, the start page)."""
    user = actor(request)
    root = await spaces.root_of(await spaces.personal_space(user))
    return RedirectResponse(f"/files/{root.id}", status_code=303)


async def _space_view(request: Request, user: User, node: Node, access: Access) -> spaces.SpaceView:
    """The node's space; for a recipient who reads the node only through a share, a view of the owner's
    space with the share's access (nothing else of that space is shown: see ``sharing.visible_path``)."""
    try:
        view = await spaces.get_space(files_context(request), user, node.space_id)
    except NotFound:
        space = node.space if isinstance(node.space, Space) else await Space.get(id=node.space_id)
        view = spaces.SpaceView(space, node.id, access, await spaces.space_quota(files_context(request), space),
                                "", False)
    if view.space.kind == "team" and not view.title:
        from schoolcloud.teams.models import Team

        team = await Team.get_or_none(id=view.space.team_id)
        view.title = team.name if team else ""
    return view


@page
async def folder(request: Request):
    user = actor(request)
    query = request.query_params
    sort = query.get("sort", "name")
    order = query.get("order", "asc")
    if sort not in SORT_LABELS or order not in ("asc", "desc"):
        sort, order = "name", "asc"
    node, _access = await tree.load_node(user, request.path_params["node_id"])
    if not node.is_folder:
        return RedirectResponse(f"/files/{node.id}/details", status_code=303)
    listing = await tree.list_children(user, node.id, offset=query.get("offset") or 0, limit=PAGE_SIZE,
                                       sort=sort, order=order)
    view = await _space_view(request, user, node, listing.access)
    listing.path = await sharing.visible_path(user, node, listing.path)
    previews = await ready_previews([n.id for n in listing.items if n.kind == NodeKind.FILE])
    return render(request, "files/folder.html", page_title=node.name or space_title(view), folder=node,
                  listing=listing, view=view, writable=listing.access >= Access.WRITE, sort=sort, order=order,
                  sort_labels=SORT_LABELS, page_size=PAGE_SIZE, human_size=human_size, short_time=short_time,
                  space_title=space_title, previews=previews, notice=take_notice(request))


async def _move_targets(node: Node) -> list[tuple[int, str]]:
    """Folders of the node's space as (id, path) for the move form; not the node itself or below it."""
    rows = await Node.filter(space_id=node.space_id, kind=NodeKind.FOLDER, trash_key=0) \
        .order_by("id").limit(MOVE_TARGETS).values("id", "parent_id", "name")
    by_id = {r["id"]: r for r in rows}

    def path(row) -> str | None:
        parts = []
        seen = 0
        while row is not None and seen < 100:
            if row["id"] == node.id:
                return None  # the node itself or inside it
            if row["parent_id"] is not None:
                parts.append(row["name"])
            row = by_id.get(row["parent_id"]) if row["parent_id"] is not None else None
            seen += 1
        return "/" + "/".join(reversed(parts))

    targets = []
    for row in rows:
        if row["id"] == node.parent_id:
            continue
        shown = path(row)
        if shown is not None:
            targets.append((row["id"], shown))
    return sorted(targets, key=lambda item: item[1].casefold())


@page
async def details(request: Request):
    user = actor(request)
    node, access = await tree.load_node(user, request.path_params["node_id"])
    view = await _space_view(request, user, node, access)
    path = await sharing.visible_path(user, node, await tree.path_of(node))
    versions = []
    if not node.is_folder:
        _node, versions = await content.list_versions(user, node.id)
    writable = access >= Access.WRITE and node.parent_id is not None
    from schoolcloud.files.routes_sharing import details_sharing  # (it imports this module)

    return render(request, "files/details.html", page_title=node.name or space_title(view), node=node,
                  path=path, view=view, versions=versions, writable=writable,
                  targets=await _move_targets(node) if writable else [], human_size=human_size,
                  short_time=short_time, space_title=space_title, notice=take_notice(request),
                  **await details_sharing(request, user, node))


@page
async def trash_page(request: Request):
    user = actor(request)
    ctx = files_context(request)
    offset, limit = tree.page_bounds(request.query_params.get("offset"), PAGE_SIZE)
    entries = await trash.list_trash(ctx, user, offset=offset, limit=limit)
    titles = {v.space.id: space_title(v) for v in await spaces.visible_spaces(ctx, user)}
    return render(request, "files/trash.html", page_title=_("Trash"), entries=entries, titles=titles,
                  trash_days=await trash.trash_days_for(ctx, user.school_id), human_size=human_size, short_time=short_time,
                  notice=take_notice(request))


# -- actions (forms) ----------------------------------------------------------------------------------

@page
async def create_folder(request: Request):
    user = actor(request)
    folder_id = request.path_params["node_id"]
    form = await checked_form(request)
    try:
        created = await tree.create_folder(user, folder_id, form.get("name"))
    except AppError as exc:
        return refused(request, exc, f"/files/{folder_id}")
    notify(request, "ok", _("The folder %(name)s was created.", name=created.name))
    return back(f"/files/{folder_id}")


@page
async def update(request: Request):
    """Rename (field ``name``) or move (field ``parent_id``) a file or folder."""
    user = actor(request)
    node_id = request.path_params["node_id"]
    form = await checked_form(request)
    here = f"/files/{node_id}/details"
    name = form.get("name")
    parent_id = form.get("parent_id")
    try:
        node = await tree.update_node(files_context(request), user, node_id,
                                      name=name if name is not None else None,
                                      parent_id=tree.as_id(parent_id, "parent_id") if parent_id else None)
    except AppError as exc:
        return refused(request, exc, here)
    notify(request, "ok", _("The changes were saved.") if name is not None else _("Moved."))
    return back(f"/files/{node.id}/details")


@page
async def delete(request: Request):
    user = actor(request)
    node_id = request.path_params["node_id"]
    form = await checked_form(request)
    try:
        node = await trash.trash(files_context(request), user, node_id)
    except AppError as exc:
        return refused(request, exc, safe_return(form.get("return_to"), f"/files/{node_id}/details"))
    notify(request, "ok", _("%(name)s was moved to the trash.", name=node.name))
    return back(f"/files/{node.parent_id}" if node.parent_id else "/files")


@page
async def restore(request: Request):
    user = actor(request)
    node_id = request.path_params["node_id"]
    await checked_form(request)
    try:
        node = await trash.restore(files_context(request), user, node_id, on_conflict=OnConflict.RENAME)
    except AppError as exc:
        return refused(request, exc, "/files/trash")
    notify(request, "ok", _("%(name)s was restored.", name=node.name))
    return back("/files/trash")


@page
async def restore_version(request: Request):
    user = actor(request)
    node_id = request.path_params["node_id"]
    await checked_form(request)
    try:
        await content.restore_version(files_context(request), user, node_id, request.path_params["version_id"])
    except AppError as exc:
        return refused(request, exc, f"/files/{node_id}/details")
    notify(request, "ok", _("The version was restored."))
    return back(f"/files/{node_id}/details")


@page
async def form_upload(request: Request):
    """The upload without JavaScript: a multipart form with one or more files (field ``files``).

    Each file streams into ``content.upload`` while it arrives (``routes_upload.stream_form``), with the
    upload limit and the quota checked while streaming, like an API upload. A name that is taken gets
    a free variant ("Bericht (2).pdf")."""
    user = actor(request)
    folder_id = request.path_params["folder_id"]
    here = f"/files/{folder_id}"
    ctx = files_context(request)
    done = 0

    async def store(filename: str, content_type: str | None, chunks) -> None:
        nonlocal done
        await content.upload(ctx, user, folder_id, filename.replace("\\", "/").rsplit("/", 1)[-1], chunks,
                             content_type=content_type, on_conflict=OnConflict.RENAME)
        done += 1

    try:
        await stream_form(request, store)
    except CsrfError:
        raise
    except AppError as exc:
        text = exc.text(current_locale.get())
        if done:
            text = _("Files uploaded: %(count)s", count=done) + " " + text
        notify(request, "error", text)
        return back(here)
    except ClientDisconnect:
        return Response(status_code=400)
    if not done:
        notify(request, "error", _("Please choose at least one file."))
        return back(here)
    notify(request, "ok", _("Files uploaded: %(count)s", count=done))
    return back(here)


routes = [
    Route("/files", my_spaces),
    Route("/files/personal", my_files),
    Route("/files/trash", trash_page),
    Route("/files/trash/{node_id:int}/restore", restore, methods=["POST"]),
    Route("/files/upload/{folder_id:int}", form_upload, methods=["POST"]),
    Route("/files/{node_id:int}", folder),
    Route("/files/{node_id:int}/details", details),
    Route("/files/{node_id:int}/folders", create_folder, methods=["POST"]),
    Route("/files/{node_id:int}/update", update, methods=["POST"]),
    Route("/files/{node_id:int}/delete", delete, methods=["POST"]),
    Route("/files/{node_id:int}/versions/{version_id:int}/restore", restore_version, methods=["POST"]),
]
