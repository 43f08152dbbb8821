"""Spaces: created lazily with their root folder, listed per user, with quota and usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from schoolcloud import rows
from schoolcloud.accounts.models import Course, Role, SchoolClass, User
from schoolcloud.files.context import FilesContext, Limits
from schoolcloud.files.errors import deleted_meanwhile, quota_exceeded
from schoolcloud.files.models import Node, NodeKind, Space, SpaceKind
from schoolcloud.files.permissions import Access, may_manage_space, require_files_user, space_access
from schoolcloud.teams.models import Team
from schoolcloud.web.errors import Forbidden, NotFound


def now() -> datetime:
    return datetime.now(timezone.utc)


async def _create_space(school_id: int, kind: str, **link) -> Space:
    """Create a space and its root folder together, or return the one another request made first."""
    try:
        async with in_transaction() as conn:
            space = await Space.create(using_db=conn, school_id=school_id, kind=kind,
                                       pupils_may_write=(kind == SpaceKind.COURSE), **link)
            await Node.create(using_db=conn, space=space, parent=None, kind=NodeKind.FOLDER, name="",
                              name_key="", modified_at=now())
            return space
    except IntegrityError:
        return await Space.get(**link)


async def personal_space(user: User) -> Space:
    school_id = require_files_user(user)
    space = await Space.get_or_none(owner_id=user.id)
    return space or await _create_space(school_id, SpaceKind.PERSONAL, owner_id=user.id)


async def class_space(school_class: SchoolClass) -> Space:
    space = await Space.get_or_none(school_class_id=school_class.id)
    return space or await _create_space(school_class.school_id, SpaceKind.CLASS, school_class_id=school_class.id)


async def course_space(course: Course) -> Space:
    space = await Space.get_or_none(course_id=course.id)
    return space or await _create_space(course.school_id, SpaceKind.COURSE, course_id=course.id)


async def task_records_space(course_id: int, school_id: int) -> Space:
    """The course's task records (SpaceKind.TASK_RECORDS): reached by nobody through the files layer."""
    space = await Space.get_or_none(records_course_id=course_id)
    return space or await _create_space(school_id, SpaceKind.TASK_RECORDS, records_course_id=course_id)


async def root_of(space: Space) -> Node:
    return await Node.get(space_id=space.id, parent_id=None)


def quota_of(limits: Limits, space: Space, owner_role: str | None = None) -> int:
    if space.quota_bytes is not None:
        return space.quota_bytes
    if space.kind == SpaceKind.PERSONAL:
        return limits.quota_pupil_bytes if owner_role == Role.PUPIL else limits.quota_teacher_bytes
    return limits.quota_group_bytes


async def space_quota(ctx: FilesContext, space: Space, user: User | None = None) -> int:
    """The space's quota; ``user`` (loaded in this request) saves the query for the owner's role when
    the user owns the space."""
    owner_role = None
    if space.kind == SpaceKind.PERSONAL and space.quota_bytes is None:
        if user is not None and user.id == space.owner_id:
            owner_role = user.role
        else:
            owner_role = await User.filter(id=space.owner_id).first().values_list("role", flat=True)
    return quota_of(ctx.limits, space, owner_role)


async def charge(conn, space: Space, quota: int, size: int) -> None:
    """Add ``size`` bytes to the space's usage inside the caller's transaction, or refuse with 507.

    One conditional UPDATE: two uploads finishing at once on two instances cannot both squeeze in. It
    also locks the space's row until the caller commits, even for an empty file, which makes an upload
    and the deletion of a team (``teams.services.delete_team``) exclusive: a space deleted meanwhile
    is refused as a vanished folder (404).
    """
    if size < 0:
        return
    table = Space._meta.db_table
    if size == 0:
        updated = await rows.execute(conn, f"UPDATE {table} SET used_bytes = used_bytes WHERE id = ?", space.id)
    else:
        updated = await rows.execute(conn, f"UPDATE {table} SET used_bytes = used_bytes + ? "
                                           "WHERE id = ? AND used_bytes <= ?", size, space.id, quota - size)
    if not updated:
        if not await Space.filter(id=space.id).using_db(conn).exists():
            raise deleted_meanwhile()
        raise quota_exceeded()


async def lock_spaces(conn, *space_ids: int) -> None:
    """Inside a transaction that changes several spaces' rows (a move between spaces): lock them first,
    in the order of their ids. Otherwise two moves in opposite directions each hold the row of their
    target and wait for their source's, the other's target (a deadlock on PostgreSQL, one of them a
    500). SQLite has one writer at a time and needs nothing."""
    await Space.filter(id__in=sorted(set(space_ids))).using_db(conn).order_by("id").select_for_update()


async def release(conn, space_id: int, size: int) -> None:
    if size > 0:
        await Space.filter(id=space_id).using_db(conn).update(used_bytes=F("used_bytes") - size)


async def free_bytes(ctx: FilesContext, space: Space) -> int:
    used = await Space.filter(id=space.id).first().values_list("used_bytes", flat=True)
    return max(0, await space_quota(ctx, space) - (used or 0))


@dataclass
class SpaceView:
    space: Space
    root_id: int
    access: Access
    quota: int
    title: str  # the class's or course's name; empty for the personal space (the UI names it)
    manageable: bool


async def _group_spaces(user: User) -> list[tuple[Space, str]]:
    school_id = user.school_id
    if user.role == Role.SCHOOL_ADMIN:
        classes = await SchoolClass.filter(school_id=school_id).order_by("-school_year", "name")
        courses = await Course.filter(school_id=school_id).order_by("-school_year", "name")
    else:
        classes = await SchoolClass.filter(school_id=school_id, members__id=user.id).distinct() \
            .order_by("-school_year", "name")
        if user.role == Role.TEACHER:
            courses = await Course.filter(school_id=school_id, teachers__id=user.id).distinct() \
                .order_by("-school_year", "name")
        else:
            direct = await Course.filter(school_id=school_id, pupils__id=user.id).distinct()
            via_class = await Course.filter(school_id=school_id, classes__members__id=user.id).distinct()
            by_id = {c.id: c for c in [*direct, *via_class]}
            courses = sorted(by_id.values(), key=lambda c: (c.school_year, c.name), reverse=True)
    result = []
    existing = {s.school_class_id: s for s in await Space.filter(school_class_id__in=[c.id for c in classes])}
    for school_class in classes:
        space = existing.get(school_class.id) or await class_space(school_class)
        result.append((space, school_class.name))
    existing = {s.course_id: s for s in await Space.filter(course_id__in=[c.id for c in courses])}
    for course in courses:
        space = existing.get(course.id) or await course_space(course)
        result.append((space, course.name))
    return result + await _team_spaces(user)


async def _team_spaces(user: User) -> list[tuple[Space, str]]:
    """The spaces of the user's teams (school admins: every team of the school), by team name."""
    from schoolcloud.teams.services import list_teams, team_space

    teams = await list_teams(user)
    existing = {s.team_id: s for s in await Space.filter(team_id__in=[t.id for t in teams])}
    return [(existing.get(team.id) or await team_space(team), team.name) for team in teams]


async def visible_spaces(ctx: FilesContext, user: User) -> list[SpaceView]:
    """The personal space first, then the class, course and team spaces the user may read."""
    own = await personal_space(user)
    spaces = [(own, ""), *await _group_spaces(user)]
    roots = dict(await Node.filter(space_id__in=[s.id for s, _ in spaces], parent_id=None)
                 .values_list("space_id", "id"))
    views = []
    for space, title in spaces:
        access = await space_access(user, space)
        if access >= Access.READ:
            views.append(SpaceView(space, roots[space.id], access, await space_quota(ctx, space), title,
                                   may_manage_space(user, access, space)))
    return views


async def get_space(ctx: FilesContext, user: User, space_id: int) -> SpaceView:
    require_files_user(user)
    space = await Space.get_or_none(id=space_id)
    if space is None:
        raise NotFound("space")
    access = await space_access(user, space)
    if access < Access.READ:
        raise NotFound("space")
    title = ""
    if space.school_class_id:
        title = (await SchoolClass.get(id=space.school_class_id)).name
    elif space.course_id:
        title = (await Course.get(id=space.course_id)).name
    elif space.team_id:
        title = (await Team.get(id=space.team_id)).name
    return SpaceView(space, (await root_of(space)).id, access, await space_quota(ctx, space), title,
                     may_manage_space(user, access, space))


async def update_space(ctx: FilesContext, user: User, space_id: int, *, pupils_may_write: bool) -> SpaceView:
    view = await get_space(ctx, user, space_id)
    if not view.manageable:
        raise Forbidden()
    view.space.pupils_may_write = pupils_may_write
    await view.space.save(update_fields=["pupils_may_write"])
    user._files_space_access = {}
    return await get_space(ctx, user, space_id)
