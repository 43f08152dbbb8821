"""Tortoise's SQLite client, made safe for several server processes on one database file.

Tortoise opens transactions with a plain (deferred) BEGIN: the write lock is taken only at the first
write, and if another process committed in between, SQLite fails that write at once with
SQLITE_BUSY instead of waiting. BEGIN IMMEDIATE takes the write lock up front, where the busy timeout
applies, so concurrent writers queue instead of failing. Used through `schoolcloud.db`.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.sqlite.client import (
    SqliteClient as _SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError

BUSY_TIMEOUT_MS = 15_000


class _ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            if self._connection.in_transaction:  # Tortoise commits first; mostly there is nothing to commit
                await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class SqliteClient(_SqliteClient):
    def __init__(self, file_path: str, **kwargs) -> None:
        kwargs.setdefault("busy_timeout", BUSY_TIMEOUT_MS)
        super().__init__(file_path, **kwargs)

    def _in_transaction(self) -> SqliteTransactionContext:
        return SqliteTransactionContext(_ImmediateTransaction(self), self._lock)


client_class = SqliteClient
