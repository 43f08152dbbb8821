"""Positions of ordered rows (lessons in a course, blocks in a lesson): reorder all, or move one step."""

from __future__ import annotations

from tortoise.functions import Max
from tortoise.models import Model
from tortoise.transactions import in_transaction

from schoolcloud.web.errors import AppError


async def next_position(model: type[Model], conn, **scope) -> int:
    last = await model.filter(**scope).using_db(conn).annotate(top=Max("position")).first() \
        .values_list("top", flat=True)
    return (last or 0) + 1


async def reorder(model: type[Model], ordered_ids, refused: AppError, **scope) -> None:
    """Number the rows of ``scope`` in the given order; the list must name each of them exactly once
    (else ``refused``), checked and written in one transaction."""
    try:
        wanted = [int(i) for i in ordered_ids]
    except (TypeError, ValueError):
        wanted = None
    async with in_transaction() as conn:
        existing = await model.filter(**scope).using_db(conn).values_list("id", flat=True)
        if wanted is None or len(wanted) != len(set(wanted)) or set(wanted) != set(existing):
            raise refused
        for position, row_id in enumerate(wanted, start=1):
            await model.filter(id=row_id).using_db(conn).update(position=position)


async def move(model: type[Model], row_id: int, step: int, refused: AppError, **scope) -> None:
    """One place up (step -1) or down (+1); at either end nothing changes."""
    ids = await model.filter(**scope).order_by("position", "id").values_list("id", flat=True)
    index = ids.index(row_id)
    other = index + step
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        await reorder(model, ids, refused, **scope)
