"""Access and portability (Art. 15, 20 GDPR): everything stored about a person, gathered for the ZIP.

``gather`` returns ``data.json`` (schema: privacy/EXPORT.md) and the stored objects that go into the
archive (the personal space's files, hand-ins and released feedback). The archive is written by a
background job (export_jobs.py); requests, progress and downloads: export_archive.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.expressions import Q

from schoolcloud.accounts.models import School, User
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.services_users import school_user
from schoolcloud.auth.models import LoginSession
from schoolcloud.files.models import FileVersion, Node, Space, SpaceKind
from schoolcloud.files.sharing_models import PublicLink, Share
from schoolcloud.privacy import export_content as content
from schoolcloud.privacy.export_content import ArchiveFile, Paths, safe
from schoolcloud.privacy.export_content import iso as _iso
from schoolcloud.privacy.models import AuditEvent, Consent
from schoolcloud.teams.models import TeamMember
from schoolcloud.web.errors import Forbidden

log = logging.getLogger(__name__)
SCHEMA_VERSION = 2




async def subject_for(actor: User, user_id=None) -> User:
    """Whose data: the actor's own, or (school admins) an account of their school."""
    if user_id is None:
        if not actor.active:
            raise Forbidden()
        return actor
    require_school_admin(actor)
    return await school_user(actor, user_id)


@dataclass
class FileItem:
    path: str
    node: Node
    version: FileVersion | None


async def _account(user: User) -> dict:
    school = await School.get_or_none(id=user.school_id) if user.school_id else None
    return {
        "id": str(user.public_id), "username": user.username, "given_name": user.given_name,
        "family_name": user.family_name, "email": user.email, "birth_date": _iso(user.birth_date),
        "role": user.role, "active": user.active, "must_change_password": user.must_change_password,
        "external_login": user.external_issuer or None, "created_at": _iso(user.created_at),
        "updated_at": _iso(user.updated_at),
        "school": {"name": school.name, "school_number": school.school_number, "state": school.state}
        if school else None,
    }


async def _memberships(user: User) -> dict:
    await user.fetch_related("classes", "attended_courses", "taught_courses")
    teams = await TeamMember.filter(user_id=user.id).prefetch_related("team")
    return {
        "classes": [{"name": c.name, "school_year": c.school_year, "grade_level": c.grade_level}
                    for c in user.classes],
        "courses_attended": [{"name": c.name, "subject": c.subject, "school_year": c.school_year}
                             for c in user.attended_courses],
        "courses_taught": [{"name": c.name, "subject": c.subject, "school_year": c.school_year}
                           for c in user.taught_courses],
        "teams": [{"name": m.team.name, "role": m.role, "since": _iso(m.created_at)} for m in teams],
    }


async def _recipient(share: Share) -> dict:
    for kind, attr in (("user", "user"), ("class", "school_class"), ("course", "course"), ("team", "team")):
        if getattr(share, f"{attr}_id"):
            target = await getattr(share, attr)
            name = target.display_name if kind == "user" else target.name
            return {"type": kind, "name": name}
    return {"type": "unknown", "name": ""}


async def _shares(user: User) -> dict:
    made = await Share.filter(created_by_id=user.id).prefetch_related("node").order_by("id")
    received = await Share.filter(user_id=user.id).prefetch_related("node", "created_by").order_by("id")
    links = await PublicLink.filter(created_by_id=user.id).prefetch_related("node").order_by("id")
    return {
        "shares_made": [{"name": s.node.name, "recipient": await _recipient(s),
                         "access": "write" if s.can_write else "read", "created_at": _iso(s.created_at)}
                        for s in made],
        "shares_received": [{"name": s.node.name, "from": s.created_by.display_name if s.created_by else None,
                             "access": "write" if s.can_write else "read", "created_at": _iso(s.created_at)}
                            for s in received],
        "public_links": [{"name": link.node.name, "mode": link.mode, "password": bool(link.password_hash),
                          "expires_at": _iso(link.expires_at), "max_downloads": link.max_downloads,
                          "downloads": link.downloads, "created_at": _iso(link.created_at)} for link in links],
    }


async def _audit(user: User) -> list[dict]:
    me = str(user.public_id)
    events = await AuditEvent.filter(Q(actor=me) | Q(target_id=me)).order_by("id")
    return [{"id": e.id, "created_at": _iso(e.created_at), "action": e.action,
             "actor": "self" if e.actor == me else (e.actor or None), "target_type": e.target_type,
             "target_id": e.target_id, "ip": e.ip, "details": e.details} for e in events]


async def _sessions(user: User) -> list[dict]:
    rows = await LoginSession.filter(user_id=user.id).order_by("created_at")
    return [{"created_at": _iso(s.created_at), "last_seen_at": _iso(s.last_seen_at),
             "expires_at": _iso(s.expires_at)} for s in rows]


async def personal_files(user: User) -> list[FileItem]:
    """Every file of the personal space (trash included) with its path in the archive and its current
    version: live files under files/, trashed ones under trash/<entry>/ (they still exist until purged)."""
    space = await Space.get_or_none(owner_id=user.id, kind=SpaceKind.PERSONAL)
    if space is None:
        return []
    nodes = {n.id: n for n in await Node.filter(space_id=space.id)}
    latest: dict[int, FileVersion] = {}
    file_ids = [n.id for n in nodes.values() if not n.is_folder]
    for start in range(0, len(file_ids), 500):
        for version in await FileVersion.filter(node_id__in=file_ids[start:start + 500]).order_by("id"):
            latest[version.node_id] = version

    def path(node: Node) -> str:
        parts = []
        while node.parent_id is not None:
            parts.append(safe(node.name))
            node = nodes[node.parent_id]
        return "/".join(reversed(parts))

    items, used = [], set()
    for node_id in sorted(file_ids):
        node = nodes[node_id]
        name = f"trash/{node.trash_key}/{path(node)}" if node.is_trashed else f"files/{path(node)}"
        if name.lower() in used:
            name = f"{name} ({node.id})"
        used.add(name.lower())
        items.append(FileItem(name, node, latest.get(node.id)))
    return items


def _file_json(item: FileItem) -> dict:
    node, version = item.node, item.version
    return {"path": item.path if version else None, "name": node.name, "size": version.size if version else 0,
            "content_type": node.content_type, "sha256": version.sha256 if version else "",
            "created_at": _iso(node.created_at), "modified_at": _iso(node.modified_at),
            "trashed_at": _iso(node.trashed_at) if node.is_trashed else None}


async def collect(user: User, files: list[FileItem]) -> tuple[dict, list[ArchiveFile]]:
    """data.json's content and the archive's stored files (personal space, hand-ins, feedback)."""
    consents = await Consent.filter(user_id=user.id).order_by("id")
    stored = [ArchiveFile(item.path, item.version.object_key, item.version.size, item.node.modified_at)
              for item in files if item.version is not None]
    paths = Paths()
    paths.used |= {item.path.lower() for item in files}
    data = {
        "schema": "schoolcloud-personal-data", "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(timezone.utc).isoformat(),
        "account": await _account(user),
        "memberships": await _memberships(user),
        "consents": [{"purpose": c.purpose, "given_by": c.given_by, "text_version": c.text_version,
                      "granted_at": _iso(c.granted_at), "withdrawn_at": _iso(c.withdrawn_at), "note": c.note}
                     for c in consents],
        **await _shares(user),
        "sessions": await _sessions(user),
        "audit_events": await _audit(user),
        "files": [_file_json(item) for item in files],
        "submissions": await content.submissions(user, paths, stored),
        "notifications": await content.notifications(user),
        **await content.lessons(user),
        **await content.tasks_set(user),
        "teams_created": await content.teams_created(user),
        **await content.planning(user),
    }
    return data, stored


async def gather(user: User) -> tuple[dict, list[ArchiveFile]]:
    return await collect(user, await personal_files(user))
