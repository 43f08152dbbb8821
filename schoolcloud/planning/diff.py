"""A field-level comparison of two plans as JSON: which values were added, removed or changed.

Lists of objects that carry an ``id`` are matched by it, so inserting a measure does not show every
later measure as changed; other lists are matched by position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class Change:
    path: tuple  # keys and list positions (or ``{"id": ...}`` markers) from the plan's root
    kind: str
    old: Any = None
    new: Any = None

    def as_json(self) -> dict:
        return {"path": path_text(self.path), "kind": self.kind, "old": self.old, "new": self.new}


def path_text(path: tuple) -> str:
    """``measures[id=m3].quantity`` – stable, readable and the same in the API and on the page."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, IdKey):
            text += f"[id={part.value}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class IdKey:
    value: Any


def _keyed(items: list) -> dict | None:
    if not items or not all(isinstance(i, dict) and "id" in i for i in items):
        return None
    ids = [i["id"] for i in items]
    if len(set(map(str, ids))) != len(ids):
        return None
    return {str(i["id"]): i for i in items}


def compare(old: Any, new: Any, path: tuple = ()) -> list[Change]:
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[Change] = []
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                changes.append(Change(path + (key,), REMOVED, old=old[key]))
            elif key not in old:
                changes.append(Change(path + (key,), ADDED, new=new[key]))
            else:
                changes += compare(old[key], new[key], path + (key,))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        return _compare_lists(old, new, path)
    if old == new and type(old) is type(new):
        return []
    return [Change(path, CHANGED, old=old, new=new)]


def _compare_lists(old: list, new: list, path: tuple) -> list[Change]:
    old_keyed, new_keyed = _keyed(old), _keyed(new)
    if (old_keyed is not None or not old) and (new_keyed is not None or not new) and (old or new):
        old_keyed, new_keyed = old_keyed or {}, new_keyed or {}
        changes = []
        for key, item in old_keyed.items():
            where = path + (IdKey(key),)
            changes += compare(item, new_keyed[key], where) if key in new_keyed else [Change(where, REMOVED, old=item)]
        changes += [Change(path + (IdKey(key),), ADDED, new=item) for key, item in new_keyed.items()
                    if key not in old_keyed]
        return changes
    changes = []
    for index in range(max(len(old), len(new))):
        if index >= len(new):
            changes.append(Change(path + (index,), REMOVED, old=old[index]))
        elif index >= len(old):
            changes.append(Change(path + (index,), ADDED, new=new[index]))
        else:
            changes += compare(old[index], new[index], path + (index,))
    return changes
