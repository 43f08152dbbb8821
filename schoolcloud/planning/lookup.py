"""Rows by the id a request names: anything that is not a whole number, or not there, is "not found"."""

from __future__ import annotations

from schoolcloud.web.errors import NotFound


def whole_number(raw, what: str) -> int:
    if isinstance(raw, bool):
        raise NotFound(what)
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise NotFound(what) from None


async def by_id(model, raw, what: str, **filters):
    found = await model.get_or_none(id=whole_number(raw, what), **filters)
    if found is None:
        raise NotFound(what)
    return found
