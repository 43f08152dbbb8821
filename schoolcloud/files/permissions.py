"""Who may read and write which files: the one place every files service asks.

Rules (issue 3):
- personal space: only its owner;
- class space: school admins of the school and teachers who are members of the class write; pupils of
  the class read, and write when the space's ``pupils_may_write`` is set;
- course space: school admins and the course's teachers write; the course's pupils (directly or through
  one of the course's classes) read, and write when ``pupils_may_write`` is set (default for courses);
- team space: the team's members and the school's admins write;
- shares: a share on the node or one of its ancestors (to the user, or to a class, course or team the
  user belongs to) raises the access the space alone gives to read or write (``node_access``);
- nobody reaches anything of another school; operators (no school) have no files.

Services refuse with 404 when a user may not even read (no hint that the entry exists) and with 403
when they may read but not write.
"""

from __future__ import annotations

from enum import IntEnum

from dataclasses import dataclass

from tortoise.expressions import Q

from schoolcloud.accounts.models import Course, Role, SchoolClass, User
from schoolcloud.files.errors import no_files_for_role
from schoolcloud.files.models import Node, Space, SpaceKind
from schoolcloud.files.sharing_models import Share
from schoolcloud.teams.models import TeamMember
from schoolcloud.web.errors import Forbidden, NotFound


class Access(IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2


def require_files_user(user: User) -> int:
    """The school whose files the user works in; accounts without a school (operators) have none."""
    if not user.active or user.school_id is None:
        raise no_files_for_role()
    return user.school_id


def _cache(user: User) -> dict[int, Access]:
    # Per request: the user object lives as long as the request (request.state.user).
    cache = getattr(user, "_files_space_access", None)
    if cache is None:
        cache = {}
        user._files_space_access = cache
    return cache


async def space_access(user: User, space: Space) -> Access:
    cache = _cache(user)
    if space.id in cache:
        return cache[space.id]
    access = await _space_access(user, space)
    cache[space.id] = access
    return access


async def _space_access(user: User, space: Space) -> Access:
    if not user.active or user.school_id is None or space.school_id != user.school_id:
        return Access.NONE
    if space.kind == SpaceKind.PERSONAL:
        return Access.WRITE if space.owner_id == user.id else Access.NONE
    if space.kind == SpaceKind.TASK_RECORDS:  # served only by the tasks' rules (tasks/access.py)
        return Access.NONE
    if user.role == Role.SCHOOL_ADMIN:
        return Access.WRITE
    pupil_access = Access.WRITE if space.pupils_may_write else Access.READ
    if space.kind == SpaceKind.CLASS:
        if not await SchoolClass.filter(id=space.school_class_id, members__id=user.id).exists():
            return Access.NONE
        return Access.WRITE if user.role == Role.TEACHER else pupil_access
    if space.kind == SpaceKind.COURSE:
        if user.role == Role.TEACHER:
            if await Course.filter(id=space.course_id, teachers__id=user.id).exists():
                return Access.WRITE
            return Access.NONE
        if user.role == Role.PUPIL and await is_course_pupil(user, space.course_id):
            return pupil_access
    if space.kind == SpaceKind.TEAM:
        if await TeamMember.filter(team_id=space.team_id, user_id=user.id).exists():
            return Access.WRITE
    return Access.NONE


async def is_course_pupil(user: User, course_id: int) -> bool:
    return (await Course.filter(id=course_id, pupils__id=user.id).exists()
            or await Course.filter(id=course_id, classes__members__id=user.id).exists())


@dataclass(frozen=True)
class Groups:
    """The classes, courses and teams a user belongs to (what shares can be addressed to)."""

    class_ids: frozenset[int]
    course_ids: frozenset[int]
    team_ids: frozenset[int]


async def groups_of(user: User) -> Groups:
    """Cached per request on the user object: three or four small queries."""
    cached = getattr(user, "_files_groups", None)
    if cached is not None:
        return cached
    class_ids = set(await SchoolClass.filter(members__id=user.id).values_list("id", flat=True))
    if user.role == Role.TEACHER:
        course_ids = set(await Course.filter(teachers__id=user.id).values_list("id", flat=True))
    else:
        course_ids = set(await Course.filter(pupils__id=user.id).values_list("id", flat=True))
        if class_ids:
            course_ids |= set(await Course.filter(classes__id__in=list(class_ids)).values_list("id", flat=True))
    team_ids = set(await TeamMember.filter(user_id=user.id).values_list("team_id", flat=True))
    groups = Groups(frozenset(class_ids), frozenset(course_ids), frozenset(team_ids))
    user._files_groups = groups
    return groups


async def received_shares_q(user: User) -> Q:
    """Shares addressed to the user directly or to one of their groups (same school only)."""
    groups = await groups_of(user)
    recipient = Q(user_id=user.id)
    if groups.class_ids:
        recipient |= Q(school_class_id__in=list(groups.class_ids))
    if groups.course_ids:
        recipient |= Q(course_id__in=list(groups.course_ids))
    if groups.team_ids:
        recipient |= Q(team_id__in=list(groups.team_ids))
    return Q(recipient, school_id=user.school_id)


async def _has_received_shares(user: User) -> bool:
    cached = getattr(user, "_files_has_shares", None)
    if cached is None:
        cached = await Share.filter(await received_shares_q(user)).exists()
        user._files_has_shares = cached
    return cached


async def ancestor_ids(node: Node) -> list[int]:
    """The node's id and those of all its ancestors (one small query per level)."""
    ids = [node.id]
    parent_id = node.parent_id
    while parent_id is not None and parent_id not in ids:
        ids.append(parent_id)
        parent_id = await Node.filter(id=parent_id).first().values_list("parent_id", flat=True)
    return ids


async def share_access(user: User, node: Node) -> Access:
    """What shares on the node or its ancestors give the user (one query after the ancestor walk)."""
    if not user.active or user.school_id is None or node.space.school_id != user.school_id:
        return Access.NONE
    if not await _has_received_shares(user):
        return Access.NONE
    rows = await Share.filter(await received_shares_q(user), node_id__in=await ancestor_ids(node)) \
        .values_list("can_write", flat=True)
    if not rows:
        return Access.NONE
    return Access.WRITE if any(rows) else Access.READ


async def node_access(user: User, node: Node) -> Access:
    """Access to one node (``node.space`` must be fetched): the space's, raised by shares."""
    access = await space_access(user, node.space)
    if access == Access.WRITE:
        return access
    return max(access, await share_access(user, node))


async def can_read(user: User, node: Node) -> bool:
    return await node_access(user, node) >= Access.READ


async def can_write(user: User, node: Node) -> bool:
    return await node_access(user, node) >= Access.WRITE


async def require_read(user: User, node: Node) -> Access:
    access = await node_access(user, node)
    if access < Access.READ:
        raise NotFound("file")
    return access


async def require_write(user: User, node: Node) -> None:
    access = await require_read(user, node)
    if access < Access.WRITE:
        raise Forbidden()


async def require_space_write(user: User, space: Space) -> None:
    access = await space_access(user, space)
    if access < Access.READ:
        raise NotFound("space")
    if access < Access.WRITE:
        raise Forbidden()


def may_manage_space(user: User, access: Access, space: Space) -> bool:
    """Change the space's settings (pupils may write): its writers except pupils."""
    return access == Access.WRITE and space.kind != SpaceKind.PERSONAL and user.role != Role.PUPIL
