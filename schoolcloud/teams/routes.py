"""Team pages: my teams (/teams; teachers and admins create one there) and a team (/teams/{id}):
members with their roles, the link to the team's files space; owners and admins add members through a
scoped search (the sharing service's recipient search: the own school only, pupils' co-members only)
and remove them, rename the team and delete it after a confirmation page (/teams/{id}/delete); every
member may leave. Forms with the CSRF token, Post/Redirect/Get."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.models import Role
from schoolcloud.auth.current import page
from schoolcloud.files import sharing, spaces
from schoolcloud.files.routes import actor, back, files_context, notify, refused, take_notice
from schoolcloud.teams import services
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError, Forbidden
from schoolcloud.web.i18n import current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

RENAME_ERROR = "teams_rename_error"  # session key: [message, the name as typed] of a refused rename


@page
async def teams_page(request: Request):
    user = actor(request)
    teams = await services.list_teams(user)
    return render(request, "teams/list.html", page_title=_("Teams"), teams=teams,
                  may_create=user.role in (Role.TEACHER, Role.SCHOOL_ADMIN), notice=take_notice(request))


@page
async def create(request: Request):
    user = actor(request)
    form = await checked_form(request)
    try:
        team = await services.create_team(user, form.get("name"))
    except AppError as exc:
        return refused(request, exc, "/teams")
    notify(request, "ok", _("The team %(name)s was created.", name=team.name))
    return back(f"/teams/{team.id}")


@page
async def team_page(request: Request):
    user = actor(request)
    team = await services.get_team(user, request.path_params["team_id"])
    manageable = await services.may_manage(user, team)
    root = await spaces.root_of(await services.team_space(team))
    q = request.query_params.get("q", "").strip()
    found = (await sharing.find_recipients(user, q))["users"] if manageable and q else None
    message, typed = request.session.pop(RENAME_ERROR, None) or (None, team.name)
    return render(request, "teams/team.html", page_title=team.name, team=team, root=root, user_id=user.id,
                  members=await services.members(team), manageable=manageable, q=q, found=found,
                  rename_errors={"name": message} if message else {}, typed_name=typed,
                  notice=take_notice(request))


@page
async def add_member(request: Request):
    user = actor(request)
    team_id = request.path_params["team_id"]
    form = await checked_form(request)
    here = f"/teams/{team_id}"
    if not form.get("user_id"):
        notify(request, "error", _("Please choose a person."))
        return back(here)
    try:
        await services.add_member(user, team_id, form.get("user_id"),
                                  role="owner" if form.get("role") == "owner" else "member")
    except AppError as exc:
        return refused(request, exc, here)
    notify(request, "ok", _("The member was added."))
    return back(here)


@page
async def remove_member(request: Request):
    user = actor(request)
    team_id = request.path_params["team_id"]
    await checked_form(request)
    here = f"/teams/{team_id}"
    member_id = request.path_params["user_id"]
    try:
        await services.remove_member(user, team_id, member_id)
    except AppError as exc:
        return refused(request, exc, here)
    if member_id == user.id:
        notify(request, "ok", _("You left the team."))
        return back("/teams")
    notify(request, "ok", _("The member was removed."))
    return back(here)


@page
async def rename(request: Request):
    user = actor(request)
    team_id = request.path_params["team_id"]
    form = await checked_form(request)
    here = f"/teams/{team_id}"
    try:
        team = await services.rename_team(user, team_id, form.get("name"))
    except AppError as exc:
        if exc.field != "name":
            return refused(request, exc, here)
        # Shown again with the message at the name field (and in a summary at the top), once.
        request.session[RENAME_ERROR] = [exc.text(current_locale.get()), str(form.get("name") or "")[:200]]
        return back(here)
    notify(request, "ok", _("The team is now called %(name)s.", name=team.name))
    return back(here)


@page
async def confirm_delete(request: Request):
    """What deleting the team means, and the button that does it (a page of its own: works without
    JavaScript and shows whether the team's files must be emptied first)."""
    user = actor(request)
    team = await services.get_team(user, request.path_params["team_id"])
    if not await services.may_manage(user, team):
        raise Forbidden()
    live, trashed = await services.team_contents(team)
    root = await spaces.root_of(await services.team_space(team))
    return render(request, "teams/delete.html", page_title=_("Delete team %(name)s", name=team.name), team=team,
                  root=root, live=live, trashed=trashed, member_count=len(await services.members(team)),
                  notice=take_notice(request))


@page
async def delete(request: Request):
    user = actor(request)
    team_id = request.path_params["team_id"]
    await checked_form(request)
    try:
        team = await services.get_team(user, team_id)
        await services.delete_team(files_context(request), user, team_id)
    except AppError as exc:
        return refused(request, exc, f"/teams/{team_id}/delete")
    notify(request, "ok", _("The team %(name)s was deleted.", name=team.name))
    return back("/teams")


routes = [
    Route("/teams", teams_page),
    Route("/teams/new", create, methods=["POST"]),
    Route("/teams/{team_id:int}", team_page),
    Route("/teams/{team_id:int}/rename", rename, methods=["POST"]),
    Route("/teams/{team_id:int}/delete", confirm_delete),
    Route("/teams/{team_id:int}/delete", delete, methods=["POST"]),
    Route("/teams/{team_id:int}/members", add_member, methods=["POST"]),
    Route("/teams/{team_id:int}/members/{user_id:int}/remove", remove_member, methods=["POST"]),
]
