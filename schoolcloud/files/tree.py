"""The folder tree: finding nodes with permission checks, listing, folders, rename and move, search."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schoolcloud import rows
from schoolcloud.accounts.models import User
from schoolcloud.files import errors
from schoolcloud.files.context import FilesContext
from schoolcloud.files.models import FileVersion, Node, NodeKind, Space
from schoolcloud.files.names import OnConflict, candidates, clean_name, name_key
from schoolcloud.files.permissions import Access, require_files_user, require_read, require_write
from schoolcloud.files.serialize import node_json
from schoolcloud.files.spaces import charge, lock_spaces, now, release, space_quota
from schoolcloud.web.errors import NotFound

T = TypeVar("T")
MAX_PAGE = 500
SORTS = {
    # Folders first ("folder" > "file"), then the chosen column; the id keeps pages stable.
    "name": ("name_key",),
    "modified": ("modified_at",),
    "size": ("size",),
}


# -- finding nodes ----------------------------------------------------------------------------------

async def load_node(user: User, node_id: int | str, *, trashed: bool = False) -> tuple[Node, Access]:
    """The node with its space, if the user may read it; trashed nodes only when ``trashed``."""
    require_files_user(user)
    try:
        node_id = int(node_id)
    except (TypeError, ValueError):
        raise NotFound("file") from None
    node = await _node_with_space(node_id)
    if node is None or (node.is_trashed and not trashed):
        raise NotFound("file")
    access = await require_read(user, node)
    return node, access


async def writable_node(user: User, node_id: int | str, *, trashed: bool = False) -> Node:
    node, _ = await load_node(user, node_id, trashed=trashed)
    await require_write(user, node)
    return node


async def readable_folder(user: User, folder_id: int | str) -> tuple[Node, Access]:
    folder, access = await load_node(user, folder_id)
    if not folder.is_folder:
        raise errors.not_a_folder()
    return folder, access


async def writable_folder(user: User, folder_id: int | str) -> Node:
    folder, _ = await readable_folder(user, folder_id)
    await require_write(user, folder)
    return folder


async def path_of(node: Node) -> list[Node]:
    """Ancestors from the space's root down to the node's parent (for breadcrumbs and cycle checks)."""
    chain: list[Node] = []
    parent_id = node.parent_id
    seen = set()
    while parent_id is not None and parent_id not in seen:
        seen.add(parent_id)
        parent = await Node.get(id=parent_id)
        chain.append(parent)
        parent_id = parent.parent_id
    return list(reversed(chain))


async def _node_with_space(node_id: int) -> Node | None:
    """One query, run for nearly every files request; written by hand for speed (see schoolcloud.rows)."""
    found = await rows.fetch_one(
        f"SELECT {rows.columns(Node, 'n')}, {rows.columns(Space, 's')} FROM {Node._meta.db_table} n "
        f"JOIN {Space._meta.db_table} s ON s.id = n.space_id WHERE n.id = ?", node_id)
    if found is None:
        return None
    node = rows.hydrate(Node, found, "n")
    rows.attach(node, "space", rows.hydrate(Space, found, "s"))
    return node


async def live_child(parent_id: int, name: str, conn=None) -> Node | None:
    # Checked before every upload and new folder: hand-written for speed (see schoolcloud.rows).
    found = await rows.fetch_one(
        f"SELECT {rows.columns(Node, 'n')} FROM {Node._meta.db_table} n "
        "WHERE n.parent_id = ? AND n.trash_key = 0 AND n.name_key = ? LIMIT 1", parent_id, name_key(name),
        connection=conn)
    return rows.hydrate(Node, found, "n") if found else None


async def choose_name(parent: Node, name: str, kind: str, on_conflict: str, conn=None) -> tuple[str, Node | None]:
    """The name to use under ``parent`` and, for ``overwrite``, the existing file to add a version to.

    Raises NameConflict (409, with the existing entry) for ``fail`` or when a folder is in the way.
    """
    existing = await live_child(parent.id, name, conn)
    if existing is None:
        return name, None
    if on_conflict == OnConflict.OVERWRITE and kind == NodeKind.FILE and existing.kind == NodeKind.FILE:
        return name, existing
    if on_conflict == OnConflict.RENAME:
        start = 2
        while start < 10_000:
            batch = candidates(name, kind == NodeKind.FOLDER, start=start)
            query = Node.filter(parent_id=parent.id, trash_key=0, name_key__in=[name_key(n) for n in batch])
            taken = set(await (query.using_db(conn) if conn else query).values_list("name_key", flat=True))
            for candidate in batch:
                if name_key(candidate) not in taken:
                    return candidate, None
            start += len(batch)
    raise errors.NameConflict(node_json(existing))


async def ensure_live(conn, folder_id: int) -> None:
    """Inside a transaction: the target folder was not trashed since it was checked (else an entry
    would appear inside the trash as if it were live)."""
    if not await Node.filter(id=folder_id, trash_key=0).using_db(conn).exists():
        raise errors.deleted_meanwhile()


async def touch_live_folder(conn, folder_id: int, stamp) -> None:
    """Inside a transaction: set the folder's ``modified_at`` and make sure it was not trashed since it
    was checked, in one conditional UPDATE (what ``ensure_live`` plus a separate update would do)."""
    sql = f"UPDATE {Node._meta.db_table} SET modified_at = ? WHERE id = ? AND trash_key = 0"
    if not await rows.execute(conn, sql, rows.db_value(Node, "modified_at", stamp), folder_id):
        raise errors.deleted_meanwhile()


@contextlib.asynccontextmanager
async def node_still_there(node_id: int):
    """Around an INSERT that points at a node (a share, a link, an upload): if the node was deleted after
    the request checked it (with its team, on PostgreSQL between the check and the insert), the foreign
    key refuses the row; answer 404 as for a node that was never there instead of a 500."""
    try:
        yield
    except IntegrityError:
        if await Node.filter(id=node_id, trash_key=0).exists():
            raise
        raise errors.deleted_meanwhile() from None


async def retry_on_collision(work: Callable[[], Awaitable[T]], attempts: int = 5) -> T:
    """Run a transaction that checks a name first; when a concurrent request took the name between
    the check and the insert (unique index), check again: ``fail`` then answers 409, ``rename`` picks
    the next number."""
    for attempt in range(attempts):
        try:
            return await work()
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def as_id(value, field: str) -> int:
    if isinstance(value, bool):
        raise errors.invalid_parameter(field)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise errors.invalid_parameter(field) from None
    if number <= 0:
        raise errors.invalid_parameter(field)
    return number


def parse_on_conflict(value: str | None, allowed: tuple[str, ...] = (OnConflict.FAIL, OnConflict.RENAME)) -> str:
    value = value or OnConflict.FAIL
    if value not in allowed:
        raise errors.invalid_parameter("on_conflict")
    return value


# -- listing ----------------------------------------------------------------------------------------

@dataclass
class Listing:
    folder: Node
    access: Access
    items: list[Node]
    offset: int
    limit: int
    has_more: bool
    path: list[Node]


def page_bounds(offset, limit, default: int = 100) -> tuple[int, int]:
    try:
        offset = int(offset) if offset not in (None, "") else 0
        limit = int(limit) if limit not in (None, "") else default
    except (TypeError, ValueError):
        raise errors.invalid_parameter("offset/limit") from None
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise errors.invalid_parameter("offset/limit")
    return offset, limit


def children_query(folder_id: int, sort: str = "name", order: str = "asc"):
    """ONE query on the index (parent_id, trash_key, kind, name_key): live children, folders first."""
    if sort not in SORTS:
        raise errors.invalid_parameter("sort")
    if order not in ("asc", "desc"):
        raise errors.invalid_parameter("order")
    columns = [*SORTS[sort], "id"]
    if order == "desc":
        columns = [f"-{c}" for c in columns]
    return Node.filter(parent_id=folder_id, trash_key=0).order_by("-kind", *columns)


async def list_children(user: User, folder_id, *, offset=None, limit=None, sort: str = "name",
                        order: str = "asc") -> Listing:
    folder, access = await readable_folder(user, folder_id)
    offset, limit = page_bounds(offset, limit)
    rows = await children_query(folder.id, sort, order).offset(offset).limit(limit + 1)
    return Listing(folder, access, rows[:limit], offset, limit, len(rows) > limit, await path_of(folder))


# -- folders, rename, move -------------------------------------------------------------------------

async def create_folder(user: User, parent_id, name, *, on_conflict: str = OnConflict.FAIL) -> Node:
    name = clean_name(name)
    parent = await writable_folder(user, parent_id)

    async def work() -> Node:
        async with in_transaction() as conn:
            # The space's row first, as an upload's charge and a team's deletion take it: without it the
            # insert held the parent's key lock while waiting for the space's, and the team's deletion
            # the space's while waiting to delete the parent (a deadlock on PostgreSQL, a 500).
            await lock_spaces(conn, parent.space_id)
            await ensure_live(conn, parent.id)
            chosen, _ = await choose_name(parent, name, NodeKind.FOLDER, on_conflict, conn)
            stamp = now()
            folder = await Node.create(using_db=conn, space_id=parent.space_id, parent_id=parent.id,
                                       kind=NodeKind.FOLDER, name=chosen, name_key=name_key(chosen),
                                       created_by=user, modified_at=stamp)
            await Node.filter(id=parent.id).using_db(conn).update(modified_at=stamp)
            return folder

    return await retry_on_collision(work)


async def live_subtree(root: Node) -> list[Node]:
    """The node and every live node below it, parents before children."""
    nodes = [root]
    frontier = [root.id] if root.is_folder else []
    while frontier:
        children = []
        for start in range(0, len(frontier), 500):
            children += await Node.filter(parent_id__in=frontier[start:start + 500], trash_key=root.trash_key)
        nodes += children
        frontier = [c.id for c in children if c.is_folder]
    return nodes


async def subtree_ids(root_id: int, conn=None) -> list[int]:
    """The node and everything below it, live or trashed."""
    ids = [root_id]
    frontier = [root_id]
    while frontier:
        children = []
        for start in range(0, len(frontier), 500):
            children += await Node.filter(parent_id__in=frontier[start:start + 500]).using_db(conn) \
                .values_list("id", flat=True)
        ids += children
        frontier = children
    return ids


async def version_bytes(node_ids: list[int]) -> int:
    total = 0
    for start in range(0, len(node_ids), 500):
        sizes = await FileVersion.filter(node_id__in=node_ids[start:start + 500]).values_list("size", flat=True)
        total += sum(sizes)
    return total


async def check_not_inside(node: Node, target: Node) -> None:
    """Refuse moving or copying a folder into itself or one of its descendants."""
    if target.id == node.id or any(a.id == node.id for a in await path_of(target)):
        raise errors.move_into_itself()


async def update_node(ctx: FilesContext, user: User, node_id, *, name=None, parent_id=None,
                      on_conflict: str = OnConflict.FAIL) -> Node:
    """Rename and/or move a node (a move into another space carries its bytes over to that quota)."""
    node = await writable_node(user, node_id)
    if node.parent_id is None:
        raise errors.root_folder()
    new_name = clean_name(name) if name is not None else node.name
    if parent_id is not None and as_id(parent_id, "parent_id") != node.parent_id:
        target = await writable_folder(user, parent_id)
        await check_not_inside(node, target)
    else:
        target = await Node.get(id=node.parent_id).select_related("space")
    if target.id == node.parent_id and name_key(new_name) == node.name_key:
        if new_name != node.name:  # only the case changes
            await Node.filter(id=node.id).update(name=new_name)
            node.name = new_name
        return node
    moving_space = target.space_id != node.space_id
    ids = await subtree_ids(node.id) if moving_space else [node.id]
    size = await version_bytes(ids) if moving_space else 0
    quota = await space_quota(ctx, target.space) if moving_space else 0

    async def work() -> Node:
        async with in_transaction() as conn:
            await ensure_live(conn, target.id)
            chosen, _ = await choose_name(target, new_name, node.kind, on_conflict, conn)
            if moving_space:
                await lock_spaces(conn, target.space_id, node.space_id)
                await charge(conn, target.space, quota, size)
                await release(conn, node.space_id, size)
                for start in range(0, len(ids), 500):
                    await Node.filter(id__in=ids[start:start + 500]).using_db(conn).update(space_id=target.space_id)
            await Node.filter(id=node.id).using_db(conn).update(parent_id=target.id, name=chosen,
                                                                 name_key=name_key(chosen))
            if target.id != node.parent_id:
                stamp = now()
                await Node.filter(id__in=[target.id, node.parent_id]).using_db(conn).update(modified_at=stamp)
            return await Node.get(id=node.id).using_db(conn)

    return await retry_on_collision(work)


# -- search -----------------------------------------------------------------------------------------

@dataclass
class SearchResult:
    items: list[Node]
    offset: int
    limit: int
    has_more: bool


async def search(ctx: FilesContext, user: User, q, *, offset=None, limit=None) -> SearchResult:
    """Live files and folders whose name contains ``q`` (case-insensitive), in every space the user
    may read and below everything shared with them."""
    from tortoise.expressions import Q

    from schoolcloud.files.sharing import shared_node_ids
    from schoolcloud.files.spaces import visible_spaces

    if not isinstance(q, str) or not q.strip():
        raise errors.search_term_missing()
    offset, limit = page_bounds(offset, limit, default=50)
    space_ids = [view.space.id for view in await visible_spaces(ctx, user)]
    where = Q(space_id__in=space_ids)
    shared_ids = await shared_node_ids(user)
    if shared_ids:
        where |= Q(id__in=shared_ids)
    rows = await Node.filter(where, trash_key=0, parent_id__not_isnull=True,
                             name_key__contains=name_key(q.strip())) \
        .order_by("name_key", "id").offset(offset).limit(limit + 1)
    return SearchResult(rows[:limit], offset, limit, len(rows) > limit)
