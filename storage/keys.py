"""Object keys: what a key may look like, and how callers make fresh ones.

Keys are paths of "/"-separated segments from a small, portable charset. The same key has to be a
valid S3 object name and a valid relative path on every local filesystem, and must never escape the
store's root directory. Segments starting with "." are refused: that rules out "." and ".." and
keeps the local store's own bookkeeping (its ".tmp" directory) out of the key space.
"""

from __future__ import annotations

import re
import uuid

from storage.base import InvalidKey

MAX_KEY_LENGTH = 1024  # S3's limit on object names, in bytes (our charset is ASCII)
MAX_SEGMENT_LENGTH = 255  # NAME_MAX of common local filesystems

_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


def check_key(key: str) -> str:
    """Return ``key`` unchanged, or raise ``InvalidKey`` if it is not a safe object key."""
    if not isinstance(key, str) or not key:
        raise InvalidKey(f"invalid object key {key!r}: must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"invalid object key: longer than {MAX_KEY_LENGTH} characters")
    for segment in key.split("/"):
        # Catches a leading or trailing "/", "//", ".", "..", hidden names and any other character.
        if not _SEGMENT.fullmatch(segment) or len(segment) > MAX_SEGMENT_LENGTH:
            raise InvalidKey(f"invalid object key {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key, or a key followed by "/", or the start of a key."""
    if prefix == "":
        return prefix
    # "ab/" and "ab/c" are fine prefixes: without one trailing "/" they must look like a key.
    check_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix


def is_key_segment(name: str) -> bool:
    """Whether ``name`` could be one "/"-separated part of a key."""
    return bool(_SEGMENT.fullmatch(name)) and len(name) <= MAX_SEGMENT_LENGTH


def new_key(prefix: str = "") -> str:
    """A fresh random key like ``"3f/a2/3fa2...c9"``, optionally under ``prefix`` (e.g. ``"files/"``).

    The two shard levels keep local directories small (at most 256 entries per level); the full
    uuid4 as the last segment makes collisions practically impossible, so every write goes to a key
    nobody else uses ("Data that must not be lost": bytes first, under a fresh key).
    """
    name = uuid.uuid4().hex
    key = f"{prefix}{name[0:2]}/{name[2:4]}/{name}"
    return check_key(key)
