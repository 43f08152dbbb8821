"""Teams: create (teachers and school admins), list, rename, delete, members (same school only), the team
space."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import Role, User
from schoolcloud.accounts.permissions import require_staff
from schoolcloud.files.models import Node, Space, SpaceKind
from schoolcloud.files.permissions import require_files_user
from schoolcloud.files.sharing_models import Share
from schoolcloud.privacy import audit
from schoolcloud.teams.models import Team, TeamMember, TeamRole
from schoolcloud.web.errors import AppError, Forbidden, NotFound
from schoolcloud.web.i18n import N_

MEMBER_ROLES = (Role.PUPIL, Role.TEACHER, Role.SCHOOL_ADMIN)


def team_name(raw) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name or len(name) > 100 or any(ord(ch) < 32 for ch in name):
        raise AppError("invalid_team_name", N_("Please enter a team name of at most 100 characters."),
                       status=422, field="name")
    return name


async def team_space(team: Team) -> Space:
    from schoolcloud.files.spaces import _create_space

    space = await Space.get_or_none(team_id=team.id)
    return space or await _create_space(team.school_id, SpaceKind.TEAM, team_id=team.id)


async def create_team(actor: User, name) -> Team:
    school_id = require_staff(actor)
    name = team_name(name)
    async with in_transaction() as conn:
        team = await Team.create(using_db=conn, school_id=school_id, name=name, created_by=actor)
        await TeamMember.create(using_db=conn, team=team, user=actor, role=TeamRole.OWNER)
    await team_space(team)
    await audit.record("teams.create", actor=actor, school_id=school_id, target_type="team", target_id=team.id)
    return team


async def list_teams(actor: User) -> list[Team]:
    """The teams the actor belongs to; school admins see every team of their school."""
    school_id = require_files_user(actor)
    if actor.role == Role.SCHOOL_ADMIN:
        return await Team.filter(school_id=school_id).order_by("name", "id")
    return await Team.filter(school_id=school_id, memberships__user_id=actor.id).distinct().order_by("name", "id")


async def get_team(actor: User, team_id) -> Team:
    school_id = require_files_user(actor)
    try:
        team_id = int(team_id)
    except (TypeError, ValueError):
        raise NotFound("team") from None
    team = await Team.get_or_none(id=team_id, school_id=school_id)
    if team is None:
        raise NotFound("team")
    if actor.role != Role.SCHOOL_ADMIN and not await TeamMember.filter(team_id=team.id, user_id=actor.id).exists():
        raise NotFound("team")
    return team


async def may_manage(actor: User, team: Team) -> bool:
    """Owners (teachers who created or were made owners) and the school's admins."""
    if actor.role == Role.SCHOOL_ADMIN and actor.school_id == team.school_id:
        return True
    return await TeamMember.filter(team_id=team.id, user_id=actor.id, role=TeamRole.OWNER).exists()


async def rename_team(actor: User, team_id, name) -> Team:
    team = await get_team(actor, team_id)
    if not await may_manage(actor, team):
        raise Forbidden()
    team.name = team_name(name)
    await team.save(update_fields=["name"])
    await audit.record("teams.rename", actor=actor, school_id=team.school_id, target_type="team", target_id=team.id)
    return team


async def team_contents(team: Team, conn=None) -> tuple[int, int]:
    """(live entries, entries in the trash) of the team's space, below its root folder."""
    space = await Space.filter(team_id=team.id).using_db(conn).first()
    if space is None:
        return 0, 0
    below_root = Node.filter(space_id=space.id, parent_id__not_isnull=True).using_db(conn)
    return await below_root.filter(trash_key=0).count(), await below_root.filter(trashed_at__not_isnull=True).count()


async def delete_team(ctx, actor: User, team_id) -> None:
    """Delete a team (its owners and the school's admins): refused while its space still holds files
    or folders (a teacher moves or deletes what should go first, so nothing is lost by surprise); what
    is in the team's trash is removed for good. Rows go first (nodes with their versions, shares and
    links, tus uploads; the space; memberships, shares to the team; the team), in one transaction with
    the emptiness check; objects afterwards.

    The transaction locks the space's row before it checks: an upload charges that row in its own
    commit (``spaces.charge``), so it either committed before the check (the team stays, with the file)
    or waits and then finds the space gone (and leaves nothing)."""
    from schoolcloud.files.content import discard
    from schoolcloud.files.trash import delete_space_rows

    team = await get_team(actor, team_id)
    if not await may_manage(actor, team):
        raise Forbidden()
    keys: list[str] = []
    async with in_transaction() as conn:
        space = await Space.filter(team_id=team.id).using_db(conn).select_for_update().first()
        live, trashed = await team_contents(team, conn)
        if live:
            raise AppError("team_not_empty", N_("The team's files are not empty (entries: %(count)s). Move them "
                                                "elsewhere or delete them first."), status=409, count=live)
        if space is not None:
            keys = await delete_space_rows(conn, space.id)
        await Share.filter(team_id=team.id).using_db(conn).delete()
        await TeamMember.filter(team_id=team.id).using_db(conn).delete()
        await Team.filter(id=team.id).using_db(conn).delete()
    await discard(ctx, *keys)
    await audit.record("teams.delete", actor=actor, school_id=team.school_id, target_type="team", target_id=team.id,
                       details={"trash_entries": trashed, "objects": len(keys)})


async def members(team: Team) -> list[TeamMember]:
    return await TeamMember.filter(team_id=team.id).select_related("user").order_by("user__family_name", "id")


async def add_member(actor: User, team_id, user_id, role: str = TeamRole.MEMBER) -> TeamMember:
    team = await get_team(actor, team_id)
    if not await may_manage(actor, team):
        raise Forbidden()
    if role not in TeamRole.ALL:
        raise AppError("invalid_parameter", "The parameter %(name)s has an invalid value.", status=400, name="role")
    try:
        user = await User.get_or_none(id=int(user_id))
    except (TypeError, ValueError):
        user = None
    if user is None or not user.active:
        raise NotFound("user")
    if user.school_id != team.school_id or user.role not in MEMBER_ROLES:
        raise AppError("outside_school", N_("Only people of your own school can be added."), status=422)
    if role == TeamRole.OWNER and user.role == Role.PUPIL:
        raise AppError("pupil_owner", N_("Only teachers can own a team."), status=422)
    try:
        member = await TeamMember.create(team=team, user=user, role=role)
    except IntegrityError:
        member = await TeamMember.get(team_id=team.id, user_id=user.id)
        if member.role != role:
            member.role = role
            await member.save(update_fields=["role"])
    await audit.record("teams.member_add", actor=actor, school_id=team.school_id, target_type="team",
                       target_id=team.id, details={"user": str(user.public_id), "role": role})
    member.user = user
    return member


async def remove_member(actor: User, team_id, user_id) -> None:
    """Managers remove anyone; every member may leave. The last owner cannot go."""
    team = await get_team(actor, team_id)
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise NotFound("user") from None
    if user_id != actor.id and not await may_manage(actor, team):
        raise Forbidden()
    member = await TeamMember.get_or_none(team_id=team.id, user_id=user_id).select_related("user")
    if member is None:
        raise NotFound("user")
    if member.role == TeamRole.OWNER and \
            await TeamMember.filter(team_id=team.id, role=TeamRole.OWNER).count() <= 1:
        raise AppError("last_owner", N_("A team needs at least one owner."), status=409)
    await member.delete()
    await audit.record("teams.member_remove", actor=actor, school_id=team.school_id, target_type="team",
                       target_id=team.id, details={"user": str(member.user.public_id)})
