"""schoolcloud.rows.insert for models whose primary key is given, not generated (sessions, codes, tokens:
each login writes three such rows by hand)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from tortoise import connections

from schoolcloud import rows
from schoolcloud.accounts.models import Role
from schoolcloud.auth.models import LoginSession
from tests.support.data import make_member, make_school, unique


@pytest.mark.postgres
async def test_insert_with_a_given_primary_key_stores_every_column(app):
    user = await make_member(await make_school(), Role.PUPIL)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    id_hash = unique("h").ljust(64, "0")
    made = await rows.insert(connections.get("default"), LoginSession, id_hash=id_hash, user_id=user.id,
                             created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=8),
                             id_token="id", refresh_token="refresh", access_token_expires_at=None)
    stored = await LoginSession.get(id_hash=id_hash)
    assert (made.id_hash, made.user_id, made.expires_at) == (stored.id_hash, user.id, now + timedelta(hours=8))
    assert (stored.created_at, stored.last_seen_at, stored.id_token, stored.refresh_token) == (now, now, "id", "refresh")
    assert stored.access_token_expires_at is None


@pytest.mark.postgres
async def test_hydrated_rows_equal_the_orms_instances_for_every_model(app):
    """rows.hydrate builds instances without Model._init_from_db: every column of every model (enums,
    booleans, JSON, datetimes, foreign keys) must come out as the ORM's own, and the instance must save."""
    from tortoise import Tortoise

    from tests.support import files
    from tests.support.data import logged_in

    teacher = await make_member(await make_school(), Role.TEACHER)
    async with logged_in(app, teacher) as http:  # a login session, a personal space, a file and its version
        http.headers.update(http.csrf)
        response = await files.upload(http, await files.personal_root(http), "a.txt", b"hello")
        assert response.status_code == 201, response.text
    compared = 0
    for model in sorted(Tortoise.apps["models"].values(), key=lambda m: m.__name__):
        meta = model._meta
        found = await rows.fetch_all(f"SELECT {rows.columns(model, 'x')} FROM {meta.db_table} x "
                                     f"ORDER BY {meta.db_pk_column} DESC LIMIT 3")
        for row in found:
            made = rows.hydrate(model, row, "x")
            stored = await model.get(pk=row[f"x__{meta.db_pk_column}"])
            for name in meta.fields_db_projection:
                assert getattr(made, name) == getattr(stored, name), (model.__name__, name)
                assert type(getattr(made, name)) is type(getattr(stored, name)), (model.__name__, name)
            assert (made._partial, made._saved_in_db, made._custom_generated_pk) == (
                stored._partial, stored._saved_in_db, stored._custom_generated_pk)
            compared += 1
    assert compared >= 10
    made = rows.hydrate(LoginSession, (await rows.fetch_all(
        f"SELECT {rows.columns(LoginSession, 'x')} FROM {LoginSession._meta.db_table} x WHERE user_id = ?",
        teacher.id))[0], "x")
    made.last_seen_at = made.last_seen_at + timedelta(minutes=1)
    await made.save(update_fields=["last_seen_at"])  # an UPDATE of the row, as for an ORM instance
    assert (await LoginSession.get(id_hash=made.id_hash)).last_seen_at == made.last_seen_at


def test_hydrate_refuses_models_before_tortoise_init():
    """Before Tortoise.init a model's column lists lack its foreign keys; cached, they would stay wrong."""
    from tortoise.models import Model
    from tortoise import fields

    class Unbound(Model):
        id = fields.IntField(primary_key=True)

        class Meta:
            app = "unbound"

    with pytest.raises(RuntimeError, match="before Tortoise.init"):
        rows.columns(Unbound, "x")
    with pytest.raises(RuntimeError, match="before Tortoise.init"):
        rows.hydrate(Unbound, {"x__id": 1}, "x")


async def test_insert_refuses_to_leave_a_column_to_defaults(app):
    with pytest.raises(ValueError, match="created_at"):
        await rows.insert(connections.get("default"), LoginSession, id_hash="x" * 64, user_id=1,
                          last_seen_at=datetime.now(timezone.utc), expires_at=datetime.now(timezone.utc),
                          id_token="", refresh_token="", access_token_expires_at=None)
