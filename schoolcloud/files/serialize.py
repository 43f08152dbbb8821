"""JSON shapes of the files API (also used in error bodies, e.g. the existing entry of a 409)."""

from __future__ import annotations

from datetime import datetime

from schoolcloud.files.models import FileVersion, Node, NodeKind


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def node_json(node: Node) -> dict:
    body = {
        "id": node.id,
        "kind": node.kind,
        "name": node.name,
        "space_id": node.space_id,
        "parent_id": node.parent_id,
        "created_at": _time(node.created_at),
        "modified_at": _time(node.modified_at),
    }
    if node.kind == NodeKind.FILE:
        body.update(size=node.size, content_type=node.content_type, etag=etag(node.sha256))
    if node.trashed_at is not None or node.trash_key:
        body["trashed_at"] = _time(node.trashed_at)
    return body


def version_json(version: FileVersion, current: bool) -> dict:
    return {
        "id": version.id,
        "size": version.size,
        "content_type": version.content_type,
        "etag": etag(version.sha256),
        "sha256": version.sha256,
        "created_at": _time(version.created_at),
        "current": current,
        "missing": version.missing_at is not None,
    }


def etag(sha256: str) -> str:
    """A strong ETag: the content's sha256 (equal bytes, equal tag, across versions and copies)."""
    return f'"{sha256}"' if sha256 else ""
