"""Tortoise's SQLite client, made safe and fair for several server processes on one database file.

Tortoise opens transactions with a plain (deferred) BEGIN: the write lock is taken only at the first
write, and if another process committed in between, SQLite fails that write at once with
SQLITE_BUSY instead of waiting. BEGIN IMMEDIATE takes the write lock up front, so concurrent writers
queue instead of failing. Used through `schoolcloud.db`.

Waiting for the write lock happens here, in the event loop, not in SQLite's busy handler. Each process
has ONE connection, used by one request at a time (Tortoise's lock), and SQLite's handler sleeps in that
connection's thread with a growing back-off of up to 100 ms per try: while one request of a process
waited for the other process's commit, every other request of the process waited behind it, for reads
too, and for up to 100 ms after the lock had come free (issue 6's login storm: a process's database
was busy about a third of the time, and most of that was such sleeping). So the connection does not
wait (busy timeout 0): a statement or BEGIN IMMEDIATE that finds the lock taken gives the connection
back, and tries again after a millisecond or two, up to the same 15 s as before.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiosqlite
from tortoise.backends.base.client import NestedTransactionContext, TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient as _SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
    _gen_savepoint_name as _savepoint_name,
    translate_exceptions,
)
from tortoise.connection import get_connections
from tortoise.exceptions import OperationalError, TransactionManagementError

BUSY_TIMEOUT_MS = 15_000
RETRY_DELAYS = (0.0005, 0.001, 0.002)  # then the last one again; the lock is held for a commit's few ms
SQLITE_BUSY = 5
T = TypeVar("T")


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY (another connection holds the lock), however Tortoise wrapped it."""
    for error in (exc, exc.args[0] if exc.args else None, exc.__cause__, exc.__context__):
        if isinstance(error, sqlite3.OperationalError):
            code = getattr(error, "sqlite_errorcode", None)
            return (code & 0xFF) == SQLITE_BUSY if code is not None else "database is locked" in str(error)
    return False


async def when_free(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run ``attempt`` until it does not fail with SQLITE_BUSY, sleeping in the event loop between tries
    (the connection is free for other requests meanwhile), for at most BUSY_TIMEOUT_MS."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    tries = 0
    while True:
        try:
            return await attempt()
        except (OperationalError, TransactionManagementError, sqlite3.OperationalError) as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(RETRY_DELAYS[min(tries, len(RETRY_DELAYS) - 1)])
        tries += 1


class _ImmediateTransaction(SqliteTransactionWrapper):
    """A transaction whose statements run on the event loop's thread (as reads do: see SqliteClient._read).
    Inside BEGIN IMMEDIATE they never wait for a lock, and nothing is written to disk before COMMIT, so
    only COMMIT (which waits for the fsync) and ROLLBACK go to the connection's thread."""

    async def begin(self) -> None:
        try:
            if self._connection.in_transaction:  # Tortoise commits first; mostly there is nothing to commit
                await self._connection.commit()
            self._connection._conn.execute("BEGIN IMMEDIATE")  # fails at once if the lock is taken
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc

    @translate_exceptions
    async def execute_insert(self, query: str, values: list) -> int:
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)  # as Tortoise logs each statement (tests count them)
            return connection._conn.execute(query, values).lastrowid

    @translate_exceptions
    async def execute_many(self, query: str, values: list[list]) -> None:
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            connection._conn.executemany(query, values)

    @translate_exceptions
    async def execute_query(self, query: str, values: list | None = None) -> tuple[int, list]:
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            conn = connection._conn
            start = conn.total_changes
            rows = conn.execute(_nul_safe(query), values or ()).fetchall()
            return (conn.total_changes - start) or len(rows), rows

    @translate_exceptions
    async def execute_query_dict(self, query: str, values: list | None = None) -> list[dict]:
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            return list(map(dict, connection._conn.execute(_nul_safe(query), values or ()).fetchall()))

    async def savepoint(self) -> None:
        self._savepoint = _savepoint_name()
        self._connection._conn.execute(f"SAVEPOINT {self._savepoint}")

    async def savepoint_rollback(self) -> None:
        self._connection._conn.execute(f"ROLLBACK TO {self._open_savepoint()}")
        self._savepoint = None

    async def release_savepoint(self) -> None:
        self._connection._conn.execute(f"RELEASE {self._open_savepoint()}")

    def _open_savepoint(self) -> str:
        if self._finalized:
            raise TransactionManagementError("Transaction already finalised")
        if self._savepoint is None:
            raise TransactionManagementError("No savepoint to rollback to")
        return self._savepoint

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(_ImmediateTransaction(self))


class _ImmediateTransactionContext(SqliteTransactionContext):
    """Takes the process's connection and the database's write lock; while another process holds the
    write lock, gives the connection back and tries again (see when_free)."""

    async def __aenter__(self):
        async def enter():
            await self._trxlock.acquire()
            try:
                await self.ensure_connection()
                await self.connection.begin()
            except BaseException:
                self._trxlock.release()  # nothing was begun: other requests may use the connection
                raise
            self.token = get_connections().set(self.connection_name, self.connection)
            return self.connection

        return await when_free(enter)


class SqliteClient(_SqliteClient):
    def __init__(self, file_path: str, **kwargs) -> None:
        # The connection itself never waits for a lock: see the module's docstring.
        kwargs["busy_timeout"] = 0
        super().__init__(file_path, **kwargs)

    def _in_transaction(self) -> SqliteTransactionContext:
        return _ImmediateTransactionContext(_ImmediateTransaction(self), self._lock)

    async def execute_insert(self, query: str, values: list) -> Any:
        return await when_free(lambda: super(SqliteClient, self).execute_insert(query, values))

    async def execute_many(self, query: str, values: list[list]) -> None:
        # Tortoise runs these in a transaction of their own, rolled back when its first write is refused.
        return await when_free(lambda: super(SqliteClient, self).execute_many(query, values))

    async def create_connection(self, with_db: bool) -> None:
        if not self._connection:
            # check_same_thread=False: reads also run on the event loop's thread (see _read), always
            # one statement at a time under Tortoise's lock of the connection.
            self._connection = await aiosqlite.connect(self.filename, isolation_level=None,
                                                       check_same_thread=False)
            self._connection._conn.row_factory = sqlite3.Row
            for pragma, value in self.pragmas.items():
                cursor = await self._connection.execute(f"PRAGMA {pragma}={value}")
                await cursor.close()
            await self._post_connect()

    async def execute_query(self, query: str, values: list | None = None) -> Any:
        if _is_read(query):
            rows = await when_free(lambda: self._read(query, values))
            return len(rows), rows
        return await when_free(lambda: super(SqliteClient, self).execute_query(query, values))

    async def execute_query_dict(self, query: str, values: list | None = None) -> list[dict]:
        if _is_read(query):
            return list(map(dict, await when_free(lambda: self._read(query, values))))
        return await when_free(lambda: super(SqliteClient, self).execute_query_dict(query, values))

    @translate_exceptions
    async def _read(self, query: str, values: list | None) -> list[sqlite3.Row]:
        """A SELECT, run right here on the event loop's thread instead of in the connection's thread.

        The reads of a request are indexed lookups that SQLite answers in tens of microseconds; the trip
        to the connection's thread and back cost more CPU than that, and its wake-ups and GIL hand-overs
        made every query of a busy process wait its turn (up to the interpreter's 5 ms switch interval).
        A read never waits for a lock here (busy timeout 0: see the module's docstring) nor for a
        commit's fsync (it writes nothing). Writes and commits stay in the thread."""
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)  # as Tortoise logs each statement (tests count them)
            return connection._conn.execute(_nul_safe(query), values or ()).fetchall()

    @translate_exceptions
    async def execute_script(self, query: str) -> None:
        # A script's statements commit one by one, so a refused one cannot simply be tried again with
        # those before it: scripts (schema changes) wait in SQLite's busy handler, as before.
        async with self.acquire_connection() as connection:
            await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            try:
                await connection.executescript(query)
            finally:
                await connection.execute("PRAGMA busy_timeout = 0")


def _nul_safe(query: str) -> str:
    return query.replace("\x00", "'||CHAR(0)||'")  # as Tortoise's client does


def _is_read(query: str) -> bool:
    return query.lstrip()[:6].upper() == "SELECT"


client_class = SqliteClient
