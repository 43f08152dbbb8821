"""Group commit (schoolcloud.group_commit) on the app's real database: each unit stands or falls alone,
units of one batch become visible together at one COMMIT (SQLite), callers keep their context, and a
caller cancelled while its unit ran learns that the unit was committed."""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import uuid

import pytest
from tortoise import connections

from schoolcloud import group_commit
from tests.conftest import BACKEND

TABLE = "test_group_commit_probe"


@pytest.fixture
async def probe(app):
    connection = connections.get("default")
    await connection.execute_script(f"CREATE TABLE IF NOT EXISTS {TABLE} (v VARCHAR(64) PRIMARY KEY)")
    return connection


async def stored(connection, values: list[str]) -> set[str]:
    placeholders = ", ".join("?" if BACKEND == "sqlite" else f"${i + 1}" for i in range(len(values)))
    rows = await connection.execute_query_dict(f"SELECT v FROM {TABLE} WHERE v IN ({placeholders})", values)
    return {row["v"] for row in rows}


def insert(value: str, fail: Exception | None = None):
    async def work(conn):
        await conn.execute_query(f"INSERT INTO {TABLE} (v) VALUES ({'?' if BACKEND == 'sqlite' else '$1'})",
                                 [value])
        if fail is not None:
            raise fail
        return value

    return work


@pytest.mark.postgres
async def test_a_failing_unit_is_rolled_back_alone(probe):
    values = [uuid.uuid4().hex for _ in range(6)]
    works = [insert(v) for v in values]
    works[2] = insert(values[2], fail=ValueError("unit 2 fails after its insert"))
    works[4] = insert(values[0])  # the same key as unit 0: the unique index refuses it
    results = await asyncio.gather(*(group_commit.transaction(w) for w in works), return_exceptions=True)
    assert isinstance(results[2], ValueError)
    # Units 0 and 4 insert the same key: exactly one of them is refused. On SQLite the batch runs them
    # in order; on PostgreSQL each is its own transaction and either may commit first.
    refused = [i for i in (0, 4) if type(results[i]).__name__ == "IntegrityError"]
    assert len(refused) == 1 and results[4 - refused[0]] == values[0]
    assert [results[i] for i in (1, 3, 5)] == [values[i] for i in (1, 3, 5)]
    assert await stored(probe, values) == {values[i] for i in (0, 1, 3, 5)}


@pytest.mark.skipif(BACKEND != "sqlite", reason="grouping is for SQLite; PostgreSQL commits each unit")
async def test_concurrent_units_share_one_commit(app, probe):
    database = app.database_url.removeprefix("sqlite://")
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    seen_by_others = []

    async def look_from_outside(conn):
        # Another connection (as the other server process) sees nothing of the batch before its COMMIT.
        with sqlite3.connect(database) as other:
            seen_by_others.append(other.execute(f"SELECT count(*) FROM {TABLE} WHERE v = ?", (first,)).fetchone()[0])
        return await insert(second)(conn)

    assert await asyncio.gather(group_commit.transaction(insert(first)),
                                group_commit.transaction(look_from_outside)) == [first, second]
    assert seen_by_others == [0]
    with sqlite3.connect(database) as other:
        assert other.execute(f"SELECT count(*) FROM {TABLE} WHERE v IN (?, ?)", (first, second)).fetchone()[0] == 2


@pytest.mark.postgres
async def test_a_unit_runs_in_its_callers_context(probe):
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")

    async def caller(name: str) -> str:
        request_id.set(name)

        async def work(conn):
            return request_id.get()

        return await group_commit.transaction(work)

    assert await asyncio.gather(*(caller(f"request {i}") for i in range(5))) == [f"request {i}" for i in range(5)]


@pytest.mark.postgres
async def test_a_caller_cancelled_after_its_commit_is_told_so(probe):
    value = uuid.uuid4().hex
    started = asyncio.Event()

    async def slow(conn):
        started.set()
        await asyncio.sleep(0.2)
        return await insert(value)(conn)

    task = asyncio.ensure_future(group_commit.transaction(slow))
    await started.wait()
    task.cancel()
    with pytest.raises(group_commit.CancelledAfterCommit):
        await task
    assert await stored(probe, [value]) == {value}
