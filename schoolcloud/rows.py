"""Hand-written SQL for the few queries every request runs, hydrated into ORM model instances.

Tortoise spends about 0.4 ms of CPU building and decoding an ordinary query and about 1 ms for one with
`select_related`, while SQLite answers these indexed lookups in well under 0.1 ms; on the paths that
run for every request (the login session, the file or folder addressed) that overhead was most of the
request's cost. The SQL is written once per query, the columns come from the models' own metadata, and
the rows become normal model instances, so callers cannot tell the difference. Use it only for such hot
paths (the reads above, the rows of an upload); everything else goes through the ORM.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any, Callable

from tortoise import connections
from tortoise.fields import DatetimeField
from tortoise.models import Model


@functools.cache
def columns(model: type[Model], alias: str) -> str:
    """`alias.col AS "alias__col", ...` for every database column of the model."""
    if not model._meta._inited:  # before Tortoise.init the projection lacks the foreign keys; cached for good
        raise RuntimeError(f"{model.__name__} read before Tortoise.init")
    names = model._meta.fields_db_projection.values()
    return ", ".join(f'{alias}.{name} AS "{alias}__{name}"' for name in names)


@functools.cache
def _numbered(sql: str) -> str:
    """`?` placeholders as `$1, $2, ...` (asyncpg)."""
    counter = iter(range(1, 10_000))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


def hydrate(model: type[Model], row: dict[str, Any], alias: str) -> Model | None:
    """The model instance for the columns selected with `columns(model, alias)`; None for a LEFT JOIN
    that found nothing."""
    return _reader(model, alias)(row)


@functools.cache
def _reader(model: type[Model], alias: str) -> Callable[[dict[str, Any]], Model | None]:
    """What `Model._init_from_db` does for a full row, prepared once per model and alias: the row's keys
    are looked up directly (a joined row has the columns of several models) and the instance's state is
    set without `Model.__setattr__` (four calls of it per instance, each checking relations). Every
    field still goes through the conversion the ORM would apply (none, its type, or `to_python_value`),
    and SQLite's datetime text is parsed by `datetime.fromisoformat` first (~0.2 us; Tortoise's iso8601
    parser takes ~20 us, and a request reads some fifteen datetimes)."""
    meta = model._meta
    if not meta._inited:  # the field lists below are filled in by Tortoise.init; cached, they must be complete
        raise RuntimeError(f"{model.__name__} read before Tortoise.init")
    pk_key = f"{alias}__{meta.db_pk_column}"
    native = [(f"{alias}__{key}", name) for key, name, _ in meta.db_native_fields]
    typed = [(f"{alias}__{key}", name, field.field_type) for key, name, field in meta.db_default_fields]
    converted = [(f"{alias}__{key}", name, field.to_python_value, isinstance(field, DatetimeField))
                 for key, name, field in meta.db_complex_fields]
    state = {"_partial": False, "_saved_in_db": True,
             "_custom_generated_pk": meta.db_pk_column not in meta.generated_db_fields}
    names = [name for _, name in native] + [name for _, name, _ in typed] + [name for _, name, *_ in converted]
    if any(hasattr(getattr(model, name, None), "__set__") for name in names):
        raise TypeError(f"{model.__name__} has a descriptor where a column's value goes")  # never so far

    def read(row: dict[str, Any]) -> Model | None:
        if row[pk_key] is None:
            return None
        instance = model.__new__(model)
        values = instance.__dict__
        values.update(state)
        values["_await_when_save"] = {}
        for key, name in native:
            values[name] = row[key]
        for key, name, kind in typed:
            value = row[key]
            values[name] = value if value is None else kind(value)
        for key, name, convert, is_datetime in converted:
            value = row[key]
            if is_datetime and type(value) is str:
                try:
                    value = datetime.fromisoformat(value)
                except ValueError:
                    pass  # left to the ORM's parser
            values[name] = convert(value)
        return instance

    return read


def attach(instance: Model, relation: str, related: Model | None) -> None:
    """Set a loaded foreign-key object, as `select_related` does, so `instance.<relation>` needs no query."""
    object.__setattr__(instance, f"_{relation}", related)


def _for(connection, sql: str) -> str:
    return _numbered(sql) if connection.capabilities.dialect == "postgres" else sql


async def fetch_all(sql: str, *params: Any, connection=None) -> list[dict[str, Any]]:
    """The rows of a SELECT written with `?` placeholders, on SQLite or PostgreSQL; on ``connection``
    (e.g. the caller's transaction) or else the default one."""
    connection = connection or connections.get("default")
    return await connection.execute_query_dict(_for(connection, sql), list(params))


async def fetch_one(sql: str, *params: Any, connection=None) -> dict[str, Any] | None:
    """The first row of such a SELECT (see fetch_all)."""
    rows = await fetch_all(sql, *params, connection=connection)
    return rows[0] if rows else None


async def execute(connection, sql: str, *params: Any) -> int:
    """Run an UPDATE or DELETE written with `?` placeholders on ``connection`` (e.g. the caller's
    transaction); returns the number of rows it changed."""
    changed, _ = await connection.execute_query(_for(connection, sql), list(params))
    return changed


def db_value(model: type[Model], field: str, value: Any) -> Any:
    """``value`` as the ORM would store it in ``model.field`` (datetimes differ between databases)."""
    return model._meta.fields_map[field].to_db_value(value, model)


@functools.cache
def _insert_sql(model: type[Model], names: tuple[str, ...]) -> str:
    pk = model._meta.db_pk_column
    generated = model._meta.pk.generated
    needed = set(model._meta.fields_db_projection.values()) - ({pk} if generated else set())
    if set(names) != needed:
        but = f" but {pk}" if generated else ""
        raise ValueError(f"insert into {model.__name__} needs every column{but}; "
                         f"missing {sorted(needed - set(names))}, unknown {sorted(set(names) - needed)}")
    return (f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' * len(names))})" + (f" RETURNING {pk}" if generated else ""))


async def insert(connection, model: type[Model], **values: Any) -> Model:
    """INSERT one row and return it as a model instance (as `Model.create(using_db=connection)` does, at
    a fraction of the CPU). ``values`` are Python values by column name (foreign keys as ``x_id``) and
    must name every column but a generated primary key (a natural one, e.g. a token's hash, is given):
    no ORM defaults are filled in here. A unique violation raises Tortoise's IntegrityError, as with the
    ORM."""
    names = tuple(values)
    fields = model._meta.fields_map
    projection = model._meta.fields_db_projection_reverse
    params = [fields[projection[name]].to_db_value(value, model) for name, value in values.items()]
    if not model._meta.pk.generated:
        await execute(connection, _insert_sql(model, names), *params)
        return model._init_from_db(**values)
    row = await fetch_one(_insert_sql(model, names), *params, connection=connection)
    assert row is not None
    pk = model._meta.db_pk_column
    return model._init_from_db(**values, **{pk: row[pk]})
