"""Public links: download links for a file or folder, and upload-only "file drop" links for folders.

Every refusal of a public request (unknown token, revoked, node trashed, missing or wrong password,
locked after too many wrong passwords) is the same ``link_unavailable`` 404, so a link with a password
does not reveal whether it exists. Expired and used-up links answer 410 (``link_expired``,
``link_used_up``), so people know to ask for a new link; one with a password only after the right
password (or a ticket): before that it answers like an unknown link. Wrong passwords are counted per link (``MAX_FAILURES`` in a row lock it
for ``LOCKOUT``) and per client address across all links, with the login throttle's counters
(``ADDRESS_RULE``; a password sent to an unknown link counts too, so the two still look alike).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import hmac
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import User
from schoolcloud.accounts.passwords import MAX_LENGTH, hash_password, verify_password
from schoolcloud.files import errors
from schoolcloud.files.content import add_version, detect_content_type, discard, put_bytes, upload_limit
from schoolcloud.files.context import FilesContext, client_ip
from schoolcloud.files.models import FileVersion, Node, NodeKind, Space, TusUpload
from schoolcloud.files.names import OnConflict, clean_name
from schoolcloud.files.permissions import ancestor_ids, require_files_user
from schoolcloud.files.sharing import managed_node
from schoolcloud.files.sharing_models import LinkMode, PublicLink
from schoolcloud.files.tree import node_still_there
from schoolcloud.files.tus import remove_upload_rows
from schoolcloud.idp.throttle import Rule, Throttle
from schoolcloud.privacy import audit
from schoolcloud.web.errors import AppError, NotFound
from schoolcloud.web.i18n import N_

MAX_FAILURES = 10
LOCKOUT = timedelta(minutes=15)
TICKET_LIFETIME = timedelta(hours=1)
MAX_LABEL = 100
# Wrong link passwords from one address, over all links: generous for a school behind one NAT address,
# a wall for guessing across many links. The lock doubles with each failure beyond the limit.
ADDRESS_RULE = Rule("link-ip", 50, timedelta(minutes=15), timedelta(minutes=5))


def now() -> datetime:
    return datetime.now(timezone.utc)


def link_unavailable() -> AppError:
    return AppError("link_unavailable", N_("This link does not exist or is no longer valid, or the password is "
                                           "wrong."), status=404)


def link_gone(reason: str) -> AppError:
    if reason == Refusal.EXPIRED:
        return AppError("link_expired", N_("This link has expired. Please ask the person who sent it to you for a "
                                           "new link."), status=410)
    return AppError("link_used_up", N_("This link has been used up: it may only be used a limited number of times. "
                                       "Please ask the person who sent it to you for a new link."), status=410)


def too_many_tries(until: datetime) -> AppError:
    error = AppError("link_password_throttled", N_("Too many wrong link passwords from your network. Please try "
                                                   "again after %(time)s UTC."), status=429,
                     time=until.strftime("%H:%M"))
    error.headers = {"Retry-After": str(max(1, math.ceil((until - now()).total_seconds())))}
    return error


REFUSAL_CODES = ("link_unavailable", "link_expired", "link_used_up")


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
    password_hash = await asyncio.to_thread(hash_password, password) if password else None
    async with node_still_there(node.id):
        link = await PublicLink.create(
            token=secrets.token_urlsafe(32), school_id=node.space.school_id, node_id=node.id, created_by=user,
            mode=mode, label=label, password_hash=password_hash, expires_at=_parse_expiry(expires_at),
            max_downloads=max_downloads)
    await audit.record("files.link_create", actor=user, school_id=link.school_id, target_type="file_node",
                       target_id=node.id, details={"link": link.id, "mode": mode, "password": bool(password),
                                                   "max_downloads": max_downloads})
    return link


async def list_links(user: User, node_id) -> list[PublicLink]:
    node = await managed_node(user, node_id)
    return await PublicLink.filter(node_id=node.id).order_by("id")


async def revoke_link(ctx: FilesContext, user: User, link_id) -> None:
    require_files_user(user)
    try:
        link = await PublicLink.get_or_none(id=int(link_id), school_id=user.school_id)
    except (TypeError, ValueError):
        link = None
    if link is None:
        raise NotFound("link")
    await managed_node(user, link.node_id)
    async with in_transaction() as conn:
        # A drop link's unfinished resumable uploads go with it (their parts too); one being finished
        # right now either claimed its row first (the file stays) or finds it gone (410 tus_removed).
        _, keys = await remove_upload_rows(conn, TusUpload.filter(link_id=link.id, completed_at=None))
        await PublicLink.filter(id=link.id).using_db(conn).delete()
    await discard(ctx, *keys)
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


GONE = (Refusal.EXPIRED, Refusal.USED_UP)


def refusal(link: PublicLink | None, moment: datetime) -> str | None:
    if link is None or link.node.trash_key != 0:
        return Refusal.UNAVAILABLE
    if link.expires_at is not None and link.expires_at <= moment:
        return Refusal.EXPIRED
    if link.mode == LinkMode.DOWNLOAD and link.max_downloads is not None and link.downloads >= link.max_downloads:
        return Refusal.USED_UP
    if _locked(link, moment):
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


async def open_link(token: str, password: str | None, *, ticket_ok: bool = False,
                    throttle: Throttle | None = None, ip: str | None = None) -> PublicLink:
    """The link with its node and space; ``link_expired`` / ``link_used_up`` (410) for a link past its
    end (with a password: only after the right one), ``link_unavailable`` (404) for every other refusal, ``link_password_throttled`` (429) while the
    address ``ip`` is locked for wrong passwords (checked before the token is even looked up).
    ``ticket_ok``: the request carried a valid ticket for this token instead of the password."""
    address_key = f"{ADDRESS_RULE.prefix}:{ip}" if throttle is not None and ip and password else None
    if address_key is not None:
        until = await throttle.key_locked_until(address_key)
        if until is not None:
            raise too_many_tries(until)

    async def wrong_password() -> AppError:
        if address_key is not None:
            await throttle.count(ADDRESS_RULE, address_key)
        return link_unavailable()

    link = await find_link(token)
    moment = now()
    reason = refusal(link, moment)
    if reason in GONE and (not link.password_hash or ticket_ok):
        raise link_gone(reason)  # whoever may use the link learns that it ran out, and asks for a new one
    if reason in (Refusal.UNAVAILABLE, Refusal.LOCKED) or (reason in GONE and _locked(link, moment)):
        if password:
            await asyncio.to_thread(verify_password, None, password)  # as slow as a real check
            raise await wrong_password()
        raise link_unavailable()
    if link.password_hash and not ticket_ok:
        # An expired or used-up link with a password gets here too: without the right password it
        # answers like an unknown link (the same 404, after the same one hash), so the token alone
        # does not tell that a link existed.
        if not password:
            raise link_unavailable()
        if not await asyncio.to_thread(verify_password, link.password_hash, password):
            await _count_failure(link, moment)
            raise await wrong_password()
        if link.failed_attempts:
            await PublicLink.filter(id=link.id).update(failed_attempts=0)
    if reason is not None:
        raise link_gone(reason)
    return link


def _locked(link: PublicLink, moment: datetime) -> bool:
    return link.locked_until is not None and link.locked_until > moment


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
        raise link_gone(Refusal.USED_UP)  # the last download went to a concurrent request
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
    obj = await put_bytes(ctx, chunks, limit, too_large, school_id=space.school_id)
    node, _ = await add_version(ctx, None, folder, name, obj, detect_content_type(name, content_type),
                                on_conflict=OnConflict.RENAME)
    await record_drop(link, node)
    return node


async def record_drop(link: PublicLink, node: Node, **details) -> None:
    """Count a finished drop upload on its link, and audit it (with the truncated address)."""
    await PublicLink.filter(id=link.id).update(uploads=F("uploads") + 1)
    await audit.record("files.drop_upload", school_id=link.school_id, target_type="file_node", target_id=node.id,
                       details={"link": link.id, "size": node.size, **details}, ip=client_ip.get())
