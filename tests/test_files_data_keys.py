"""No data key of encryption at rest is made for a school that is gone, nor for one whose deletion is
under way: an upload through a file drop that passed its checks just before `schoolcloud delete-school`
used to create a fresh key for the deleted school on its first write (keyring.SchoolKeyring._create).

The keyring runs in the test process against the test database (the shared test server runs without
encryption; every key made here is removed again, so its fsck runs stay unaffected)."""

from __future__ import annotations

import asyncio
import os

import pytest
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import School
from schoolcloud.files.context import school_scope
from schoolcloud.files.keyring import SchoolKeyring
from schoolcloud.files.models import DataKey
from storage.encrypted import KeyUnavailable, ScopeGone
from tests.support.data import make_school
from tests.support.files import wait_for_lock_waiter

pytestmark = pytest.mark.postgres


@pytest.fixture
async def keyring(app):
    made: list[str] = []
    yield made, SchoolKeyring(os.urandom(32))
    await DataKey.filter(scope__in=made).delete()


async def test_a_key_is_made_for_an_existing_school_but_not_for_a_deleted_one(keyring):
    made, ring = keyring
    school = await make_school()
    scope = school_scope(school.id)
    made.append(scope)
    key_id, key = await ring.write_key(scope)
    assert len(key) == 32 and await DataKey.filter(id=key_id, scope=scope).exists()

    gone = await make_school()
    await School.filter(id=gone.id).delete()
    made.append(school_scope(gone.id))
    with pytest.raises(ScopeGone) as refused:
        await SchoolKeyring(os.urandom(32)).write_key(school_scope(gone.id))
    assert isinstance(refused.value, KeyUnavailable) and f"school {gone.id}" in str(refused.value)
    assert not await DataKey.filter(scope=school_scope(gone.id)).exists()
    await DataKey.filter(scope=scope).delete()


async def test_a_key_asked_for_while_the_school_is_deleted_waits_and_is_refused(keyring, app):
    """The school's row is deleted in a transaction that has not committed yet (as delete_school's last
    one): the key's creation waits for it, then finds the school gone and leaves no key."""
    if not app.database_url.startswith("postgres"):
        pytest.skip("the row lock is PostgreSQL's (SQLite has one writer at a time)")
    made, ring = keyring
    school = await make_school()
    made.append(school_scope(school.id))
    deleted, commit = asyncio.Event(), asyncio.Event()

    async def delete_school_row() -> None:
        async with in_transaction() as conn:
            await conn.execute_query("DELETE FROM school WHERE id = $1", [school.id])
            deleted.set()
            await commit.wait()

    deleting = asyncio.create_task(delete_school_row())
    await deleted.wait()
    creating = asyncio.create_task(ring.write_key(school_scope(school.id)))
    waiting = asyncio.create_task(wait_for_lock_waiter())
    await asyncio.wait([creating, waiting], return_when=asyncio.FIRST_COMPLETED)
    created_at_once = creating.done()
    commit.set()
    await deleting
    if created_at_once:
        waiting.cancel()
        creating.result()
        pytest.fail("a data key was made while the school's deletion was under way")
    await waiting
    with pytest.raises(ScopeGone):
        await creating
    assert not await DataKey.filter(scope=school_scope(school.id)).exists()
