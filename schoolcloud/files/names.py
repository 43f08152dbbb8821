"""File and folder names: what is refused, how names compare, and automatic renaming on collision."""

from __future__ import annotations

import re
import unicodedata

from schoolcloud.files.errors import invalid_name
from schoolcloud.web.i18n import N_

MAX_NAME_BYTES = 255
# Bidirectional overrides and isolates let "gpj.exe" display as "exe.jpg": refused with the controls.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


class OnConflict:
    FAIL = "fail"
    RENAME = "rename"
    OVERWRITE = "overwrite"  # uploads only: the file gets a new version
    ALL = (FAIL, RENAME, OVERWRITE)


def clean_name(raw: object) -> str:
    """Return the name in NFC, or raise AppError ``invalid_name`` (422) saying why it is refused."""
    if not isinstance(raw, str) or raw == "":
        raise invalid_name(N_("Please enter a name."))
    name = unicodedata.normalize("NFC", raw)
    if name in (".", ".."):
        raise invalid_name(N_("The names \".\" and \"..\" are not allowed."))
    if "/" in name or "\\" in name:
        raise invalid_name(N_("Names must not contain / or \\."))
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in name):
        raise invalid_name(N_("Names must not contain control characters."))
    if name != name.strip():
        raise invalid_name(N_("Names must not begin or end with a space."))
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise invalid_name(N_("The name is too long (at most 255 bytes)."))
    return name


def name_key(name: str) -> str:
    """The form names are compared and sorted in: case-insensitive, as Windows and macOS see them."""
    return unicodedata.normalize("NFC", name.casefold())


def _split(name: str, is_folder: bool) -> tuple[str, str]:
    if is_folder:
        return name, ""
    dot = name.rfind(".")
    if dot <= 0:  # no extension, or a dot file like ".bashrc"
        return name, ""
    return name[:dot], name[dot:]


def _fit(base: str, suffix: str) -> str:
    """Shorten ``base`` (by whole characters) until base+suffix fits into MAX_NAME_BYTES."""
    while len((base + suffix).encode("utf-8")) > MAX_NAME_BYTES and base:
        base = base[:-1]
    return (base.rstrip() or "_") + suffix


def numbered(name: str, number: int, is_folder: bool) -> str:
    """``numbered("Bericht.pdf", 2)`` -> ``"Bericht (2).pdf"``."""
    stem, ext = _split(name, is_folder)
    return _fit(stem, f" ({number}){ext}")


_NUMBERED = re.compile(r"^(.*) \((\d{1,6})\)$")


def candidates(name: str, is_folder: bool, start: int = 2, count: int = 50) -> list[str]:
    """Free-name candidates in order; "Bericht (2).pdf" continues with "Bericht (3).pdf", not "(2) (2)"."""
    stem, ext = _split(name, is_folder)
    match = _NUMBERED.match(stem)
    if match:
        stem, start = match.group(1), max(start, int(match.group(2)) + 1)
    return [numbered(stem + ext, n, is_folder) for n in range(start, start + count)]
