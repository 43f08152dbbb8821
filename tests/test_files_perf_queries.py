"""SQL statements per small upload and download, pinned so that a regression shows (issue 3: 300 small
files/s on 2 cores needs few round trips). The services run in the test process on the app's database,
counting what Tortoise logs (BEGIN/COMMIT are not logged)."""

from __future__ import annotations

import logging
import secrets
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.auth import sessions
from schoolcloud.auth.models import LoginSession
from schoolcloud.files import content
from schoolcloud.files.context import MB, FilesContext, Limits
from schoolcloud.files.spaces import personal_space, root_of
from storage.local import LocalStore
from tests.support.files import person


@contextmanager
def counted():
    queries: list[str] = []

    class Handler(logging.Handler):
        def emit(self, record):
            queries.append(record.getMessage())

    logger = logging.getLogger("tortoise.db_client")
    handler, level = Handler(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield queries
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def _chunks(data: bytes):
    yield data


@pytest.mark.postgres
async def test_queries_per_login_upload_and_download(app, tmp_path):
    user = await person(Role.TEACHER)
    root = await root_of(await personal_space(user))
    sid = secrets.token_urlsafe(16)
    now = datetime.now(timezone.utc)
    await LoginSession.create(id_hash=sessions._hash(sid), user=user, last_seen_at=now,
                              expires_at=now + timedelta(hours=1))
    request = SimpleNamespace(session={"sid": sid},
                              app=SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(
                                  session_idle_minutes=60))))
    ctx = FilesContext(LocalStore(tmp_path / "objects"),
                       Limits(max_upload_bytes=10 * MB, quota_pupil_bytes=100 * MB,
                              quota_teacher_bytes=100 * MB, quota_group_bytes=100 * MB, trash_days=30,
                              upload_expiry=timedelta(hours=1)))

    with counted() as queries:
        row = await sessions.load(request)
    assert row is not None and row.user.school.id == user.school_id
    assert len(queries) == 1, queries  # session, user and school together

    caller = row.user
    with counted() as queries:
        result = await content.upload(ctx, caller, root.id, "klein.bin", _chunks(b"x" * 1000))
    assert result.created and result.node.size == 1000
    # folder with space, early name check; then in one transaction: charge, node, version, parent
    assert len(queries) == 6, queries

    with counted() as queries:
        node, version = await content.version_for_download(caller, result.node.id)
    assert node.id == result.node.id and version.size == 1000
    assert len(queries) == 1, queries  # the current version with its node and space


async def test_hot_rows_parse_their_datetimes_without_the_orm(app, monkeypatch):
    """The session read of every request (schoolcloud.rows) parses SQLite's datetime text itself
    (fromisoformat, ~0.2 us) instead of leaving it to Tortoise's iso8601 parser (~20 us each, some fifteen
    per request); the values are the ORM's."""
    import tortoise.fields.data

    user = await person(Role.TEACHER)
    sid = secrets.token_urlsafe(16)
    now = datetime.now(timezone.utc).replace(microsecond=123456)
    await LoginSession.create(id_hash=sessions._hash(sid), user=user, last_seen_at=now,
                              expires_at=now + timedelta(hours=1))
    request = SimpleNamespace(session={"sid": sid},
                              app=SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(
                                  session_idle_minutes=60))))
    parsed = []
    parse = tortoise.fields.data.parse_datetime
    monkeypatch.setattr(tortoise.fields.data, "parse_datetime", lambda value: parsed.append(value) or parse(value))
    row = await sessions.load(request)
    assert parsed == []
    monkeypatch.undo()
    orm = await LoginSession.get(id_hash=sessions._hash(sid)).prefetch_related("user__school")
    for got, expected in ((row, orm), (row.user, orm.user), (row.user.school, orm.user.school)):
        for name, field in type(got)._meta.fields_map.items():
            if isinstance(field, tortoise.fields.DatetimeField):
                value = getattr(got, name)
                assert value == getattr(expected, name) and (value is None or value.utcoffset() is not None), name
    assert row.last_seen_at == now
