"""JSON API for teams, mounted with the files API at /api/v1/files/teams."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schoolcloud.api.common import json_body
from schoolcloud.files import errors
from schoolcloud.files.spaces import root_of
from schoolcloud.teams import services
from schoolcloud.teams.models import Team, TeamMember, TeamRole


async def team_json(team: Team, *, with_members: bool = False, manageable: bool | None = None) -> dict:
    space = await services.team_space(team)
    body = {"id": team.id, "name": team.name, "space_id": space.id, "root_id": (await root_of(space)).id,
            "created_at": team.created_at.isoformat()}
    if manageable is not None:
        body["manageable"] = manageable
    if with_members:
        body["members"] = [member_json(m) for m in await services.members(team)]
    return body


def member_json(member: TeamMember) -> dict:
    user = member.user
    return {"user_id": user.id, "name": user.display_name, "role": member.role, "user_role": user.role}


async def teams(request: Request) -> JSONResponse:
    """
    summary: The caller's teams (school admins - all of their school) (GET), or create one (POST {"name"};
      teachers and school admins, who become its owner).
    responses:
      200: {description: "{items: [team with space_id and root_id]}"}
      201: {description: The new team with its members.}
      403: {description: Pupils cannot create teams.}
    """
    from schoolcloud.files.api import caller

    user = await caller(request)
    if request.method == "POST":
        body = await json_body(request)
        team = await services.create_team(user, body.get("name"))
        return JSONResponse(await team_json(team, with_members=True, manageable=True), status_code=201)
    return JSONResponse({"items": [await team_json(t) for t in await services.list_teams(user)]})


async def team_detail(request: Request) -> Response:
    """
    summary: A team with its members (GET; for its members and the school's admins), rename it
      (PATCH {"name"}), or delete it (DELETE; both for its owners and the school's admins). Deleting is
      refused while the team's files hold entries; the team's trash is removed with it.
    responses:
      200: {description: The team.}
      204: {description: Deleted.}
      403: {description: Not a manager of the team (PATCH, DELETE).}
      404: {description: No such team for the caller.}
      409: {description: "The team's files are not empty (code team_not_empty)."}
    """
    from schoolcloud.files.api import caller, files_context

    user = await caller(request)
    if request.method == "DELETE":
        await services.delete_team(files_context(request), user, request.path_params["team_id"])
        return Response(status_code=204)
    if request.method == "PATCH":
        body = await json_body(request)
        team = await services.rename_team(user, request.path_params["team_id"], body.get("name"))
    else:
        team = await services.get_team(user, request.path_params["team_id"])
    return JSONResponse(await team_json(team, with_members=True, manageable=await services.may_manage(user, team)))


async def team_members(request: Request) -> JSONResponse:
    """
    summary: Add a member (POST {"user_id", "role" member|owner}); team owners and school admins, same school only.
    responses:
      201: {description: The membership.}
      403: {description: Not a manager of the team.}
      422: {description: "The person is not of the team's school (code outside_school)."}
    """
    from schoolcloud.files.api import caller

    user = await caller(request)
    body = await json_body(request)
    if "user_id" not in body:
        raise errors.invalid_parameter("user_id")
    member = await services.add_member(user, request.path_params["team_id"], body["user_id"],
                                       body.get("role", TeamRole.MEMBER))
    return JSONResponse(member_json(member), status_code=201)


async def team_member(request: Request) -> Response:
    """
    summary: Remove a member (managers) or leave the team (oneself); the last owner cannot go.
    responses:
      204: {description: Removed.}
      409: {description: The last owner.}
    """
    from schoolcloud.files.api import caller

    user = await caller(request)
    await services.remove_member(user, request.path_params["team_id"], request.path_params["user_id"])
    return Response(status_code=204)


routes = [
    Route("/teams", teams, methods=["GET", "POST"]),
    Route("/teams/{team_id:int}", team_detail, methods=["GET", "PATCH", "DELETE"]),
    Route("/teams/{team_id:int}/members", team_members, methods=["POST"]),
    Route("/teams/{team_id:int}/members/{user_id:int}", team_member, methods=["DELETE"]),
]
