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


async def test_insert_refuses_to_leave_a_column_to_defaults(app):
    with pytest.raises(ValueError, match="created_at"):
        await rows.insert(connections.get("default"), LoginSession, id_hash="x" * 64, user_id=1,
                          last_seen_at=datetime.now(timezone.utc), expires_at=datetime.now(timezone.utc),
                          id_token="", refresh_token="", access_token_expires_at=None)
