"""Public links: download links for a file or folder, and upload-only "file drop" links for folders.

Every refusal of a public request (unknown token, revoked, expired, node trashed, download limit
reached, missing or wrong password, locked after too many wrong passwords) is the same ``link_unavailable``
404, so a link with a password does not reveal whether it exists. Wrong passwords are counted per link;
``MAX_FAILURES`` in a row lock it for ``LOCKOUT``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

from tortoise.expressions import F, Q

from schoolcloud.accounts.models import User
from schoolcloud.accounts.passwords import MAX_LENGTH, hash_password, verify_password
from schoolcloud.files import errors
from schoolcloud.files.content import add_version, detect_content_type, put_bytes, upload_limit
from schoolcloud.files.context import FilesContext, client_ip
from schoolcloud.files.models import FileVersion, Node, NodeKind, Space
from schoolcloud.files.names import OnConflict, clean_name
from schoolcloud.files.permissions import ancestor_ids, require_files_user
from schoolcloud.files.sharing import managed_node
from schoolcloud.files.sharing_models import LinkMode, PublicLink
from schoolcloud.privacy import audit
from schoolcloud.web.errors import AppError, NotFound
from schoolcloud.web.i18n import N_

MAX_FAILURES = 10
LOCKOUT = timedelta(minutes=15)
TICKET_LIFETIME = timedelta(hours=1)
MAX_LABEL = 100


def now() -> datetime:
    return datetime.now(timezone.utc)


def link_unavailable() -> AppError:
    return AppError("link_unavailable", N_("This link does not exist or is no longer valid, or the password is "
                                           "wrong."), status=404)


# -- managing links (logged in) ------------------------------------------------------------------------

def _parse_expiry(value) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise errors.invalid_parameter("expires_at") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if moment <= now():
        raise AppError("expiry_in_past", N_("The expiry date must be in the future."), status=422,
                       field="expires_at")
    return moment


def _clean_label(value) -> str:
    label = value.strip() if isinstance(value, str) else ("" if value is None else None)
    if label is None or len(label) > MAX_LABEL or any(ord(ch) < 32 for ch in label):
        raise AppError("invalid_link_label", N_("The title may have at most 100 characters."), status=422,
                       field="label")
    return label


async def create_link(user: User, node_id, *, mode=LinkMode.DOWNLOAD, password=None, expires_at=None,
                      max_downloads=None, label=None) -> PublicLink:
    node = await managed_node(user, node_id)
    label = _clean_label(label)
    if mode not in LinkMode.ALL:
        raise errors.invalid_parameter("mode")
    if mode == LinkMode.DROP and not node.is_folder:
        raise errors.not_a_folder()
    if password is not None and (not isinstance(password, str) or not password or len(password) > MAX_LENGTH):
        raise errors.invalid_parameter("password")
    if max_downloads is not None and (isinstance(max_downloads, bool) or not isinstance(max_downloads, int)
                                      or max_downloads < 1):
        raise errors.invalid_parameter("max_downloads")
    link = await PublicLink.create(
        token=secrets.token_urlsafe(32), school_id=node.space.school_id, node_id=node.id, created_by=user,
        mode=mode, label=label,
        password_hash=await asyncio.to_thread(hash_password, password) if password else None,
        expires_at=_parse_expiry(expires_at), max_downloads=max_downloads)
    await audit.record("files.link_create", actor=user, school_id=link.school_id, target_type="file_node",
                       target_id=node.id, details={"link": link.id, "mode": mode, "password": bool(password),
                                                   "max_downloads": max_downloads})
    return link


async def list_links(user: User, node_id) -> list[PublicLink]:
    node = await managed_node(user, node_id)
    return await PublicLink.filter(node_id=node.id).order_by("id")


async def revoke_link(user: User, link_id) -> None:
    require_files_user(user)
    try:
        link = await PublicLink.get_or_none(id=int(link_id), school_id=user.school_id)
    except (TypeError, ValueError):
        link = None
    if link is None:
        raise NotFound("link")
    await managed_node(user, link.node_id)
    await link.delete()
    await audit.record("files.link_revoke", actor=user, school_id=link.school_id, target_type="file_node",
                       target_id=link.node_id, details={"link": link.id})


# -- using links (anyone with the token) --------------------------------------------------------------

class Refusal:
    """Why a link cannot be used. The JSON API answers all of them alike; the HTML pages tell people
    that a link they hold has expired or is used up (so they ask for a new one), and answer everything
    else like an unknown link."""

    UNAVAILABLE = "unavailable"  # unknown, revoked, or its file or folder was deleted
    EXPIRED = "expired"
    USED_UP = "used_up"  # the download limit is reached
    LOCKED = "locked"  # too many wrong passwords


def refusal(link: PublicLink | None, moment: datetime) -> str | None:
    if link is None or link.node.trash_key != 0:
        return Refusal.UNAVAILABLE
    if link.expires_at is not None and link.expires_at <= moment:
        return Refusal.EXPIRED
    if link.mode == LinkMode.DOWNLOAD and link.max_downloads is not None and link.downloads >= link.max_downloads:
        return Refusal.USED_UP
    if link.locked_until is not None and link.locked_until > moment:
        return Refusal.LOCKED
    return None


async def find_link(token) -> PublicLink | None:
    """The link of a token (with its node and space), usable or not; None for malformed or unknown tokens."""
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None
    return await PublicLink.get_or_none(token=token).select_related("node", "node__space")


def _ticket_mac(secret: str, token: str, until: int) -> str:
    return hmac.new(secret.encode(), f"link-ticket:{token}:{until}".encode(), hashlib.sha256).hexdigest()[:40]


def make_ticket(secret: str, token: str) -> str:
    """A short-lived proof that the password of this link was given: lets a browser download with a
    plain link (``?ticket=``), where it cannot send the password header."""
    until = int((now() + TICKET_LIFETIME).timestamp())
    return f"{until}.{_ticket_mac(secret, token, until)}"


def ticket_valid(secret: str, token: str, ticket: str | None) -> bool:
    if not ticket or "." not in ticket:
        return False
    until, _, mac = ticket.partition(".")
    if not until.isdigit() or int(until) < now().timestamp():
        return False
    return hmac.compare_digest(mac, _ticket_mac(secret, token, int(until)))


async def open_link(token: str, password: str | None, *, ticket_ok: bool = False) -> PublicLink:
    """The link with its node and space, or ``link_unavailable`` for every kind of refusal.
    ``ticket_ok``: the request carried a valid ticket for this token instead of the password."""
    link = await find_link(token)
    moment = now()
    if refusal(link, moment) is not None:
        if password:
            await asyncio.to_thread(verify_password, None, password)  # as slow as a real check
        raise link_unavailable()
    if link.password_hash and not ticket_ok:
        if not password:
            raise link_unavailable()
        if not await asyncio.to_thread(verify_password, link.password_hash, password):
            await _count_failure(link, moment)
            raise link_unavailable()
        if link.failed_attempts:
            await PublicLink.filter(id=link.id).update(failed_attempts=0)
    return link


async def _count_failure(link: PublicLink, moment: datetime) -> None:
    await PublicLink.filter(id=link.id).update(failed_attempts=F("failed_attempts") + 1)
    # Whoever pushes the counter to the limit locks the link (a conditional UPDATE: once only).
    await PublicLink.filter(id=link.id, failed_attempts__gte=MAX_FAILURES).update(
        failed_attempts=0, locked_until=moment + LOCKOUT)


async def node_below(link: PublicLink, node_id) -> Node:
    """A live node inside the link's folder (or the linked file itself)."""
    try:
        node_id = int(node_id)
    except (TypeError, ValueError):
        raise link_unavailable() from None
    if node_id == link.node_id:
        return link.node
    node = await Node.get_or_none(id=node_id, space_id=link.node.space_id, trash_key=0)
    if node is None or link.node_id not in await ancestor_ids(node):
        raise link_unavailable()
    return node


async def count_download(link: PublicLink, node: Node) -> None:
    """Take one download from the limit (conditional UPDATE: concurrent requests cannot exceed it)."""
    query = PublicLink.filter(id=link.id)
    if link.max_downloads is not None:
        query = query.filter(Q(downloads__lt=link.max_downloads))
    if not await query.update(downloads=F("downloads") + 1):
        raise link_unavailable()
    await audit.record("files.link_download", school_id=link.school_id, target_type="file_node",
                       target_id=node.id, details={"link": link.id}, ip=client_ip.get())


async def current_version(node: Node) -> FileVersion:
    if node.kind != NodeKind.FILE:
        raise errors.not_a_file()
    version = await FileVersion.filter(node_id=node.id).order_by("-id").first()
    if version is None:
        raise link_unavailable()
    return version


async def drop_upload(ctx: FilesContext, link: PublicLink, name, chunks: AsyncIterator[bytes], *,
                      content_type: str | None, declared_size: int | None) -> Node:
    """Store an upload into the drop folder under a free name (auto-renamed on collision), charged to the
    folder's space quota. Nothing of what others uploaded is revealed."""
    if link.mode != LinkMode.DROP:
        raise link_unavailable()
    name = clean_name(name)
    folder = link.node
    space = await Space.get(id=folder.space_id)
    limit, too_large = await upload_limit(ctx, space)
    if declared_size is not None and declared_size > limit:
        raise too_large
    obj = await put_bytes(ctx, chunks, limit, too_large)
    node, _ = await add_version(ctx, None, folder, name, obj, detect_content_type(name, content_type),
                                on_conflict=OnConflict.RENAME)
    await PublicLink.filter(id=link.id).update(uploads=F("uploads") + 1)
    await audit.record("files.drop_upload", school_id=link.school_id, target_type="file_node", target_id=node.id,
                       details={"link": link.id, "size": node.size}, ip=client_ip.get())
    return node
