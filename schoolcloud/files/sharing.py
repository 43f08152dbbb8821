"""Shares: a file or folder given to users, classes, courses or teams of the same school, read-only or
read-write; "Shared with me"; the recipient search (pupils only find people and groups they already
share a class, course or team with). Access itself is decided in ``permissions.node_access``."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from schoolcloud.accounts.models import Course, Role, SchoolClass, User
from schoolcloud.files import errors
from schoolcloud.files.models import Node
from schoolcloud.files.permissions import (
    Access,
    groups_of,
    received_shares_q,
    require_files_user,
    space_access,
)
from schoolcloud.files.sharing_models import RecipientKind, Share, recipient_key
from schoolcloud.files.tree import load_node, node_still_there, page_bounds
from schoolcloud.privacy import audit
from schoolcloud.teams.models import Team, TeamMember
from schoolcloud.web.errors import AppError, NotFound
from schoolcloud.web.i18n import N_

MAX_SHARED_SEARCH_NODES = 20_000


def outside_school() -> AppError:
    return AppError("share_outside_school", N_("You can only share with people and groups of your own school."),
                    status=422, field="recipient")


def recipient_not_allowed() -> AppError:
    return AppError("recipient_not_allowed", N_("Pupils can only share with people and groups they share a "
                                                "class, course or team with."), status=403, field="recipient")


async def managed_node(user: User, node_id) -> Node:
    """The node, if the user may manage its shares and links: the writers of its space (the owner of a
    personal space; teachers, admins and writing members of a group space). Others get 404 / 403."""
    node, _ = await load_node(user, node_id)
    if await space_access(user, node.space) < Access.WRITE:
        from schoolcloud.web.errors import Forbidden

        raise Forbidden()
    return node


async def co_member_ids(user: User) -> set[int]:
    """Everyone the user shares a class, course or team with (a few queries)."""
    groups = await groups_of(user)
    ids: set[int] = set()
    if groups.class_ids:
        ids |= set(await User.filter(classes__id__in=list(groups.class_ids)).values_list("id", flat=True))
    if groups.course_ids:
        course_ids = list(groups.course_ids)
        ids |= set(await User.filter(attended_courses__id__in=course_ids).values_list("id", flat=True))
        ids |= set(await User.filter(taught_courses__id__in=course_ids).values_list("id", flat=True))
        ids |= set(await User.filter(classes__courses__id__in=course_ids).values_list("id", flat=True))
    if groups.team_ids:
        ids |= set(await TeamMember.filter(team_id__in=list(groups.team_ids)).values_list("user_id", flat=True))
    ids.discard(user.id)
    return ids


async def _recipient(user: User, kind, recipient_id) -> dict:
    """The Share fields for a recipient, after the school and (for pupils) the co-member checks."""
    if kind not in RecipientKind.ALL:
        raise errors.invalid_parameter("recipient.type")
    try:
        recipient_id = int(recipient_id)
    except (TypeError, ValueError):
        raise errors.invalid_parameter("recipient.id") from None
    model = {RecipientKind.USER: User, RecipientKind.CLASS: SchoolClass, RecipientKind.COURSE: Course,
             RecipientKind.TEAM: Team}[kind]
    target = await model.get_or_none(id=recipient_id)
    if target is None or (kind == RecipientKind.USER and not target.active):
        raise NotFound(kind)
    if target.school_id != user.school_id:
        raise outside_school()
    if kind == RecipientKind.USER and target.id == user.id:
        raise AppError("share_with_self", N_("You cannot share with yourself."), status=422, field="recipient")
    if user.role == Role.PUPIL:
        groups = await groups_of(user)
        allowed = {
            RecipientKind.USER: lambda: target.id in co_ids,
            RecipientKind.CLASS: lambda: target.id in groups.class_ids,
            RecipientKind.COURSE: lambda: target.id in groups.course_ids,
            RecipientKind.TEAM: lambda: target.id in groups.team_ids,
        }
        co_ids = await co_member_ids(user) if kind == RecipientKind.USER else set()
        if not allowed[kind]():
            raise recipient_not_allowed()
    field = {RecipientKind.USER: "user_id", RecipientKind.CLASS: "school_class_id",
             RecipientKind.COURSE: "course_id", RecipientKind.TEAM: "team_id"}[kind]
    return {field: target.id}


async def create_share(user: User, node_id, kind, recipient_id, *, can_write: bool = False) -> Share:
    """Share a node; sharing again with the same recipient changes the existing share's access."""
    node = await managed_node(user, node_id)
    fields = await _recipient(user, kind, recipient_id)
    share = await Share.get_or_none(node_id=node.id, **fields)
    if share is None:
        try:
            async with node_still_there(node.id):
                share = await Share.create(school_id=node.space.school_id, node_id=node.id, created_by=user,
                                           recipient_key=recipient_key(kind, *fields.values()),
                                           can_write=bool(can_write), **fields)
        except IntegrityError:
            # The same share was created at this moment by another request (unique node + recipient):
            # answer as for sharing again, with that row.
            share = await Share.get(node_id=node.id, **fields)
    if share.can_write != bool(can_write):
        share.can_write = bool(can_write)
        await share.save(update_fields=["can_write"])
    await audit.record("files.share_create", actor=user, school_id=node.space.school_id, target_type="file_node",
                       target_id=node.id, details={"share": share.id, "recipient": kind,
                                                   "recipient_id": share.recipient_id, "write": share.can_write})
    return share


async def list_shares(user: User, node_id) -> tuple[Node, list[Share]]:
    node = await managed_node(user, node_id)
    return node, await Share.filter(node_id=node.id).order_by("id")


async def _managed_share(user: User, share_id) -> Share:
    require_files_user(user)
    try:
        share = await Share.get_or_none(id=int(share_id), school_id=user.school_id)
    except (TypeError, ValueError):
        share = None
    if share is None:
        raise NotFound("share")
    await managed_node(user, share.node_id)
    return share


async def update_share(user: User, share_id, *, can_write: bool) -> Share:
    """Change a share's access (read-only <-> read-write) in place."""
    share = await _managed_share(user, share_id)
    if share.can_write != bool(can_write):
        share.can_write = bool(can_write)
        await share.save(update_fields=["can_write"])
        await audit.record("files.share_update", actor=user, school_id=share.school_id, target_type="file_node",
                           target_id=share.node_id, details={"share": share.id, "write": share.can_write})
    return share


async def revoke_share(user: User, share_id) -> None:
    share = await _managed_share(user, share_id)
    await share.delete()
    await audit.record("files.share_revoke", actor=user, school_id=share.school_id, target_type="file_node",
                       target_id=share.node_id, details={"share": share.id, "recipient": share.recipient_kind,
                                                          "recipient_id": share.recipient_id})


async def recipient_names(shares: list[Share]) -> dict[tuple[str, int], str]:
    """Display names of the recipients of some shares (one query per kind)."""
    names: dict[tuple[str, int], str] = {}
    for kind, model in ((RecipientKind.USER, User), (RecipientKind.CLASS, SchoolClass),
                        (RecipientKind.COURSE, Course), (RecipientKind.TEAM, Team)):
        ids = {s.recipient_id for s in shares if s.recipient_kind == kind}
        for row in await model.filter(id__in=list(ids)) if ids else []:
            names[(kind, row.id)] = row.display_name if kind == RecipientKind.USER else row.name
    return names


# -- shared with me ------------------------------------------------------------------------------------

@dataclass
class SharedItem:
    node: Node
    access: Access
    shared_by: str
    shared_at: object


@dataclass
class SharedPage:
    items: list[SharedItem]
    offset: int
    limit: int
    has_more: bool


async def _received(user: User) -> list[Share]:
    # Not "exclude(created_by=user)": that would also drop shares whose creator's account was deleted (NULL).
    mine_not = Q(created_by_id__isnull=True) | Q(created_by_id__not=user.id)
    return await Share.filter(await received_shares_q(user), mine_not).order_by("id")


async def shared_with_me(user: User, *, offset=None, limit=None) -> SharedPage:
    """Live nodes shared with the user or their groups, by name, paged (one query for the page)."""
    require_files_user(user)
    offset, limit = page_bounds(offset, limit)
    shares = await _received(user)
    by_node: dict[int, list[Share]] = {}
    for share in shares:
        by_node.setdefault(share.node_id, []).append(share)
    rows = await Node.filter(id__in=list(by_node), trash_key=0).order_by("-kind", "name_key", "id") \
        .offset(offset).limit(limit + 1) if by_node else []
    sharers = {u.id: u.display_name for u in await User.filter(
        id__in=list({s.created_by_id for n in rows for s in by_node[n.id] if s.created_by_id}))} if rows else {}
    items = []
    for node in rows[:limit]:
        node_shares = by_node[node.id]
        first = node_shares[0]
        items.append(SharedItem(node, Access.WRITE if any(s.can_write for s in node_shares) else Access.READ,
                                sharers.get(first.created_by_id, ""), first.created_at))
    return SharedPage(items, offset, limit, len(rows) > limit)


async def visible_path(user: User, node: Node, path: list[Node]) -> list[Node]:
    """Breadcrumbs without the folders above a share: a recipient who reads the node only through a
    share sees the path from the shared node down (nothing of the owner's other folders)."""
    if not path or await space_access(user, node.space) >= Access.READ:
        return path
    shared = set(await Share.filter(await received_shares_q(user), node_id__in=[n.id for n in path])
                 .values_list("node_id", flat=True))
    for index, ancestor in enumerate(path):
        if ancestor.id in shared:
            return path[index:]
    return []


async def shared_node_ids(user: User) -> list[int]:
    """Every live node reachable through a share: the shared nodes and the live subtrees of shared
    folders (level by level, bounded), for search."""
    shares = await _received(user)
    if not shares:
        return []
    roots = await Node.filter(id__in=list({s.node_id for s in shares}), trash_key=0).values_list("id", "kind")
    ids = [node_id for node_id, _ in roots]
    frontier = [node_id for node_id, kind in roots if kind == "folder"]
    while frontier and len(ids) < MAX_SHARED_SEARCH_NODES:
        children = []
        for start in range(0, len(frontier), 500):
            children += await Node.filter(parent_id__in=frontier[start:start + 500], trash_key=0) \
                .values_list("id", "kind")
        ids += [node_id for node_id, _ in children]
        frontier = [node_id for node_id, kind in children if kind == "folder"]
    return ids[:MAX_SHARED_SEARCH_NODES]


# -- recipient search ----------------------------------------------------------------------------------

async def find_recipients(user: User, q, *, limit: int = 20) -> dict:
    """People, classes, courses and teams the user may share with whose name contains ``q``:
    teachers and admins search their whole school, pupils only their co-members and own groups."""
    school_id = require_files_user(user)
    if not isinstance(q, str) or not q.strip():
        raise errors.search_term_missing()
    term = q.strip()[:100]
    people = User.filter(school_id=school_id, active=True, role__in=[Role.PUPIL, Role.TEACHER, Role.SCHOOL_ADMIN]) \
        .filter(Q(given_name__icontains=term) | Q(family_name__icontains=term) | Q(username__icontains=term)) \
        .exclude(id=user.id)
    classes = SchoolClass.filter(school_id=school_id, name__icontains=term)
    courses = Course.filter(school_id=school_id, name__icontains=term)
    teams = Team.filter(school_id=school_id, name__icontains=term)
    if user.role == Role.PUPIL:
        groups = await groups_of(user)
        people = people.filter(id__in=list(await co_member_ids(user)) or [0])
        classes = classes.filter(id__in=list(groups.class_ids) or [0])
        courses = courses.filter(id__in=list(groups.course_ids) or [0])
        teams = teams.filter(id__in=list(groups.team_ids) or [0])
    return {
        "users": [{"type": "user", "id": u.id, "name": u.display_name, "username": u.username, "role": u.role}
                  for u in await people.order_by("family_name", "given_name", "id").limit(limit)],
        "classes": [{"type": "class", "id": c.id, "name": c.name, "school_year": c.school_year}
                    for c in await classes.order_by("-school_year", "name").limit(limit)],
        "courses": [{"type": "course", "id": c.id, "name": c.name, "school_year": c.school_year}
                    for c in await courses.order_by("-school_year", "name").limit(limit)],
        "teams": [{"type": "team", "id": t.id, "name": t.name} for t in await teams.order_by("name").limit(limit)],
    }
